"""Expectations of a turn checked against what the bot replied."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.models import Answer
from bot.dialogues.cases import CiteRef, Cites, Turn
from knowledge.schema import Citation


@dataclass
class Outcome:
    """What the user saw after one action, and the answers behind it."""

    text: str
    answers: list[Answer] = field(default_factory=list)
    buttons: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)  # channel trouble: errors, rejected messages

    @property
    def citations(self) -> list[Citation]:
        """Every citation of every answer in the reply."""
        return [c for a in self.answers if not a.refused for c in a.citations]

    @property
    def refused(self) -> bool:
        """No legal answer: a refusal, or a reply that cites nothing."""
        return not self.citations


@dataclass(frozen=True)
class Failure:
    """One unmet expectation."""

    turn: int  # 1-based
    line: int
    action: str
    expectation: str
    actual: str


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _part(text: str) -> str:
    return re.sub(r"[\s()]", "", text).casefold()


def cited(ref: CiteRef, citations: list[Citation]) -> bool:
    """Whether any citation is the source a case names (unnamed details match anything)."""
    for c in citations:
        if c.regulation != ref.regulation:
            continue
        if ref.pasal and (c.pasal or "").strip().casefold() != ref.pasal.strip().casefold():
            continue
        if ref.part and _part(c.part or "") != _part(ref.part):
            continue
        if ref.section and _squash(ref.section) not in _squash(f"{c.section or ''} {c.pasal or ''}"):
            continue
        return True
    return False


def _labels(citations: list[Citation]) -> str:
    return "; ".join(dict.fromkeys(c.label() for c in citations)) or "(tidak ada kutipan)"


def _describe(cites: Cites) -> str:
    labels = [r.label() for r in cites.refs]
    if len(labels) == 1:
        return labels[0]
    return ("salah satu dari: " if cites.mode == "any" else "semua dari: ") + "; ".join(labels)


def check(turn: Turn, outcome: Outcome, number: int) -> list[Failure]:
    """Every expectation of the turn that the outcome does not meet."""
    failures: list[Failure] = []

    def fail(expectation: str, actual: str) -> None:
        failures.append(Failure(number, turn.line, turn.action(), expectation, actual))

    reply = _squash(outcome.text)
    shown = outcome.text if len(outcome.text) <= 600 else outcome.text[:600] + " [...]"
    for problem in outcome.problems:
        fail("bot membalas tanpa masalah", problem)
    for needle in turn.contains:
        if _squash(needle) not in reply:
            fail(f"memuat {needle!r}", shown)
    for needle in turn.not_contains:
        if _squash(needle) in reply:
            fail(f"tidak memuat {needle!r}", shown)
    for pattern in turn.matches:
        if not re.search(pattern, outcome.text, re.IGNORECASE):
            fail(f"cocok dengan pola {pattern!r}", shown)
    if turn.cites is not None:
        hits = [cited(ref, outcome.citations) for ref in turn.cites.refs]
        if not (any(hits) if turn.cites.mode == "any" else all(hits)):
            fail(f"mengutip {_describe(turn.cites)}", f"mengutip: {_labels(outcome.citations)}")
    if turn.not_cites is not None:
        wrong = [ref.label() for ref in turn.not_cites.refs if cited(ref, outcome.citations)]
        if wrong:
            fail(f"tidak mengutip {'; '.join(wrong)}", f"mengutip: {_labels(outcome.citations)}")
    if turn.refuses is True and not outcome.refused:
        fail("menolak (tanpa kutipan)", f"menjawab dengan kutipan: {_labels(outcome.citations)}\n{shown}")
    if turn.refuses is False and outcome.refused:
        fail("menjawab dengan kutipan", f"menolak / tanpa kutipan:\n{shown}")
    if turn.max_chars is not None and len(outcome.text) > turn.max_chars:
        fail(f"paling banyak {turn.max_chars} karakter", f"{len(outcome.text)} karakter")
    return failures
