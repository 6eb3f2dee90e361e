"""The Bolt app: slash commands acknowledged at once and answered through `response_url`; link unfurls.

Slow work (GitHub, the LLM, rendering) runs on a background executor after the acknowledgement,
like Bolt's lazy listeners but without their cost: a lazy listener deep-copies the whole request
context (API clients, say/respond helpers) for every command, which measured about 0.45 ms of a
1 ms acknowledgement — at 50 concurrent commands on one interpreter, the difference between
meeting and missing a 100 ms p99 (bench/slack_ack.py).
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import Executor

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.chat.commands import CommandContext, CommandHandler, Reply
from bot.chat.commands.ask import answer_in_thread
from bot.chat.commands.commit import CommitArgs, lookup_card
from bot.chat.commands.links import parse_commit_url
from bot.chat.commands.table import SLASH_COMMANDS
from bot.chat.slack.client import SlackRetry, error_code, make_webhook
from bot.chat.slack.notifier import BLOCK_ERRORS, SlackNotifier
from bot.chat.slack.priority import ForegroundFirst
from bot.domain import Card, RepoRef
from bot.render.slack import ACTION_PREFIX, card_message, text_message, unfurl
from bot.service.questions import QuestionService, Where
from bot.store import Store
from bot.store.questions import ThreadPost

log = logging.getLogger(__name__)
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")

MAX_UNFURLS = 5
COMMIT_EVENT = "commit_radar_commit"


def commit_metadata(repo: str, sha: str) -> dict:
    """The message metadata naming the commit a post of the bot is about."""
    return {"event_type": COMMIT_EVENT, "event_payload": {"repo": repo, "sha": sha}}


def reply_payloads(reply: Reply) -> list[dict]:
    """One Slack message per card, then the text; rendering (and escaping) is the renderer's."""
    payloads = [card_message(card) for card in reply.cards]
    if reply.text and reply.text.strip():
        payloads.append(text_message(reply.text))
    return payloads


class ResponseUrlSender:
    """Answers a command through its `response_url` (in the channel, or only to the person who asked)."""

    def __init__(self, policy: SlackRetry) -> None:
        self._policy = policy

    def send(self, response_url: str, reply: Reply) -> None:
        """Post every part of `reply`; a refused Block Kit message is re-sent as plain text."""
        webhook = make_webhook(response_url, self._policy)
        response_type = "in_channel" if reply.public else "ephemeral"
        # A card says which commit it shows in its metadata: a question in its thread is answered about that commit.
        about = [{"metadata": commit_metadata(card.repo, card.sha)} for card in reply.cards]
        for index, payload in enumerate(reply_payloads(reply)):
            message = {**payload, "response_type": response_type, "replace_original": False,
                       **(about[index] if index < len(about) else {})}
            answer = webhook.send_dict(message)
            if answer.status_code != 200 and any(code in (answer.body or "") for code in BLOCK_ERRORS):
                log.warning("response blocks refused; sending text", extra={"error": answer.body[:100]})
                answer = webhook.send_dict({"text": payload["text"], "response_type": response_type,
                                            "replace_original": False})
            if answer.status_code != 200:
                log.error("response_url refused the answer", extra={"status": answer.status_code,
                                                                    "error": (answer.body or "")[:200]})


