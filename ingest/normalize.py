"""Safe OCR repair: running headers, page numbers, catchwords, numbers with letter O, hyphenation, and
words one letter off a frequent word of the same document."""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import Levenshtein

from ingest.load import Page
from knowledge.schema import squash
from knowledge.vocabulary import load_vocabulary, sastrawi

logger = logging.getLogger(__name__)

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


def clean_pages(
    pages: tuple[Page, ...] | list[Page], *, markdown: bool = False, spelling: bool = True
) -> list[Line]:
    """Drop running headers, page numbers and catchwords; repair numbers and misread words; join hyphens.

    A Markdown conversion is taken as written, as its converter already read the page. `spelling=False`
    leaves misread words as they are (to list what `repair_words` would do).
    """
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
    joined = _join_hyphenation(out)
    if markdown or not spelling:
        return joined
    return repair_words(joined)[0]


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


# -- words OCR misread, repaired from the document's own lexicon --------------------------------------
# A misread word ("Instansi Fusat", "kebiiakan") is one letter off a word the same document prints many
# times; a real word is not repaired however rare, so every rule below errs towards leaving a word alone:
# a false repair changes what the law says, a missed one costs a search hit.

_WORD_RE = re.compile(r"\w+")
# Shorter words sit one letter from too many real words ("lzin" is "izin" or "lain") to tell which was meant.
_MIN_WORD_LENGTH = 5
# The word a misreading is repaired to is printed at least this often in the same document...
_MIN_WORD_COUNT = 10
# ...and at least this many times as often as the misreading. OCR misreads a word the same way over a run of
# pages (Perpres 132/2022 prints "bidang" as "bidane" 32 times beside 144 good readings), so the ratio cannot
# be higher; a real word the dictionary lacks is kept by the dictionary check, not by this ratio.
_MIN_FREQUENCY_RATIO = 4
# Capitals this short are acronyms (SPSE, SPBE, APBN): one letter apart is another system, not a misreading.
_MAX_ACRONYM_LENGTH = 5
# A word and a number alone on a line is a heading ("Pasal 1 1", "Paragraf 2", "INDIKATOR 12") that the
# parser reads against the number expected next: it is left as printed, whatever its word looks like.
_NUMBERED_HEADING_RE = re.compile(r"^[^\W\d_]+(?:\s+[0-9OoIl]|\s*\d)[0-9OoIl ]{0,4}\s*\.?$")


@dataclass(frozen=True)
class WordRepair:
    """A misread word form, the word it was repaired to, and how many times it was repaired."""

    damaged: str
    repaired: str
    count: int


@lru_cache(maxsize=1)
def _indonesian_dictionary() -> tuple[frozenset[str], Any]:  # Sastrawi's stemmer has no types
    """Sastrawi's root words and stemmer: a word whose root is in the dictionary is a real word."""
    factory = sastrawi()
    return frozenset(w for w in factory.get_words() if w), factory.create_stemmer()


def _is_real_word(word: str, named: frozenset[str]) -> bool:
    """A word the vocabulary names, or whose root (Sastrawi) is an Indonesian root word."""
    roots, stemmer = _indonesian_dictionary()
    return word in named or word in roots or stemmer.stem(word) in roots


def _one_letter_apart(a: str, b: str) -> bool:
    """One letter substituted, inserted or deleted: Levenshtein distance 1."""
    return Levenshtein.distance(a, b, score_cutoff=1) == 1


def _glued_or_split(a: str, b: str) -> bool:
    """One word is the other with a letter more at either end.

    That is a neighbour glued on or split off ("hurufj" is "huruf j", "keamana.n" is "keamanan"), not a
    misreading: repairing it would drop a letter of the text or print one twice.
    """
    short, long = sorted((a, b), key=len)
    return len(long) == len(short) + 1 and short in (long[1:], long[:-1])


