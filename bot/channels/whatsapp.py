"""The WhatsApp channel: pywa (Cloud API) over the dialogue engine; it translates, nothing more.

What WhatsApp posts is checked and deduplicated by the webhook receiver (`whatsapp_webhook.py`), which
answers 200 at once and hands each new message over; here pywa turns it into a `Message` or a button
press, and background tasks answer it. Replies only ever answer a user's own message, so they stay
inside WhatsApp's 24-hour customer-service window: the bot sends nothing proactive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web
from pywa.utils import UserIdentifier
from pywa_async import WhatsApp
from pywa_async.errors import ThrottlingError, WhatsAppError
from pywa_async.handlers import CallbackButtonHandler, MessageHandler
from pywa_async.types import Button as ReplyButton
from pywa_async.types import CallbackButton, Message, MessageType

from bot.admin import Admin, summary_text
from bot.answer_log import AnswerLog
from bot.channels.aiohttp_transport import AiohttpTransport
from bot.channels.formatting import WHATSAPP_LIMIT, split_message, to_whatsapp
from bot.channels.host import (
    ADMIN_COMMANDS,
    ADMIN_ONLY,
    BUSY,
    FAILED,
    NOT_TEXT,
    ChatHost,
    HostReply,
    one_openmp_thread,
)
from bot.channels.whatsapp_webhook import WEBHOOK_PATH, WebhookReceiver, webhook_process
from bot.core.dialogue import Dialogue
from bot.core.limits import Limiter, RateLimit

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
WINDOW_S = 24 * 3600  # the customer-service window opened by each message a user sends
BUTTONS_BODY_LIMIT = 1024  # an interactive message's body is shorter than a text message
FEEDBACK_PROMPT = "Apakah jawaban di atas membantu? Beri penilaian atau buka Pasal lengkap."
REINDEX_STARTED = "Memuat dokumen di latar belakang. Pengguna tetap dilayani dari indeks lama."
REINDEX_FAILED = "Reindeks gagal; indeks lama tetap dipakai. Detailnya ada di log."
# Nothing to answer: WhatsApp's own notices and messages a user removed.
_SILENT = {MessageType.SYSTEM, MessageType.REVOKE, MessageType.EDIT, MessageType.REQUEST_WELCOME}
# Throttling and server-side errors that go away by themselves (Cloud API error codes).
_TRANSIENT_CODES = {1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133016}
# Replies go to the number when WhatsApp gives one, else to the business-scoped user id.
_REPLY_TO_NUMBER_FIRST = (UserIdentifier.WA_ID, UserIdentifier.BSUID, UserIdentifier.PARENT_BSUID)


@dataclass(frozen=True)
class GraphConfig:
    """Who the bot is on the Cloud API, where the Graph API is, and how webhooks are checked."""

    phone_id: str
    token: str = field(repr=False)
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    graph_url: str = "https://graph.facebook.com"


class WhatsAppChannel:
    """pywa handlers that turn messages and button presses into answers, and the Graph calls sending them."""

    def __init__(
        self,
        dialogue: Dialogue,
        answer_log: AnswerLog,
        admin: Admin | None = None,
        limit: Limiter | None = None,
        *,
        admin_numbers: Sequence[str] = (),
        retry_delays: Sequence[float] = (1.0, 2.0, 4.0),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.dialogue = dialogue
        self.log = answer_log
        self.admin = admin
        self.admin_numbers = frozenset(admin_numbers)
        # Admin commands are this channel's (admins are phone numbers); the host does the rest.
        self.host = ChatHost(dialogue, answer_log, channel=CHANNEL, limit=limit or RateLimit(0))
        self.retry_delays = tuple(retry_delays)
        self._clock = clock
        # Answers are CPU work under the GIL: two workers (one per core), as on Telegram.
        self._workers = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="wa-answer", initializer=one_openmp_thread
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._chat_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._wa: WhatsApp | None = None

    # -- running -----------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def connected(self, config: GraphConfig) -> AsyncIterator[None]:
        """The pywa client and its HTTP session; at the end, answers in flight finish first."""
        # httpx's API (pywa needs it) over aiohttp's connection pool: see aiohttp_transport.py.
        session = httpx.AsyncClient(transport=AiohttpTransport(), timeout=httpx.Timeout(20.0, connect=5.0))
        wa = WhatsApp(
            phone_id=config.phone_id,
            token=config.token,
            session=session,
            webhook_endpoint=WEBHOOK_PATH,
            skip_duplicate_updates=False,  # the receiver deduplicates by message id
            user_identifier_priority=_REPLY_TO_NUMBER_FIRST,
        )
        # pywa addresses graph.facebook.com/vNN; keep its version, change the root (a local fake in tests).
        session.base_url = f"{config.graph_url.rstrip('/')}/{session.base_url.path.strip('/')}"
        wa.add_handlers(MessageHandler(self.message), CallbackButtonHandler(self.button))
        self._wa = wa
        try:
            yield
        finally:
            await self.drain(timeout=30.0)
            await session.aclose()
            self._wa = None

    def dispatch(self, payload: bytes) -> None:
        """A checked one-message payload from the receiver: pywa reads it, a background task answers it."""
        self._spawn(self._client.webhook_update_handler(payload))

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("answering an update failed", exc_info=task.exception())

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every queued update has been answered (or the timeout passed)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._tasks:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                logger.warning("%d update(s) still being answered at shutdown", len(self._tasks))
                return
            await asyncio.wait(set(self._tasks), timeout=left)

    @property
    def _client(self) -> WhatsApp:
        if self._wa is None:
            raise RuntimeError("the WhatsApp channel is not running")
        return self._wa

    # -- updates (called by pywa) --------------------------------------------------------------------
    async def message(self, _: WhatsApp, message: Message) -> None:
        """A user's message: text is answered, anything else gets a polite pointer to text."""
        # Group chats are not served (the bot answers people, one to one).
        if message.type in _SILENT or str(message.chat.type) == "GROUP" or self._expired(message):
            return
        async with self._politely(message):
            if message.type == MessageType.TEXT:
                await self.question(message)
            else:
                await self.not_text(message)

    async def question(self, message: Message) -> None:
        """A question or a command, answered as a reply, in order within its chat."""
        chat = _chat_key(message)
        await self._courtesy(self._client.indicate_typing(message.id))  # marks it read, shows typing
        text = message.text or ""
        command = (text.strip().split() or [""])[0].lower()
        async with self._in_order(chat):
            if command in ADMIN_COMMANDS:
                await self._admin_command(message, command)
                return
            loop = asyncio.get_running_loop()
            reply = await loop.run_in_executor(self._workers, self.host.message, chat, text)
            await self._reply(message, reply)

    async def not_text(self, message: Message) -> None:
        """Images, audio, stickers, locations, reactions...: marked read, told that text is needed."""
        await self._courtesy(self._client.mark_message_as_read(message.id))
        # A reaction is not a message that can be quoted.
        quote = message.type != MessageType.REACTION
        await self._reply(message, HostReply(NOT_TEXT), quote=quote)

    async def button(self, _: WhatsApp, pressed: CallbackButton) -> None:
        """👍 / 👎 land in the answer log; "Pasal lengkap" sends the whole Pasal."""
        if self._expired(pressed):
            return
        await self._courtesy(self._client.mark_message_as_read(pressed.id))
        chat = _chat_key(pressed)
        async with self._politely(pressed), self._in_order(chat):
            loop = asyncio.get_running_loop()
            reply = await loop.run_in_executor(self._workers, self.host.press, chat, str(pressed.data))
            await self._reply(pressed, reply)

    # -- admin ---------------------------------------------------------------------------------------
    async def _admin_command(self, message: Message, command: str) -> None:
        admin = self.admin
        if admin is None or message.from_user.wa_id not in self.admin_numbers:
            await self._reply(message, HostReply(ADMIN_ONLY))
            return
        if command == "/status":
            await self._reply(message, HostReply(await asyncio.to_thread(admin.status_text)))
        elif admin.busy:
            await self._reply(message, HostReply(BUSY))
        else:
            await self._reply(message, HostReply(REINDEX_STARTED))
            self._spawn(self._reindex(admin, message))

    async def _reindex(self, admin: Admin, message: Message) -> None:
        try:
            report = await asyncio.to_thread(admin.reindex)
        except Exception:
            logger.exception("re-index failed")
            await self._reply(message, HostReply(REINDEX_FAILED))
            return
        # Still a reply to the admin's own message: inside the window.
        await self._reply(message, HostReply(BUSY if report is None else summary_text(report)))

    # -- sending -------------------------------------------------------------------------------------
    async def _reply(self, to: Message | CallbackButton, reply: HostReply, *, quote: bool = True) -> None:
        """The reply in WhatsApp markup, split below the limit; the buttons under the last part."""
        if not reply.text.strip():
            return
        # Logs name a chat by its answer-log hash, never by its number.
        recipient, who = to.from_user.preferred_id, self.log.chat_hash(f"{CHANNEL}:{_chat_key(to)}")[:12]
        pieces = [to_whatsapp(p) for p in split_message(reply.text, WHATSAPP_LIMIT, to_whatsapp)]
        buttons = [ReplyButton(title=b.label, callback_data=b.data) for b in reply.buttons]
        for position, piece in enumerate(pieces):
            last = position == len(pieces) - 1
            with_buttons = buttons if last and len(piece) <= BUTTONS_BODY_LIMIT else None
            quoted = to.id if quote and position == 0 else None
            if not await self._send(recipient, who, piece, quoted, with_buttons):
                return  # the rest would fail the same way
            if with_buttons:
                buttons = []
        if buttons:  # the last part was too long to carry them: a short message of their own
            await self._send(recipient, who, FEEDBACK_PROMPT, None, buttons)

    async def _send(
        self, recipient: str, who: str, text: str, quoted: str | None, buttons: list[ReplyButton] | None
    ) -> bool:
        """One message, retried while the Graph API is throttling or failing; True once sent."""
        attempts = len(self.retry_delays) + 1
        for attempt in range(1, attempts + 1):
            try:
                await self._client.send_message(
                    to=recipient, text=text, buttons=buttons, reply_to_message_id=quoted
                )
                return True
            except (WhatsAppError, httpx.TransportError) as exc:
                if not _transient(exc) or attempt == attempts:
                    _log_failure(exc, who, attempt)
                    return False
                delay = self.retry_delays[attempt - 1]
                logger.warning(
                    "Graph API busy (%s) sending to chat %s; retrying in %.1f s (attempt %d of %d)",
                    _describe(exc), who, delay, attempt, attempts,
                )  # fmt: skip
                await asyncio.sleep(delay)
        return False

    async def _courtesy(self, call: Coroutine[Any, Any, Any]) -> None:
        """Read receipts and typing: tried once; a failure is logged and never holds up the answer."""
        try:
            await call
        except (WhatsAppError, httpx.TransportError) as exc:
            logger.warning("read receipt not sent (%s)", _describe(exc))

    # -- helpers ---------------------------------------------------------------------------------------
    def _expired(self, update: Message | CallbackButton) -> bool:
        """A late redelivery of a message older than the window: it can no longer be answered."""
        age = self._clock() - update.timestamp.timestamp()
        if age < WINDOW_S - 60:
            return False
        logger.warning("a message %.0f h old arrived; the 24-hour window is closed, not answered", age / 3600)
        return True

    @contextlib.asynccontextmanager
    async def _politely(self, update: Message | CallbackButton) -> AsyncIterator[None]:
        """A failure is logged with its exception, and the user is told briefly."""
        try:
            yield
        except Exception:
            logger.exception("answering an update failed")
            await self._reply(update, HostReply(FAILED))

    @contextlib.asynccontextmanager
    async def _in_order(self, chat: str) -> AsyncIterator[None]:
        """One update at a time per chat, so a follow-up is read after the question it follows."""
        lock, users = self._chat_locks.get(chat) or (asyncio.Lock(), 0)
        self._chat_locks[chat] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._chat_locks[chat]
            if users == 1:
                del self._chat_locks[chat]
            else:
                self._chat_locks[chat] = (lock, users - 1)


