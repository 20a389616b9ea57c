"""Conversation memory behind one interface: what follow-ups need of past turns, kept in this process or
elsewhere (Redis, see bot/shared_state.py), so a follow-up can land on another replica."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.models import Answer, Topic
from knowledge.schema import Citation


@dataclass(frozen=True)
class TurnRecord:
    """One exchange, as much of it as Dialogue.context() reads: small enough to store as JSON."""

    question: str
    query: str = ""
    regulations: tuple[str, ...] = ()
    topic: Topic | None = None
    # Only what identifies a cited unit (regulation, Pasal, part, section): no quote, no page.
    citations: tuple[Citation, ...] = ()

    @classmethod
    def of(cls, question: str, answer: Answer) -> TurnRecord:
        """What a question and its answer leave for the next turn."""
        return cls(
            question=question,
            query=answer.query,
            regulations=answer.regulations,
            topic=answer.topic,
            citations=tuple(Citation(c.regulation, c.pasal, c.part, c.section) for c in answer.citations),
        )

    def first_pasal(self) -> tuple[str, int] | None:
        """(regulation, Pasal number) of the first citation, when it cites a Pasal (as Answer's)."""
        first = self.citations[0] if self.citations else None
        if first and first.pasal and first.pasal.isdigit():
            return first.regulation, int(first.pasal)
        return None

    def to_json(self) -> str:
        """The record as compact JSON."""
        topic = self.topic
        return json.dumps(
            {
                "q": self.question,
                "query": self.query,
                "regs": list(self.regulations),
                "topic": None
                if topic is None
                else {"query": topic.query, "subject": list(topic.subject), "attribute": topic.attribute},
                "cites": [[c.regulation, c.pasal, c.part, c.section] for c in self.citations],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> TurnRecord:
        """Rebuild a record written by to_json()."""
        data: dict[str, Any] = json.loads(raw)
        topic = data.get("topic")
        return cls(
            question=data["q"],
            query=data.get("query", ""),
            regulations=tuple(data.get("regs", ())),
            topic=None
            if topic is None
            else Topic(topic["query"], tuple(topic.get("subject", ())), topic.get("attribute")),
            citations=tuple(Citation(r, p, part, s) for r, p, part, s in data.get("cites", ())),
        )


class ConversationStore(Protocol):
    """The last few turns of each conversation."""

    def turns(self, chat_id: str) -> list[TurnRecord]:
        """A conversation's remembered turns, oldest first."""

    def append(self, chat_id: str, turn: TurnRecord) -> None:
        """Remember one more turn (the oldest beyond the limit is forgotten)."""

    def reset(self, chat_id: str) -> None:
        """Forget one conversation."""

    def chats(self) -> int:
        """How many conversations are remembered."""


class InProcessConversations:
    """Conversations in this process: the last max_turns per chat, max_chats chats (oldest go first)."""

    def __init__(self, max_turns: int = 4, max_chats: int = 10_000) -> None:
        self.max_turns = max_turns
        self.max_chats = max_chats
        self._memory: OrderedDict[str, deque[TurnRecord]] = OrderedDict()
        self._lock = threading.Lock()

    def turns(self, chat_id: str) -> list[TurnRecord]:
        """A conversation's remembered turns, oldest first."""
        with self._lock:
            return list(self._memory.get(chat_id, ()))

    def append(self, chat_id: str, turn: TurnRecord) -> None:
        """Remember one more turn; the conversation becomes the most recent one."""
        with self._lock:
            turns = self._memory.pop(chat_id, None) or deque(maxlen=self.max_turns)
            turns.append(turn)
            self._memory[chat_id] = turns
            while len(self._memory) > self.max_chats:
                self._memory.popitem(last=False)

    def reset(self, chat_id: str) -> None:
        """Forget one conversation."""
        with self._lock:
            self._memory.pop(chat_id, None)

    def chats(self) -> int:
        """How many conversations are remembered."""
        return len(self._memory)
