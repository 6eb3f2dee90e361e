"""The words a maintainer's eye catches in a title, a pull request's text or a changelog line.

Patterns are matched on bounded text (a title of at most 300 characters, a message's start and
end, at most 200 changelog lines of 300 characters) and use bounded gaps only, so no input makes
them slow.
"""

from __future__ import annotations

import re

CONVENTIONAL = re.compile(r"^\s*(?P<type>[a-zA-Z]+)(?:\((?P<scope>[^)]*)\))?(?P<bang>!)?\s*:\s*(?P<rest>.*)$")
_VERSION = r"v?\d+\.\d+(?:[.\w+-]{0,30})"
RELEASE_TITLE = re.compile(
    r"^(?:\[[^\]]{1,40}\]\s*)?(?:release:?\s+|releas(?:e|ing)\s+|prepare(?:d)?\s+(?:for\s+)?(?:the\s+)?(?:release\s+|v(?=\d))|"
    r"cut\s+(?:release\s+)?|tag(?:ged)?\s+|bump(?:ed)?\s+(?:the\s+)?(?:package\s+)?version\s+(?:to\s+)?|"
    r"version\s+bump\s+(?:to\s+)?|publish(?:ed)?\s+|set\s+version\s+(?:to\s+)?)(?:version\s+)?(?:of\s+)?"
    r"(?:[\w.@/-]{1,60}?[\s@-]+)?" + _VERSION +
    r"|(?:^|[;,:]\s*)release[sd]?\s+(?:version\s+)?" + _VERSION +
    r"|^" + _VERSION + r"(?:\s*\(#\d+\))?$", re.I)
DEV_VERSION_TITLE = re.compile(r"^(?:start|begin|open|back\s+to)\s+(?:version|development|dev)\b|"
                               r"\bprepare\s+(?:for\s+)?(?:the\s+)?next\s+(?:development|dev)\b|"
                               r"\bnext\s+development\s+(?:version|iteration)\b|"
                               r"\bv?\d+\.\d+[.\w+]{0,20}?(?:\.dev\d*|-snapshot|-dev)\b", re.I)
SECURITY = re.compile(r"\bcve-\d{4}-\d{3,}\b|\bghsa(?:-[0-9a-z]{4}){3}\b|\bsecurity\b|\bvulnerab|\bxss\b|\bcsrf\b|"
                      r"\bssrf\b|\brce\b|\bredos\b|\binjection\b|privilege escalation|\bauth(?:entication|orization)? "
                      r"bypass|path traversal|directory traversal|open redirect|request smuggling|"
                      r"\bsecurity advisory\b|\badvisory\b")
# A secret shown where it should not be: the security fix that names no security word.
_SENSITIVE = re.compile(r"\b(?:password|passphrase|secret|credential|private key|api[ _-]?key|access token|"
                        r"auth token|hide_input|hidden\s+(?:prompt\s+)?input|sensitive (?:data|value|information))")
_EXPOSURE = re.compile(r"\b(?:leak\w*|expos\w*|echo\w*|print\w*|shown?|display\w*|log(?:s|ged|ging)?\b|omit\w*|"
                       r"hid(?:e|den|ing)|mask\w*|redact\w*|disclos\w*|reveal\w*|in (?:the )?(?:error|log|output))")
BREAKING = re.compile(r"breaking[ -]change|\bbackwards?[- ]incompatib", re.I)
_BREAKING_NOTE = re.compile(r"\bbreaking\b|\bbackwards?[- ]incompatib|\bincompatible change")
_API_REMOVED = re.compile(r"\bremoves?\s+(?:the\s+)?(?:``|`)?[\w.]{1,60}(?:``|`)?\s+(?:parameter|argument|option|flag|"
                          r"function|method|class|attribute|field|endpoint|property|setting|command)\b|"
                          r"\b(?:parameter|argument|option|flag|function|method|class|attribute|field|endpoint) "
                          r"(?:``|`)?[\w.]{1,60}(?:``|`)? (?:is|was|has been) removed\b")
_EXIT_CODE = re.compile(r"\bexit (?:code|status)\b.{0,60}\b(?:instead of|was \d|now|changed?|from \d)", re.I)
_DROP_SUPPORT = re.compile(
    r"\b(?:drop\w*|remov\w*|end\w*|deprecat\w*)\s+(?:of\s+)?(?:support\s+(?:for\s+)?|compat\w*\s+(?:with\s+)?)"
    r"|\b(?:drop\w*|remov\w*)\s+(?:the\s+)?(?:end[- ]of[- ]life|eol|old|unsupported|legacy)\s+"
    r"(?:python|node|go|ruby|php|java|jdk|rust|versions?)"
    r"|\b(?:drop\w*|remov\w*)\s+(?:the\s+)?(?:python|py|node(?:\.?js)?|go|golang|ruby|php|java|jdk|rust|msrv|"
    r"ie|\.net|django|kubernetes|k8s)\s*v?\d", re.I)
