"""Checks in code that every citation is a retrieved passage and every figure is in its source."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.core.models import Passage

_FIGURE_RE = re.compile(r"\b\d+(?:[.,]\d+)*\b")
_UNIT_RE = re.compile(r"\b(pasal|ayat|angka)\s*\(?(\d+)\)?", re.IGNORECASE)


def _normal(text: str) -> str:
    text = re.sub(r"(\d)\.(?=\d)", r"\1,", text.lower())
    return re.sub(r"\s+", " ", text)


def figures(sentence: str) -> set[str]:
    """Numbers a sentence states ('5', '2,79', '200.000' read as '200,000')."""
    return {m.group(0).replace(".", ",") for m in _FIGURE_RE.finditer(sentence)}


def legal_units(sentence: str) -> set[tuple[str, str]]:
    """The Pasal/ayat/angka numbers a sentence names."""
    return {(kind.lower(), number) for kind, number in _UNIT_RE.findall(sentence)}


def supported(sentence: str, sources: Iterable[Passage]) -> bool:
    """Whether every figure and every Pasal/ayat/angka in a sentence appears in its cited passages."""
    sources = list(sources)
    if not sources:
        return False
    haystack = _normal(" ".join(f"{p.citation.label()} {p.text}" for p in sources))
    stated = figures(re.sub(r"\[\d+\]", "", sentence))
    present = figures(haystack)
    if not stated <= present:
        return False
    for kind, number in legal_units(sentence):
        if not re.search(rf"\b{kind}\s*\(?{number}\)?(?!\d)", haystack):
            return False
    return True


def quote_is_faithful(quote: str, passage: Passage) -> bool:
    """An extractive quote must be the passage's own words (ellipses join its pieces)."""
    text = re.sub(r"\s+", " ", passage.text)
    pieces = [re.sub(r"\s+", " ", piece).strip() for piece in quote.split("…")]
    return all(piece in text for piece in pieces if piece)
