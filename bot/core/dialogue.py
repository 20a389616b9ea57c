"""Per-conversation memory for follow-ups, and the commands every channel shares."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from bot.core.answer import GREETING, HINT, Context, Responder
from bot.core.models import Answer, unit_key
from bot.core.state import ConversationStore, InProcessConversations, TurnRecord
from knowledge.store import StoreUnavailable

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
PASAL_USAGE = "Tulis: /pasal REGULASI NOMOR, misalnya /pasal perpres95 40."
RESET_TEXT = "Percakapan sudah saya lupakan. Silakan mulai pertanyaan baru."
UNKNOWN_COMMAND = "Perintah itu tidak saya kenal. Ketik /help untuk melihat yang bisa saya lakukan."


@dataclass(frozen=True)
class Reply:
    """What the bot says to a message: the text, and the answer behind it when it answered a question."""

    text: str
    answer: Answer | None = None


@dataclass
class Dialogue:
    """The dialogue engine: remembers the last few turns per chat, bounded per chat and in total.

    The memory is in this process by default; give it a shared one (Redis) so that replicas answer a
    follow-up whichever of them the question before it reached.
    """

    responder: Responder
    max_turns: int = 4
    max_chats: int = 10_000
    memory: ConversationStore | None = None
    _store_down: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.memory is None:
            self.memory = InProcessConversations(self.max_turns, self.max_chats)

    @property
    def _memory(self) -> ConversationStore:
        assert self.memory is not None  # set in __post_init__
        return self.memory

    def reset(self, chat_id: str) -> None:
        """Forget one conversation."""
        self._memory.reset(chat_id)

    def chats(self) -> int:
        """How many conversations are remembered."""
        return self._memory.chats()

    def context(self, chat_id: str) -> Context:
        """What earlier turns tell the next question."""
        turns = self._memory.turns(chat_id)
        if not turns:
            return Context()
        regulations: list[str] = []
        for turn in reversed(turns):
            regulations += [*turn.regulations, *(c.regulation for c in turn.citations)]
        last = next((t for t in reversed(turns) if t.citations), None)
        last_pasal = last.first_pasal() if last else None
        topic = next((t.topic for t in reversed(turns) if t.topic), None)
        return Context(
            topic=topic,
            last_units=tuple(dict.fromkeys(unit_key(c) for c in last.citations)) if last else (),
            questions=tuple(t.query or t.question for t in turns),
            regulations=tuple(dict.fromkeys(regulations)),
            last_pasal=last_pasal,
            # What the conversation has already quoted, over the last two answers: a chain's third question
            # asks for something new, not the first answer again.
            last_quoted=tuple(dict.fromkeys((*unit_key(c), c.part) for t in turns[-2:] for c in t.citations)),
        )

    def ask(self, chat_id: str, text: str) -> Answer:
        """Answer a message in its conversation and remember the turn (StoreUnavailable: server down)."""
        text = (text or "").strip()
        if len(text) > MAX_QUESTION_CHARS:
            text = text[:MAX_QUESTION_CHARS]
        answer = self.responder.answer(text, self.context(chat_id))
        self._memory.append(chat_id, TurnRecord.of(text, answer))
        return answer

    def full_pasal(self, regulation: str, number: int) -> Answer | None:
        """The whole text of one Pasal (the "Pasal lengkap" button), outside the conversation."""
        return self.responder.pinned().pasal(regulation, number)

    def handle(self, chat_id: str, text: str) -> str:
        """Text in, text out: commands (/start, /help, /reset, /sumber, /pasal) and questions."""
        return self.respond(chat_id, text).text

    def question(self, chat_id: str, text: str) -> Reply:
        """A question in its conversation: its answer, or while the Chroma server cannot be reached the
        maintenance notice (not remembered); the first question after the server is back is answered."""
        try:
            answer = self.ask(chat_id, text)
        except StoreUnavailable as exc:
            if not self._store_down:  # once per outage, not once per message
                logger.warning("%s", exc.detail())
            self._store_down = True
            return Reply(str(exc))
        if self._store_down:
            logger.warning("knowledge base reachable again")
            self._store_down = False
        return Reply(answer.text, answer)

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
            return self.question(chat_id, question)
        if command.startswith("/"):
            return Reply(UNKNOWN_COMMAND)
        return self.question(chat_id, stripped)


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
