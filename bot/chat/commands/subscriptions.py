"""`/subscribe`, `/unsubscribe` and `/subscriptions`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.chat.commands import arguments
from bot.chat.commands.describe import subscription_line
from bot.chat.commands.messages import Message, say
from bot.chat.commands.model import CommandContext, CommandServices, Defaults, Reply
from bot.chat.commands.patterns import (
    end_branch_patterns,
    pattern_lines,
    pattern_templates,
    refuse_pattern_members,
    run_subscribe_pattern,
    run_unsubscribe_pattern,
    subscribe_target,
)
from bot.chat.commands.syntax import Parsed, UsageError
from bot.domain import RepoRef
from bot.github.errors import BadCredentials, EmptyRepository, Forbidden, GitHubError, NotFound, RateLimited
from bot.service.patterns import is_branch_glob
from bot.service.subscribe import (
    InvalidOptions,
    NewSubscriptionDefaults,
    SubscribeRefused,
    SubscribeRequest,
    SubscriptionOptions,
    subscribe,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubscribeArgs:
    """Checked `/subscribe` arguments."""

    repo: RepoRef
    branch: str | None
    options: SubscriptionOptions
    feishu_webhook: str | None = None  # outbound-only: post to this custom-bot webhook instead of the channel
    glob: str | None = None  # a branch pattern (`release/*`); `repo` named `owner/*` is a whole owner
    include_forks: bool | None = None


def check_subscribe(parsed: Parsed, defaults: Defaults) -> SubscribeArgs:
    """Validate every argument before anything is asked of GitHub (`defaults.webhook_hosts`: extra hook hosts)."""
    name, opts = "subscribe", parsed.options
    # The grammar gives a flag True and a value option its text; `typed` holds the value options.
    typed = {option: value for option, value in opts.items() if isinstance(value, str)}
    if opts.get("--merges") and opts.get("--no-merges"):
        raise UsageError(name, Message("sub.merges_clash"))
    if opts.get("--all-commits") and opts.get("--first-parent"):
        raise UsageError(name, Message("sub.history_clash"))
    if "--secret" in typed and "--feishu-webhook" not in typed:
        raise UsageError(name, Message("sub.secret_alone"))
    every, on = _digest_schedule(name, typed)
    options = SubscriptionOptions(
        threshold=arguments.threshold(name, typed["--min"]) if "--min" in typed else None,
        digest_time=arguments.hhmm(name, typed["--digest"]) if "--digest" in typed else None,
        timezone=arguments.timezone(name, typed["--tz"]) if "--tz" in typed else None,
        language=arguments.language(name, typed["--lang"]) if "--lang" in typed else None,
        paths=arguments.name_list(name, "--paths", typed["--paths"]) if "--paths" in typed else None,
        ignore_authors=(arguments.name_list(name, "--ignore-authors", typed["--ignore-authors"])
                        if "--ignore-authors" in typed else None),
        include_merges=False if opts.get("--no-merges") else True if opts.get("--merges") else None,
        all_commits=True if opts.get("--all-commits") else False if opts.get("--first-parent") else None,
        empty_digest="skip" if opts.get("--skip-empty") else None,
        webhook_secret=typed.get("--secret"),
        digest_every=every,
        digest_on=on,
    )
    repo, branch, glob = subscribe_target(name, parsed.args)
    if opts.get("--include-forks") and repo.name != "*":
        raise UsageError(name, Message("sub.forks_alone"))
    return SubscribeArgs(
        repo=repo,
        branch=branch,
        options=options,
        feishu_webhook=(arguments.feishu_webhook(name, typed["--feishu-webhook"], defaults.webhook_hosts)
                        if "--feishu-webhook" in typed else None),
        glob=glob,
        include_forks=True if opts.get("--include-forks") else None,
    )


def _digest_schedule(name: str, typed: dict[str, str]) -> tuple[str | None, str | None]:
    """`--every` and `--on`: `--on` alone means weekly on that day; beside `--every day` it is a mistake."""
    every = arguments.every(name, typed["--every"]) if "--every" in typed else None
    on = arguments.weekday(name, typed["--on"]) if "--on" in typed else None
    if on is not None and every == "day":
        raise UsageError(name, Message("sub.on_needs_week"))
    return every or ("week" if on else None), on


def github_problem(exc: GitHubError, what: str, lang: str = "en") -> str:
    """A sentence for the person who typed the command, naming what GitHub said (GitHub's words as they are)."""
    if isinstance(exc, NotFound):
        return say(lang, "gh.not_found", what=what)
    if isinstance(exc, EmptyRepository):
        return say(lang, "gh.empty", what=what)
    if isinstance(exc, (BadCredentials, Forbidden)):
        return say(lang, "gh.refused", what=what, error=exc.message)
    if isinstance(exc, RateLimited):
        if exc.reset_at:
            return say(lang, "gh.rate_limited_until", time=f"{exc.reset_at:%H:%M}")
        return say(lang, "gh.rate_limited")
    return say(lang, "gh.unavailable", what=what, error=exc.message)


def run_subscribe(args: SubscribeArgs, ctx: CommandContext, services: CommandServices, lang: str) -> Reply:
    """Check the repo and branch on GitHub, then create or update the channel's subscription."""
    if args.feishu_webhook:
        # The subscription belongs to the webhook, not to the chat the command was typed in.
        ctx = ctx.model_copy(update={"platform": "feishu_webhook", "channel": args.feishu_webhook})
    if args.glob or args.repo.name == "*":
        return run_subscribe_pattern(args, ctx, services, lang)
    request = SubscribeRequest(platform=ctx.platform, channel=ctx.channel, repo=args.repo, branch=args.branch,
                               options=args.options)
    defaults = services.defaults
    try:
        done = subscribe(request, services.source, services.store.subscriptions,
                         NewSubscriptionDefaults(defaults.digest_time, defaults.timezone, defaults.language))
    except SubscribeRefused as exc:
        log.info("subscribe refused", extra={"repo": str(args.repo), "error": exc.error.kind})
        what = say(lang, "sub.what_branch", repo=args.repo, branch=args.branch) if args.branch else str(args.repo)
        return Reply(text=say(lang, "sub.refused", problem=github_problem(exc.error, what, lang)))
    except InvalidOptions as exc:
        raise UsageError("subscribe", str(exc)) from None
    services.on_subscriptions_changed()
    saved = done.subscription
    shown_channel = "(custom-bot webhook)" if args.feishu_webhook else ctx.channel  # a webhook URL is a secret
    log.info("subscription saved", extra={"platform": ctx.platform, "channel": shown_channel, "repo": str(saved.repo),
                                          "branch": saved.branch, "new": done.created, "user": ctx.user_id})
    key = "sub.created" if done.created else "sub.updated"
    if args.feishu_webhook:
        key = "sub.webhook_created" if done.created else "sub.webhook_updated"
    lines = [say(lang, key, line=subscription_line(saved, lang))]
    if done.renamed:
        lines.append(say(lang, "sub.renamed", repo=saved.repo))
    if done.was_paused:
        lines.append(say(lang, "sub.resumed", reason=done.resumed_from or say(lang, "sub.no_reason")))
    if done.private:
        lines.append(say(lang, "sub.private"))
    # A webhook subscription's reply stays with whoever typed it: the command line held the URL and secret.
    return Reply(text="\n".join(lines), public=not args.feishu_webhook)


@dataclass(frozen=True)
class UnsubscribeArgs:
    """Checked `/unsubscribe` arguments."""

    repo: RepoRef
    branch: str | None


def check_unsubscribe(parsed: Parsed, defaults: Defaults) -> UnsubscribeArgs:
    """Validate the repo (or `owner/*`) and optional branch (or branch pattern)."""
    repo, branch, glob = subscribe_target("unsubscribe", parsed.args)
    return UnsubscribeArgs(repo, glob or branch)


def run_unsubscribe(args: UnsubscribeArgs, ctx: CommandContext, services: CommandServices, lang: str) -> Reply:
    """Remove the channel's subscriptions to the repo (one branch or all), or one pattern."""
    if args.repo.name == "*" or (args.branch and is_branch_glob(args.branch)):
        return run_unsubscribe_pattern(args.repo, args.branch, ctx, services, lang)
    matching = services.subscriptions_of(ctx, args.repo)
    patterns = pattern_templates(ctx, services)
    if not matching and not any(sub.repo.full_name.lower() == args.repo.full_name.lower() for sub in patterns):
        raise UsageError("unsubscribe", Message("unsub.not_subscribed", repo=args.repo))
    chosen = [sub for sub in matching if args.branch is None or sub.branch == args.branch]
    chosen = refuse_pattern_members(chosen, args.branch, patterns)
    if args.branch is None:
        # Every branch of the repository: its branch patterns go too, or they would bring branches back.
        ended = end_branch_patterns(args.repo, patterns, services)
        chosen = [sub for sub in chosen if sub.pattern_id not in ended]
        if ended and not chosen:
            services.on_subscriptions_changed()
            return Reply(text=say(lang, "unsub.done", names=args.repo), public=True)
    if not chosen:
        branches = say(lang, "list.separator").join(sub.branch for sub in matching)
        raise UsageError("unsubscribe", Message("unsub.other_branches", repo=matching[0].repo, branches=branches,
                                                branch=args.branch))
    for sub in chosen:
        services.store.subscriptions.remove(ctx.platform, ctx.channel, sub.repo, sub.branch)
    services.on_subscriptions_changed()
    log.info("subscription removed", extra={"platform": ctx.platform, "channel": ctx.channel,
                                            "repo": str(chosen[0].repo), "count": len(chosen), "user": ctx.user_id})
    names = say(lang, "list.separator").join(f"{sub.repo}@{sub.branch}" for sub in chosen)
    return Reply(text=say(lang, "unsub.done", names=names), public=True)


def check_list(parsed: Parsed, defaults: Defaults) -> None:
    """Nothing to check: the grammar already refused arguments and options."""
    return None


def run_list(args: None, ctx: CommandContext, services: CommandServices, lang: str) -> Reply:
    """This channel's subscriptions, paused ones with their reason; a pattern as one line with its count."""
    subs = services.store.subscriptions.list(platform=ctx.platform, channel=ctx.channel)
    templates = pattern_templates(ctx, services)
    if not subs and not templates:
        return Reply(text=say(lang, "list.empty"))
    paused = sum(sub.paused for sub in subs)
    key = "list.head_" + ("one" if len(subs) == 1 else "many") + ("_paused" if paused else "")
    lines = [say(lang, key, count=len(subs), paused=paused)]
    lines.extend(f"• {line}" for line in pattern_lines(templates, subs, lang))
    for sub in subs:
        if sub.pattern_id is not None:
            continue  # shown as its pattern's line
        lines.append(f"• {subscription_line(sub, lang)}")
        failed, reason = services.store.deliveries.failures(sub.key)
        if failed:
            # Deliveries refused for good or given up after hours of failures: say so where people look.
            lines.append("    " + say(lang, "sub.undelivered", count=failed, reason=reason or "?"))
    return Reply(text="\n".join(lines))