class SlackListeners:
    """Registers the bot's listeners on a Bolt app."""

    def __init__(self, handler: CommandHandler, store: Store, client: WebClient, policy: SlackRetry,
                 web_hosts: tuple[str, ...], background: Executor, gate: ForegroundFirst | None = None) -> None:
        self._handler = handler
        self._store = store
        self._client = client
        self._sender = ResponseUrlSender(policy)
        self._web_hosts = web_hosts
        self._background = background
        self._gate = gate or ForegroundFirst()
        self._notifier = SlackNotifier(client)

    def register(self, app: App) -> None:
        """Commands, link_shared, app_mention (questions in the bot's threads), and the card buttons' no-op actions."""
        names = "|".join(re.escape(slash.command[1:]) for slash in SLASH_COMMANDS)
        app.command(re.compile(f"^/({names})$"))(self.acknowledge_command)
        app.event("link_shared")(self.acknowledge_links)
        app.event("app_mention")(self.acknowledge_mention)
        # URL buttons still send an interaction; Slack shows an error unless it is acknowledged.
        app.action(re.compile(f"^{ACTION_PREFIX}"))(self.acknowledge)

    @staticmethod
    def acknowledge(ack: Ack) -> None:
        """Acknowledge; nothing else to do."""
        ack()

    def acknowledge_command(self, ack: Ack, command: dict) -> None:
        """Answer help and bad arguments in the acknowledgement itself; run everything else in the background."""
        reply = self._handler.quick(_command_line(command))
        if reply is None:
            ack()
            self._background.submit(self.answer_command, command)
            return
        payload = reply_payloads(reply)[0]
        ack(text=payload["text"], blocks=payload["blocks"], response_type="ephemeral")

    def acknowledge_links(self, ack: Ack, body: dict, event: dict) -> None:
        """Acknowledge link_shared at once; unfurl in the background."""
        ack()
        self._background.submit(self.unfurl_links, body, event)

    def acknowledge_mention(self, ack: Ack, body: dict, event: dict, context: BoltContext) -> None:
        """Acknowledge app_mention at once; a question in a thread is recorded once and answered in the background."""
        ack()
        bot_user = context.bot_user_id
        if not bot_user or not is_thread_question(event, bot_user):
            return
        event_id = body.get("event_id")
        if event_id and not self._store.events.first_time("slack", str(event_id)):
            return  # a retried delivery of an event already handled
        self._background.submit(self.answer_mention, body, event, bot_user, context.bot_id)

    def answer_mention(self, body: dict, event: dict, bot_user: str, bot_id: str | None) -> None:
        """Answer a mention in the thread of one of the bot's posts with one threaded message."""
        try:
            self._answer_mention(body, event, bot_user, bot_id)
        except Exception:  # a background failure would otherwise vanish silently
            log.exception("question answer failed", extra={"channel": event.get("channel")})

    def _answer_mention(self, body: dict, event: dict, bot_user: str, bot_id: str | None) -> None:
        channel, thread = str(event["channel"]), str(event["thread_ts"])
        event_id = body.get("event_id")
        questions = self._handler.services.questions
        if questions is None:
            return
        post = questions.post("slack", channel, thread) or self._post_from_slack(questions, channel, thread, bot_user,
                                                                                 bot_id)
        if post is None:
            return  # not one of the bot's threads
        self._gate.wait_for_lull()
        where = Where("slack", channel, thread, str(event.get("user") or ""))
        answer = answer_in_thread(self._handler.services, where, question_text(str(event["text"]), bot_user), post)
        if answer:
            self._notifier.post_text(channel, answer, thread_id=thread, key=f"answer:{event_id or event.get('ts')}")

    def _post_from_slack(self, questions: QuestionService, channel: str, thread: str, bot_user: str,
                         bot_id: str | None) -> ThreadPost | None:
        """The commit of a thread whose parent the bot posted with commit metadata (a /commit answer)."""
        try:
            answer = self._client.conversations_replies(channel=channel, ts=thread, limit=1, include_all_metadata=True)
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("thread parent unavailable", extra={"channel": channel, "error": type(exc).__name__})
            return None
        parent = next((m for m in answer.get("messages") or [] if m.get("ts") == thread), None)
        if parent is None or not (parent.get("user") == bot_user or (bot_id and parent.get("bot_id") == bot_id)):
            return None
        metadata = parent.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        repo = RepoRef.parse_or_none(str(payload.get("repo") or ""))
        sha = str(payload.get("sha") or "").lower()
        if metadata.get("event_type") != COMMIT_EVENT or repo is None or not _FULL_SHA.match(sha):
            return None
        questions.remember("slack", channel, thread, repo.full_name, sha)
        return ThreadPost(repo.full_name, (sha,), "post")

    def answer_command(self, command: dict) -> None:
        """Run the command (may take LLM time) and answer through `response_url`."""
        line = _command_line(command)
        self._gate.wait_for_lull()
        channel = command.get("channel_id", "")
        ctx = CommandContext(platform="slack", channel=channel, user_id=command.get("user_id", ""),
                             user_name=command.get("user_name"),
                             is_direct=channel.startswith("D") or command.get("channel_name") == "directmessage")
        try:
            reply = self._handler.handle(line, ctx)
            self._sender.send(command["response_url"], reply)
        except Exception:  # a background failure would otherwise vanish silently
            log.exception("slash command answer failed", extra={"command": command.get("command"),
                                                                "channel": channel})

    def unfurl_links(self, body: dict, event: dict) -> None:
        """Unfurl pasted GitHub commit links into the commit's card."""
        try:
            self._unfurl(body, event)
        except Exception:  # a background failure would otherwise vanish silently
            log.exception("unfurl failed", extra={"channel": event.get("channel")})

    def _unfurl(self, body: dict, event: dict) -> None:
        event_id = body.get("event_id")
        if event_id and not self._store.events.first_time("slack", str(event_id)):
            return  # a retried delivery of an event already handled
        self._gate.wait_for_lull()
        channel = str(event.get("channel", ""))
        unfurls: dict[str, dict] = {}
        for link in (event.get("links") or [])[:MAX_UNFURLS]:
            url = str(link.get("url", ""))
            target = parse_commit_url(url, self._web_hosts)
            if target is None:
                continue
            try:
                card = self._card(channel, *target)
            except Exception:  # one bad link must not stop the others
                log.exception("unfurl failed", extra={"url": url[:200]})
                continue
            if card is not None:
                unfurls[url] = unfurl(card)
        if not unfurls:
            return
        where = ({"unfurl_id": event["unfurl_id"], "source": event["source"]}
                 if event.get("unfurl_id") and event.get("source")
                 else {"channel": channel, "ts": event.get("message_ts")})
        try:
            self._client.chat_unfurl(unfurls=unfurls, **where)
        except SlackApiError as exc:
            log.warning("chat.unfurl refused", extra={"channel": channel, "error": error_code(exc)})
        except (SlackClientError, OSError) as exc:
            log.warning("chat.unfurl failed", extra={"channel": channel, "error": type(exc).__name__})

    def _card(self, channel: str, repo: RepoRef, sha: str) -> Card | None:
        ctx = CommandContext(platform="slack", channel=channel, user_id="")
        result, card = lookup_card(CommitArgs(sha, repo), ctx, self._handler.services)
        if card is None:
            log.info("unfurl: commit not found", extra={"repo": str(repo), "sha": sha, "status": result.status})
        return card


