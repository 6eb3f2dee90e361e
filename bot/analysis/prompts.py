"""Versioned prompt templates: the set shipped inside the package, or a custom set (PROMPTS_DIR)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template

from bot.domain import AnalysisContent

LANGUAGES = ("zh", "en")
# The placeholders each template must use exactly: a template that drops `$commit_data` would send
# the model no commit, one with an unknown name would fail on the first analysis instead of at start.
PLACEHOLDERS = {"user.md": {"boundary", "commit_data"}, "schema.md": {"schema"}, "repair.md": {"error"}}
_PACKAGE = Path(__file__).resolve().parents[1]


class PromptError(Exception):
    """The templates of a prompt version are missing or unusable."""


def prompts_root() -> Path:
    """The shipped prompt set: `bot/prompts/` in a wheel, the top-level `prompts/` in a checkout."""
    # pyproject maps the top-level folder (the one people edit) to `bot/prompts` in the wheel;
    # an editable install or a plain checkout imports `bot` from beside that folder.
    candidates = (_PACKAGE / "prompts", _PACKAGE.parent / "prompts")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise PromptError(f"the package's prompt set is missing (looked in {', '.join(map(str, candidates))}); "
                      "reinstall commit-radar or set PROMPTS_DIR")


@dataclass(frozen=True)
class PromptTemplates:
    """The templates of one prompt version."""

    version: str
    system: dict[str, str]
    user: Template
    schema: Template
    repair: Template

    def system_text(self, language: str, schema_in_prompt: bool) -> str:
        """The system message for `language`, with the JSON schema appended when asked."""
        text = self.system[language]
        if schema_in_prompt:
            text += self.schema.substitute(schema=schema_json())
        return text


@lru_cache(maxsize=1)
def schema_json() -> str:
    """AnalysisContent's JSON schema, compact, as shown to servers without json_schema support."""
    return json.dumps(AnalysisContent.model_json_schema(), ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=1)
def response_format_schema_json() -> str:
    """The schema as response_format=json_schema carries it (what openai's parse() sends), for budgeting."""
    return json.dumps(AnalysisContent.model_json_schema())


@lru_cache(maxsize=8)
def load_templates(version: str, root: Path | None = None) -> PromptTemplates:
    """Read and check `<root>/<version>/` (root: PROMPTS_DIR, default the shipped set); one-line PromptError."""
    where = f"PROMPTS_DIR {root}" if root is not None else f"the shipped prompt set {prompts_root()}"
    if root is not None and not Path(root).is_dir():
        raise PromptError(f"PROMPTS_DIR {root} is not a folder")
    folder = Path(root or prompts_root()) / version
    if not version or "/" in version or "\\" in version or ".." in version or not folder.is_dir():
        raise PromptError(f"prompt version {version!r} not found in {where}")

    def read(name: str) -> str:
        path = folder / name
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
            raise PromptError(f"prompt template {path} unreadable ({where}): {reason}") from None

    def template(name: str) -> Template:
        text = Template(read(name))
        found = set(text.get_identifiers())
        if not text.is_valid() or found != PLACEHOLDERS[name]:
            raise PromptError(f"prompt template {folder / name} ({where}) must use exactly "
                              f"{', '.join('$' + n for n in sorted(PLACEHOLDERS[name]))} and no other $ "
                              f"(write $$ for a dollar sign); found {', '.join(sorted(found)) or 'none'}")
        return text

    return PromptTemplates(
        version=version,
        system={language: read(f"system.{language}.md") for language in LANGUAGES},
        user=template("user.md"),
        schema=template("schema.md"),
        repair=template("repair.md"),
    )
