"""Analyser: cache, single flight, concurrency bound, no-LLM mode, cache keys."""

from __future__ import annotations

import threading
import time

from bot.analysis.heuristic import NOT_ANALYSED
from bot.analysis.service import HEURISTIC_MODEL, Analyser
from bot.domain import Analysis
from tests.fake_openai import _threaded_server, blocked, fake_openai, sample_commit, threaded_httpserver, valid  # noqa: F401
from tests.test_analysis_llm import MODEL, Clock, make_analyser


def wait_until(condition, timeout: float = 5.0) -> None:
    """Poll a condition that another thread makes true (bounded; fails the test on timeout)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        threading.Event().wait(0.005)


def test_second_request_is_served_from_the_store_with_zero_llm_calls(store, fake_openai):
    fake_openai.script(valid())
    analyser, _ = make_analyser(store, fake_openai)
    commit = sample_commit()

    first = analyser.analyse(commit, "en")
    again = analyser.analyse(commit, "en")
    looked_up = analyser.analyse(commit.model_copy(update={"sha": commit.sha.upper()}), "en")

    assert len(fake_openai.requests) == 1
    assert again == first == looked_up
    counters = analyser.counters.snapshot()
    assert counters["llm_requests"] == 1 and counters["cache_hits"] == 2 and counters["analyses_llm"] == 1


def test_a_fresh_analyser_on_the_same_store_reuses_the_analysis(store, fake_openai):
    fake_openai.script(valid())
    make_analyser(store, fake_openai)[0].analyse(sample_commit(), "en")
    restarted, _ = make_analyser(store, fake_openai)
    assert restarted.analyse(sample_commit(), "en").source == "llm"
    assert len(fake_openai.requests) == 1


def test_cache_key_covers_language_and_prompt_version(store, fake_openai):
    fake_openai.script(valid(), valid())
    analyser, _ = make_analyser(store, fake_openai)
    commit = sample_commit()
    analyser.analyse(commit, "en")
    analyser.analyse(commit, "zh")
    assert len(fake_openai.requests) == 2
    assert store.analyses.get(commit.repo, commit.sha, "v2", MODEL, "en") is None
    assert store.analyses.get(commit.repo, commit.sha, "v1", MODEL, "zh").language == "zh"


def test_two_simultaneous_requests_cost_one_call(store, fake_openai):
    release = threading.Event()
    fake_openai.script(blocked(release, valid()), valid())
    analyser, _ = make_analyser(store, fake_openai)
    commit = sample_commit()
    results: list[Analysis] = []
    threads = [threading.Thread(target=lambda: results.append(analyser.analyse(commit, "en"))) for _ in range(2)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(fake_openai.requests) == 1 and analyser.counters.snapshot()["coalesced"] == 1)
    release.set()
    for thread in threads:
        thread.join(5)

    assert len(fake_openai.requests) == 1
    assert len(results) == 2 and results[0] == results[1] and results[0].source == "llm"


def test_two_processes_on_postgresql_asking_at_once_cost_one_call(postgres_url, fake_openai):
    from bot.store import open_store

    # Two workers (a digest job on one, a poll job on the other) reach the same commit together: each has
    # its own analyser, so only the database can make the second one wait for the first one's answer.
    stores = [open_store(postgres_url), open_store(postgres_url)]
    release = threading.Event()
    fake_openai.script(blocked(release, valid()), valid())
    try:
        analysers = [make_analyser(store, fake_openai)[0] for store in stores]
        results: list[Analysis] = []
        threads = [threading.Thread(target=lambda a=a: results.append(a.analyse(sample_commit(), "en")))
                   for a in analysers]
        threads[0].start()
        wait_until(lambda: len(fake_openai.requests) == 1)
        threads[1].start()
        threading.Event().wait(0.3)  # room for a second request, were the other process not held back
        release.set()
        for thread in threads:
            thread.join(10)
        assert len(fake_openai.requests) == 1
        assert len(results) == 2 and results[0] == results[1] and results[0].source == "llm"
        assert analysers[1].counters.snapshot()["cache_hits"] == 1
    finally:
        for store in stores:
            store.close()


def test_analyses_waiting_for_an_llm_slot_hold_no_database_connection(postgres_url, fake_openai):
    from bot.store import open_store

    # A burst: many analyses at once, LLM_CONCURRENCY of them in flight. The others wait for a slot; were
    # they to wait holding their advisory lock's connection, the pool would run dry for everything else.
    store = open_store(postgres_url)
    release = threading.Event()
    fake_openai.otherwise = blocked(release, valid())
    try:
        analyser, _ = make_analyser(store, fake_openai, concurrency=2)
        commits = [sample_commit(sha=f"{i:x}" * 40) for i in range(1, 9)]
        threads = [threading.Thread(target=analyser.analyse, args=(commit, "en")) for commit in commits]
        for thread in threads:
            thread.start()
        wait_until(lambda: fake_openai.in_flight == 2)
        threading.Event().wait(0.3)  # the other six reach their wait meanwhile
        assert store.engine.pool.checkedout() <= 2
        release.set()
        for thread in threads:
            thread.join(20)
        assert len(fake_openai.requests) == 8
    finally:
        release.set()
        store.close()


def test_at_most_concurrency_calls_in_flight(store, fake_openai):
    release = threading.Event()
    fake_openai.otherwise = blocked(release, valid())
    analyser, _ = make_analyser(store, fake_openai, concurrency=2)
    commits = [sample_commit(sha=f"{i:x}" * 40) for i in range(1, 6)]
    threads = [threading.Thread(target=analyser.analyse, args=(commit, "en")) for commit in commits]
    for thread in threads:
        thread.start()
    wait_until(lambda: fake_openai.in_flight == 2)
    threading.Event().wait(0.2)  # a missing bound would let the other three requests arrive meanwhile
    assert fake_openai.in_flight == 2
    release.set()
    for thread in threads:
        thread.join(5)

    assert len(fake_openai.requests) == 5
    assert fake_openai.max_in_flight == 2


def test_without_an_llm_the_heuristic_is_used_and_labelled(store):
    analyser = Analyser(store.analyses, None, "gpt-4.1-mini", clock=Clock())
    commit = sample_commit()

    analysis = analyser.analyse(commit, "zh")

    assert analysis.source == "heuristic" and analysis.model == HEURISTIC_MODEL == analyser.model
    assert analysis.note == "规则分析：未配置 LLM。"
    assert analysis.insights.security == NOT_ANALYSED["zh"]
    assert analyser.analyse(commit, "zh") == analysis
    assert analyser.counters.snapshot()["analyses_heuristic"] == 1


def test_json_output_round_trips(store):
    analysis = Analyser(store.analyses, None, "m", clock=Clock()).analyse(sample_commit(), "en")
    assert Analysis.model_validate_json(analysis.model_dump_json()) == analysis



def test_a_heuristic_analysis_of_an_older_rule_set_is_made_again(store):
    from bot.analysis.heuristic import HEURISTIC_VERSION

    commit = sample_commit()
    analyser = Analyser(store.analyses, None, "gpt-x")
    stale = analyser.analyse(commit, "en").model_copy(update={"model": "heuristic", "summary": "made by v1 rules"})
    store.analyses.replace(stale)  # what an older version stored under its key
    fresh = analyser.analyse(commit, "en")
    assert fresh.model == f"heuristic-{HEURISTIC_VERSION}" and fresh.summary != "made by v1 rules"
