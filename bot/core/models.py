"""Frozen values that flow through the answering core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge.schema import Citation


def unit_key(citation: Citation) -> tuple[str, str]:
    """(regulation, Pasal number) for an article; (regulation, section) for a Lampiran or report part."""
    pasal = citation.pasal or ""
    return citation.regulation, pasal if pasal.isdigit() else (citation.section or pasal)


@dataclass(frozen=True)
class Topic:
    """What a conversation is about after a turn: what was searched, its subject and what was asked."""

    query: str
    subject: tuple[str, ...] = ()
    attribute: str | None = None  # name of the asked attribute (who, when, how many...)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its citation and retrieval score."""

    index: int
    chunk_id: str
    text: str
    citation: Citation
    kind: str
    heading_path: tuple[str, ...]
    score: float = 0.0

    @property
    def key(self) -> tuple[str, str]:
        """(regulation, Pasal number or section): the unit a passage belongs to."""
        return unit_key(self.citation)

    def retrieved(self) -> dict[str, Any]:
        """Structured form for eval output."""
        section = " > ".join(self.heading_path) if self.heading_path else self.citation.section
        return {
            "regulation": self.citation.regulation,
            "pasal": self.citation.pasal,
            "section": section,
            "page": self.citation.page,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Answer:
    """The answer to one question: text, what it cites, what was retrieved, whether it refused."""

    text: str
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = ()
    refused: bool = False
    refusal: str | None = None  # out_of_scope | injection | insufficient | not_found
    latency_ms: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    query: str = ""  # what was searched: a follow-up carries the topic of the turns before it
    regulations: tuple[str, ...] = ()  # regulations the question named (for the next turn's context)
    topic: Topic | None = None  # what the next turn's follow-up leans on
    collection: str | None = None  # the store collection (index version) every passage came from

    def first_pasal(self) -> tuple[str, int] | None:
        """(regulation, Pasal number) of the first citation, when it cites a Pasal."""
        first = self.citations[0] if self.citations else None
        if first and first.pasal and first.pasal.isdigit():
            return first.regulation, int(first.pasal)
        return None

    def turn(self, question: str) -> dict[str, Any]:
        """The turn object of `ask --json` and `eval` results."""
        return {
            "question": question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.as_dict() for c in self.citations],
            "retrieved": [p.retrieved() for p in self.passages],
            "latency_ms": round(self.latency_ms, 1),
        }
