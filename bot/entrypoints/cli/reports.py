"""`analyze` and `digest`: one commit's analysis, or a day's (or ISO week's) Markdown report."""

from __future__ import annotations

import sys

from bot.config import Settings


def analyze(args, settings: Settings) -> int:
    """Print one commit's analysis as Markdown or JSON."""
    from bot.bootstrap import build
    from bot.github.errors import GitHubError
    from bot.render.markdown import analysis_markdown
    from bot.service.commits import Commits

    repo, prefix = args.target
    language = args.lang or settings.language
    bot = build(settings)
    commits = Commits(bot.store, bot.source)
    try:
        try:
            commit, _ = commits.get(repo, commits.resolve(repo, prefix))
        except GitHubError as exc:
            print(f"commit-radar: {exc}", file=sys.stderr)
            return 1
        analysis = bot.analyser.analyse(commit, language)
    finally:
        bot.close()
    if args.format == "json":
        print(analysis.model_dump_json(indent=2))
    else:
        print(analysis_markdown(commit, analysis, args.tz or settings.timezone, language))
    return 0


def digest(args, settings: Settings) -> int:
    """Write the day's (or, with --week, the ISO week's) Markdown report for one or more repositories."""
    from tqdm import tqdm

    from bot.bootstrap import build
    from bot.github.errors import GitHubError
    from bot.render.markdown import report
    from bot.service.commits import Commits
    from bot.service.digest import DigestDay, build_digest

    language = args.lang or settings.language
    timezone = args.tz or settings.timezone
    weekly = args.week is not None
    first = args.week if weekly else args.date
    bot = build(settings)
    commits = Commits(bot.store, bot.source)
    digests = []
    # A progress bar only on a terminal: never in pipes or logs.
    bar = tqdm(total=0, unit="commit", disable=not sys.stderr.isatty(), file=sys.stderr)
    try:
        for repo in args.repos:
            bar.set_description(str(repo))

            def grow(count: int) -> None:
                bar.total += count
                bar.refresh()

            try:
                day = DigestDay(repo, args.branch, first, timezone, language, weekly)
                digests.append(build_digest(day, commits.listed(repo, args.branch, on_listed=grow), bot.analyser,
                                            on_step=bar.update))
            except GitHubError as exc:
                bar.close()
                print(f"commit-radar: {exc}", file=sys.stderr)
                return 1
    finally:
        bar.close()
        bot.close()
    text = report(digests, first, language, weekly=weekly)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        count = sum(len(d.entries) for d in digests)
        print(f"wrote {args.output} ({count} commit{'' if count == 1 else 's'})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