_REMOVE_DEPRECATED = re.compile(r"^(?:remov|delet|drop)\w*\s+(?:the\s+|all\s+|some\s+)?(?:previously\s+)?deprecat")
_REMOVED_DEPRECATED_NOTE = re.compile(r"\bremoved?\s+(?:the\s+|all\s+)?(?:previously\s+)?deprecated\b")
_DEPRECATES = re.compile(r"\bdeprecat(?:e|es|ed|ing)\b(?!\s+(?:message|warning|notice))")
CORRECTNESS = re.compile(r"\b(?:lost|loss|losing|corrupt\w*|crash\w*|panic\w*|deadlock\w*|race condition|"
                         r"data race|leak\w*|incorrect|wrong result\w*|segfault|use[- ]after[- ]free|overflow)\b")
COSMETIC = re.compile(r"\btypos?\b|\bdocstrings?\b|\bspelling\b|\bwording\b|\bcomments?\b|\bdocs?\b|"
                      r"\bdocumentation\b|\bformatting\b|\bpre-commit\b|\blint\w*\b|\bannotations?\b")

TOOLING_TITLE = re.compile(r"\b(?:re)?format(?:ting|ted|ter)?\b(?!\s+(?:option|string|specifier|flag))|"
                           r"\blint(?:s|ing|er)?\b|\bpre-commit\b|\b(?:ruff|black|prettier|eslint|isort|gofmt|rustfmt|clippy|flake8|"
                           r"pylint|mypy|pyright|golangci-lint|editorconfig)\b")
DEV_DEPENDENCY_TITLE = re.compile(r"\b(?:updat|bump|upgrad|refresh|pin|sync)\w*\s+(?:the\s+|all\s+)?"
                                  r"(?:dev(?:elopment)?|test|tests|testing|docs?|ci|lint|build|tooling|tool)\s+"
                                  r"(?:dependencies|deps|requirements|tools|pins)\b")
BUMP_TITLE = re.compile(r"^(?:\w+(?:\([^)]*\))?!?:\s*)?(?:(?:bump|upgrade)\w*\s|(?:update|pin)\w*\s.{0,80}?"
                        r"\b(?:from\s+\S{1,40}\s+)?to\s+v?\d)", re.I)


def _any(pattern: re.Pattern[str], lines: tuple[str, ...]) -> bool:
    return any(pattern.search(line) for line in lines)


def is_release(title: str) -> bool:
    """The title announces a release of a version users get (not a development version)."""
    return bool(RELEASE_TITLE.search(title)) and not DEV_VERSION_TITLE.search(title)


def is_dev_version_bump(title: str) -> bool:
    """The title starts a development version ("start version 2.1.0.dev0")."""
    return bool(DEV_VERSION_TITLE.search(title))


def mentions_security(text: str, title: str, notes: tuple[str, ...]) -> bool:
    """A security word, a CVE or GHSA identifier, or a secret that was shown and no longer is."""
    low_title = title.lower()
    exposure = bool(_SENSITIVE.search(low_title) and _EXPOSURE.search(low_title))
    notes_low = tuple(line.lower() for line in notes)
    noted = any(_SENSITIVE.search(line) for line in notes_low) and _any(_EXPOSURE, notes_low)
    return bool(SECURITY.search(text.lower())) or exposure or noted


def declares_breaking(text: str, notes: tuple[str, ...]) -> bool:
    """A BREAKING CHANGE trailer, a changelog line saying so, a removed API element, a changed exit code."""
    notes_low = tuple(line.lower() for line in notes)
    return bool(BREAKING.search(text)) or _any(_BREAKING_NOTE, notes_low) or _any(_API_REMOVED, notes_low) \
        or bool(_EXIT_CODE.search(text)) or _any(_EXIT_CODE, notes)


def drops_support(title: str, notes: tuple[str, ...]) -> bool:
    """Support for a language, runtime or platform version ends."""
    return bool(_DROP_SUPPORT.search(title)) or _any(_DROP_SUPPORT, notes)


def removes_deprecated(title: str, notes: tuple[str, ...]) -> bool:
    """Previously deprecated public API is removed."""
    return bool(_REMOVE_DEPRECATED.search(title.lower())) or _any(_REMOVED_DEPRECATED_NOTE,
                                                                   tuple(n.lower() for n in notes))


def deprecates(title: str, notes: tuple[str, ...]) -> bool:
    """Something public is deprecated (the title says so, or a changelog line)."""
    return bool(_DEPRECATES.search(title.lower())) or _any(_DEPRECATES, tuple(n.lower() for n in notes))
