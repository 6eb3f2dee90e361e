"""The one frozen, typed configuration, read from the environment and `.env` once at start."""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, unquote_plus

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Re-exported: the checks live with the other typed values, where the parser can reach them without pydantic.
from bot.domain.values import Language, check_timezone, parse_hhmm

DEFAULT_DATABASE_URL = "sqlite:///data/commit-radar.db"
SECRET_FIELDS = (
    "github_token",
    "github_webhook_secret",
    "openai_api_key",
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "feishu_app_secret",
    "feishu_verification_token",
    "feishu_encrypt_key",
)
# URL settings may carry a password (userinfo or a query parameter): never echoed in errors,
# masked in the effective-configuration view, and their secrets handed to the log scrubber.
URL_FIELDS = ("github_api_url", "openai_base_url", "slack_api_url", "feishu_domain", "database_url")
_SECRET_QUERY_KEY = re.compile(r"pass|pwd|secret|token|key", re.IGNORECASE)


def _url_secrets(url: str) -> tuple[str | None, list[tuple[str, str]]]:
    # Hand-split rather than urlsplit: it rejects some URLs and rebuilds `sqlite:///x` as `sqlite:/x`.
    head, _, query = url.partition("?")
    _, sep, rest = head.partition("://")
    userinfo, at, _ = rest.rpartition("@") if sep else ("", "", "")
    password = userinfo.split(":", 1)[1] if at and ":" in userinfo else None
    pairs = [(key, value) for key, eq, value in (part.partition("=") for part in query.split("#")[0].split("&"))
             if eq]
    return password, pairs


def mask_url(url: str) -> str:
    """The URL with any userinfo password and every query value shown as `***`."""
    head, qmark, query = url.partition("?")
    scheme, sep, rest = head.partition("://")
    userinfo, at, host = rest.rpartition("@") if sep else ("", "", "")
    if at and ":" in userinfo:
        head = f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}"
    if qmark:
        query = "&".join(f"{key}=***" if eq else key
                         for key, eq, _ in (part.partition("=") for part in query.split("#")[0].split("&")))
    return head + qmark + query


def url_secret_values(url: str) -> list[str]:
    """The userinfo password and password-like query values of a URL, raw and decoded."""
    password, pairs = _url_secrets(url)
    found = [password, unquote(password)] if password else []
    for key, value in pairs:
        if value and _SECRET_QUERY_KEY.search(unquote_plus(key)):
            found += [value, unquote_plus(value)]
    return list(dict.fromkeys(found))


class ConfigError(Exception):
    """A configuration value is unusable; the message names the variable in one line."""