def _deletions(word: str) -> set[str]:
    """The word and each form of it with one letter left out: two words one letter apart share one."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _misreadings(counts: Counter[str]) -> dict[str, str]:
    """Lowercase misread forms -> the word each is a misreading of, read from one document's counts."""
    named = load_vocabulary().words()
    by_deletion: defaultdict[str, set[str]] = defaultdict(set)
    for word in counts:
        for key in _deletions(word):
            by_deletion[key].add(word)
    repairs: dict[str, str] = {}
    for word, count in counts.items():
        if len(word) < _MIN_WORD_LENGTH:
            continue
        neighbours = {n for key in _deletions(word) for n in by_deletion[key] if _one_letter_apart(word, n)}
        frequent = {
            n
            for n in neighbours
            if counts[n] >= _MIN_WORD_COUNT and counts[n] >= _MIN_FREQUENCY_RATIO * count
        }
        # Sastrawi is only asked about the few words that have a frequent neighbour (~0.5 ms a word).
        if not frequent or _is_real_word(word, named):
            continue
        real = {n for n in neighbours if _is_real_word(n, named)}
        # One real word nearby and it is the frequent one; two ("kontek": konten or konteks?) is a guess.
        if len(real) == 1 and real <= frequent and not _glued_or_split(word, next(iter(real))):
            repairs[word] = real.pop()
    return repairs


def _spelled_like(token: str, word: str, capitalised: Counter[str], written: Counter[str]) -> str | None:
    """The repaired word in the token's case (lower, Title, CAPITALS); None for mixed or acronym tokens."""
    if token.isupper():
        return word.upper() if len(token) > _MAX_ACRONYM_LENGTH else None
    if not token[1:].islower():
        return None  # "keamanErn", "SPtsE": no case pattern to keep
    # A misread first letter in lower case may stand for a capital ("lnstansi" for "Instansi"): the
    # document's usual spelling decides. A capital is kept: OCR reads a capital as another capital.
    if token[0].islower() and token[0] != word[0] and 2 * capitalised[word] > written[word]:
        return word.capitalize()
    return word.capitalize() if token[0].isupper() else word


def repair_words(lines: Sequence[Line]) -> tuple[list[Line], list[WordRepair]]:
    """Repair words OCR misread by one letter ("Fusat" -> "Pusat") from the lexicon of these same lines.

    A form is repaired when it is not a real word (Sastrawi's Indonesian dictionary, the vocabulary's
    words), has at least 5 letters and no digit, and exactly one real word of the document lies one letter
    away, printed at least 10 times and 4 times as often as the form. Acronyms, mixed-case tokens and
    numbered headings ("Pasal 7") are left as they are. Returns the lines and the repairs made.
    """
    tokens = [t for line in lines for t in _WORD_RE.findall(line.text) if t.isalpha()]
    counts = Counter(t.lower() for t in tokens)
    # How the document writes each word outside all-capital text: mostly with a capital or not.
    written = Counter(t.lower() for t in tokens if not t.isupper())
    capitalised = Counter(t.lower() for t in tokens if t[0].isupper() and not t.isupper())
    misread = _misreadings(counts)
    if not misread:
        return list(lines), []
    made: Counter[tuple[str, str]] = Counter()

    def repair(match: re.Match[str]) -> str:
        token = match.group(0)
        word = misread.get(token.lower())
        spelled = _spelled_like(token, word, capitalised, written) if word and token.isalpha() else None
        if spelled is None:
            return token
        made[token, spelled] += 1
        return spelled

    out = [
        line if _NUMBERED_HEADING_RE.match(line.text) else Line(line.page, _WORD_RE.sub(repair, line.text))
        for line in lines
    ]
    repairs = [WordRepair(d, r, n) for (d, r), n in sorted(made.items(), key=lambda i: i[0][0].lower())]
    for r in repairs:
        logger.debug("misread word repaired: %s -> %s (%d)", r.damaged, r.repaired, r.count)
    return out, repairs
