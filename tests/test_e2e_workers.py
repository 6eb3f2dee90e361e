"""End to end on PostgreSQL: one `serve` and several `worker` processes against the fakes (issue 14).

20 repositories, each followed by 5 Slack channels, get 200 commits in bursts (pushes reach `serve`
as GitHub webhooks). While the cards go out through a Slack that answers 429 above one post per
second per channel, one worker is killed with SIGKILL, a fourth is started and another gets
SIGTERM. Every card, digest parent and digest reply must arrive exactly once, and only those the
thresholds select; every (commit, language) is analysed by exactly one LLM call.

Seeds choose the commits' repositories, importances and bursts: `make test-scale` runs two, `SEEDS=1,2,3`
others.
"""

from __future__ import annotations

import os
import random
import re
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from bot.domain import Importance, Subscription
from bot.store import open_store
from tests.e2e_stack import BOT_TOKEN, SIGNING_SECRET, WEBHOOK_SECRET, RoleProcess, push, wait_until
from tests.fake_github import FakeGitHub, file_entry
from tests.fake_openai import FakeOpenAI, marked_importance, prompt_text, slow
from tests.fake_slack import FakeSlack

pytestmark = [
    # Minutes, not seconds (Slack's one post a second per channel paces it): `make test-scale` and
    # .ci/scale run it with two seeds; `make test` leaves it out to stay within its three minutes.
    pytest.mark.e2e, pytest.mark.postgres, pytest.mark.scale,
]

REPOS = [f"octo/r{n:02d}" for n in range(20)]
# channel -> (threshold, language): both languages on every repository, and one channel taking medium too.
CHANNELS = {"C1": ("high", "en"), "C2": ("high", "zh"), "C3": ("medium", "en"), "C4": ("high", "zh"),
            "C5": ("high", "en")}
COMMITS = 200
IMPORTANCE_WEIGHTS = {"high": 0.1, "medium": 0.1, "low": 0.8}
LLM_SECONDS = 0.3  # long enough for calls to overlap
SEEDS = [int(seed) for seed in os.environ.get("SEEDS", "").split(",") if seed.strip()] or [1, 2]
TOKEN = re.compile(r"\bid=(c\d{4})\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Planned:
    """One commit to push: where, when, how important the fake LLM will call it."""

    token: str
    repo: str
    importance: str
    burst: int
    sha: str = ""

    @property
    def message(self) -> str:
        return f"feat(r{self.repo[-2:]}): change {self.token} [importance:{self.importance}] id={self.token}"


def plan(seed: int) -> tuple[list[Planned], dict[str, str]]:
    """The 200 commits in four bursts of random sizes, and each channel's digest repository (one with
    commits in the first burst, the digest's day)."""
    rng = random.Random(seed)
    sizes = [rng.randint(35, 65) for _ in range(3)]
    sizes.append(COMMITS - sum(sizes))
    bursts = [burst for burst, size in enumerate(sizes) for _ in range(size)]
    levels = list(IMPORTANCE_WEIGHTS)
    commits = [Planned(f"c{n:04d}", rng.choice(REPOS), rng.choices(levels, list(IMPORTANCE_WEIGHTS.values()))[0],
                       burst) for n, burst in enumerate(bursts)]
    first = sorted({c.repo for c in commits if c.burst == 0})
    return commits, {channel: rng.choice(first) for channel in CHANNELS}


@dataclass
class Stack:
    """The fakes, the database and every bot process started."""

    tmp_path: Path
    github: FakeGitHub
    slack: FakeSlack
    llm: FakeOpenAI
    db: Engine
    env: dict[str, str]
    processes: list[RoleProcess] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)
    began: float = field(default_factory=time.monotonic)

    def process(self, role: str, name: str) -> RoleProcess:
        made = RoleProcess(self.tmp_path, self.env, role, name)
        self.processes.append(made)
        return made

    def note(self, what: str) -> None:
        line = f"{time.monotonic() - self.began:6.1f}s posts={len(self.slack.delivery_keys()):4d} {what}"
        self.timeline.append(line)
        print(line, flush=True)

    def count(self, query: str, **params: object) -> int:
        with self.db.connect() as conn:
            return int(conn.execute(text(query), params).scalar_one())

    def logs(self, tail: int = 4000) -> str:
        return "\n".join(f"--- {p.name}\n{p.log_text()[-tail:]}" for p in self.processes)


