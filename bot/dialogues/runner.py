"""Run dialogue cases through a channel: the dialogue engine directly, or Telegram or WhatsApp via a fake."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from bot.answer_log import AnswerLog
from bot.channels.formatting import from_whatsapp
from bot.channels.host import FAILED, ChatHost
from bot.core.dialogue import Dialogue
from bot.core.models import Answer
from bot.dialogues.cases import Case, Turn
from bot.dialogues.checks import Failure, Outcome, check

logger = logging.getLogger(__name__)

Status = Literal["lulus", "gagal", "xfail", "xpass"]
TESTER_ID = 4242  # an ordinary user: never an admin
TURN_TIMEOUT_S = 60.0


@dataclass
class CaseResult:
    """How one case went."""

    case: Case
    status: Status
    seconds: float
    failures: list[Failure] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)  # (user action, bot reply)

    @property
    def failed(self) -> bool:
        """Whether the case breaks the run (an expected failure does not)."""
        return self.status == "gagal"


class Driver(Protocol):
    """A channel the runner talks through."""

    async def send(self, chat: int, turn: Turn) -> Outcome:
        """Perform one turn in a chat and return what the user saw."""
        ...


async def run_case(driver: Driver, case: Case, chat: int) -> CaseResult:
    """Every turn of a case, in order, in a fresh chat; expectations checked after each turn."""
    started = time.perf_counter()
    failures: list[Failure] = []
    transcript: list[tuple[str, str]] = []
    for number, turn in enumerate(case.turns, 1):
        try:
            outcome = await driver.send(chat, turn)
        except Exception as exc:  # a runner or bot fault is a failed turn, not a crashed run
            logger.debug("turn failed", exc_info=True)  # the report names the error; DEBUG shows where
            outcome = Outcome("", problems=[f"giliran gagal dijalankan: {type(exc).__name__}: {exc}"])
        if FAILED in outcome.text:
            outcome.problems.append("bot melaporkan kesalahan internal (lihat log)")
        transcript.append((turn.action(), outcome.text))
        failures += check(turn, outcome, number)
    status: Status = ("xfail" if failures else "xpass") if case.xfail else ("gagal" if failures else "lulus")
    return CaseResult(case, status, time.perf_counter() - started, failures, transcript)


async def run_cases(driver: Driver, cases: Sequence[Case]) -> list[CaseResult]:
    """Cases one after another, each in its own chat."""
    return [await run_case(driver, case, 10_000 + i) for i, case in enumerate(cases)]


class CoreDriver:
    """The dialogue engine behind the channel-neutral host: odd input, admin checks, answer log, buttons."""

    def __init__(self, dialogue: Dialogue, log: AnswerLog) -> None:
        self.host = ChatHost(dialogue, log)
        self._buttons: dict[int, dict[str, str]] = {}

    async def send(self, chat: int, turn: Turn) -> Outcome:
        """A message or a button press, answered synchronously."""
        if turn.press is not None:
            data = self._buttons.get(chat, {}).get(turn.press)
            if data is None:
                return _missing_button(turn.press, self._buttons.get(chat, {}))
            reply = self.host.press(str(chat), data)
        else:
            reply = self.host.message(str(chat), turn.message, user_id=TESTER_ID)
        if reply.buttons:
            self._buttons[chat] = {b.label: b.data for b in reply.buttons}
        answers = [reply.answer] if reply.answer else []
        return Outcome(reply.text, answers, tuple(b.label for b in reply.buttons))


def _missing_button(label: str, offered: dict[str, str]) -> Outcome:
    shown = ", ".join(offered) or "tidak ada tombol"
    return Outcome("", problems=[f"tombol {label!r} tidak ada di bawah jawaban sebelumnya ({shown})"])


@dataclass
class _RecordingDialogue(Dialogue):
    """The real dialogue engine, keeping the answers it gave so the runner can check their citations."""

    recorded: list[Answer] = field(default_factory=list)

    def ask(self, chat_id: str, text: str) -> Answer:
        answer = super().ask(chat_id, text)
        self.recorded.append(answer)
        return answer

    def full_pasal(self, regulation: str, number: int) -> Answer | None:
        answer = super().full_pasal(regulation, number)
        if answer is not None:
            self.recorded.append(answer)
        return answer


class TelegramDriver:
    """A real python-telegram-bot Application polling the local fake Bot API server on 127.0.0.1."""

    def __init__(self, dialogue: Dialogue, log: AnswerLog) -> None:
        from bot.channels.telegram import TelegramChannel

        self.dialogue = _RecordingDialogue(dialogue.responder, max_turns=dialogue.max_turns)
        self.channel = TelegramChannel(self.dialogue, log)
        self._done: dict[int, asyncio.Event] = {}

    async def __aenter__(self) -> TelegramDriver:
        from telegram import Update
        from telegram.ext import TypeHandler

        from bot.testing.telegram_server import FakeTelegram

        self.fake = FakeTelegram()
        await self.fake.start()
        # Telegram's flood limits would only slow a scripted run; the load benchmark keeps them.
        self.app = self.channel.build(self.fake.token, self.fake.base_url, flood_limits=False)
        # A last handler group sees each update after the channel's handlers finished with it.
        self.app.add_handler(TypeHandler(Update, self._finished), group=99)
        await self.app.initialize()
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0.0, timeout=1)  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.app.updater.stop()  # type: ignore[union-attr]
        await self.app.stop()
        await self.app.shutdown()
        await self.fake.stop()

    async def _finished(self, update: object, context: object) -> None:
        update_id = getattr(update, "update_id", None)
        if update_id in self._done:
            self._done[update_id].set()

    async def send(self, chat: int, turn: Turn) -> Outcome:
        """Push the update, wait until the Application has handled it, read what was sent to the chat."""
        fake = self.fake
        sent_before, rejected_before = len(fake.sent), len(fake.rejected)
        callbacks_before = len(fake.callback_answers)
        self.dialogue.recorded = []
        if turn.press is not None:
            offered = self._last_buttons(chat)
            if turn.press not in offered:
                return _missing_button(turn.press, offered)
            message, data = offered[turn.press]
            update = fake.press(message, data, user_id=TESTER_ID)
        else:
            update = fake.message(chat, turn.message, user_id=TESTER_ID)
        done = self._done.setdefault(update["update_id"], asyncio.Event())
        try:
            await asyncio.wait_for(done.wait(), TURN_TIMEOUT_S)
        except TimeoutError:
            return Outcome("", problems=[f"tidak ada balasan dalam {TURN_TIMEOUT_S:.0f} detik"])
        finally:
            self._done.pop(update["update_id"], None)
        sent = [m for m in fake.sent[sent_before:] if int(m["chat_id"]) == chat]
        notes = [c["text"] for c in fake.callback_answers[callbacks_before:] if c.get("text")]
        texts = notes + [_plain(m["text"], m.get("parse_mode")) for m in sent]
        problems = [
            f"Telegram menolak pesan ({r['description']}); dikirim ulang sebagai teks biasa"
            for r in fake.rejected[rejected_before:]
            if str(r.get("chat_id")) == str(chat)
        ]
        buttons = tuple(label for label, _ in _keyboard(sent[-1])) if sent else ()
        return Outcome("\n".join(texts), list(self.dialogue.recorded), buttons, problems)

    def _last_buttons(self, chat: int) -> dict[str, tuple[dict, str]]:
        for record in reversed(self.fake.sent):
            if int(record["chat_id"]) == chat and _keyboard(record):
                return {label: (record, data) for label, data in _keyboard(record)}
        return {}


def _keyboard(record: dict) -> list[tuple[str, str]]:
    """(label, callback data) of the inline buttons under a sent message."""
    rows = (record.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def _plain(text: str, parse_mode: str | None) -> str:
    """What the user reads: Telegram HTML rendered to text."""
    if parse_mode != "HTML":
        return text
    from bs4 import BeautifulSoup

    return BeautifulSoup(text, "html.parser").get_text()


class WhatsAppDriver:
    """The real webhook server and pywa, talking to the local fake WhatsApp platform on 127.0.0.1."""

    def __init__(self, dialogue: Dialogue, log: AnswerLog) -> None:
        from bot.channels.whatsapp import WhatsAppChannel

        self.dialogue = _RecordingDialogue(dialogue.responder, max_turns=dialogue.max_turns)
        self.channel = WhatsAppChannel(self.dialogue, log)
        self.log = log

    async def __aenter__(self) -> WhatsAppDriver:
        from bot.channels.whatsapp import WEBHOOK_PATH, serving
        from bot.testing.whatsapp_server import FakeWhatsApp

        self._stack = contextlib.AsyncExitStack()
        self.fake = FakeWhatsApp()
        await self.fake.start()
        self._stack.push_async_callback(self.fake.stop)
        url = await self._stack.enter_async_context(serving(self.channel, self.fake.config()))
        self.fake.webhook_url = url + WEBHOOK_PATH
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()  # the server (its answers finished), then the fake

    async def send(self, chat: int, turn: Turn) -> Outcome:
        """Post the signed webhook, wait until the bot has answered it, read what was sent to the user."""
        fake, number = self.fake, _number(chat)
        sent_before, rejected_before = len(fake.sent), len(fake.rejected)
        self.dialogue.recorded = []
        if turn.press is not None:
            offered = self._last_buttons(number)
            if turn.press not in offered:
                return _missing_button(turn.press, dict.fromkeys(offered, ""))
            payload = fake.press_payload(number, offered[turn.press], turn.press)
        else:
            payload = fake.text_payload(number, turn.message)
        delivery = await fake.deliver(payload)
        problems = [] if delivery.status == 200 else [f"webhook menjawab HTTP {delivery.status}"]
        try:
            await asyncio.wait_for(self.channel.drain(), TURN_TIMEOUT_S)
        except TimeoutError:
            return Outcome("", problems=[f"tidak ada balasan dalam {TURN_TIMEOUT_S:.0f} detik"])
        if delivery.message_id not in fake.reads:
            problems.append("pesan pengguna tidak ditandai telah dibaca")
        sent = [m for m in fake.sent[sent_before:] if m["to"] == number]
        problems += [
            f"WhatsApp menolak pesan ({r['code']}: {r['description']})"
            for r in fake.rejected[rejected_before:]
            if r["to"] == number
        ]
        buttons = tuple(label for label, _ in sent[-1].get("buttons", ())) if sent else ()
        text = "\n".join(from_whatsapp(m["text"]) for m in sent)
        return Outcome(text, list(self.dialogue.recorded), buttons, problems)

    def _last_buttons(self, number: str) -> dict[str, dict]:
        for record in reversed(self.fake.sent):
            if record["to"] == number and record.get("buttons"):
                return {label: record for label, _ in record["buttons"]}
        return {}


def _number(chat: int) -> str:
    """A test user's WhatsApp number for a runner chat."""
    return f"62800{chat:08d}"


def run(
    cases: Sequence[Case], dialogue: Dialogue, channel: Literal["core", "telegram", "whatsapp"] = "core"
) -> list[CaseResult]:
    """Run cases through one channel with a throwaway answer log."""
    with tempfile.TemporaryDirectory(prefix="spbe-dialogues-") as tmp:
        log = AnswerLog(Path(tmp) / "answers.sqlite3", salt="dialogues")
        try:
            if channel == "telegram":
                return asyncio.run(_run_telegram(cases, dialogue, log))
            if channel == "whatsapp":
                return asyncio.run(_run_whatsapp(cases, dialogue, log))
            return asyncio.run(run_cases(CoreDriver(dialogue, log), cases))
        finally:
            log.close()


async def _run_telegram(cases: Sequence[Case], dialogue: Dialogue, log: AnswerLog) -> list[CaseResult]:
    async with TelegramDriver(dialogue, log) as driver:
        return await run_cases(driver, cases)


async def _run_whatsapp(cases: Sequence[Case], dialogue: Dialogue, log: AnswerLog) -> list[CaseResult]:
    async with WhatsAppDriver(dialogue, log) as driver:
        return await run_cases(driver, cases)
