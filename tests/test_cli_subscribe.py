"""`commit-radar subscriptions add` uses the same subscribe use case as chat `/subscribe`."""

from __future__ import annotations

from tests.fake_github import fake_github, fake_github_server  # noqa: F401
from tests.test_cli import cli


def _gh(fake) -> dict:
    return {"GITHUB_API_URL": fake.api_url, "GITHUB_MAX_WAIT": "0"}


def test_add_without_branch_follows_the_repository_default_branch(tmp_path, fake_github):
    fake_github.add_repo("octo/legacy", default_branch="master")
    added = cli(tmp_path, "subscriptions", "add", "octo/legacy", env=_gh(fake_github))
    assert added.returncode == 0, added.stderr
    assert "octo/legacy@master" in added.stdout
    assert "octo/legacy@master" in cli(tmp_path, "subscriptions", "list").stdout


def test_add_of_a_repository_that_does_not_exist_fails_and_saves_nothing(tmp_path, fake_github):
    refused = cli(tmp_path, "subscriptions", "add", "nobody/nothing", env=_gh(fake_github))
    assert refused.returncode == 1
    assert "nobody/nothing" in refused.stderr and "Traceback" not in refused.stderr
    assert refused.stderr.count("\n") == 1
    assert "no subscriptions" in cli(tmp_path, "subscriptions", "list").stdout


def test_re_adding_keeps_options_not_given_again(tmp_path, fake_github):
    fake_github.add_repo("octo/widgets")
    first = cli(tmp_path, "subscriptions", "add", "octo/widgets", "--min", "low", "--tz", "Asia/Shanghai",
                "--paths", "src/**", env=_gh(fake_github))
    again = cli(tmp_path, "subscriptions", "add", "octo/widgets", "--digest", "18:30", env=_gh(fake_github))
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert "updated #1" in again.stdout and "(min low, commits first-parent)" in again.stdout
    listed = cli(tmp_path, "subscriptions", "list").stdout
    assert "low" in listed and "18:30 Asia/Shanghai" in listed


def test_a_branch_github_does_not_know_is_refused(tmp_path, fake_github):
    fake_github.add_repo("octo/widgets")
    refused = cli(tmp_path, "subscriptions", "add", "octo/widgets", "--branch", "nope", env=_gh(fake_github))
    assert refused.returncode == 1 and "nope" in refused.stderr


def test_all_commits_is_chosen_kept_and_undone(tmp_path, fake_github):
    fake_github.add_repo("octo/widgets")
    added = cli(tmp_path, "subscriptions", "add", "octo/widgets", "--all-commits", env=_gh(fake_github))
    assert added.returncode == 0, added.stderr
    assert "commits all)" in added.stdout
    kept = cli(tmp_path, "subscriptions", "add", "octo/widgets", "--min", "low", env=_gh(fake_github))
    assert "(min low, commits all)" in kept.stdout
    back = cli(tmp_path, "subscriptions", "add", "octo/widgets", "--first-parent", env=_gh(fake_github))
    assert "commits first-parent)" in back.stdout
    assert " first-parent " in cli(tmp_path, "subscriptions", "list").stdout
    clash = cli(tmp_path, "subscriptions", "add", "octo/widgets", "--all-commits", "--first-parent",
                env=_gh(fake_github))
    assert clash.returncode == 2 and "not allowed with" in clash.stderr
