"""`commit-radar doctor`: one line per service saying whether it answers, and if not, why and what to check.

Every check runs, whatever the others did: a database that cannot be opened is one FAIL line,
and GitHub, Slack, Feishu and the LLM are still checked. No check ever lets an exception out.
What an upstream said is scrubbed (bot.scrub) before it is cut to length, so a credential the
server echoed never shows, not even the piece of one left at a cut.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.causes import clip_middle, describe, network_cause, one_line, unreachable_text
from bot.config import Settings
from bot.scrub import Scrubber, scrub_text
from bot.store import Store

TIMEOUT = 10
# Long enough for any cause and hint; only an upstream text quoted inside is ever cut (in its middle).
MAX_DETAIL = 600
SLACK_TOKEN_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}


class CheckFailed(Exception):
    """A check's failure, already worded for the operator."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check; `skipped` when the service is not configured."""

    name: str
    ok: bool
    detail: str
    skipped: bool = False

    def line(self) -> str:
        """The printed line: mark, name, detail (scrubbed: it goes to a terminal or a CI log)."""
        mark = "skip" if self.skipped else "ok  " if self.ok else "FAIL"
        return scrub_text(f"{mark} {self.name:<9} {self.detail}")


def check_database(open_store: Callable[[], Store], settings: Settings) -> str:
    """The database opens, migrates and answers a query."""
    try:
        store = open_store()
    except Exception as exc:
        raise CheckFailed(_database_problem(exc, settings.database_url)) from None
    try:
        store.ping()
        return f"{store.engine.dialect.name} reachable, schema up to date"
    except Exception as exc:
        raise CheckFailed(_database_problem(exc, settings.database_url)) from None
    finally:
        store.close()


def check_github(settings: Settings, timeout: float = TIMEOUT) -> str:
    """GitHub answers /rate_limit (and /user, with a token) through the bot's own client and error texts."""
    from bot.github import parse
    from bot.github.client import GitHubClient
    from bot.github.errors import GitHubError, error_for
    from bot.github.retry import GitHubRetry

    token = settings.github_token.get_secret_value() if settings.github_token else None
    # One attempt and no waiting: doctor reports how things are now.
    client = GitHubClient(settings.github_api_url, token, max(1, int(min(settings.github_timeout, timeout))),
                          GitHubRetry(attempts=1, max_wait=0))

    def get(path: str, shape):
        reply = client.get(path, what=path)
        if reply.status != 200:
            raise error_for(reply.status, reply.headers, reply.body, path, client.endpoint)
        reply.json()  # a page that is not JSON at all gets the GITHUB_API_URL hint of the client
        return parse.read(reply.body, shape, parse.Origin(client.endpoint.host, path, status=reply.status,
                                                          secrets=client.endpoint.secrets))

    try:
        core = get("/rate_limit", parse.RATE_LIMIT).resources.core
        who = get("/user", parse.USER).login if token else "anonymous (GITHUB_TOKEN unset: 60 requests an hour)"
    except GitHubError as exc:
        raise CheckFailed(exc.message) from None
    finally:
        client.close()
    return f"{who}, rate limit {core.remaining}/{core.limit} at {client.endpoint.host}"


