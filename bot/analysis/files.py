"""What a changed file is, judged from its path: its diff priority, or why its diff is skipped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from bot.domain import FileChange

LOCKFILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "cargo.lock",
    "poetry.lock", "pipfile.lock", "uv.lock", "pdm.lock", "composer.lock", "gemfile.lock", "go.sum",
    "mix.lock", "pubspec.lock", "podfile.lock", "flake.lock", "packages.lock.json", "gradle.lockfile",
    "conda-lock.yml", "requirements.lock",
})
MANIFESTS = frozenset({
    "pyproject.toml", "setup.py", "setup.cfg", "package.json", "go.mod", "cargo.toml", "gemfile",
    "pom.xml", "build.gradle", "build.gradle.kts", "composer.json", "environment.yml", "pipfile",
})
VENDORED_DIRS = frozenset({"vendor", "vendors", "third_party", "thirdparty", "third-party", "node_modules", ".yarn"})
GENERATED_DIRS = frozenset({"generated", "__generated__", "dist"})
GENERATED_SUFFIXES = ("_pb2.py", "_pb2_grpc.py", "_pb2.pyi", ".pb.go", ".pb.cc", ".pb.h", ".pb.gw.go",
                      ".g.dart", ".designer.cs", ".freezed.dart")
BINARY_EXTENSIONS = frozenset({
    "png", "jpg", "jpeg", "gif", "ico", "webp", "bmp", "tiff", "pdf", "zip", "gz", "tgz", "bz2", "xz", "7z",
    "jar", "war", "whl", "so", "dll", "dylib", "exe", "bin", "woff", "woff2", "ttf", "otf", "eot", "mp3",
    "mp4", "wav", "ogg", "mov", "avi", "pyc", "class", "o", "a", "lib", "onnx", "pt", "safetensors", "db",
    "sqlite", "parquet", "npy", "pkl",
})
DOC_EXTENSIONS = frozenset({"md", "rst", "txt", "adoc", "mdx"})
DOC_DIRS = frozenset({"docs", "doc", "documentation"})
TEST_DIRS = frozenset({"tests", "test", "testing", "__tests__", "spec", "e2e", "testdata", "fixtures"})
EXAMPLE_DIRS = frozenset({"examples", "example", "samples", "sample", "benchmarks", "benchmark", "bench",
                          "scripts", "demo", "demos", "tutorials"})
BUILD_DIRS = frozenset({".github", ".gitlab", ".circleci", ".buildkite", "ci", ".ci", "container", "docker"})
BUILD_NAMES = frozenset({"makefile", "dockerfile", "jenkinsfile", ".gitlab-ci.yml", "cmakelists.txt",
                         "build.sh", "justfile", "tox.ini", "noxfile.py", ".pre-commit-config.yaml"})

# Diff priority when the budget cannot hold every hunk: source over tests over docs.
SOURCE, BUILD, TEST, EXAMPLE, DOCS = range(5)
KIND_NAMES = {SOURCE: "source", BUILD: "build", TEST: "test", EXAMPLE: "example", DOCS: "docs"}
MINIFIED_LINE = 1000  # a diff line this long is minified or generated, not something to read


@dataclass(frozen=True)
class FileKind:
    """Priority class of one changed file, and the reason its diff is skipped (None: shown)."""

    rank: int
    skip: str | None = None

    @property
    def name(self) -> str:
        """source, build, test, example or docs."""
        return KIND_NAMES[self.rank]


def _parts(path: str) -> tuple[list[str], str, str]:
    pure = PurePosixPath(path.lower())
    name = pure.name
    extension = name.rsplit(".", 1)[1] if "." in name.strip(".") else ""
    return [part for part in pure.parts[:-1]], name, extension


def is_lockfile(path: str) -> bool:
    """True for dependency lockfiles (package-lock.json, Cargo.lock, go.sum, …)."""
    _, name, extension = _parts(path)
    return name in LOCKFILES or extension == "lock"


def is_manifest(path: str) -> bool:
    """True for dependency manifests (pyproject.toml, package.json, go.mod, requirements*.txt, …)."""
    dirs, name, _ = _parts(path)
    requirements = name.startswith("requirements") or "requirements" in dirs
    return name in MANIFESTS or (requirements and name.endswith((".txt", ".in")))


def path_rank(path: str) -> int:
    """SOURCE, BUILD, TEST, EXAMPLE or DOCS, from the path alone."""
    dirs, name, extension = _parts(path)
    stem = name.split(".")[0]
    if set(dirs) & DOC_DIRS or extension in DOC_EXTENSIONS and not name.startswith(("requirements", "cmakelists")):
        return DOCS
    if set(dirs) & TEST_DIRS or stem.startswith("test_") or stem.endswith(("_test", "_tests", "_spec")) \
            or ".test." in name or ".spec." in name or name == "conftest.py":
        return TEST
    if set(dirs) & EXAMPLE_DIRS:
        return EXAMPLE
    if set(dirs) & BUILD_DIRS or name in BUILD_NAMES or name.startswith("dockerfile") or name.endswith(".dockerfile"):
        return BUILD
    return SOURCE


def classify(change: FileChange) -> FileKind:
    """Priority class and skip reason of one changed file."""
    dirs, name, extension = _parts(change.filename)
    rank = path_rank(change.filename)
    if is_lockfile(change.filename):
        return FileKind(BUILD, "lockfile")
    if set(dirs) & VENDORED_DIRS:
        return FileKind(rank, "vendored")
    if set(dirs) & GENERATED_DIRS or name.endswith(GENERATED_SUFFIXES) or name.startswith("zz_generated") \
            or ".generated." in name or "_generated." in name:
        return FileKind(rank, "generated")
    if ".min." in name or extension == "map":
        return FileKind(rank, "minified")
    if extension in BINARY_EXTENSIONS:
        return FileKind(rank, "binary")
    if change.patch is None:
        return FileKind(rank, "no diff from GitHub" if change.changes else "binary or empty")
    if any(len(line) > MINIFIED_LINE for line in change.patch.splitlines()):
        return FileKind(rank, "minified")
    return FileKind(rank)


# --- what a path is to a maintainer skimming a change (the heuristic's finer classes) ---

ROLE_SOURCE, ROLE_PACKAGING, ROLE_BUILD, ROLE_RELEASE_CI, ROLE_CI, ROLE_DEV_DEPS, ROLE_LOCKFILE = (
    "source", "packaging", "build", "release-ci", "ci", "dev-deps", "lockfile")
ROLE_DEV_CONFIG, ROLE_TEST, ROLE_EXAMPLE, ROLE_DOCS, ROLE_CHANGELOG = (
    "dev-config", "test", "example", "docs", "changelog")
CHANGELOG_STEMS = frozenset({"changes", "changelog", "history", "news", "releases", "release-notes", "release_notes",
                             "releasenotes", "whatsnew", "whats-new"})
CI_DIRS = frozenset({".circleci", ".buildkite", ".ci", "ci", ".gitlab", ".woodpecker", ".drone"})
CI_NAMES = frozenset({".gitlab-ci.yml", ".travis.yml", "jenkinsfile", "azure-pipelines.yml", ".azure-pipelines.yml",
                      "appveyor.yml", ".appveyor.yml", "bitbucket-pipelines.yml", "cloudbuild.yaml", ".drone.yml",
                      "codecov.yml", ".codecov.yml"})
RELEASE_CI_WORDS = ("release", "publish", "deploy", "goreleaser", "pypi", "npm-publish", "cd.y")
# Files that shape how people work on the project, never what its users get.
DEV_CONFIG_DIRS = frozenset({".devcontainer", ".vscode", ".idea", ".husky", ".changeset", ".cargo-husky",
                             "issue_template", ".github/issue_template"})
DEV_CONFIG_NAMES = frozenset({
    ".editorconfig", ".gitignore", ".gitattributes", ".mailmap", ".pre-commit-config.yaml", ".pre-commit-config.yml",
    ".pre-commit-hooks.yaml", "pre-commit.yaml", ".flake8", ".pylintrc", "pylintrc", "ruff.toml", ".ruff.toml",
    "mypy.ini", ".mypy.ini", ".coveragerc", "tox.ini", "noxfile.py", ".readthedocs.yaml", ".readthedocs.yml",
    "readthedocs.yml", ".golangci.yml", ".golangci.yaml", ".prettierrc", ".prettierignore", ".eslintignore",
    ".npmignore", ".dockerignore", ".nvmrc", ".node-version", ".python-version", ".tool-versions", "rustfmt.toml",
    ".rustfmt.toml", "clippy.toml", ".clang-format", ".clang-tidy", "renovate.json", ".renovaterc",
    "dependabot.yml", "dependabot.yaml", "codeowners", "funding.yml", "pull_request_template.md", ".ds_store",
    "devcontainer.json", ".gitpod.yml", "lefthook.yml", ".markdownlint.json", ".yamllint", ".shellcheckrc",
    "biome.json", ".swiftlint.yml", "detekt.yml", "checkstyle.xml", ".jshintrc", ".stylelintrc", ".babelrc",
})
DEV_CONFIG_PREFIXES = (".eslintrc", ".prettierrc", ".stylelintrc", "eslint.config", "prettier.config", ".lintstagedrc",
                       "commitlint.config", "jest.config", "vitest.config", "karma.conf", "babel.config")
PACKAGING_NAMES = frozenset({"manifest.in", "setup.cfg", "pyproject.toml", "gradle.properties", "chart.yaml",
                             "lerna.json", "version", "version.txt", "mix.exs", "pubspec.yaml", "package.swift"})
DEV_REQUIREMENT_WORDS = ("dev", "test", "doc", "lint", "typing", "type", "mypy", "style", "check", "ci", "build",
                         "bench", "coverage", "tox", "pre-commit")


def is_changelog(path: str) -> bool:
    """True for a changelog (CHANGES.rst, CHANGELOG.md, HISTORY, NEWS, RELEASE_NOTES.md, …)."""
    _, name, _ = _parts(path)
    return name.split(".")[0] in CHANGELOG_STEMS


def is_dev_requirements(path: str) -> bool:
    """True for Python requirement files that only developers install (requirements/dev.txt, docs/requirements.txt)."""
    dirs, name, _ = _parts(path)
    if not is_manifest(path) or not name.startswith("requirements") and "requirements" not in dirs:
        return False
    if set(dirs) & (DOC_DIRS | TEST_DIRS | CI_DIRS | {".github"}):
        return True
    words = name.removeprefix("requirements").rsplit(".", 1)[0]
    return any(word in words for word in DEV_REQUIREMENT_WORDS)


def _dev_config(dirs: list[str], name: str) -> bool:
    joined = "/".join(dirs)
    return (name in DEV_CONFIG_NAMES or name.startswith(DEV_CONFIG_PREFIXES) or bool(set(dirs) & DEV_CONFIG_DIRS)
            or joined.startswith(".github") and "workflows" not in dirs)


def _ci_role(dirs: list[str], name: str) -> str | None:
    if not (name in CI_NAMES or set(dirs) & CI_DIRS or dirs[:2] == [".github", "workflows"]):
        return None
    return ROLE_RELEASE_CI if any(word in name for word in RELEASE_CI_WORDS) else ROLE_CI


def path_role(path: str) -> str:
    """What a path is to a maintainer: source, packaging, build, ci, dev-config, test, docs, changelog, …"""
    dirs, name, _ = _parts(path)
    rank = path_rank(path)
    if is_lockfile(path):
        return ROLE_LOCKFILE
    if is_changelog(path):
        return ROLE_CHANGELOG
    if is_manifest(path) or name in PACKAGING_NAMES:
        if is_dev_requirements(path):
            return ROLE_DEV_DEPS
        if set(dirs) & DOC_DIRS:
            return ROLE_DEV_DEPS
        return {TEST: ROLE_TEST, EXAMPLE: ROLE_EXAMPLE}.get(rank, ROLE_PACKAGING)
    ci = _ci_role(dirs, name)
    if ci:
        return ci
    if _dev_config(dirs, name):
        return ROLE_DEV_CONFIG
    if rank == DOCS or name.startswith(("readme", "contributing", "license", "licence", "code_of_conduct",
                                        "security.", "authors", "notice")):
        return ROLE_DOCS
    return {TEST: ROLE_TEST, EXAMPLE: ROLE_EXAMPLE, BUILD: ROLE_BUILD}.get(rank, ROLE_SOURCE)
