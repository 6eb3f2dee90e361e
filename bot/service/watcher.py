"""The watcher: poll watched branches, analyse new commits, deliver cards to the subscriptions that want them."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.analysis.port import Analyses
from bot.causes import clip_middle
from bot.clock import Clock
from bot.domain import Analysis, Commit, RepoRef, Subscription
from bot.domain.delivery import DeliveryOutcome, DeliveryState
from bot.github.errors import GitHubError
from bot.github.port import CommitSource
from bot.render.card import card_title
from bot.render.rollup import RollupLine, RollupPart, ordered, part_item, plan
from bot.scrub import scrub_text
from bot.service.delivery import Deliverer
from bot.service.metrics import Metrics
from bot.service.poller import PollOutcome, poll_all
from bot.store import Store

log = logging.getLogger(__name__)
# Failures in a row before a broken subscription is told to its channel (once).
REPORT_AFTER_FAILURES = 3
# GitHub-wide trouble is not the subscription's fault: retried quietly, never reported to channels.
UNREPORTED_FAILURES = {"rate_limited", "unavailable"}
# A card whose channel keeps failing is retried with backoff (RETRY_FIRST doubling up to RETRY_MAX),
# however many polls or pushes come in between, and given up only once it has failed for
# GIVE_UP_AFTER: then it is recorded with its reason (shown by /subscriptions, counted in metrics).
GIVE_UP_AFTER = timedelta(hours=6)
RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(minutes=10)
# Pending (commit, branch) pairs handled in one delivery pass.
BATCH = 1000
# Early analyses kept for a delivery pass of this process before the finished ones are let go.
EARLY_KEPT = 1000
# Card records that mean a retried commit is done in that channel.
_SETTLED = (DeliveryState.SENT, DeliveryState.SKIPPED)

FAILURE_TEXT = {
    "zh": "⚠️ 无法读取 {repo}@{branch}：{problem}。订阅仍保留，恢复后会自动继续。",
    "en": "⚠️ Cannot read {repo}@{branch}: {problem}. The subscription stays; it resumes by itself once this is fixed.",
}


@dataclass
class _Hold:
    """A (repo, sha, branch) whose delivery is being retried."""

    since: datetime
    attempts: int = 0
    retry_at: datetime | None = None


@dataclass
class _Budget:
    """What one cycle's delivery passes share: cards per channel so far, and channels failing right now."""

    cards: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    down: set[tuple[str, str]] = field(default_factory=set)
    # Analyses made ahead of delivery, in parallel: (repo, sha, language) -> analysis.
    analyses: dict[tuple[str, str, str], Analysis] = field(default_factory=dict)


@dataclass
class _Candidate:
    """A card one subscription may get in this pass, with the commit's place in history."""

    sub: Subscription
    commit: Commit
    branch: str
    analysis: Analysis
    order: int
    status: DeliveryState | None  # of its card: None (never tried), pending, sent, or skipped (named in a roll-up)


@dataclass
class _Pass:
    """One delivery pass: candidate cards per channel, and what each (repo, sha, branch) still waits on."""

    channels: dict[tuple[str, str], list[_Candidate]] = field(default_factory=lambda: defaultdict(list))
    lower: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # subscription id -> below threshold
    waiting: dict[tuple[str, str, str], list[Subscription]] = field(default_factory=lambda: defaultdict(list))
    problems: dict[tuple[str, str, str], str] = field(default_factory=dict)
    unrolled: set[tuple[str, str, str]] = field(default_factory=set)  # a roll-up part naming it is still due
    paused: set[int] = field(default_factory=set)  # subscriptions paused during the pass (the bot was removed)


def _key(commit: Commit, branch: str) -> tuple[str, str, str]:
    return (commit.repo.full_name, commit.sha, branch)


@dataclass(frozen=True)
class WatchLimits:
    """How much one pass may do: cards per channel (the rest are rolled up), polls and analyses at once."""

    max_cards_per_poll: int = 10
    poll_concurrency: int = 16
    analysis_concurrency: int = 4


@dataclass
class CycleReport:
    """What one cycle did."""

    polled: int = 0
    new_commits: int = 0
    processed: int = 0
    cards: int = 0
    rolled_up: int = 0
    deferred: int = 0
    failures: dict[str, str] = field(default_factory=dict)