def is_thread_question(event: dict, bot_user: str) -> bool:
    """A person's message in a thread that mentions this bot (top-level mentions and bots' messages are not)."""
    thread = event.get("thread_ts")
    return bool(event.get("channel") and thread and thread != event.get("ts") and not event.get("bot_id")
                and f"<@{bot_user}" in str(event.get("text") or ""))


def question_text(text: str, bot_user: str) -> str:
    """The question in a mention: the bot's mentions removed and Slack's three escapes undone."""
    text = re.sub(rf"<@{re.escape(bot_user)}(?:\|[^>]*)?>", " ", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]+", " ", text).strip()


def _command_line(command: dict) -> str:
    return f"{command.get('command', '')} {command.get('text') or ''}".strip()


def build_app(signing_secret: str | None, client: WebClient, listeners: SlackListeners, executor: Executor) -> App:
    """A Bolt app that verifies signatures (when a secret is given) and calls auth.test on first use, not now."""
    # The token comes with the client (SLACK_API_URL, timeout, retry policy), which Bolt copies per request.
    app = App(signing_secret=signing_secret or "", client=client, name="commit-radar",
              logger=logging.getLogger("bot.chat.slack.bolt"),
              # Listeners run in the request thread (no polling for ack()); they hand slow work to the executor.
              process_before_response=True,
              token_verification_enabled=False,
              request_verification_enabled=signing_secret is not None,
              listener_executor=executor)
    listeners.register(app)
    return app
