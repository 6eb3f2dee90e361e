"""What a diff of packaging metadata changes: the project's own version, runtime or development dependencies,
the toolchain floor.

Read from GitHub's patch alone (hunks, no file around them), so the section a changed line sits in is
the last one the hunk shows: a TOML table (`[dev-dependencies]`), a key opening a list or object
(`"devDependencies": {`, `install_requires=[`, `require (`), a Gradle configuration on the line
itself. A line whose section is not shown counts as a runtime dependency in a dependency-only file
(requirements*.txt, go.mod) and as nothing elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.analysis.files import ROLE_DEV_DEPS, ROLE_PACKAGING, is_dev_requirements, path_role
from bot.domain import FileChange

MAX_LINE = 400  # longer lines are data or minified, never a version or dependency line worth reading
_HUNK = re.compile(r"^@@[^@]*@@\s?(?P<context>.*)$")
_TABLE = re.compile(r"^\s*\[\[?(?P<name>[^\]]+)\]\]?\s*$")
_OPENER = re.compile(r"""^\s*["']?(?P<key>[\w.:@/-]+)["']?\s*[:=(]?\s*(?P<bracket>[\[{(])\s*$|"""
                     r"""^\s*(?P<bare>[\w-]+)\s*=\s*$|^\s*group\s+(?P<group>[^\n]*?)\s+do\s*$""")
_CLOSER = re.compile(r"^\s*[\]}),]+\s*,?\s*$|^\s*end\s*$")
_OWN_VERSION = re.compile(r"""^\s*(?:(?:export\s+)?(?:const|var|let|static|final|public|private)\s+(?:\w+\s+)*)?"""
                          r"""["']?(?:__version__|version|VERSION|Version|current_version|appVersion)["']?\s*"""
                          r"""(?::\s*\w+\s*)?[:=]\s*["']?v?(?P<version>\d+(?:\.\d+)+[\w.+-]*)""")
_TOOLCHAIN = re.compile(r"""requires[-_]python|python_requires|^\s*"node"\s*:|^\s*go\s+\d|^\s*toolchain\s+go|"""
                        r"""rust-version|<java\.version>|<maven\.compiler\.(source|target|release)>|"""
                        r"""sourcecompatibility|targetcompatibility|jvmtarget|minsdk""", re.I)
_GRADLE_CONFIG = re.compile(r"^\s*(?P<config>[a-z]\w*)\s*[( ]\s*[\"'(]")
_PROJECT_SECTIONS = ("", "package", "project", "tool.poetry", "workspace.package", "tool.bumpversion", "metadata")
_DEV_WORDS = ("dev", "test", "doc", "lint", "typ", "build", "bench", "check", "style", "coverage", "format", "tool",
              "dependency-groups", "classpath", "kapt", "plugin")
_RUNTIME_WORDS = ("depend", "require", "implementation", "api", "compile", "runtime", "peer", "optional", "install")
_DEPENDENCY_FILES = ("go.mod", "gemfile", "pipfile")
_DEV_VERSION = re.compile(r"dev|snapshot|unreleased|-next\b|\.pre\b", re.I)


@dataclass(frozen=True)
class ManifestChange:
    """What one file's diff changes in the project's packaging metadata."""

    version: tuple[str, str] | None = None  # the project's own version: before, after
    runtime: bool = False  # a dependency users get
    dev: bool = False  # a dependency only developers, tests, docs or the build get
    toolchain: bool = False  # the language or toolchain requirement


def is_dev_version(version: str) -> bool:
    """True for a development version (1.2.0.dev0, 2.0.0-SNAPSHOT), not one users are given."""
    return bool(_DEV_VERSION.search(version))


