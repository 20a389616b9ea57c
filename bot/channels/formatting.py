"""Answer text to chat markup (Telegram HTML, WhatsApp), citations bold, split below the message limit."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

TELEGRAM_LIMIT = 4096
WHATSAPP_LIMIT = 4096
_CITATION_LINE = re.compile(r"^— (.+)$")
_SENTENCE_END = re.compile(r"(?<=[.;:!?])\s+")
# WhatsApp markup has no escape character: a marker in the text is replaced by a look-alike that is not one.
_WHATSAPP_MARKERS = {"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"}
_TO_LOOKALIKE = str.maketrans(_WHATSAPP_MARKERS)
_FROM_LOOKALIKE = str.maketrans({v: k for k, v in _WHATSAPP_MARKERS.items()})
_URL = re.compile(r"https?://\S+")
_QUOTE_MARK = ("> ", "＞ ")
_FENCE = "```"  # a monospace block in answer text: table rows (computed results and quoted tables)


def to_html(text: str) -> str:
    """Escape everything; make citation lines ('— Perpres 95/2018 Pasal 40') bold; a ``` block (table
    rows) becomes <pre>, so its columns stay aligned."""
    lines = []
    block: list[str] | None = None
    for line in text.split("\n"):
        if line.strip() == _FENCE:
            if block is None:
                block = []
            else:
                lines.append("<pre>" + html.escape("\n".join(block), quote=False) + "</pre>")
                block = None
            continue
        if block is not None:
            block.append(line)
            continue
        m = _CITATION_LINE.match(line)
        lines.append(
            f"— <b>{html.escape(m.group(1), quote=False)}</b>" if m else html.escape(line, quote=False)
        )
    if block is not None:  # an unclosed fence (a piece cut from a long message): plain text
        lines.extend(html.escape(line, quote=False) for line in block)
    return "\n".join(lines)


def whatsapp_escape(text: str) -> str:
    """Text that WhatsApp shows as written: markers become look-alikes (links stay intact)."""
    out, last = [], 0
    for link in _URL.finditer(text):
        out += [text[last : link.start()].translate(_TO_LOOKALIKE), link.group(0)]
        last = link.end()
    out.append(text[last:].translate(_TO_LOOKALIKE))
    escaped = "".join(out)
    # "> " opens a quote block at the start of a line.
    return _QUOTE_MARK[1] + escaped[2:] if escaped.startswith(_QUOTE_MARK[0]) else escaped


def to_whatsapp(text: str) -> str:
    """Escape everything; make citation lines ('— Perpres 95/2018 Pasal 40') bold in WhatsApp markup; a
    ``` block stays a monospace block."""
    lines = []
    for line in text.split("\n"):
        if line.strip() == _FENCE:
            lines.append(_FENCE)
            continue
        m = _CITATION_LINE.match(line)
        lines.append(f"— *{whatsapp_escape(m.group(1))}*" if m else whatsapp_escape(line))
    return "\n".join(lines)


def from_whatsapp(text: str) -> str:
    """What a WhatsApp user reads, as plain text: markup removed, look-alikes read as what they stand for."""
    lines = [re.sub(r"^— \*(.+)\*$", r"— \1", line) for line in text.split("\n")]
    lines = [line for line in lines if line != _FENCE]
    plain = "\n".join(line.translate(_FROM_LOOKALIKE) for line in lines)
    return re.sub(r"(?m)^＞ ", "> ", plain)


def split_message(
    text: str, limit: int = TELEGRAM_LIMIT, render: Callable[[str], str] = to_html
) -> list[str]:
    """Plain-text pieces whose rendered form fits the limit, cut at paragraphs, then lines, then sentences.

    Cutting the plain text and rendering each piece separately means a tag or a citation line is never
    split across messages.
    """
    pieces: list[str] = []
    for block in _blocks(text, limit, render):
        if pieces and len(render(pieces[-1] + "\n\n" + block)) <= limit:
            pieces[-1] = pieces[-1] + "\n\n" + block
        else:
            pieces.append(block)
    return pieces


def _blocks(text: str, limit: int, render: Callable[[str], str]) -> list[str]:
    """Paragraphs, each broken further until its rendered form fits."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        out.extend(_fit(paragraph, limit, ("\n", "sentence", " "), render))
    return [b for b in out if b.strip()]


def _fit(text: str, limit: int, separators: tuple[str, ...], render: Callable[[str], str]) -> list[str]:
    if len(render(text)) <= limit:
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
        if len(render(candidate)) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
        if len(render(part)) <= limit:
            current = part
        else:
            out.extend(_fit(part, limit, rest, render))
            current = ""
    if current:
        out.append(current)
    return out
