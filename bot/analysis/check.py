"""`doctor`'s LLM check: the OpenAI-compatible server lists its models with the configured key."""

from __future__ import annotations

from bot.checks import TIMEOUT, CheckFailed, host_of, quoted, unreachable
from bot.config import Settings


def check_llm(settings: Settings, timeout: float = TIMEOUT) -> str:
    """The OpenAI-compatible server lists its models with the configured key."""
    import openai

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
    base = settings.openai_base_url or "https://api.openai.com/v1"
    host = host_of(base)
    client = openai.OpenAI(api_key=key, base_url=base, timeout=timeout, max_retries=0)
    try:
        models = [model.id for model in client.models.list()]
    except openai.APIStatusError as exc:
        said = f"HTTP {exc.status_code}: {quoted(exc.message, settings.secret_values())}"
        if exc.status_code == 401:
            raise CheckFailed(f"{host} rejected the key ({said}); check OPENAI_API_KEY") from None
        if exc.status_code == 403:
            raise CheckFailed(f"{host} refused access ({said}); check what OPENAI_API_KEY may use") from None
        if exc.status_code == 404:
            raise CheckFailed(f"{host} has no model list at {base}/models ({said}); check OPENAI_BASE_URL "
                              f"(usually ending in /v1)") from None
        raise CheckFailed(f"{host} answered {said}") from None
    except openai.APIConnectionError as exc:
        raise unreachable(exc, host, "OPENAI_BASE_URL", "SSL_CERT_FILE", timeout) from None
    finally:
        client.close()
    if settings.llm_model in models:
        return f"{len(models)} models at {host}, {settings.llm_model} listed"
    return f"{len(models)} models at {host}, {settings.llm_model} not listed (check LLM_MODEL)"