def check_slack(settings: Settings, timeout: float = TIMEOUT) -> str:
    """Slack's auth.test accepts the bot token."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    assert settings.slack_bot_token is not None
    host = _host(settings.slack_api_url)
    # No retry handlers: slack_sdk's default retries a refused connection, and doctor reports the first answer.
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url,
                       timeout=max(1, int(timeout)), retry_handlers=[])
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        code = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if code in SLACK_TOKEN_ERRORS:
            raise CheckFailed(f"{host} refused the token ({code}); check SLACK_BOT_TOKEN (xoxb-…)") from None
        said = code or f"HTTP {exc.response.status_code}"
        raise CheckFailed(f"{host} answered {said}; check SLACK_API_URL and SLACK_BOT_TOKEN") from None
    except Exception as exc:
        raise _unreachable(exc, host, "SLACK_API_URL", "SSL_CERT_FILE", timeout) from None
    return f"team {answer.get('team')}, bot user {answer.get('user')}"


def check_llm(settings: Settings, timeout: float = TIMEOUT) -> str:
    """The OpenAI-compatible server lists its models with the configured key."""
    import openai

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
    base = settings.openai_base_url or "https://api.openai.com/v1"
    host = _host(base)
    client = openai.OpenAI(api_key=key, base_url=base, timeout=timeout, max_retries=0)
    try:
        models = [model.id for model in client.models.list()]
    except openai.APIStatusError as exc:
        said = f"HTTP {exc.status_code}: {_quoted(exc.message, settings)}"
        if exc.status_code == 401:
            raise CheckFailed(f"{host} rejected the key ({said}); check OPENAI_API_KEY") from None
        if exc.status_code == 403:
            raise CheckFailed(f"{host} refused access ({said}); check what OPENAI_API_KEY may use") from None
        if exc.status_code == 404:
            raise CheckFailed(f"{host} has no model list at {base}/models ({said}); check OPENAI_BASE_URL "
                              f"(usually ending in /v1)") from None
        raise CheckFailed(f"{host} answered {said}") from None
    except openai.APIConnectionError as exc:
        raise _unreachable(exc, host, "OPENAI_BASE_URL", "SSL_CERT_FILE", timeout) from None
    finally:
        client.close()
    if settings.llm_model in models:
        return f"{len(models)} models at {host}, {settings.llm_model} listed"
    return f"{len(models)} models at {host}, {settings.llm_model} not listed (check LLM_MODEL)"


def check_feishu(settings: Settings, timeout: float = TIMEOUT) -> str:
    """Feishu issues a tenant access token for the app credentials."""
    import requests

    assert settings.feishu_app_secret is not None
    host = _host(settings.feishu_domain)
    try:
        response = requests.post(
            settings.feishu_domain.rstrip("/") + "/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": settings.feishu_app_id, "app_secret": settings.feishu_app_secret.get_secret_value()},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise _unreachable(exc, host, "FEISHU_DOMAIN", "REQUESTS_CA_BUNDLE", timeout) from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        said = _quoted(response.text, settings)
        raise CheckFailed(f"{host} answered HTTP {response.status_code}: {said}; check FEISHU_DOMAIN") from None
    if answer.get("code") != 0:
        said = _quoted(str(answer.get("msg") or ""), settings)
        raise CheckFailed(f"{host} refused the app credentials (code {answer.get('code')}: {said}); "
                          f"check FEISHU_APP_ID and FEISHU_APP_SECRET")
    return "tenant access token issued"


def iter_checks(settings: Settings, open_store: Callable[[], Store],
                timeout: float = TIMEOUT) -> Iterator[CheckResult]:
    """Check the database, GitHub, Slack, Feishu and the LLM, each as it completes; unconfigured ones are skipped."""
    checks: list[tuple[str, Callable[[], str] | str]] = [
        ("database", lambda: check_database(open_store, settings)),
        ("github", lambda: check_github(settings, timeout)),
        ("slack", (lambda: check_slack(settings, timeout)) if settings.slack_bot_token
         else "not configured (SLACK_BOT_TOKEN unset)"),
        ("feishu", (lambda: check_feishu(settings, timeout)) if settings.feishu_app_id and settings.feishu_app_secret
         else "not configured (FEISHU_APP_ID and FEISHU_APP_SECRET unset)"),
        ("llm", (lambda: check_llm(settings, timeout)) if settings.openai_api_key or settings.openai_base_url
         else "not configured (OPENAI_API_KEY unset): cards use the heuristic analysis"),
    ]
    scrubber = Scrubber(settings.secret_values())
    for name, check in checks:
        if isinstance(check, str):
            yield CheckResult(name, True, check, skipped=True)
            continue
        try:
            detail, ok = check(), True
        except CheckFailed as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # doctor reports any failure as a line, never a traceback
            detail, ok = f"{type(exc).__name__}: {one_line(str(exc)) or describe(exc)}", False
        yield CheckResult(name, ok, clip_middle(scrubber.scrub(one_line(detail)), MAX_DETAIL))


def run_checks(settings: Settings, open_store: Callable[[], Store],
               timeout: float = TIMEOUT) -> list[CheckResult]:
    """Every check's result, in order."""
    return list(iter_checks(settings, open_store, timeout))


def _quoted(text: str, settings: Settings) -> str:
    """An upstream's words on one line, scrubbed first and only then cut, so no piece of a secret stays at the cut."""
    return clip_middle(Scrubber(settings.secret_values()).scrub(one_line(text)), 200)


def _host(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    if not parsed.hostname:
        return url
    return f"{parsed.hostname}:{parsed.port}" if parsed.port else parsed.hostname


def _unreachable(exc: BaseException, host: str, url_setting: str, ca_setting: str, timeout: float) -> CheckFailed:
    cause = network_cause(exc)
    return CheckFailed(unreachable_text(cause, host, url_setting=url_setting, timeout=timeout, ca_setting=ca_setting,
                                        fallback=f"{type(exc).__name__}: {describe(exc)}"))


def _database_problem(exc: BaseException, database_url: str) -> str:
    """The store's own one-line explanation when it gives one, else the cause and what to check."""
    text = one_line(str(exc))
    if text.startswith("database: "):  # the store already said what and where (StoreUnavailable)
        return text.removeprefix("database: ")
    from sqlalchemy.engine import make_url

    try:
        url = make_url(database_url)
    except Exception:  # a URL the config check let through but SQLAlchemy rejects: say so, never echo it
        return f"DATABASE_URL is not a database URL SQLAlchemy understands ({type(exc).__name__})"
    if url.get_backend_name() == "sqlite":
        return f"cannot open the SQLite file {url.database} ({describe(exc)}); check that DATABASE_URL names " \
               f"a folder this user can write"
    where = f"{url.host or 'the local socket'}" + (f":{url.port}" if url.port else "")
    return f"cannot open the database at {where} ({describe(exc)}); check DATABASE_URL and that the server is " \
           f"running and reachable"
