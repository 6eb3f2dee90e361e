"""`subscriptions list|add|remove`: manage subscriptions in the store from a terminal."""

from __future__ import annotations

import sys
from collections import Counter

from bot.config import Settings
from bot.domain import Subscription
from bot.entrypoints.cli.parser import EXIT_USAGE


def manage(args, settings: Settings) -> int:
    """List, add or remove subscriptions in the store."""
    from bot.bootstrap import build_store

    opened = build_store(settings)
    try:
        store = opened.subscriptions
        if args.action == "list":
            _print_subscriptions(store.list(platform=args.platform, channel=args.channel, templates=True))
        elif args.action == "add":
            if args.on and args.every == "day":
                print("commit-radar: error: --on goes with --every week (a daily digest is posted every day)",
                      file=sys.stderr)
                return EXIT_USAGE
            if _is_pattern(args):
                return _add_pattern(args, settings, opened)
            return _add(args, settings, opened)
        elif _is_pattern(args):
            return _remove_pattern(args, opened)
        else:
            removed = store.remove(args.platform, args.channel, args.repo, args.branch)
            if not removed:
                print(f"no subscription to {args.repo} for {args.platform}:"
                      f"{shown_channel(args.platform, args.channel)}", file=sys.stderr)
                return 1
            print(f"removed {removed} subscription{'' if removed == 1 else 's'} to {args.repo}")
    finally:
        opened.close()
    return 0


