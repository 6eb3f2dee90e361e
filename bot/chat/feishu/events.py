"""Inbound Feishu messages: pick out commands, run them in the background once per event, answer in the chat."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.chat.commands.ask import answer_in_thread
from bot.chat.commands.model import CommandContext, CommandServices, Reply
from bot.domain import Card
from bot.service.notifier import DeliveryError
from bot.service.questions import Where

if TYPE_CHECKING:
    from lark_oapi.api.im.v1 import P2ImMessageReceiveV1

log = logging.getLogger(__name__)

FAILED_TEXT = "命令执行失败，请稍后再试。 / The command failed; please try again later."
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


class CommandRunner(Protocol):
    """The shared command layer as Feishu uses it."""

    def handle(self, text: str, ctx: CommandContext) -> Reply:
        """Run one command line."""
        ...


class Responder(Protocol):
    """Where answers go: replies to the message that carried the command."""

    def reply_card(self, message_id: str, card, in_thread: bool = False, key: str | None = None) -> str: ...

    def reply_text(self, message_id: str, text: str, in_thread: bool = False, key: str | None = None) -> str: ...


@dataclass(frozen=True)
class Mention:
    """One `@_user_N` placeholder in a message and whom it names."""

    key: str
    open_id: str | None
    name: str


@dataclass(frozen=True)
class Incoming:
    """The parts of an `im.message.receive_v1` event a command needs."""

    event_id: str
    message_id: str
    chat_id: str
    chat_type: str
    thread_id: str | None
    sender_open_id: str
    text: str
    mentions: tuple[Mention, ...]
    # A reply names the message it answers (parent) and its thread's first message (root).
    parent_id: str | None = None
    root_id: str | None = None

    @property
    def is_direct(self) -> bool:
        """A one-to-one chat with the bot."""
        return self.chat_type == "p2p"


def incoming(data: P2ImMessageReceiveV1) -> Incoming | None:
    """The event as an Incoming, or None when it is not a user's text message."""
    event = data.event
    header = data.header
    if event is None or event.message is None or header is None or not header.event_id:
        return None
    message, sender = event.message, event.sender
    if message.message_type != "text" or sender is None or sender.sender_type != "user":
        return None
    try:
        text = json.loads(message.content or "{}").get("text", "")
    except (ValueError, AttributeError):
        return None
    mentions = tuple(Mention(m.key, m.id.open_id if m.id else None, m.name or "")
                     for m in (message.mentions or []) if m.key)
    open_id = sender.sender_id.open_id if sender.sender_id else None
    if not isinstance(text, str) or not message.chat_id or not message.message_id or not open_id:
        return None
    return Incoming(header.event_id, message.message_id, message.chat_id, message.chat_type or "",
                    message.thread_id or None, open_id, text, mentions,
                    getattr(message, "parent_id", None) or None, getattr(message, "root_id", None) or None)


def command_text(message: Incoming, bot_open_id: str | None, is_command: Callable[[str], bool]) -> str | None:
    """The command line in a message, with mentions of the bot removed, or None when it holds no command.

    In a group the bot is usually addressed as `@bot /commit abc1234`: the leading mention is
    dropped. When the bot's own open_id is unknown, any leading mention counts as the bot's.
    Other people's mentions become `@Name` text.
    """
    def is_bot(mention: Mention) -> bool:
        return bot_open_id is None or mention.open_id == bot_open_id

    by_key = {m.key: m for m in message.mentions}
    # Longest keys first so `@_user_1` never matches the start of `@_user_10`.
    keys = sorted(by_key, key=len, reverse=True)
    text = message.text.strip()
    while True:
        leading = next((by_key[key] for key in keys if text.startswith(key)), None)
        if leading is None or not is_bot(leading):
            break
        text = text[len(leading.key):].lstrip()
    for key in keys:
        mention = by_key[key]
        shown = "" if mention.open_id is not None and mention.open_id == bot_open_id else f"@{mention.name}"
        text = text.replace(key, shown)
    text = _SPACES.sub(" ", text).strip()
    return text if text and is_command(text) else None


def question_text(message: Incoming, bot_open_id: str | None) -> str | None:
    """The question in a reply that mentions the bot (its mentions removed), else None.

    When the bot's own open_id is unknown, any mention counts as the bot's (a group's messages reach
    the bot only when they mention it).
    """
    if not any(bot_open_id is None or mention.open_id == bot_open_id for mention in message.mentions):
        return None
    text = message.text
    for mention in sorted(message.mentions, key=lambda m: len(m.key), reverse=True):
        mine = bot_open_id is None or mention.open_id == bot_open_id
        text = text.replace(mention.key, "" if mine else f"@{mention.name}")
    return _SPACES.sub(" ", text).strip()


