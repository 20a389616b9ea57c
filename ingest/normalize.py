"""Safe OCR repair: running headers, page numbers, catchwords, numbers with letter O, hyphenation."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

from ingest.load import Page

# A page number as printed at the top or bottom of a page: "-12-", "- 11-", "-27 -", "-2", "- 4 -",
# and OCR variants where a digit became a letter ("-t7-").
_PAGE_NUMBER_RE = re.compile(
    r"^([-–—_]\s*[0-9OoIlt]{1,4}\s*[-–—_]?|[0-9]{1,3}\s*[-–—_])$|^Halaman\s+\d+(\s+dari\s+\d+)?$"
)
_BARE_NUMBER_RE = re.compile(r"^[0-9]{1,3}$")
# Lines that are letterhead or stamps wherever they appear.
_STAMP_RE = re.compile(
    r"^(SALINAN|SK\s*No\.?\s*[0-9OoIl ]{3,}\s*[A-Z]?|www\.peraturan\.go\.id|jdih\.[a-z.]+)$|^!\[\]\([^)]*\)$",
    re.IGNORECASE,
)
# Tokens that are numbers with OCR letters in them: 2Ol8, 2O2O, 4O, l2 (not words, not roman numerals).
_OCR_NUMBER_RE = re.compile(
    r"(?<![A-Za-z0-9])(?=[0-9OoIl]*[0-9])(?=[0-9OoIl]*[OoIl])[0-9OoIl]{2,}(?![A-Za-z0-9])"
)
_OCR_ONE_RE = re.compile(r"\(([lI])\)|(?<![A-Za-z])[lI](?= \(satu\))")
# An ayat marker whose ")" was read as "1": "(21 Pembangunan", "ayat (41 diatur". No Pasal has 21+ ayat.
_AYAT_PAREN_RE = re.compile(r"(^|(?<=ayat ))\(([2-9])[1l](?=[\s,;.]|$)")
_PASAL_GLUED_RE = re.compile(r"\b(Pasal|PasaI)(?=\d)")
_HEADER_ZONE = 5
_FOOTER_ZONE = 3


@dataclass(frozen=True)
class Line:
    """A cleaned line of text and the page it came from."""

    page: int
    text: str


def squash(text: str) -> str:
    """Letters and digits only, lowercased: for comparing OCR variants of the same words."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def repair_numbers(text: str) -> str:
    """Repair numbers typed with letters (2Ol8 -> 2018, (l) -> (1), 'Pasal24' -> 'Pasal 24')."""
    text = _OCR_NUMBER_RE.sub(lambda m: m.group(0).translate(str.maketrans("OoIl", "0011")), text)
    text = _OCR_ONE_RE.sub(lambda m: "(1)" if m.group(1) else "1", text)
    text = _AYAT_PAREN_RE.sub(lambda m: f"{m.group(1)}({m.group(2)})", text)
    text = _PASAL_GLUED_RE.sub("Pasal ", text)
    return re.sub(r"\bPasaI\b", "Pasal", text)


# The Presidential letterhead, on every page of a Perpres; OCR garbles it differently each time.
_LETTERHEAD = {"presiden", "republikindonesia"}


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines that recur at the top or bottom of many pages: running headers and footers."""
    if len(pages) < 4:
        return set(_LETTERHEAD)
    counts: Counter[str] = Counter()
    for lines in pages:
        zone = lines[:_HEADER_ZONE] + lines[-_FOOTER_ZONE:]
        counts.update({squash(line) for line in zone if len(squash(line)) >= 4})
    # Letterhead repeats on most pages; a table label that recurs on some pages is content.
    threshold = max(3, int(len(pages) * 0.6))
    return {key for key, n in counts.items() if n >= threshold} | (_LETTERHEAD & set(counts))


def _is_letterhead(line: str) -> bool:
    """'PRES I DEN' / 'REPUELIK INDONESIA' alone on a line, wherever the text layer put it."""
    key = squash(line)
    return line.strip().isupper() and any(
        abs(len(key) - len(h)) <= 2 and SequenceMatcher(None, key, h).ratio() >= 0.85 for h in _LETTERHEAD
    )


def _is_header(line: str, running: set[str], position: int, total: int) -> bool:
    stripped = line.strip()
    if _STAMP_RE.match(stripped):
        return True
    in_zone = position < _HEADER_ZONE or position >= total - _FOOTER_ZONE
    if in_zone and _PAGE_NUMBER_RE.match(stripped):
        return True
    # A bare number is a page number only as the very first or last line (tables hold numbers too).
    if (position == 0 or position == total - 1) and _BARE_NUMBER_RE.match(stripped):
        return True
    if not in_zone:
        return False
    key = squash(stripped)
    # OCR garbles the letterhead differently on each page ("REPUELIK INDONESIA"): compare fuzzily.
    return key in running or any(
        abs(len(key) - len(r)) <= 2 and SequenceMatcher(None, key, r).ratio() >= 0.85 for r in running
    )


def _drop_headers(lines: list[str], running: set[str]) -> list[str]:
    """A page without its running header, footer and page number."""
    kept: list[str] = []
    after_letterhead = False
    for i, line in enumerate(lines):
        # Diagram labels can push the letterhead down the page; its page number follows it.
        if _is_header(line, running, i, len(lines)) or (running & _LETTERHEAD and _is_letterhead(line)):
            after_letterhead = True
            continue
        if after_letterhead and _PAGE_NUMBER_RE.match(line.strip()):
            continue
        after_letterhead = False
        kept.append(line)
    return kept


def _is_catchword(last: str, following: list[str]) -> bool:
    """An end-of-page line that repeats the start of the next page ('Pasal 8', '8. Arsitektur . .')."""
    key = squash(repair_numbers(last))
    if len(key) < 3 or len(last) > 60:
        return False
    return squash(repair_numbers("".join(following[:3]))).startswith(key)


def clean_pages(pages: tuple[Page, ...] | list[Page], *, markdown: bool = False) -> list[Line]:
    """Drop running headers, page numbers and catchwords; repair numbers; join hyphenated words."""
    raw = [[ln.rstrip() for ln in p.text.splitlines() if ln.strip()] for p in pages]
    running = set() if markdown else _running_lines(raw)
    kept = [_drop_headers(lines, running) for lines in raw]
    if not markdown:
        for i in range(len(kept) - 1):
            following = next((k for k in kept[i + 1 :] if k), [])
            if kept[i] and following and _is_catchword(kept[i][-1], following):
                kept[i].pop()
    out: list[Line] = []
    for page, lines in zip(pages, kept, strict=True):
        for text in lines:
            out.append(Line(page.number, repair_numbers(text.strip()) if not markdown else text.strip()))
    return _join_hyphenation(out)


def _join_hyphenation(lines: list[Line]) -> list[Line]:
    """Join 'pemerin-' + 'tahan'; keep the hyphen of reduplication ('undang-' + 'undang')."""
    out: list[Line] = []
    for line in lines:
        if out and re.search(r"[a-z]-$", out[-1].text) and re.match(r"^[a-z]", line.text):
            prev = out[-1]
            stem = re.search(r"(\w+)-$", prev.text)
            head, _, rest = line.text.partition(" ")
            keep = stem is not None and head.lower().startswith(stem.group(1).lower()[:4])
            joined = prev.text + head if keep else prev.text[:-1] + head
            out[-1] = Line(prev.page, joined)
            if rest:
                out.append(Line(line.page, rest))
            continue
        out.append(line)
    return out