@pytest.fixture
def stack(tmp_path: Path, postgres_url: str) -> Iterator[Stack]:
    github = FakeGitHub.serve(threads=16)
    slack = FakeSlack.serve(token=BOT_TOKEN)
    slack.posts_per_second = 1.0
    llm_server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    llm_server.start()
    llm = FakeOpenAI(llm_server, otherwise=slow(LLM_SECONDS, marked_importance()))
    db = create_engine(make_url(postgres_url).set(drivername="postgresql+psycopg"))
    env = {"DATABASE_URL": postgres_url, "GITHUB_API_URL": github.api_url, "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url,
           "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "sk-e2e", "LLM_MODEL": "fake-model",
           "LLM_CONCURRENCY": "4", "POLL_INTERVAL": "5", "MAX_CARDS_PER_POLL": "100", "LANGUAGE": "en",
           "TIMEZONE": "UTC"}
    made = Stack(tmp_path, github, slack, llm, db, env)
    yield made
    for process in made.processes:
        if process.process is not None and process.process.poll() is None:
            process.kill()
    db.dispose()
    slack.stop()
    github.stop()
    llm_server.stop()


def subscribe_all(stack: Stack, web: RoleProcess, digest_at: str) -> list[Subscription]:
    """/subscribe every repository in every channel through `serve`; one channel's 20 at a time."""
    for channel, (threshold, language) in CHANNELS.items():
        urls = [web.slash(stack.slack, "/subscribe", f"{repo} --min {threshold} --lang {language} "
                                                       f"--digest {digest_at} --tz UTC", channel=channel)
                for repo in REPOS]
        wait_until(lambda urls=urls: all(stack.slack.responses(url) for url in urls), 60,
                   f"/subscribe answers in {channel}")
    store = open_store(stack.env["DATABASE_URL"])
    try:
        subs = store.subscriptions.list()
    finally:
        store.close()
    assert len(subs) == len(REPOS) * len(CHANNELS), [stack.slack.responses()]
    return subs


def send_burst(stack: Stack, web: RoleProcess, commits: list[Planned], burst: int,
               dated: Callable[[int], datetime]) -> None:
    """Add the burst's commits to the fake GitHub, then one push webhook per repository touched."""
    touched: list[str] = []
    for number, planned in enumerate(commits):
        if planned.burst != burst:
            continue
        repo = stack.github.repos[planned.repo]
        planned.sha = repo.commit(planned.message, files=[file_entry(f"src/{planned.token}.py")],
                                  date=dated(number).strftime("%Y-%m-%dT%H:%M:%SZ"))
        touched.append(planned.repo)
    for repo in dict.fromkeys(touched):
        assert push(web, repo, delivery=f"burst-{burst}-{repo}") == 202
    stack.note(f"burst {burst}: {len(touched)} commits pushed to {len(set(touched))} repositories")


def expected_keys(subs: list[Subscription], commits: list[Planned], digest_repos: dict[str, str],
                  day: date) -> set[tuple[str, str]]:
    """(channel, delivery key) of every card the thresholds select, and of each digest and its replies."""
    wanted: set[tuple[str, str]] = set()
    for sub in subs:
        for planned in commits:
            if planned.repo == sub.repo.full_name and Importance(planned.importance).meets(sub.threshold):
                # A commit not pushed yet has no SHA: its token stands in, so the count is already right.
                wanted.add((sub.channel, f"card:{sub.id}:{planned.sha or planned.token}"))
        if digest_repos[sub.channel] == sub.repo.full_name:
            wanted.add((sub.channel, f"digest:{sub.id}:{day.isoformat()}"))
            wanted |= {(sub.channel, f"digest-entry:{sub.id}:{day.isoformat()}:{planned.sha or planned.token}")
                       for planned in commits if planned.repo == sub.repo.full_name and planned.burst == 0}
    return wanted


def llm_pairs(llm: FakeOpenAI) -> list[tuple[str, str]]:
    """(commit token, language) of every LLM request received."""
    pairs = []
    for request in list(llm.requests):
        token = TOKEN.search(prompt_text(request))
        language = "zh" if CJK.search(prompt_text(request, "system")[:200]) else "en"
        pairs.append((token.group(1) if token else "?", language))
    return pairs


def next_minute(moment: datetime) -> datetime:
    """The first whole minute after `moment`."""
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)


