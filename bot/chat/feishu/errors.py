"""What Feishu's answers mean for a delivery: done, wait and retry, pause the channel, or give up.

Codes come from Feishu's documentation of `im/v1/messages` (create and reply), its generic
server error codes and rate-limit guide, and the custom-bot webhook guide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# The bot cannot post to this chat any more: pause the subscription with the reason.
CHANNEL_GONE: dict[int, str] = {
    230002: "the bot is not a member of this chat",
    230013: "the user is outside the bot's availability scope",
    230027: "the bot lacks the permission to post here",
    230034: "the chat id is not valid",
    230035: "the bot may not send messages in this chat (muted or restricted)",
    230053: "the user has stopped the bot from sending messages",
    232009: "the chat has been dissolved",
}

# Rate limits: the app-wide gateway limit (also signalled by HTTP 429), the per-chat limit,
# and the message service's tenant-level limit (custom bots get it too).
RATE_LIMITED = frozenset({99991400, 230020, 11232})

# App-wide trouble an operator must fix; retrying later is right, pausing every channel is not.
APP_PROBLEMS: dict[int, str] = {
    10003: "Feishu rejected FEISHU_APP_ID/FEISHU_APP_SECRET",
    10014: "Feishu rejected FEISHU_APP_SECRET",
    230006: "the app's bot capability is not enabled (enable it and publish a new version)",
    99991663: "the tenant access token is invalid",
    99991668: "the tenant access token is invalid",
    99991672: "the app lacks an API scope (im:message)",
}

# The card itself was refused: the same content as text may still go through.
CARD_REFUSED = frozenset({230099, 230001, 230025})

# Custom-bot webhook codes (the bot-v2 hook answers HTTP 200 with one of these).
WEBHOOK_GONE: dict[int, str] = {
    19001: "the webhook address is not valid (custom bot removed?)",
    19002: "the webhook address is not valid",
    19007: "the custom bot is disabled",
    19021: "the signature was refused (wrong secret, or the server clock is off by over an hour)",
    19022: "the custom bot's IP allow-list refuses this server",
    19024: "the message lacks the custom bot's required keyword",
}
WEBHOOK_BAD_REQUEST = 9499


@dataclass(frozen=True)
class Answer:
    """One Feishu HTTP answer, reduced to what decides its fate."""

    status: int
    code: int | None
    msg: str
    headers: Mapping[str, str]

    @property
    def ok(self) -> bool:
        """HTTP 2xx and business code 0."""
        return 200 <= self.status < 300 and self.code == 0

    @property
    def rate_limited(self) -> bool:
        """Any of Feishu's rate-limit signals."""
        return self.status == 429 or self.code in RATE_LIMITED

    @property
    def server_failing(self) -> bool:
        """A 5xx or an unreadable body: worth another attempt."""
        return self.status >= 500 or self.code is None

    def reset_after(self) -> float | None:
        """Seconds until the limit resets (`x-ogw-ratelimit-reset`), when Feishu says."""
        for name, value in self.headers.items():
            if name.lower() in ("x-ogw-ratelimit-reset", "retry-after"):
                try:
                    return max(0.0, float(value))
                except ValueError:
                    return None
        return None

    def describe(self) -> str:
        """`code N: msg (HTTP s)` for logs and error messages (never carries a URL or token)."""
        return f"code {self.code}: {self.msg[:160]} (HTTP {self.status})"
