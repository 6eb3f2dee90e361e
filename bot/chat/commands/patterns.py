"""The pattern side of `/subscribe`, `/unsubscribe` and `/subscriptions`: `owner/*` and branch patterns."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from bot.chat.commands import arguments
from bot.chat.commands.describe import subscription_line
from bot.chat.commands.messages import Message, say
from bot.chat.commands.model import CommandContext, CommandServices, Reply
from bot.chat.commands.syntax import UsageError
from bot.domain import RepoRef, Subscription
from bot.github.port import LISTED_MAX
from bot.service.patterns import PatternRefused, PatternRequest, PatternSubscribed, is_branch_glob, owner_pattern
from bot.service.subscribe import InvalidOptions, NewSubscriptionDefaults

log = logging.getLogger(__name__)


def subscribe_target(command: str, args: Sequence[str]) -> tuple[RepoRef, str | None, str | None]:
    """(repo, branch, glob) of the positionals: `owner/*` is the repository `owner/*` (no branch may follow),
    a branch with *, ? or [ a branch pattern."""
    owner = arguments.owner_wildcard(args[0])
    second = args[1] if len(args) > 1 else None
    if owner is not None:
        if second is not None:
            raise UsageError(command, Message("sub.owner_branch", pattern=f"{owner}/*"))
        return owner_pattern(owner), None, None
    repo = arguments.repo(command, args[0])
    if second is None:
        return repo, None, None
    if is_branch_glob(second):
        return repo, None, arguments.branch_glob(command, second)
    return repo, arguments.branch(command, second), None


def run_subscribe_pattern(args, ctx: CommandContext, services: CommandServices, lang: str) -> Reply:
    """Read the owner's repositories or the repository's branches on GitHub, then save and expand the pattern."""
    request = PatternRequest(platform=ctx.platform, channel=ctx.channel, repo=args.repo, glob=args.glob,
                             options=args.options, include_forks=args.include_forks)
    defaults = services.defaults
    try:
        done = services.pattern_subscriptions().subscribe(
            request, NewSubscriptionDefaults(defaults.digest_time, defaults.timezone, defaults.language))
    except PatternRefused as exc:
        log.info("pattern subscribe refused", extra={"pattern": exc.what,
                                                     "error": exc.error.kind if exc.error else "too_many"})
        return Reply(text=say(lang, "sub.refused", problem=_refusal(exc, request, lang)))
    except InvalidOptions as exc:
        raise UsageError("subscribe", str(exc)) from None
    services.on_subscriptions_changed()
    saved = done.template
    log.info("pattern subscription saved", extra={"platform": ctx.platform, "pattern": saved.pattern,
                                                  "following": len(done.following), "new": done.created,
                                                  "user": ctx.user_id})
    key = "sub.created" if done.created else "sub.updated"
    if args.feishu_webhook:
        key = "sub.webhook_created" if done.created else "sub.webhook_updated"
    lines = [say(lang, key, line=subscription_line(saved, lang)), _following(done, lang)]
    if done.forks or done.archived:
        lines.append(say(lang, "sub.owner_skipped", forks=done.forks, archived=done.archived))
    own = {(sub.repo.full_name, sub.branch) for sub in services.subscriptions_of(ctx) if sub.pattern_id is None}
    kept = sum((repo.full_name, branch) in own for repo, branch in done.following)
    if kept:
        lines.append(say(lang, "sub.kept_own", count=kept))
    return Reply(text="\n".join(lines), public=not args.feishu_webhook)


def run_unsubscribe_pattern(repo: RepoRef, glob: str | None, ctx: CommandContext, services: CommandServices,
                            lang: str) -> Reply:
    """End one pattern (`owner/*`, or a repository's branch pattern) and everything it brought in."""
    wanted = (str(repo) if repo.name == "*" else f"{repo}@{glob}").lower()
    templates = [sub for sub in pattern_templates(ctx, services) if sub.pattern.lower() == wanted]
    if not templates:
        shown = str(repo) if repo.name == "*" else f"{repo} {glob}"
        raise UsageError("unsubscribe", Message("unsub.not_subscribed", repo=shown))
    removed = sum(services.store.subscriptions.remove_pattern(template.key) for template in templates)
    services.on_subscriptions_changed()
    log.info("pattern subscription removed", extra={"platform": ctx.platform, "pattern": templates[0].pattern,
                                                    "removed": removed, "user": ctx.user_id})
    return Reply(text=say(lang, "unsub.pattern_done", pattern=templates[0].pattern,
                          following=_count_text(templates[0], removed, lang)), public=True)


def pattern_templates(ctx: CommandContext, services: CommandServices) -> list[Subscription]:
    """The channel's pattern templates."""
    return services.store.subscriptions.templates(platform=ctx.platform, channel=ctx.channel)


def pattern_lines(templates: list[Subscription], subs: list[Subscription], lang: str) -> list[str]:
    """One line per pattern, with how many repositories or branches it follows now."""
    counts = Counter(sub.pattern_id for sub in subs if sub.pattern_id is not None)
    return [subscription_line(template, lang, following=_count_text(template, counts[template.key], lang))
            for template in templates]


def refuse_pattern_members(chosen: list[Subscription], branch: str | None,
                           templates: list[Subscription]) -> list[Subscription]:
    """`chosen` without what an owner pattern brought in; a UsageError when that leaves nothing (or a branch
    named on its own came with a pattern): unsubscribing it alone would be undone at the next check."""
    by_id = {template.id: template for template in templates}
    members = [sub for sub in chosen if sub.pattern_id in by_id
               and (branch is not None or by_id[sub.pattern_id].template == "owner")]
    rest = [sub for sub in chosen if sub not in members]
    if members and not rest:
        template = by_id[members[0].pattern_id]
        raise UsageError("unsubscribe", Message("unsub.from_pattern", name=f"{members[0].repo}@{members[0].branch}",
                                                pattern=template.pattern, command=_typed(template)))
    return rest


def end_branch_patterns(repo: RepoRef, templates: list[Subscription], services: CommandServices) -> set[int]:
    """Remove the repository's branch patterns (and what they brought in); their ids."""
    ended = {template.key for template in templates
             if template.template == "branches" and template.repo.full_name.lower() == repo.full_name.lower()}
    for template_id in ended:
        services.store.subscriptions.remove_pattern(template_id)
    return ended


def _typed(template: Subscription) -> str:
    return str(template.repo) if template.template == "owner" else f"{template.repo} '{template.branch}'"


def _count_text(template: Subscription, count: int, lang: str) -> str:
    key = "sub.pattern_owner_count" if template.template == "owner" else "sub.pattern_branch_count"
    return say(lang, key, count=count)


def _following(done: PatternSubscribed, lang: str) -> str:
    template, count = done.template, len(done.following)
    if template.template == "owner":
        if not count:
            return say(lang, "sub.owner_none", owner=template.repo.owner)
        return say(lang, "sub.owner_following", count=count, owner=template.repo.owner)
    if not count:
        return say(lang, "sub.branches_none", glob=template.branch, repo=template.repo)
    names = say(lang, "list.separator").join(branch for _, branch in done.following[:10])
    if count > 10:
        names += f" (+{count - 10})"
    return say(lang, "sub.branches_following", glob=template.branch, repo=template.repo, count=count, names=names)


def _refusal(exc: PatternRefused, request: PatternRequest, lang: str) -> str:
    from bot.chat.commands.subscriptions import github_problem  # that module imports this one

    if request.kind == "owner":
        what = say(lang, "sub.what_owner", owner=request.repo.owner)
    else:
        what = say(lang, "sub.what_branch", repo=request.repo, branch=request.glob)
    if exc.error is not None:
        return github_problem(exc.error, what, lang)
    if exc.truncated:
        return say(lang, "sub.pattern_too_long", what=what, listed=LISTED_MAX)
    return say(lang, "sub.pattern_too_many", what=what, count=exc.count, limit=exc.limit)
