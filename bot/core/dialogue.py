"""Per-conversation memory for follow-ups, and the commands every channel shares."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from bot.core.answer import GREETING, HINT, Context, Responder
from bot.core.models import Answer, unit_key

MAX_QUESTION_CHARS = 1000
PASAL_USAGE = "Tulis: /pasal REGULASI NOMOR, misalnya /pasal perpres95 40."
RESET_TEXT = "Percakapan sudah saya lupakan. Silakan mulai pertanyaan baru."
UNKNOWN_COMMAND = "Perintah itu tidak saya kenal. Ketik /help untuk melihat yang bisa saya lakukan."


@dataclass(frozen=True)
class Reply:
    """What the bot says to a message: the text, and the answer behind it when it answered a question."""

    text: str
    answer: Answer | None = None


@dataclass(frozen=True)
class Turn:
    """One exchange, as much of it as follow-ups need."""

    question: str
    answer: Answer


@dataclass
class Dialogue:
    """The dialogue engine: remembers the last few turns per chat, bounded per chat and in total."""

    responder: Responder
    max_turns: int = 4
    max_chats: int = 10_000
    _memory: OrderedDict[str, deque[Turn]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, chat_id: str) -> None:
        """Forget one conversation."""
        with self._lock:
            self._memory.pop(chat_id, None)

    def chats(self) -> int:
        """How many conversations are remembered."""
        return len(self._memory)

    def context(self, chat_id: str) -> Context:
        """What earlier turns tell the next question."""
        with self._lock:
            turns = list(self._memory.get(chat_id, ()))
        if not turns:
            return Context()
        regulations: list[str] = []
        for turn in reversed(turns):
            regulations += [*turn.answer.regulations, *(c.regulation for c in turn.answer.citations)]
        last = next((t.answer for t in reversed(turns) if t.answer.citations), None)
        last_pasal = last.first_pasal() if last else None
        topic = next((t.answer.topic for t in reversed(turns) if t.answer.topic), None)
        return Context(
            topic=topic,
            last_units=tuple(dict.fromkeys(unit_key(c) for c in last.citations)) if last else (),
            questions=tuple(t.answer.query or t.question for t in turns),
            regulations=tuple(dict.fromkeys(regulations)),
            last_pasal=last_pasal,
            # What the conversation has already quoted, over the last two answers: a chain's third question
            # asks for something new, not the first answer again.
            last_quoted=tuple(
                dict.fromkeys((*unit_key(c), c.part) for t in turns[-2:] for c in t.answer.citations)
            ),
        )

    def ask(self, chat_id: str, text: str) -> Answer:
        """Answer a message in its conversation and remember the turn."""
        text = (text or "").strip()
        if len(text) > MAX_QUESTION_CHARS:
            text = text[:MAX_QUESTION_CHARS]
        answer = self.responder.answer(text, self.context(chat_id))
        with self._lock:
            turns = self._memory.pop(chat_id, None) or deque(maxlen=self.max_turns)
            turns.append(Turn(text, answer))
            self._memory[chat_id] = turns
            while len(self._memory) > self.max_chats:
                self._memory.popitem(last=False)
        return answer

    def full_pasal(self, regulation: str, number: int) -> Answer | None:
        """The whole text of one Pasal (the "Pasal lengkap" button), outside the conversation."""
        return self.responder.pasal(regulation, number)

    def handle(self, chat_id: str, text: str) -> str:
        """Text in, text out: commands (/start, /help, /reset, /sumber, /pasal) and questions."""
        return self.respond(chat_id, text).text

    def respond(self, chat_id: str, text: str) -> Reply:
        """A message in its conversation: commands get their text, questions their answer."""
        stripped = (text or "").strip()
        command, _, rest = stripped.partition(" ")
        command = command.lower().split("@")[0]
        if command in ("/start", "/help", "/bantuan"):
            return Reply(welcome(self.responder))
        if command in ("/reset", "/ulang"):
            self.reset(chat_id)
            return Reply(RESET_TEXT)
        if command == "/sumber":
            return Reply(sources_text(self.responder))
        if command == "/pasal":
            question = pasal_command(rest)
            if question is None:
                return Reply(PASAL_USAGE)
            answer = self.ask(chat_id, question)
            return Reply(answer.text, answer)
        if command.startswith("/"):
            return Reply(UNKNOWN_COMMAND)
        answer = self.ask(chat_id, stripped)
        return Reply(answer.text, answer)


_JENIS_WORDS = (
    r"\b(?:perpres|peraturan presiden|permen\w*|peraturan menteri|pp|uu|peraturan|pedoman\w*|nomor|no)"
)


def pasal_command(argument: str) -> str | None:
    """'/pasal perpres95 40' -> 'isi pasal 40 perpres 95'; None when no Pasal number is given."""
    # The pattern below backtracks quadratically over long runs of spaces (a 200 kB argument took
    # minutes); no regulation name and Pasal number is longer than a question.
    if len(argument) > MAX_QUESTION_CHARS:
        return None
    argument = re.sub(r"([a-z])(\d)", r"\1 \2", argument.strip().lower())
    m = re.match(r"^(.*?)\s*(\d{1,3})(?:\s+ayat\s*\(?(\d{1,2})\)?)?\s*$", argument)
    # "/pasal perpres95" names a regulation and no Pasal: its number is not the Pasal's.
    if not m or re.search(_JENIS_WORDS + r"$", m.group(1)):
        return None
    ayat = f" ayat {m.group(3)}" if m.group(3) else ""
    return f"isi pasal {m.group(2)}{ayat} {m.group(1)}".strip()


def welcome(responder: Responder) -> str:
    """The greeting for /start and /help."""
    known = "\n".join(f"- {name}" for name in responder.index.regulations)
    return (
        f"Selamat datang. {GREETING}\n\n{HINT}\n\n"
        "Perintah: /pasal REGULASI NOMOR (mis. /pasal perpres95 40), "
        f"/sumber (daftar regulasi), /reset (mulai percakapan baru).\n\nRegulasi yang saya kenal:\n{known}"
    )


def sources_text(responder: Responder) -> str:
    """The regulations in the knowledge base, with status and official link."""
    lines = []
    for name in responder.index.regulations:
        entry = responder.catalog.get(name)
        if entry is None:
            lines.append(f"- {name} (di luar katalog; status tidak diketahui)")
            continue
        link = f"\n  {entry.url}" if entry.url else ""
        note = f"; {entry.note}" if entry.note else ""
        lines.append(f"- {entry.short_name}: {entry.title} (status: {entry.status_text()}{note}){link}")
    return "Regulasi dan dokumen dalam basis pengetahuan:\n" + "\n".join(lines)
