"""Answer text to Telegram HTML: escaped by html.escape, citations bold, split below the message limit."""

from __future__ import annotations

import html
import re

TELEGRAM_LIMIT = 4096
_CITATION_LINE = re.compile(r"^— (.+)$")
_SENTENCE_END = re.compile(r"(?<=[.;:!?])\s+")


def to_html(text: str) -> str:
    """Escape everything; make citation lines ('— Perpres 95/2018 Pasal 40') bold."""
    lines = []
    for line in text.split("\n"):
        m = _CITATION_LINE.match(line)
        lines.append(
            f"— <b>{html.escape(m.group(1), quote=False)}</b>" if m else html.escape(line, quote=False)
        )
    return "\n".join(lines)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Plain-text pieces whose HTML form fits the limit, cut at paragraphs, then lines, then sentences.

    Cutting the plain text and rendering each piece separately means a tag or a citation line is never
    split across messages.
    """
    pieces: list[str] = []
    for block in _blocks(text, limit):
        if pieces and len(to_html(pieces[-1] + "\n\n" + block)) <= limit:
            pieces[-1] = pieces[-1] + "\n\n" + block
        else:
            pieces.append(block)
    return pieces


def _blocks(text: str, limit: int) -> list[str]:
    """Paragraphs, each broken further until its HTML fits."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        out.extend(_fit(paragraph, limit, ("\n", "sentence", " ")))
    return [b for b in out if b.strip()]


def _fit(text: str, limit: int, separators: tuple[str, ...]) -> list[str]:
    if len(to_html(text)) <= limit:
        return [text]
    if not separators:  # one unbroken run longer than a message: cut by characters
        step = max(1, limit // 5)  # escaping can grow a character up to 5 times ("&amp;")
        return [text[i : i + step] for i in range(0, len(text), step)]
    separator, rest = separators[0], separators[1:]
    parts = _SENTENCE_END.split(text) if separator == "sentence" else text.split(separator)
    joiner = " " if separator == "sentence" else separator
    out: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}{joiner}{part}" if current else part
        if len(to_html(candidate)) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
        if len(to_html(part)) <= limit:
            current = part
        else:
            out.extend(_fit(part, limit, rest))
            current = ""
    if current:
        out.append(current)
    return out
