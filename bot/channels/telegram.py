"""The Telegram channel: python-telegram-bot (v22) over the dialogue engine; it translates, nothing more."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ChatType, MessageEntityType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.admin import Admin, summary_text
from bot.answer_log import AnswerLog
from bot.channels.aiohttp_request import AiohttpRequest
from bot.channels.formatting import split_message, to_html
from bot.channels.host import (
    ADMIN_ONLY,
    BUSY,
    EMPTY,
    FAILED,
    NOT_TEXT,
    TOO_MANY,
    buttons_for,
    one_openmp_thread,
    press,
)
from bot.core.dialogue import PASAL_USAGE, Dialogue, Reply, pasal_command, sources_text, welcome
from bot.core.limits import Limiter, RateLimit
from bot.core.models import Answer

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
EDITED = "Pesan yang diubah tidak saya proses ulang. Silakan kirim pertanyaan Anda sebagai pesan baru."
UPLOAD_TYPES = (".pdf", ".txt", ".docx")


class TelegramChannel:
    """Handlers that turn Telegram updates into dialogue turns and answers into Telegram messages."""

    def __init__(
        self,
        dialogue: Dialogue,
        answer_log: AnswerLog,
        admin: Admin | None = None,
        limit: Limiter | None = None,
    ) -> None:
        self.dialogue = dialogue
        self.log = answer_log
        self.admin = admin
        self.limit = limit or RateLimit(0)
        # Answers are CPU work under the GIL: two workers (one per core) serve chats in arrival order;
        # a larger pool only adds switching between half-finished answers.
        self._workers = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="answer", initializer=one_openmp_thread
        )

    def build(self, token: str, base_url: str, *, flood_limits: bool = True) -> Application:
        """The PTB Application with every handler wired (polling or webhook is the caller's choice)."""
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(base_url)
            .base_file_url(re.sub(r"/bot$", "/file/bot", base_url))
            .concurrent_updates(True)
            # Under load httpx (PTB's default) spent more CPU on its connection pool than the bot spent
            # answering; see bot/channels/aiohttp_request.py.
            .request(AiohttpRequest(connection_pool_size=32))
            .get_updates_request(AiohttpRequest(connection_pool_size=1))
        )
        if flood_limits:  # Telegram's limits, and RetryAfter honoured: nothing is dropped
            builder = builder.rate_limiter(_MessageRateLimiter(max_retries=3))
        application = builder.build()
        application.add_handler(CommandHandler(["start", "help", "bantuan"], self.start))
        application.add_handler(CommandHandler("sumber", self.sources))
        application.add_handler(CommandHandler("reset", self.reset))
        application.add_handler(CommandHandler("pasal", self.pasal))
        application.add_handler(CommandHandler("status", self.status))
        application.add_handler(CommandHandler("reindex", self.reindex))
        application.add_handler(MessageHandler(filters.Document.ALL, self.document))
        application.add_handler(CallbackQueryHandler(self.button))
        application.add_handler(MessageHandler(filters.UpdateType.EDITED, self.edited))
        application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.question))
        application.add_handler(MessageHandler(filters.COMMAND, self.unknown_command))
        application.add_handler(MessageHandler(filters.ALL, self.not_text))
        application.add_error_handler(self.error)
        return application

    # -- commands --------------------------------------------------------------------------------
    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start and /help: what the bot answers, examples, and the regulations it knows."""
        await self._send(update.effective_message, welcome(self.dialogue.responder))

    async def sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/sumber: the regulations in the knowledge base with status and official link."""
        await self._send(update.effective_message, sources_text(self.dialogue.responder))

    async def reset(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/reset: forget the conversation."""
        await self._send(update.effective_message, self.dialogue.handle(_chat_key(update), "/reset"))

    async def pasal(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/pasal REGULASI NOMOR: direct lookup."""
        question = pasal_command(" ".join(context.args or ()))
        if question is None:
            await self._send(update.effective_message, PASAL_USAGE)
            return
        await self._answer(update, context, question)

    async def status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/status (admins): store, documents, model, uptime, answers served."""
        if await self._denied(update):
            return
        text = await asyncio.to_thread(self.admin.status_text)  # type: ignore[union-attr]
        await self._send(update.effective_message, text)

    async def reindex(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/reindex (admins): ingest in the background; users keep getting answers meanwhile."""
        if await self._denied(update):
            return
        await self._start_ingest(update, context, ())

    async def document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A PDF/TXT/DOCX from an admin is saved into the documents folder and ingested."""
        message = update.effective_message
        if message is None or message.document is None or not self._addressed(update, context):
            return
        if await self._denied(update):
            return
        name = re.sub(r"[^\w.\- ]", "_", Path(message.document.file_name or "dokumen").name)
        if not name.lower().endswith(UPLOAD_TYPES):
            await self._send(message, "Kirim berkas PDF, TXT, atau DOCX untuk dimuat ke basis pengetahuan.")
            return
        target = self.admin.settings.documents_dir / name  # type: ignore[union-attr]
        target.parent.mkdir(parents=True, exist_ok=True)
        telegram_file = await message.document.get_file()
        await telegram_file.download_to_drive(target)
        await self._start_ingest(update, context, (target,))

    async def _denied(self, update: Update) -> bool:
        user = update.effective_user
        if self.admin is not None and self.admin.is_admin(user.id if user else None):
            return False
        await self._send(update.effective_message, ADMIN_ONLY)
        return True

    async def _start_ingest(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, paths: tuple[Path, ...]
    ) -> None:
        message = update.effective_message
        if self.admin is None or message is None:
            return
        if self.admin.busy:
            await self._send(message, BUSY)
            return
        await self._send(
            message, "Memuat dokumen di latar belakang. Pengguna tetap dilayani dari indeks lama."
        )
        progress = _ChatProgress(asyncio.get_running_loop(), context.bot, message.chat_id)
        context.application.create_task(self._ingest(message, paths, progress))

    async def _ingest(self, message: Message, paths: tuple[Path, ...], progress: _ChatProgress) -> None:
        admin = self.admin
        if admin is None:
            return
        try:
            report = await asyncio.to_thread(admin.reindex, paths, progress)
        except Exception:
            logger.exception("re-index failed")
            await self._send(message, "Reindeks gagal; indeks lama tetap dipakai. Detailnya ada di log.")
            return
        await self._send(message, BUSY if report is None else summary_text(report))

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command the bot does not have."""
        if self._addressed(update, context):
            await self._send(
                update.effective_message, self.dialogue.handle(_chat_key(update), "/tidak-dikenal")
            )

    # -- messages --------------------------------------------------------------------------------
    async def question(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A plain question: answered as a reply, with a typing action while it is prepared."""
        if not self._addressed(update, context):
            return
        text = _strip_mention(update.effective_message, context.bot.username)
        if not text.strip():
            await self._send(update.effective_message, EMPTY)
            return
        await self._answer(update, context, text)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Edited messages are not answered again."""
        if update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            await context.bot.send_message(update.effective_chat.id, EDITED)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice, locations, files: a polite pointer to text."""
        if update.effective_message and self._addressed(update, context):
            await self._send(update.effective_message, NOT_TEXT)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """👍 / 👎 feedback and "Pasal lengkap"."""
        query = update.callback_query
        if query is None or not query.data:
            return
        note, reply = await asyncio.to_thread(press, self.dialogue, self.log, query.data)
        await query.answer(note)
        if reply is not None and isinstance(query.message, Message):
            await self._send(query.message, reply.text)

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure with its exception; tell the user briefly."""
        logger.error("update failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat:
            try:
                await context.bot.send_message(update.effective_chat.id, FAILED)
            except Exception:  # the network may be the failure; the log already has it
                logger.warning("could not tell the user about the failure", exc_info=True)

    # -- helpers ---------------------------------------------------------------------------------
    async def _answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
        message = update.effective_message
        chat = _chat_key(update)
        user = update.effective_user
        if not self.limit.allow(f"{CHANNEL}:{user.id if user else chat}"):
            await self._send(message, TOO_MANY)
            return
        try:
            await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
        except TelegramError:  # the indicator is a courtesy; the answer must not wait on it or fail with it
            logger.debug("typing action not sent", exc_info=True)
        # Retrieval is CPU work: keep it off the event loop so other chats are served meanwhile.
        reply, answer_id = await asyncio.get_running_loop().run_in_executor(
            self._workers, self._ask_and_log, chat, text
        )
        keyboard = _keyboard(answer_id, reply.answer) if reply.answer is not None else None
        await self._send(message, reply.text, keyboard=keyboard)

    def _ask_and_log(self, chat: str, text: str) -> tuple[Reply, int]:
        reply = self.dialogue.question(chat, text)  # the maintenance notice has no answer to log
        answer_id = self.log.record(chat, CHANNEL, text, reply.answer) if reply.answer is not None else 0
        return reply, answer_id

    async def _send(
        self, message: Message | None, text: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> None:
        """Reply in HTML, split below Telegram's limit; if Telegram rejects the markup, send plain text."""
        if message is None:
            return
        pieces = split_message(text)
        for position, piece in enumerate(pieces):
            markup = keyboard if position == len(pieces) - 1 else None
            try:
                await message.reply_text(
                    to_html(piece), parse_mode=ParseMode.HTML, reply_markup=markup, do_quote=position == 0
                )
            except BadRequest as exc:
                if "entities" not in str(exc).lower() and "parse" not in str(exc).lower():
                    raise
                logger.warning("Telegram rejected the HTML; resending as plain text")
                await message.reply_text(piece, reply_markup=markup, do_quote=position == 0)

    def _addressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """Private chats always; in groups only when mentioned or replied to."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return False
        if chat.type == ChatType.PRIVATE:
            return True
        bot_id, username = context.bot.id, (context.bot.username or "").lower()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
            return True
        mentions = message.parse_entities([MessageEntityType.MENTION]).values()
        return any(m.lstrip("@").lower() == username for m in mentions) or (
            bool(username) and f"@{username}" in (message.text or message.caption or "").lower()
        )


class _MessageRateLimiter(AIORateLimiter):
    """Telegram's flood limits count messages: the typing indicator skips the queue of answers.

    Under AIORateLimiter alone every answer spends two of the ~30 requests per second (typing, then
    the message), so the indicator would halve the answers delivered under load.
    """

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint == "sendChatAction":
            return await callback(*args, **kwargs)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


class _ChatProgress:
    """Ingest progress as chat messages: one line per document embedded."""

    def __init__(self, loop: asyncio.AbstractEventLoop, bot: Any, chat_id: int) -> None:
        self._loop, self._bot, self._chat_id = loop, bot, chat_id
        self._name, self._total = "", 0

    def start(self, name: str, total: int) -> None:
        self._name, self._total = name, total

    def advance(self, count: int) -> None:
        pass

    def finish(self) -> None:
        text = f"✓ {self._name}: {self._total} chunk di-embed"
        asyncio.run_coroutine_threadsafe(self._bot.send_message(self._chat_id, text), self._loop)


def _chat_key(update: Update) -> str:
    return f"{CHANNEL}:{update.effective_chat.id if update.effective_chat else 0}"


def _strip_mention(message: Message | None, username: str | None) -> str:
    text = (message.text if message else "") or ""
    if username:
        text = re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE)
    return text.strip()


def _keyboard(answer_id: int, answer: Answer) -> InlineKeyboardMarkup | None:
    """The shared answer buttons as an inline keyboard (none under refusals)."""
    buttons = buttons_for(answer_id, answer)
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in buttons]])