def _chat_key(update: Message | CallbackButton) -> str:
    """The conversation: the user's business-scoped id, stable even when the number is hidden."""
    return update.from_user.bsuid


def _transient(exc: Exception) -> bool:
    """Throttling (429), server errors (5xx) and connection failures are worth another try."""
    if isinstance(exc, httpx.TransportError):
        return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)  # a read timeout may have sent it
    if not isinstance(exc, WhatsAppError):
        return False
    status = exc.status_code or 0
    return (
        status == 429
        or status >= 500
        or isinstance(exc, ThrottlingError)
        or exc.code in _TRANSIENT_CODES
        or bool(exc.is_transient)
    )


def _describe(exc: Exception) -> str:
    """An error for the log: type, code, HTTP status, message with any long digit run masked."""
    if not isinstance(exc, WhatsAppError):
        return type(exc).__name__
    message = re.sub(r"\d{6,}", "…", exc.message or "")[:160]
    return f"{type(exc).__name__} {exc.code}, HTTP {exc.status_code}: {message}"


def _log_failure(exc: Exception, who: str, attempts: int) -> None:
    if isinstance(exc, WhatsAppError) and exc.code == 131047:
        logger.error("message to chat %s not sent: outside the 24-hour customer-service window (131047)", who)
    elif _transient(exc):
        logger.error("message to chat %s not sent after %d attempts (%s)", who, attempts, _describe(exc))
    else:
        logger.error("message to chat %s refused by the Graph API (%s)", who, _describe(exc))