class Settings(BaseSettings):
    """Every environment variable `.env.example` documents, plus a few operational knobs."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        # `.env.example` lists every variable with an empty value: empty means "unset".
        env_ignore_empty=True,
        case_sensitive=False,
    )

    github_token: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    github_webhook_secret: SecretStr | None = None
    github_timeout: int = Field(15, ge=1, le=300)
    github_max_wait: int = Field(60, ge=0, le=3600)

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4.1-mini"
    llm_input_token_budget: int = Field(8000, ge=500, le=1_000_000)
    llm_output_token_budget: int = Field(2000, ge=200, le=100_000)
    llm_concurrency: int = Field(4, ge=1, le=64)
    llm_timeout: float = Field(60.0, gt=0, le=600)
    # A custom prompt set: a folder holding `<version>/` subfolders; unset = the set shipped in the package.
    prompts_dir: Path | None = None
    # Questions one person may ask the bot about commits per hour (a thread mention or /ask).
    ask_per_user_per_hour: int = Field(20, ge=1, le=10_000)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    feishu_app_id: str | None = None
    feishu_app_secret: SecretStr | None = None
    feishu_verification_token: SecretStr | None = None
    feishu_encrypt_key: SecretStr | None = None
    feishu_domain: str = "https://open.feishu.cn"
    feishu_mode: Literal["http", "ws"] = "http"

    # repr=False: a PostgreSQL URL may carry a password.
    database_url: str = Field(DEFAULT_DATABASE_URL, repr=False)

    poll_interval: int = Field(300, ge=5, le=86_400)
    poll_concurrency: int = Field(32, ge=1, le=256)
    # GitHub requests per minute across every worker, 304s included (GitHub's secondary limit is 900 points).
    github_requests_per_minute: int = Field(500, ge=1, le=100_000)
    max_cards_per_poll: int = Field(10, ge=1, le=1000)
    # Repositories (or branches) one pattern subscription (`acme/*`, `owner/repo 'release/*'`) may follow.
    max_repos_per_pattern: int = Field(200, ge=1, le=1000)
    digest_time: str = "09:00"
    timezone: str = "UTC"
    language: Language = "zh"

    host: str = "0.0.0.0"
    port: int = Field(3000, ge=0, le=65535)
    http_threads: int = Field(16, ge=1, le=512)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("digest_time")
    @classmethod
    def _check_digest_time(cls, value: str) -> str:
        parse_hhmm(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        # Imported here: `commit-radar --help` must not pay for SQLAlchemy.
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except (ArgumentError, ValueError):
            # The value may hold a password: say what is expected, never what was given.
            raise ValueError("not a database URL (expected sqlite:///PATH or postgresql://USER@HOST/DB)") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {url.get_backend_name()!r} (use sqlite or postgresql)")
        return value

    @field_validator("github_api_url", "slack_api_url", "feishu_domain", "openai_base_url")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://[^/\s]+", value):
            raise ValueError("expected an http(s) URL (https://HOST/...)")
        return value

    @property
    def digest_clock(self) -> time:
        """DIGEST_TIME as a `time`."""
        return parse_hhmm(self.digest_time)

    def secret_values(self) -> list[str]:
        """Every secret string in use, for the log scrubber."""
        from sqlalchemy.engine import make_url

        values = [getattr(self, name).get_secret_value() for name in SECRET_FIELDS if getattr(self, name)]
        password = make_url(self.database_url).password
        values += [str(password)] if password else []
        for name in URL_FIELDS:
            if getattr(self, name):
                values += url_secret_values(getattr(self, name))
        return list(dict.fromkeys(values))

    def masked(self) -> dict[str, str]:
        """Effective configuration as strings, secrets shown only as set/unset."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name in SECRET_FIELDS:
                shown[name.upper()] = "***" if value else "(unset)"
            elif name in URL_FIELDS and value is not None:
                shown[name.upper()] = mask_url(value)
            else:
                shown[name.upper()] = "(unset)" if value is None else str(value)
        return shown


def _first_error_line(error: ValidationError) -> str:
    first = error.errors()[0]
    variable = str(first["loc"][0]).upper() if first["loc"] else "configuration"
    message = first["msg"].removeprefix("Value error, ")
    given = first.get("input")
    shown = variable.lower() not in SECRET_FIELDS + URL_FIELDS
    if isinstance(given, str) and first["type"] not in ("value_error",) and shown:
        message = f"{message} (got {given!r})"
    return f"{variable}: {message}"


def load_settings(env_file: str | os.PathLike[str] | None = ".env", **overrides: Any) -> Settings:
    """Load Settings once; any problem becomes a one-line ConfigError naming the variable."""
    if env_file is not None:
        path = Path(env_file)
        if path.exists():
            try:
                path.read_bytes()
            except OSError as exc:
                raise ConfigError(f".env: cannot read {path}: {exc.strerror}") from None
            except UnicodeDecodeError:
                raise ConfigError(f".env: {path} is not UTF-8 text") from None
    try:
        # _env_file is a pydantic-settings init option, not a field: without its plugin mypy knows only the fields.
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise ConfigError(_first_error_line(exc)) from None
    except UnicodeDecodeError:
        raise ConfigError(f".env: {env_file} is not UTF-8 text") from None
