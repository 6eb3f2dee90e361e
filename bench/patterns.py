"""Benchmark: GitHub requests per idle cycle for pattern subscriptions, beside the target.

An organisation of 50 repositories (`/subscribe bench-org/*`) and a 30-branch pattern
(`/subscribe bench-org/branches 'release/*'`, beside 10 branches it does not match), subscribed
through the real command handler of the real application (bootstrap.build, SQLite, GitHubSource over
PyGithub) against the fake GitHub (tests/fake_github.py, waitress). After a settling cycle (every
branch records its head and ETag, every list its page ETags), one idle cycle is counted: each
pattern's `expand` job plus the polls of the branches it brought in. Then a repository and a
matching branch are created and the next cycle is counted too (what noticing them costs).

Target: one conditional request per list plus one per watched branch, all answered 304.

    .venv/bin/python bench/patterns.py [--repos 50] [--branches 30]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.bootstrap import build
from bot.chat.commands import CommandContext
from bot.config import Settings
from tests.fake_github import FakeGitHub

CONSOLE = CommandContext(platform="console", channel="console", user_id="bench")


def cycle(app, fake: FakeGitHub, kind: str, target: str, pairs) -> dict[str, int]:
    """One expand job for the list, then one poll of each branch it follows; the requests it took."""
    fake.reset_counts()
    app.jobs.patterns.expand(kind, target)
    list_requests = len(fake.seen)
    app.watcher.run_cycle(pairs())
    return {"list": list_requests, "branches": len(fake.seen) - list_requests, "total": len(fake.seen),
            "not_modified": fake.not_modified, "counted": fake.counted}


def report(name: str, figures: dict[str, int], watched: int, lists: int = 1) -> None:
    target = lists + watched
    print(f"{name}: {figures['total']} requests ({figures['list']} for the list, {figures['branches']} branch polls); "
          f"{figures['not_modified']} answered 304, {figures['counted']} count against the rate limit   "
          f"[target: {lists} + {watched} = {target}, 0 counted]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--branches", type=int, default=30)
    options = parser.parse_args()
    fake = FakeGitHub.serve()
    fake.add_org("bench-org")
    for index in range(options.repos):
        fake.add_repo(f"bench-org/repo-{index:03}")
    branchy = fake.add_repo("bench-pattern/branches")
    for index in range(options.branches):
        branchy.branch(f"release/{index:03}")
    for index in range(10):
        branchy.branch(f"feature/{index:03}")
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(_env_file=None, database_url=f"sqlite:///{folder}/bench.db", github_api_url=fake.api_url,
                            language="en", github_requests_per_minute=100_000)
        app = build(settings, platforms=[])
        try:
            print(app.handler.handle("/subscribe bench-org/*", CONSOLE).text.splitlines()[1])
            print(app.handler.handle("/subscribe bench-pattern/branches 'release/*'", CONSOLE).text.splitlines()[1])
            subs = app.store.subscriptions

            def org_pairs():
                return [(s.repo, s.branch) for s in subs.list() if s.pattern_id and s.repo.owner == "bench-org"]

            def branch_pairs():
                return [(s.repo, s.branch) for s in subs.list() if s.pattern_id and s.repo.owner == "bench-pattern"]

            for kind, target, pairs in (("owner", "bench-org/*", org_pairs),
                                        ("branches", "bench-pattern/branches", branch_pairs)):
                cycle(app, fake, kind, target, pairs)  # settle: heads, ETags
            org = cycle(app, fake, "owner", "bench-org/*", org_pairs)
            branches = cycle(app, fake, "branches", "bench-pattern/branches", branch_pairs)
            report(f"idle cycle, organisation of {options.repos} repositories", org, options.repos)
            report(f"idle cycle, {options.branches}-branch pattern", branches, options.branches)
            together = {key: org[key] + branches[key] for key in org}
            report("idle cycle, both", together, options.repos + options.branches, lists=2)
            fake.add_repo("bench-org/repo-new")
            branchy.branch("release/new")
            grown_org = cycle(app, fake, "owner", "bench-org/*", org_pairs)
            grown_branches = cycle(app, fake, "branches", "bench-pattern/branches", branch_pairs)
            print(f"a repository appears: {grown_org['total']} requests ({grown_org['list']} for the list, "
                  f"{grown_org['counted']} counted; the new branch's first poll records its head)")
            print(f"a branch appears: {grown_branches['total']} requests ({grown_branches['list']} for the list, "
                  f"{grown_branches['counted']} counted)")
        finally:
            app.close()
            fake.stop()


if __name__ == "__main__":
    main()