def build(channel: WhatsAppChannel, config: GraphConfig) -> web.Application:
    """The webhook receiver and the channel in one aiohttp application (one process: tests, the runner)."""
    app = web.Application(client_max_size=1024**2)
    WebhookReceiver(config.app_secret, config.verify_token, channel.dispatch).add_routes(app)

    async def connected(app: web.Application) -> AsyncIterator[None]:
        async with channel.connected(config):
            yield

    app.cleanup_ctx.append(connected)
    return app


@contextlib.asynccontextmanager
async def serving(
    channel: WhatsAppChannel, config: GraphConfig, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """The webhook server in this process and event loop (a free port by default); yields its base URL."""
    runner = web.AppRunner(build(channel, config), access_log=None)  # the query holds the verify token
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound = runner.addresses[0][1]
        yield f"http://{host}:{bound}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def serving_apart(
    channel: WhatsAppChannel, config: GraphConfig, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[tuple[str, asyncio.Task[None]]]:
    """The webhook receiver in a process of its own, the channel answering here (`spbe-bot whatsapp`).

    Yields the receiver's base URL and a task that ends if that process does. OSError when the receiver
    cannot listen.
    """
    async with (
        channel.connected(config),
        webhook_process(host, port, config.app_secret, config.verify_token, channel.dispatch) as (url, ended),
    ):
        yield url, ended


def run(
    channel: WhatsAppChannel,
    config: GraphConfig,
    host: str,
    port: int,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until Ctrl+C or SIGTERM; answers in flight are finished before the process exits."""
    asyncio.run(_run(channel, config, host, port, on_ready))


async def _run(
    channel: WhatsAppChannel,
    config: GraphConfig,
    host: str,
    port: int,
    on_ready: Callable[[str], None] | None,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serving_apart(channel, config, host, port) as (url, ended):
        if on_ready is not None:
            on_ready(url + WEBHOOK_PATH)
        stopping = loop.create_task(stop.wait())
        await asyncio.wait({stopping, ended}, return_when=asyncio.FIRST_COMPLETED)
        if ended.done():
            logger.error("the webhook process ended; stopping")
        stopping.cancel()