@pytest.mark.parametrize("seed", SEEDS)
def test_workers_killed_added_and_stopped_post_every_card_digest_and_reply_exactly_once(stack: Stack, seed: int):
    commits, digest_repos = plan(seed)
    for name in REPOS:
        stack.github.add_repo(name)
    web = stack.process("serve", "serve")
    workers = [stack.process("worker", f"worker{n}") for n in range(1, 4)]
    for process in (web, *workers):
        process.launch()
    for process in (web, *workers):
        process.wait_ready()
    stack.note("serve and 3 workers ready")

    # Every digest is due half a day away, except (below) one per channel once its day's commits are stored.
    far = (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M")
    subs = subscribe_all(stack, web, far)
    due = next_minute(max(sub.created_at.astimezone(UTC) for sub in subs if sub.created_at))
    day = due.date() - timedelta(days=1)  # a digest covers the local day before it is due
    stack.note(f"100 subscriptions; digests due {due:%H:%M} for {day}")
    wait_until(lambda: stack.count("SELECT count(*) FROM repo_cursors WHERE last_sha IS NOT NULL") == len(REPOS),
               60, "every branch's first poll (the cursor at its head)")

    # The first burst is dated the digest's day; the later ones the day after, so the digests' replies are known.
    send_burst(stack, web, commits, 0, lambda n: datetime.combine(day, datetime.min.time(), UTC)
               + timedelta(hours=12, seconds=n))
    first = [c.sha for c in commits if c.burst == 0]
    wait_until(lambda: stack.count("SELECT count(DISTINCT sha) FROM commits WHERE sha = ANY(:shas)",
                                   shas=first) == len(first), 60, "the first burst stored")
    urls = [web.slash(stack.slack, "/subscribe", f"{repo} --digest {due:%H:%M}", channel=channel)
            for channel, repo in digest_repos.items()]
    wait_until(lambda: all(stack.slack.responses(url) for url in urls), 60, "the digest-time updates")
    stack.note("digest times set")
    later = datetime.combine(due.date(), datetime.min.time(), UTC)

    wait_until(lambda: len(stack.slack.delivery_keys()) >= 8, 90, "the first cards")
    with stack.llm.held_while_idle():  # no LLM call of the killed worker is cut off: each pair stays one call
        workers[0].kill()
    stack.note("worker1 killed (SIGKILL)")
    send_burst(stack, web, commits, 1, lambda n: later + timedelta(seconds=n))
    fourth = stack.process("worker", "worker4")
    fourth.start()
    stack.note("worker4 started")
    send_burst(stack, web, commits, 2, lambda n: later + timedelta(seconds=n))

    wanted = expected_keys(subs, commits, digest_repos, day)
    wait_until(lambda: len(stack.slack.delivery_keys()) >= len(wanted) * 0.4, 180, "40% of the posts")
    workers[1].signal(signal.SIGTERM)
    stack.note("worker2 sent SIGTERM")
    send_burst(stack, web, commits, 3, lambda n: later + timedelta(seconds=n))
    wanted = expected_keys(subs, commits, digest_repos, day)

    def delivered() -> bool:
        return wanted <= set(stack.slack.delivery_keys())

    try:
        wait_until(delivered, 300, "every expected card, digest and reply")
    except AssertionError:
        missing = sorted(wanted - set(stack.slack.delivery_keys()))
        raise AssertionError(f"{len(missing)} missing, e.g. {missing[:10]}\n" + "\n".join(stack.timeline)
                             + "\n" + stack.logs()) from None
    stack.note("everything expected delivered")
    stopped = workers[1].process.wait(60)  # checked last: the deliveries say more
    # Another push everywhere and two poll intervals: anything that would go twice goes now.
    for repo in REPOS:
        push(web, repo, delivery=f"final-{repo}")
    time.sleep(12)
    stack.note(f"settled; Slack answered {stack.slack.throttled} posts with 429; {len(stack.llm.requests)} LLM "
               f"calls, peak {stack.llm.max_in_flight} in flight")

    keys = stack.slack.delivery_keys()
    twice = {key: times for key, times in Counter(keys).items() if times > 1}
    assert not twice, f"posted more than once: {sorted(twice.items())[:20]}\n" + "\n".join(stack.timeline)
    assert set(keys) == wanted, (sorted(set(keys) - wanted)[:20], sorted(wanted - set(keys))[:20])
    for channel, repo in digest_repos.items():
        sub = next(s for s in subs if s.channel == channel and s.repo.full_name == repo)
        parents = [k for c, k in keys if c == channel and k == f"digest:{sub.id}:{day.isoformat()}"]
        replies = [k for c, k in keys if c == channel and k.startswith(f"digest-entry:{sub.id}:")]
        assert len(parents) == 1 and len(replies) == sum(1 for c in commits if c.repo == repo and c.burst == 0)

    pairs = llm_pairs(stack.llm)
    languages = {language for _, language in CHANNELS.values()}
    repeated = sorted(pair for pair, times in Counter(pairs).items() if times > 1)
    assert not repeated, f"analysed more than once: {repeated}"
    assert set(pairs) == {(c.token, language) for c in commits for language in languages}
    assert stack.llm.max_in_flight > 1
    assert stack.slack.throttled > 0  # the per-channel limit was really in the way
    assert stopped == 0, f"SIGTERM: exit status {stopped}\n{workers[1].log_text()[-3000:]}"
