"""`commit-radar subscriptions add --every week --on DAY`, as chat /subscribe does, and how `list` shows it."""

from __future__ import annotations

from tests.fake_github import fake_github, fake_github_server  # noqa: F401
from tests.test_cli import cli
from tests.test_cli_subscribe import _gh


def test_add_a_weekly_subscription_then_change_its_day_and_back_to_daily(tmp_path, fake_github):
    fake_github.add_repo("octo/widgets")
    added = cli(tmp_path, "subscriptions", "add", "octo/widgets", "--every", "week", "--on", "fri",
                env=_gh(fake_github))
    assert added.returncode == 0, added.stderr
    assert "digest weekly fri 09:00" in added.stdout
    assert "weekly fri 09:00 UTC" in cli(tmp_path, "subscriptions", "list").stdout
    moved = cli(tmp_path, "subscriptions", "add", "octo/widgets", "--on", "tue", env=_gh(fake_github))
    assert moved.returncode == 0 and "digest weekly tue 09:00" in moved.stdout, moved.stderr
    daily = cli(tmp_path, "subscriptions", "add", "octo/widgets", "--every", "day", env=_gh(fake_github))
    assert daily.returncode == 0 and "digest daily 09:00" in daily.stdout, daily.stderr


def test_bad_every_or_on_is_a_usage_error_and_saves_nothing(tmp_path, fake_github):
    fake_github.add_repo("octo/widgets")
    for args in (["--every", "month"], ["--on", "funday"], ["--every", "day", "--on", "mon"]):
        refused = cli(tmp_path, "subscriptions", "add", "octo/widgets", *args, env=_gh(fake_github))
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1, (args, refused.stderr)
    assert "no subscriptions" in cli(tmp_path, "subscriptions", "list").stdout