def _add(args, settings: Settings, store) -> int:
    from bot.bootstrap import build_source
    from bot.service.subscribe import (
        InvalidOptions,
        NewSubscriptionDefaults,
        SubscribeRefused,
        SubscribeRequest,
        subscribe,
    )

    if args.include_forks:
        print("commit-radar: error: --include-forks goes with owner/*", file=sys.stderr)
        return EXIT_USAGE
    request = SubscribeRequest(platform=args.platform, channel=args.channel, repo=args.repo, branch=args.branch,
                               options=_options(args))
    source = build_source(settings)
    try:
        done = subscribe(request, source, store.subscriptions,
                         NewSubscriptionDefaults(settings.digest_clock, settings.timezone, settings.language))
    except SubscribeRefused as exc:
        print(f"commit-radar: cannot subscribe to {exc.what}: {exc.error}", file=sys.stderr)
        return 1
    except InvalidOptions as exc:
        print(f"commit-radar: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        source.close()
    saved = done.subscription
    print(f"{'added' if done.created else 'updated'} #{saved.id} {saved.repo}@{saved.branch} "
          f"-> {saved.platform}:{shown_channel(saved.platform, saved.channel)} (min {saved.threshold.value}, "
          f"commits {_history(saved)}); digest {_schedule(saved)}")
    if done.was_paused:
        print(f"resumed; it was paused: {done.resumed_from or 'no reason recorded'}")
    return 0


def _is_pattern(args) -> bool:
    from bot.service.patterns import is_branch_glob

    return args.repo.name == "*" or bool(args.branch and is_branch_glob(args.branch))


def _add_pattern(args, settings: Settings, store) -> int:
    """`subscriptions add acme/*` or `add owner/repo --branch 'release/*'`: as chat /subscribe does."""
    from bot.bootstrap import build_source
    from bot.service.patterns import PatternRefused, PatternRequest, Patterns
    from bot.service.subscribe import InvalidOptions, NewSubscriptionDefaults

    if args.include_forks and args.repo.name != "*":
        print("commit-radar: error: --include-forks goes with owner/*", file=sys.stderr)
        return EXIT_USAGE
    request = PatternRequest(platform=args.platform, channel=args.channel, repo=args.repo,
                             glob=args.branch if args.repo.name != "*" else None, options=_options(args),
                             include_forks=args.include_forks)
    source = build_source(settings)
    try:
        done = Patterns(store, source, limit=settings.max_repos_per_pattern).subscribe(
            request, NewSubscriptionDefaults(settings.digest_clock, settings.timezone, settings.language))
    except PatternRefused as exc:
        why = exc.error or ("lists more entries than the bot reads" if exc.truncated else
                            f"{exc.count} to follow, more than MAX_REPOS_PER_PATTERN={exc.limit}")
        print(f"commit-radar: cannot subscribe to {exc.what}: {why}", file=sys.stderr)
        return 1
    except InvalidOptions as exc:
        print(f"commit-radar: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        source.close()
    saved = done.template
    print(f"{'added' if done.created else 'updated'} {saved.pattern} -> {saved.platform}:"
          f"{shown_channel(saved.platform, saved.channel)}: {_following(saved, len(done.following))} "
          f"(min {saved.threshold.value}, commits {_history(saved)})")
    return 0


def _remove_pattern(args, opened) -> int:
    store = opened.subscriptions
    wanted = (str(args.repo) if args.repo.name == "*" else f"{args.repo}@{args.branch}").lower()
    templates = [sub for sub in store.templates(platform=args.platform, channel=args.channel)
                 if sub.pattern.lower() == wanted]
    if not templates:
        print(f"no subscription to {wanted} for {args.platform}:{shown_channel(args.platform, args.channel)}",
              file=sys.stderr)
        return 1
    removed = sum(store.remove_pattern(template.key) for template in templates)
    print(f"removed {templates[0].pattern} ({_following(templates[0], removed)})")
    return 0


def _following(template: Subscription, count: int) -> str:
    noun = "repositor" + ("y" if count == 1 else "ies") if template.template == "owner" else \
        "branch" + ("" if count == 1 else "es")
    return f"{count} {noun}"


def shown_channel(platform: str, channel: str) -> str:
    """The channel as printed: a custom-bot webhook URL carries its token, so only its redacted form."""
    if platform != "feishu_webhook":
        return channel
    from bot.chat.feishu.webhook import redact

    return redact(channel)


def _options(args):
    from bot.service.subscribe import SubscriptionOptions

    return SubscriptionOptions(
        threshold=args.threshold, digest_time=args.digest, timezone=args.tz, language=args.lang,
        paths=args.paths, ignore_authors=args.ignore_authors, include_merges=False if args.no_merges else None,
        all_commits=args.all_commits,
        empty_digest="skip" if args.skip_empty_digest else None, webhook_secret=args.secret,
        digest_every=args.every or ("week" if args.on else None), digest_on=args.on)


def _print_subscriptions(subs: list[Subscription]) -> None:
    if not subs:
        print("no subscriptions")
        return
    # A pattern is one line with its count; what it brought in is not listed one by one.
    counts = Counter(sub.pattern_id for sub in subs if sub.pattern_id is not None)
    subs = [sub for sub in subs if sub.pattern_id is None]
    print(f"{'id':>4}  {'repo@branch':<40} {'platform:channel':<30} {'min':<6} {'digest':<18} "
          f"{'commits':<16} state")
    for sub in subs:
        state = f"paused: {sub.paused_reason}" if sub.paused else "active"
        digest = f"{sub.digest_time:%H:%M} {sub.timezone}"
        if sub.digest_every == "week":
            digest = f"weekly {sub.digest_on} {digest}"
        where = f"{sub.platform}:{shown_channel(sub.platform, sub.channel)}"
        name = f"{sub.pattern} ({_following(sub, counts[sub.key])})" if sub.template else f"{sub.repo}@{sub.branch}"
        print(f"{sub.id:>4}  {name:<40} {where:<30} "
              f"{sub.threshold.value:<6} {digest:<18} {_history(sub):<16} {state}")


def _schedule(sub: Subscription) -> str:
    """`daily 09:00 UTC` or `weekly fri 09:00 UTC`."""
    when = f"{sub.digest_time:%H:%M} {sub.timezone}"
    return f"weekly {sub.digest_on} {when}" if sub.digest_every == "week" else f"daily {when}"


def _history(sub: Subscription) -> str:
    """Which commits get cards: first-parent steps (one per merged pull request), or every one."""
    if not sub.include_merges:
        return "all but merges"
    return "all" if sub.all_commits else "first-parent"
