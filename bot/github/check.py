"""`doctor`'s GitHub check, through the bot's own client and error texts."""

from __future__ import annotations

from bot.checks import TIMEOUT, CheckFailed
from bot.config import Settings


def check_github(settings: Settings, timeout: float = TIMEOUT) -> str:
    """GitHub answers /rate_limit (and /user, with a token) through the bot's own client and error texts."""
    from bot.github import parse
    from bot.github.client import GitHubClient
    from bot.github.errors import GitHubError, error_for
    from bot.github.retry import GitHubLimits, GitHubRetry

    token = settings.github_token.get_secret_value() if settings.github_token else None
    # One attempt and no waiting: doctor reports how things are now.
    client = GitHubClient(settings.github_api_url, token, max(1, int(min(settings.github_timeout, timeout))),
                          GitHubRetry(GitHubLimits(attempts=1, max_wait=0)))

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
