"""`subscriptions list|add|remove`: manage subscriptions in the store from a terminal."""

from __future__ import annotations

import sys

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
            _print_subscriptions(store.list(platform=args.platform, channel=args.channel))
        elif args.action == "add":
            return _add(args, settings, opened)
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
        SubscriptionOptions,
        subscribe,
    )

    options = SubscriptionOptions(
        threshold=args.threshold, digest_time=args.digest, timezone=args.tz, language=args.lang,
        paths=args.paths, ignore_authors=args.ignore_authors, include_merges=False if args.no_merges else None,
        all_commits=args.all_commits,
        empty_digest="skip" if args.skip_empty_digest else None, webhook_secret=args.secret)
    request = SubscribeRequest(platform=args.platform, channel=args.channel, repo=args.repo, branch=args.branch,
                               options=options)
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
          f"commits {_history(saved)})")
    if done.was_paused:
        print(f"resumed; it was paused: {done.resumed_from or 'no reason recorded'}")
    return 0


def shown_channel(platform: str, channel: str) -> str:
    """The channel as printed: a custom-bot webhook URL carries its token, so only its redacted form."""
    if platform != "feishu_webhook":
        return channel
    from bot.chat.feishu.webhook import redact

    return redact(channel)


def _print_subscriptions(subs: list[Subscription]) -> None:
    if not subs:
        print("no subscriptions")
        return
    print(f"{'id':>4}  {'repo@branch':<40} {'platform:channel':<30} {'min':<6} {'digest':<18} "
          f"{'commits':<16} state")
    for sub in subs:
        state = f"paused: {sub.paused_reason}" if sub.paused else "active"
        digest = f"{sub.digest_time:%H:%M} {sub.timezone}"
        where = f"{sub.platform}:{shown_channel(sub.platform, sub.channel)}"
        print(f"{sub.id:>4}  {f'{sub.repo}@{sub.branch}':<40} {where:<30} "
              f"{sub.threshold.value:<6} {digest:<18} {_history(sub):<16} {state}")


def _history(sub: Subscription) -> str:
    """Which commits get cards: first-parent steps (one per merged pull request), or every one."""
    if not sub.include_merges:
        return "all but merges"
    return "all" if sub.all_commits else "first-parent"