class Watcher:
    """One poll-analyse-deliver cycle at a time, over every watched (repo, branch)."""

    def __init__(self, store: Store, source: CommitSource, analyser: Analyses, deliverer: Deliverer,
                 clock: Clock, limits: WatchLimits | None = None, metrics: Metrics | None = None) -> None:
        self._store = store
        self._source = source
        self._analyser = analyser
        self._deliverer = deliverer
        self._clock = clock
        limits = limits or WatchLimits()
        self._max_cards = limits.max_cards_per_poll
        self._concurrency = limits.poll_concurrency
        self._analysis_concurrency = max(1, limits.analysis_concurrency)
        self._metrics = metrics or Metrics()
        # One delivery pass over every branch at a time (a job delivering one branch runs beside it:
        # its job lock keeps two passes off one branch, and delivery keys keep any card from going twice).
        self._lock = threading.Lock()
        # Commits held back (deferred delivery, a crash while delivering) and when to try each again.
        self._held: dict[tuple[str, str, str], _Hold] = {}
        # Analyses started as a burst's commits are stored (see _analyse_early): one pool for the process.
        self._early: ThreadPoolExecutor | None = None
        self._early_lock = threading.Lock()
        self._started: dict[tuple[str, str, str], Future[Analysis | None]] = {}

    def run_cycle(self, pairs: list[tuple[RepoRef, str]] | None = None) -> CycleReport:
        """Poll (all watched pairs, or the given ones), delivering each repository's commits as its poll ends.

        Given pairs (a poll job's branch), only their commits are delivered; without, every pending one.
        """
        started = time.monotonic()
        report = CycleReport()
        budget = _Budget()
        scope = pairs
        pairs = self._store.subscriptions.watched() if pairs is None else pairs
        done: queue.SimpleQueue[PollOutcome | None] = queue.SimpleQueue()
        polling = threading.Thread(target=self._poll_into, args=(pairs, done), name="poll-cycle", daemon=True)
        polling.start()
        # Delivery runs here while polls go on there: one slow repository no longer holds back the cards
        # of every other repository until the whole cycle has polled.
        outcomes: list[PollOutcome] = []
        while (outcome := done.get()) is not None:
            self._count(outcome, report)
            outcomes.append(outcome)
            if outcome.new_shas:
                self.deliver_pending(report, budget, scope)
        polling.join()
        self._report_persistent_failures(outcomes)
        self.deliver_pending(report, budget, scope)
        self._metrics.cycles.inc()
        self._metrics.last_cycle.set(self._clock().timestamp())
        if scope is not None:
            self._metrics.poll_seconds.observe(time.monotonic() - started)
        return report

    def poll(self, pairs: list[tuple[RepoRef, str]]) -> tuple[CycleReport, list[tuple[RepoRef, str]]]:
        """Poll `pairs` without delivering (a batch of scheduled polls): what they found, and the branches
        with new commits, each for a delivery of its own."""
        report = CycleReport()
        outcomes = poll_all(self._source, self._store, pairs, self._concurrency, self._clock,
                            on_stored=self._analyse_early)
        news: list[tuple[RepoRef, str]] = []
        for outcome in outcomes:
            self._count(outcome, report)
            if outcome.new_shas:
                news.append((outcome.moved_to or outcome.repo, outcome.branch))
        self._report_persistent_failures(outcomes)
        self._metrics.cycles.inc()
        self._metrics.last_cycle.set(self._clock().timestamp())
        return report, news

    def _poll_into(self, pairs: list[tuple[RepoRef, str]], done: queue.SimpleQueue[PollOutcome | None]) -> None:
        try:
            poll_all(self._source, self._store, pairs, self._concurrency, self._clock, on_outcome=done.put,
                     on_stored=self._analyse_early)
        except Exception:  # the cycle still ends (and delivers what is pending) if polling itself breaks
            log.exception("polling failed")
        finally:
            done.put(None)

    def _count(self, outcome: PollOutcome, report: CycleReport) -> None:
        report.polled += 1
        self._metrics.polls.labels(outcome.status).inc()
        if not outcome.ok:
            where = f"{outcome.repo}@{outcome.branch}"
            error = outcome.error
            report.failures[where] = error.text_for(where) if isinstance(error, GitHubError) else str(error)
            self._metrics.errors.labels(type(outcome.error).__name__).inc()
        report.new_commits += len(outcome.new_shas)
        self._metrics.new_commits.inc(len(outcome.new_shas))

    def deliver_pending(self, report: CycleReport | None = None, budget: _Budget | None = None,
                        pairs: list[tuple[RepoRef, str]] | None = None) -> CycleReport:
        """Analyse and deliver the stored commits not yet processed (on `pairs` only, when given), also what a
        crash left behind."""
        if pairs is not None:
            return self._deliver_pending(report or CycleReport(), budget or _Budget(), pairs)
        with self._lock:
            return self._deliver_pending(report or CycleReport(), budget or _Budget(), None)

    def _deliver_pending(self, report: CycleReport, budget: _Budget,
                         pairs: list[tuple[RepoRef, str]] | None) -> CycleReport:
        now = self._clock()
        batch = self._pending_batch(pairs)
        self._analyse_ahead(batch, budget)
        work = _Pass()
        due: list[tuple[Commit, str]] = []
        for order, (commit, branch) in enumerate(batch):
            hold = self._held.get(_key(commit, branch))
            if hold is not None and hold.retry_at is not None and hold.retry_at > now:
                continue  # backing off: it stays pending and is tried again once its time comes
            due.append((commit, branch))
            try:
                self._collect(commit, branch, order, budget, work)
            except Exception as exc:  # one bad commit must not hold up every commit after it
                self._crashed(_key(commit, branch), exc, work)
        # Each channel's cards go to its most important commits, then its roll-ups name the rest.
        for channel, candidates in work.channels.items():
            self._deliver_channel(channel, candidates, budget, work, report)
        finished = self._settle(due, work, now)
        # Marked only after cards and roll-ups went out: a crash before this line re-runs the
        # commits, and the delivery keys keep every channel from seeing one twice.
        for commit, branch, reason in finished:
            self._store.commits.mark_processed(commit.repo, commit.sha, branch, reason=reason)
        report.processed += len(finished)
        return report

    def _settle(self, due: list[tuple[Commit, str]], work: _Pass,
                now: datetime) -> list[tuple[Commit, str, str | None]]:
        """The commits delivery is done with (and why some cards are missing); the others are held or retried."""
        finished: list[tuple[Commit, str, str | None]] = []
        for commit, branch in due:
            key = _key(commit, branch)
            waiting, problem = work.waiting.get(key, []), work.problems.get(key)
            if key in work.unrolled and not waiting and problem is None:
                continue  # a roll-up part naming it is still to go out: the next pass sends it (its key stops a repeat)
            reason = None
            if waiting or problem is not None:
                reason = self._hold(key, commit, branch, now, waiting, problem)
                if reason is None:
                    continue
            self._held.pop(key, None)
            finished.append((commit, branch, reason))
        return finished

    def _crashed(self, key: tuple[str, str, str], exc: Exception, work: _Pass) -> None:
        self._metrics.errors.labels("delivery_crash").inc()
        log.exception("delivering a commit failed", extra={"repo": key[0], "sha": key[1], "branch": key[2]})
        work.problems[key] = f"delivering it failed: {type(exc).__name__}: {clip_middle(str(exc), 200)}"

    def _hold(self, key: tuple[str, str, str], commit: Commit, branch: str, now: datetime,
              waiting: list[Subscription], problem: str | None) -> str | None:
        """Schedule the next try of a held-back commit; the reason when it has failed too long and is given up."""
        hold = self._held.get(key)
        if hold is None:
            hold = self._held[key] = _Hold(since=self._first_attempt(commit, waiting, now))
        hold.attempts += 1
        hold.retry_at = now + min(RETRY_FIRST * 2 ** (hold.attempts - 1), RETRY_MAX)
        if now - hold.since < GIVE_UP_AFTER:
            return None
        hours = int((now - hold.since).total_seconds() // 3600)
        for sub in waiting:
            why = f"still failing after {hours} h: {self._deliverer.last_problem(sub.key) or 'no answer'}"
            self._deliverer.give_up(sub, "card", commit.sha, why)
        reason = (f"given up after {hours} h for subscription {', '.join(f'#{sub.id}' for sub in waiting)}"
                  if waiting else f"given up after {hours} h: {problem or 'held back'}")
        log.error("commit delivery given up", extra={"repo": str(commit.repo), "sha": commit.sha, "branch": branch,
                                                     "reason": reason})
        return reason

    def _first_attempt(self, commit: Commit, waiting: list[Subscription], now: datetime) -> datetime:
        # The oldest pending card claim dates the first attempt, so a restart does not reset the retry time.
        claims = [self._store.deliveries.get(sub.key, "card", commit.sha) for sub in waiting]
        started = [claim.created_at for claim in claims
                   if claim is not None and claim.status == DeliveryState.PENDING]
        return min([*started, now])

    def _collect(self, commit: Commit, branch: str, order: int, budget: _Budget, work: _Pass) -> None:
        """Analyse one commit on one branch and add the cards it may get, per channel, to the pass."""
        subs = [sub for sub in self._store.subscriptions.list(repo=commit.repo)
                if not sub.paused and sub.wants(commit, branch)]
        retried = _key(commit, branch) in self._held
        found: list[_Candidate] = []
        lower: list[int] = []
        for language in sorted({sub.language for sub in subs}):
            analysis = self._analysis(commit, language, budget)
            for sub in (s for s in subs if s.language == language):
                if not analysis.importance.meets(sub.threshold):
                    lower.append(sub.key)  # no card: the digest has it
                    continue
                done = self._store.deliveries.get(sub.key, "card", commit.sha)
                status = done.status if done is not None else None
                if status == DeliveryState.FAILED or (retried and status in _SETTLED):
                    # Sent, named in a roll-up or given up in an earlier pass: it takes no place under the cap.
                    continue
                found.append(_Candidate(sub, commit, branch, analysis, order, status))
        for candidate in found:
            work.channels[(candidate.sub.platform, candidate.sub.channel)].append(candidate)
        for sub_id in lower if not retried else []:
            work.lower[sub_id] += 1

    def _analysis(self, commit: Commit, language: str, budget: _Budget) -> Analysis:
        analysis = budget.analyses.pop((commit.repo.full_name, commit.sha, language), None)
        if analysis is None:
            begun = time.monotonic()
            analysis = self._analyser.analyse(commit, language)
            self._metrics.analysis_seconds.labels(analysis.source).observe(time.monotonic() - begun)
        self._metrics.analyses.labels(analysis.source).inc()
        return analysis

    def _deliver_channel(self, channel: tuple[str, str], candidates: list[_Candidate], budget: _Budget,
                         work: _Pass, report: CycleReport) -> None:
        """Cards to the channel's most important commits (in history order), roll-ups naming every other one.

        A card still recorded as sent keeps its place in the ranking: its commit was left pending by a
        crash or by a roll-up part still to go out, and the same ranking must come out again so the
        parts already posted match.
        """
        ranked = sorted((c for c in candidates if c.status != DeliveryState.SKIPPED),
                        key=lambda c: (-c.analysis.importance.rank, c.order))
        room = max(0, self._max_cards - budget.cards[channel])
        for candidate in sorted(ranked[:room], key=lambda c: c.order):
            if candidate.status != DeliveryState.SENT:
                self._card(channel, candidate, budget, work, report)
        # Named in a part already posted (a crash came before the rest): kept, so the parts come out the same.
        rolled = [c for c in ranked[room:] if c.status != DeliveryState.SENT]
        rolled += [c for c in candidates if c.status == DeliveryState.SKIPPED]
        by_sub: dict[int, list[_Candidate]] = defaultdict(list)
        for candidate in sorted(rolled, key=lambda c: c.order):
            by_sub[candidate.sub.key].append(candidate)
        for sub_id, members in by_sub.items():
            try:
                done = self._roll_up(channel, members, budget, work, report)
            except Exception as exc:  # the commits it names are held and retried, as a failed card would be
                for member in members:
                    self._crashed(_key(member.commit, member.branch), exc, work)
                continue
            if not done:
                # A part is still to go out: the commits carded here stay pending too, so the next pass ranks
                # the same commits, finds the parts already posted and sends the rest in the same thread.
                carded = [c for c in candidates if c.status == DeliveryState.SENT] + ranked[:room]
                work.unrolled.update(_key(c.commit, c.branch) for c in carded if c.sub.key == sub_id)

    def _card(self, channel: tuple[str, str], candidate: _Candidate, budget: _Budget, work: _Pass,
              report: CycleReport) -> None:
        key = _key(candidate.commit, candidate.branch)
        if candidate.sub.key in work.paused:
            return  # paused a moment ago: like a paused subscription, it gets nothing
        if channel in budget.down:
            # This channel failed earlier in the cycle: waiting on it again would only delay the others.
            report.deferred += 1
            work.waiting[key].append(candidate.sub)
            return
        try:
            outcome = self._deliverer.deliver_card(candidate.sub, candidate.commit, candidate.analysis)
        except Exception as exc:
            self._crashed(key, exc, work)
            return
        budget.cards[channel] += 1
        report.cards += outcome == DeliveryOutcome.SENT
        if outcome == DeliveryOutcome.PAUSED:
            work.paused.add(candidate.sub.key)
        if outcome == DeliveryOutcome.DEFERRED:
            report.deferred += 1
            budget.down.add(channel)
            work.waiting[key].append(candidate.sub)

    def _roll_up(self, channel: tuple[str, str], members: list[_Candidate], budget: _Budget, work: _Pass,
                 report: CycleReport) -> bool:
        """Name one subscription's commits past the cap: a parent message, and thread replies when it is long.

        Each part has its own delivery key and its commits are recorded as named (no card later)
        only once it went out, so a crash between parts re-sends only the parts still missing. False
        when a part was deferred (it is retried by the next pass).
        """
        sub = members[0].sub
        due = {c.commit.sha: c for c in members if c.status in (None, DeliveryState.PENDING)}
        if not due or sub.key in work.paused:
            return True  # every one was named by parts posted before a crash, or the subscription was just paused
        if channel in budget.down:
            report.deferred += len(due)
            if len(due) < len(members):  # some parts went out already: the rest follows in their thread
                work.unrolled.update(_key(c.commit, c.branch) for c in members)
                return False
            for candidate in due.values():
                work.waiting[_key(candidate.commit, candidate.branch)].append(sub)
            return True
        lines = ordered([RollupLine(c.analysis.importance, c.commit.sha, c.commit.url,
                                    card_title(c.commit, sub.language)) for c in members])
        parts = plan(lines, sub.platform)
        parent: str | None = None
        for index, chunk in enumerate(parts):
            shown = tuple(line for line in chunk if line.sha in due)
            if index and not shown:
                continue
            part = RollupPart(language=sub.language, repo=sub.repo.full_name, index=index, total=len(parts),
                              count=len(due), limit=self._max_cards, lines=shown, lower=work.lower.get(sub.key, 0))
            outcome, message_id = self._deliverer.deliver_rollup(sub, part_item(chunk, index), part, parent)
            if outcome == DeliveryOutcome.DEFERRED:
                budget.down.add(channel)
                # All of them stay pending, those named already too: the retry must plan the same parts.
                work.unrolled.update(_key(c.commit, c.branch) for c in members)
                return False
            if outcome == DeliveryOutcome.PAUSED:
                work.paused.add(sub.key)
                return True
            parent = message_id if index == 0 else parent
            for line in shown:
                # Named in the roll-up: no card for it in this channel in a later cycle either.
                self._store.deliveries.record_skipped(sub.key, "card", line.sha, sub.platform, sub.channel)
            report.rolled_up += len(shown)
        return True

    def _analyse_early(self, commit: Commit, branch: str) -> None:
        """Start the analyses of a commit just stored, while its poll still fetches the rest of a burst (the
        GitHub request budget paces the details; the LLM need not wait for the last one). Delivery then finds
        them stored, or joins them while in flight."""
        if self._analysis_concurrency < 2:
            return
        languages = {sub.language for sub in self._store.subscriptions.list(repo=commit.repo)
                     if not sub.paused and sub.wants(commit, branch)}
        with self._early_lock:
            if self._early is None:
                self._early = ThreadPoolExecutor(max_workers=self._analysis_concurrency, thread_name_prefix="early")
            if len(self._started) > EARLY_KEPT:  # delivered by another worker: only the finished ones go
                self._started = {key: future for key, future in self._started.items() if not future.done()}
            for language in sorted(languages):
                key = (commit.repo.full_name, commit.sha, language)
                if key not in self._started:
                    self._started[key] = self._early.submit(self._analyse_quietly, commit, language)

    def _analyse_quietly(self, commit: Commit, language: str) -> Analysis | None:
        try:
            begun = time.monotonic()
            analysis = self._analyser.analyse(commit, language)
            self._metrics.analysis_seconds.labels(analysis.source).observe(time.monotonic() - begun)
            return analysis
        except Exception:  # the delivery pass analyses it again and handles the failure there
            log.exception("early analysis failed", extra={"sha": commit.sha})
            return None

    def _take_early(self, key: tuple[str, str, str]) -> Analysis | None:
        """The analysis started early for `key` (waiting for it if still running), if one was."""
        with self._early_lock:
            future = self._started.pop(key, None)
        return future.result() if future is not None else None

    def _analyse_ahead(self, batch: list[tuple[Commit, str]], budget: _Budget) -> None:
        """Analyse the batch's commits in every language their subscriptions want, up to
        LLM_CONCURRENCY at once, so cards then go out in commit order without waiting on each other."""
        wanted: dict[tuple[str, str, str], Commit] = {}
        subs_of: dict[str, list[Subscription]] = {}
        for commit, branch in batch:
            repo = commit.repo.full_name
            if repo not in subs_of:
                subs_of[repo] = [sub for sub in self._store.subscriptions.list(repo=commit.repo) if not sub.paused]
            for sub in subs_of[repo]:
                key = (repo, commit.sha, sub.language)
                if key not in budget.analyses and sub.wants(commit, branch):
                    wanted.setdefault(key, commit)
        for early in list(wanted):
            started = self._take_early(early)
            if started is not None:
                budget.analyses[early] = started
                del wanted[early]
        if len(wanted) < 2 or self._analysis_concurrency < 2:
            return  # nothing to overlap: the delivery loop analyses as it goes

        def analyse(item: tuple[tuple[str, str, str], Commit]) -> None:
            key, commit = item
            try:
                begun = time.monotonic()
                analysis = budget.analyses[key] = self._analyser.analyse(commit, key[2])
                self._metrics.analysis_seconds.labels(analysis.source).observe(time.monotonic() - begun)
            except Exception:  # the delivery loop analyses it again and handles the failure there
                log.exception("analysis ahead of delivery failed", extra={"sha": commit.sha})

        with ThreadPoolExecutor(max_workers=min(self._analysis_concurrency, len(wanted)),
                                thread_name_prefix="analyse") as pool:
            list(pool.map(analyse, wanted.items()))

    def _pending_batch(self, pairs: list[tuple[RepoRef, str]] | None = None) -> list[tuple[Commit, str]]:
        """Up to BATCH pending (commit, branch) pairs, fresh ones before those held back earlier.

        Held-back commits are older, so oldest-first alone would let a backlog for one failing
        channel crowd out every new commit of every other repository.
        """
        pending = self._store.commits.unprocessed(limit=BATCH + len(self._held), pairs=pairs)
        fresh = [pair for pair in pending if _key(*pair) not in self._held]
        held = [pair for pair in pending if _key(*pair) in self._held]
        chosen = {_key(*pair) for pair in (fresh + held)[:BATCH]}
        return [pair for pair in pending if _key(*pair) in chosen]  # in history order: ties rank by it

    def _report_persistent_failures(self, outcomes: list[PollOutcome]) -> None:
        # The failed polls' outcomes carry their cursors: nothing is read for the branches that polled fine.
        for outcome in outcomes:
            cursor, repo, branch = outcome.cursor, outcome.repo, outcome.branch
            if outcome.ok or cursor is None:
                continue
            if (cursor.failure_count < REPORT_AFTER_FAILURES or cursor.failure_reported
                    or cursor.failure_kind in UNREPORTED_FAILURES):
                continue
            problem = cursor.failure_message or cursor.failure_kind or "unknown error"
            for sub in self._store.subscriptions.list(repo=repo, branch=branch):
                if sub.paused:
                    continue
                problem_text = clip_middle(scrub_text(problem), 300)  # messages stored by older versions too
                text = FAILURE_TEXT[sub.language].format(repo=repo, branch=branch, problem=problem_text)
                # One report per failure episode: an episode ends with the next successful poll.
                since = f"{cursor.last_polled_at:%Y%m%d%H%M%S}" if cursor.last_polled_at else "never"
                item = f"{cursor.failure_kind}@{since}"
                self._deliverer.deliver_text(sub, "failure", item, text)
            self._store.cursors.mark_failure_reported(repo, branch)
            log.warning("persistent poll failure reported", extra={"repo": str(repo), "branch": branch,
                                                                   "failure": cursor.failure_kind})