class BotIdentity:
    """The bot's own open_id (`bot/v3/info`), fetched once; after a failure, tried again ten minutes later."""

    def __init__(self, fetch: Callable[[], str], clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._open_id: str | None = None
        self._retry_at = 0.0

    def open_id(self) -> str | None:
        """The open_id, or None while it cannot be had."""
        with self._lock:
            if self._open_id or self._clock() < self._retry_at:
                return self._open_id
            try:
                self._open_id = self._fetch()
            except Exception as exc:  # any failure only makes mention matching lenient for a while
                self._retry_at = self._clock() + 600
                log.warning("feishu bot identity unavailable", extra={"error": f"{type(exc).__name__}: {exc}"[:200]})
            return self._open_id


class FeishuEvents:
    """Takes `im.message.receive_v1` events from the HTTP endpoint or the long connection.

    The dispatcher thread only records the event id (durably: a re-pushed event, even after a
    restart, is dropped) and queues the work, so Feishu gets its answer well within 3 seconds.
    """

    def __init__(self, handler: CommandRunner, responder: Responder, first_time: Callable[[str], bool],
                 is_command: Callable[[str], bool], bot_open_id: Callable[[], str | None] = lambda: None,
                 workers: int = 8, services: CommandServices | None = None) -> None:
        self._handler = handler
        self._services = services  # questions in the threads of the bot's cards; None: not answered
        self._responder = responder
        self._first_time = first_time
        self._is_command = is_command
        self._bot_open_id = bot_open_id
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="feishu-command")
        self._pending: set[Future] = set()
        self._lock = threading.Lock()

    def on_message(self, data: P2ImMessageReceiveV1) -> None:
        """Dispatcher callback: de-duplicate and queue; raises only when the event store fails (Feishu retries)."""
        message = incoming(data)
        if message is None:
            return
        if not self._first_time(message.event_id):
            log.info("feishu event already handled", extra={"event_id": message.event_id})
            return
        future = self._pool.submit(self._run, message)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait for queued commands to finish; True when none is left."""
        with self._lock:
            pending = set(self._pending)
        done, not_done = wait(pending, timeout=timeout)
        return not not_done

    def close(self, timeout: float = 30.0) -> bool:
        """Finish queued commands (waiting at most `timeout`), then stop the workers; True when all finished."""
        finished = self.drain(timeout)
        if not finished:
            log.warning("feishu commands still running at shutdown are abandoned", extra={"timeout": timeout})
        self._pool.shutdown(wait=finished, cancel_futures=not finished)
        return finished

    def _run(self, message: Incoming) -> None:
        bot_id = self._bot_open_id() if message.mentions else None
        text = command_text(message, bot_id, self._is_command)
        if text is None:
            self._question(message, bot_id)
            return
        ctx = CommandContext(platform="feishu", channel=message.chat_id, user_id=message.sender_open_id,
                             is_direct=message.is_direct)
        context = {"event_id": message.event_id, "chat": message.chat_id, "command": text.split()[0][:40]}
        log.info("feishu command", extra=context)
        try:
            reply = self._handler.handle(text, ctx)
        except Exception:  # a failing command is answered, never silent; the traceback goes to the log
            log.exception("feishu command failed", extra=context)
            reply = Reply(text=FAILED_TEXT)
        self._answer(message, reply, context)

    def _question(self, message: Incoming, bot_id: str | None) -> None:
        """Answer a reply to one of the bot's cards that mentions the bot; stay silent on anything else."""
        services = self._services
        question = question_text(message, bot_id) if message.parent_id or message.root_id else None
        if services is None or services.questions is None or question is None:
            return
        # The message replied to first (one entry of a digest), then the thread's first message.
        found = ((services.questions.post("feishu", message.chat_id, anchor), anchor)
                 for anchor in (message.parent_id, message.root_id) if anchor)
        post, anchor = next(((post, anchor) for post, anchor in found if post is not None), (None, ""))
        if post is None:
            return  # not a thread of the bot's
        context = {"event_id": message.event_id, "chat": message.chat_id, "command": "question"}
        log.info("feishu question", extra=context)
        where = Where("feishu", message.chat_id, message.root_id or anchor, message.sender_open_id)
        try:
            answer = answer_in_thread(services, where, question, post)
        except Exception:  # a failing answer is said, never silent; the traceback goes to the log
            log.exception("feishu question failed", extra=context)
            answer = FAILED_TEXT
        if not answer:
            return
        try:
            sent = self._responder.reply_text(message.message_id, answer, in_thread=message.thread_id is not None,
                                              key=f"reply:{message.event_id}:text")
        except DeliveryError as exc:
            log.warning("feishu answer not delivered", extra={**context, "error": str(exc)[:200]})
            return
        if sent and post.repo and len(post.shas) == 1:
            services.questions.remember("feishu", message.chat_id, sent, post.repo, post.shas[0])

    def _answer(self, message: Incoming, reply: Reply, context: dict) -> None:
        in_thread = message.thread_id is not None
        key = f"reply:{message.event_id}"
        try:
            if reply.text:
                self._responder.reply_text(message.message_id, reply.text, in_thread=in_thread, key=f"{key}:text")
            for index, card in enumerate(reply.cards):
                sent = self._responder.reply_card(message.message_id, card, in_thread=in_thread, key=f"{key}:{index}")
                self._remember(message.chat_id, sent, card)
        except DeliveryError as exc:
            log.warning("feishu reply not delivered", extra={**context, "error": str(exc)[:200]})

    def _remember(self, chat_id: str, message_id: str | None, card: Card) -> None:
        """A /commit answer's card: a question replying to it is about its commit."""
        questions = self._services.questions if self._services is not None else None
        if questions is not None and message_id:
            questions.remember("feishu", chat_id, message_id, card.repo, card.sha)