@dataclass
class _Reader:
    """Walks one patch keeping the section a line belongs to."""

    whole_file: str | None  # "runtime" or "dev" when every line of the file is a dependency
    table: str = ""
    key: str | None = None
    old_version: str | None = None
    new_version: str | None = None
    runtime: bool = False
    dev: bool = False
    toolchain: bool = False

    def context(self, text: str) -> None:
        table = _TABLE.match(text)
        if table:
            self.table, self.key = table.group("name").strip().lower(), None
            return
        opener = _OPENER.match(text)
        if opener and not text.lstrip().startswith(("#", "//")):
            self.key = (opener.group("key") or opener.group("bare") or opener.group("group") or "").lower()
        elif _CLOSER.match(text):
            self.key = None

    def changed(self, sign: str, text: str) -> None:
        stripped = text.strip()
        if not stripped or stripped.startswith(("#", "//", "-r ", "-c ", "--")):
            return
        if _TABLE.match(text) or _OPENER.match(text) or _CLOSER.match(text):
            self.context(text)
            return
        own = _OWN_VERSION.match(text)
        if own and self.key is None and self.table in _PROJECT_SECTIONS:
            if sign == "-":
                self.old_version = own.group("version")
            else:
                self.new_version = own.group("version")
            return
        if _TOOLCHAIN.search(text):
            self.toolchain = True
            return
        scope = self._scope(text)
        if scope == "dev":
            self.dev = True
        elif scope == "runtime":
            self.runtime = True

    def _scope(self, text: str) -> str | None:
        gradle = _GRADLE_CONFIG.match(text)
        section = " ".join(part for part in (self.table, self.key or "", gradle.group("config").lower()
                                             if gradle else "") if part)
        if any(word in section for word in _DEV_WORDS):
            return "dev"
        if any(word in section for word in _RUNTIME_WORDS) or text.lstrip().startswith("require "):
            return "runtime"
        return self.whole_file if not section else None

    def result(self) -> ManifestChange:
        moved = self.old_version and self.new_version and self.old_version != self.new_version
        return ManifestChange(version=(self.old_version or "", self.new_version or "") if moved else None,
                              runtime=self.runtime, dev=self.dev, toolchain=self.toolchain)


def _whole_file(change: FileChange) -> str | None:
    name = change.filename.lower().rsplit("/", 1)[-1]
    if is_dev_requirements(change.filename):
        return "dev"
    if name.startswith("requirements") or "/requirements/" in f"/{change.filename.lower()}" \
            or name in _DEPENDENCY_FILES:
        return "runtime"
    return None


_POM_VERSION = re.compile(r"(?m)^(?P<sign>[+-])\s*<version>(?P<version>[^<]{1,60})</version>")
_POM_DEPENDENCY = re.compile(r"</?(?:dependency|plugin|parent|extension)>")
_POM_DEV = re.compile(r"<scope>\s*(?:test|provided)\s*</scope>|<plugin>|<artifactId>[\w.-]*plugin</artifactId>")


def _pom(change: FileChange) -> ManifestChange:
    """pom.xml: a changed <version> in a hunk naming no dependency or plugin is the project's own."""
    patch = change.patch or ""
    runtime = dev = False
    own: dict[str, str] = {}
    for hunk in re.split(r"(?m)^@@", patch):
        versions = list(_POM_VERSION.finditer(hunk))
        if not versions:
            continue
        if not _POM_DEPENDENCY.search(hunk):
            own.update({match.group("sign"): match.group("version").strip() for match in versions})
        elif _POM_DEV.search(hunk):
            dev = True
        else:
            runtime = True
    moved = own.get("-") and own.get("+") and own["-"] != own["+"]
    return ManifestChange(version=(own["-"], own["+"]) if moved else None, runtime=runtime, dev=dev,
                          toolchain=bool(_TOOLCHAIN.search(patch)))


def _names_a_version(patch: str) -> bool:
    return any(line[:1] in "+-" and len(line) <= MAX_LINE and _OWN_VERSION.match(line[1:])
               for line in patch.splitlines())


def read_manifest(change: FileChange) -> ManifestChange:
    """What this file's diff changes in versions and dependencies (nothing for a file that is not metadata)."""
    role = path_role(change.filename)
    if role not in (ROLE_PACKAGING, ROLE_DEV_DEPS) and not _names_a_version(change.patch or ""):
        return ManifestChange()
    if change.filename.lower().endswith("pom.xml"):
        return _pom(change)
    reader = _Reader(whole_file=_whole_file(change))
    for line in (change.patch or "").splitlines():
        if len(line) > MAX_LINE:
            continue
        hunk = _HUNK.match(line)
        if hunk:
            reader.key = None
            reader.context(hunk.group("context"))
        elif line[:1] in "+-":
            reader.changed(line[0], line[1:])
        else:
            reader.context(line[1:])
    return reader.result()
