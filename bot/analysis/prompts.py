"""Versioned prompt templates, loaded from the top-level `prompts/` folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template

from bot.domain import AnalysisContent

LANGUAGES = ("zh", "en")


class PromptError(Exception):
    """The templates of a prompt version are missing or unusable."""


def prompts_root() -> Path:
    """The `prompts/` folder: beside the `bot/` package (checkout, editable install) or in the cwd."""
    candidates = (Path(__file__).resolve().parents[2] / "prompts", Path.cwd() / "prompts")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise PromptError(f"prompts/ folder not found (looked in {', '.join(str(c) for c in candidates)})")


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
    """Read `prompts/<version>/`; raise PromptError naming the missing file."""
    folder = (root or prompts_root()) / version
    if not version or "/" in version or ".." in version or not folder.is_dir():
        raise PromptError(f"prompt version {version!r} not found under {folder.parent}")

    def read(name: str) -> str:
        path = folder / name
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PromptError(f"prompt template {path} unreadable: {exc.strerror}") from None

    return PromptTemplates(
        version=version,
        system={language: read(f"system.{language}.md") for language in LANGUAGES},
        user=Template(read("user.md")),
        schema=Template(read("schema.md")),
        repair=Template(read("repair.md")),
    )
