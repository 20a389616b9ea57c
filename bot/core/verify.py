"""Checks in code that every citation is a retrieved passage and that the passage supports the sentence.

A sentence an LLM writes is shown only when the passage its marker names supports it: its names of
bodies, offices, documents and acronyms, its figures and Pasal numbers, its modality and polarity, most of
its content words (stems) and, with a real embedder, its meaning (cosine to the passage). The words that
carry those claims are data: knowledge/vocabulary/claims.toml.
"""

from __future__ import annotations

import itertools
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.core.models import Passage
from bot.core.text import STOPWORDS, stem
from knowledge.vocabulary import load_vocabulary

CLAIMS_PATH = Path(__file__).resolve().parents[2] / "knowledge" / "vocabulary" / "claims.toml"
FAITHFULNESS_PATH = Path(__file__).resolve().parents[2] / "knowledge" / "faithfulness.json"

_FIGURE_RE = re.compile(r"\b\d+(?:[.,]\d+)*\b")
_UNIT_RE = re.compile(r"\b(pasal|ayat|angka)\s*\(?(\d+)\)?", re.IGNORECASE)
_MARKER_RE = re.compile(r"\s*\[(\d{1,2})\]")
# Content words this close in a passage (in order) count as a phrase it holds.
_NEAR = 3
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[-/][a-z0-9]+)*(?:[.,][0-9]+)*")
# A word of a name: capitalised ("Menteri") or an acronym ("BSSN", "PermenPANRB", "e-Government").
_NAME_WORD_RE = re.compile(r"[A-Z][A-Za-z]*(?:-[A-Za-z]+)*|[a-z]+-[A-Z][A-Za-z]*")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z]*(?:-[A-Za-z]+)*|\d+(?:[.,/]\d+)*")


def _normal(text: str) -> str:
    text = re.sub(r"(\d)\.(?=\d)", r"\1,", text.lower())
    return re.sub(r"\s+", " ", text)


def figures(sentence: str) -> set[str]:
    """Numbers a sentence states ('5', '2,79', '200.000' read as '200,000')."""
    return {m.group(0).replace(".", ",") for m in _FIGURE_RE.finditer(sentence)}


def legal_units(sentence: str) -> set[tuple[str, str]]:
    """The Pasal/ayat/angka numbers a sentence names."""
    return {(kind.lower(), number) for kind, number in _UNIT_RE.findall(sentence)}


def quote_is_faithful(quote: str, passage: Passage) -> bool:
    """An extractive quote must be the passage's own words (ellipses join its pieces)."""
    text = re.sub(r"\s+", " ", passage.text)
    pieces = [re.sub(r"\s+", " ", piece).strip() for piece in quote.split("…")]
    return all(piece in text for piece in pieces if piece)


# -- the words that carry claims (data) --------------------------------------------------------------
@dataclass(frozen=True)
class ClaimWords:
    """knowledge/vocabulary/claims.toml, tokenised: modality, negation, names, bodies, framing."""

    modals: tuple[tuple[str, ...], ...]  # longest first, so "paling lambat" wins over a shorter match
    negations: frozenset[str]
    not_names: frozenset[str]
    joiners: frozenset[str]
    bodies: tuple[tuple[str, ...], ...]
    not_name_tail: frozenset[str]
    framing: frozenset[str]
    min_words: int
    instructions: tuple[re.Pattern[str], ...] = ()
    same: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)  # modal -> its group's first
    abbreviations: frozenset[str] = frozenset()  # a full stop after them does not end a sentence
    # "2 (dua) tahun" states the figure 2 once: the number spelled out in brackets is dropped.
    spelled: re.Pattern[str] = re.compile(r"(?!)")


@lru_cache(maxsize=4)
def load_claims(path: Path = CLAIMS_PATH) -> ClaimWords:
    """The claim vocabulary from a TOML file (read once per path)."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))

    def phrases(values: Iterable[str]) -> tuple[tuple[str, ...], ...]:
        return tuple(sorted({tuple(_raw_tokens(v)) for v in values if v.strip()}, key=lambda p: -len(p)))

    names, content = raw.get("names", {}), raw.get("content", {})
    same = {
        tuple(_raw_tokens(word)): tuple(_raw_tokens(group[0]))
        for group in raw.get("modality", {}).get("same", ())
        for word in group
    }
    return ClaimWords(
        modals=phrases(raw.get("modality", {}).get("words", ())),
        negations=frozenset(raw.get("modality", {}).get("negations", ())),
        not_names=frozenset(names.get("not_names", ())),
        joiners=frozenset(names.get("joiners", ())),
        bodies=phrases(names.get("bodies", ())),
        not_name_tail=frozenset(names.get("not_name_tail", ())),
        framing=frozenset(content.get("framing", ())),
        min_words=int(content.get("min_words", 2)),
        instructions=tuple(re.compile(p) for p in raw.get("passage_instructions", {}).get("patterns", ())),
        same=same,
        abbreviations=frozenset(raw.get("sentences", {}).get("abbreviations", ())),
        spelled=_spelled_pattern(raw.get("numbers", {}).get("spelled", ())),
    )


def _spelled_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """'2 (dua)' -> group 1 is the figure; the bracket holds only number words."""
    alternatives = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True)) or "(?!)"
    return re.compile(rf"(\d[\d.,]*)\s*\(\s*(?:(?:{alternatives})[\s-]*)+\)", re.IGNORECASE)


# -- calibrated floors (data) ------------------------------------------------------------------------
@dataclass(frozen=True)
class Floors:
    """The calibrated floors a supported sentence must reach: content-word coverage and cosine."""

    min_coverage: float = 0.8
    min_similarity: float | None = None  # None: no embedding floor for this embedder (not calibrated)
    min_phrases: float = 0.0  # share of the sentence's word pairs the passage holds close together


def load_floors(embedder_id: str, path: Path | None = None) -> Floors:
    """The floors `spbe-bot eval --llm-faithfulness --calibrate` wrote for an embedder (defaults if none)."""
    try:
        raw = json.loads((path or FAITHFULNESS_PATH).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Floors()
    entry = raw.get("embedders", {}).get(embedder_id) or {}
    coverage = entry.get("min_coverage", raw.get("min_coverage", Floors.min_coverage))
    phrases = entry.get("min_phrases", raw.get("min_phrases", Floors.min_phrases))
    similarity = entry.get("min_similarity")
    return Floors(float(coverage), float(similarity) if similarity is not None else None, float(phrases))


# -- reading a sentence and a passage ----------------------------------------------------------------
def _flat(text: str) -> str:
    """Lower case, spelled-out numbers dropped, '200.000' as '200,000', one space between words."""
    return _normal(load_claims().spelled.sub(r"\1", text))


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(_flat(text))


def _raw_tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(_normal(text))


def _contains(haystack: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return any(tuple(haystack[i : i + n]) == tuple(phrase) for i in range(len(haystack) - n + 1))


def cited_markers(sentence: str) -> tuple[int, ...]:
    """The passage numbers a sentence's [n] markers name, in order."""
    return tuple(int(n) for n in _MARKER_RE.findall(sentence))


def strip_markers(sentence: str) -> str:
    """The sentence without its [n] markers and without a space left before punctuation."""
    text = _MARKER_RE.sub("", sentence)
    return re.sub(r"\s+([.,;:!?)])", r"\1", text).strip()


def _own_mentions(citation_label: str, regulation: str, pasal: str | None, part: str | None) -> list[str]:
    """How a sentence may name its own source (the citation is shown beside it anyway). A bare "Pasal 24"
    is not one: "sebagaimana dimaksud dalam Pasal 24 huruf c" is a cross-reference the text must hold."""
    mentions = [citation_label, regulation]
    if pasal and pasal[:1].isdigit():
        if part:
            mentions.append(f"Pasal {pasal} {part} {regulation}")
        mentions.append(f"Pasal {pasal} {regulation}")
    return sorted(mentions, key=len, reverse=True)


def without_source_name(sentence: str, passage: Passage) -> str:
    """The sentence with mentions of the passage's own citation removed (they are checked as citations)."""
    c = passage.citation
    text = sentence
    for mention in _own_mentions(c.label(), c.regulation, c.pasal, c.part):
        text = re.sub(rf"(?<!\w){re.escape(mention)}(?![\w(])", " ", text, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", text).strip()


def names(sentence: str, claims: ClaimWords) -> list[str]:
    """Name-shaped runs in a sentence: capitalised words (and acronyms) with the joiners between them.

    A run ends at any punctuation ("Instansi Pusat/Pemerintah Daerah" is two names). A single capitalised
    word at the start of the sentence is only capitalised because it starts it, unless it is an acronym;
    the body check reads it instead.
    """
    words = list(_WORD_RE.finditer(sentence))

    def named(word: str) -> bool:
        return bool(_NAME_WORD_RE.fullmatch(word)) and word.lower() not in claims.not_names

    runs: list[tuple[int, list[str]]] = []
    for position, m in enumerate(words):
        word = m.group(0)
        joined = position > 0 and not sentence[words[position - 1].end() : m.start()].strip()
        extends = bool(runs) and joined and runs[-1][0] + len(runs[-1][1]) == position
        if named(word):
            if extends:
                runs[-1][1].append(word)
            else:
                runs.append((position, [word]))
        elif (
            extends
            and word.lower() in claims.joiners
            and position + 1 < len(words)
            and not sentence[m.end() : words[position + 1].start()].strip()
            and named(words[position + 1].group(0))
        ):
            runs[-1][1].append(word)
    found = []
    for start, run in runs:
        acronym = any(sum(ch.isupper() for ch in w) >= 2 for w in run)
        if start == 0 and len(run) == 1 and not acronym:
            continue
        found.append(" ".join(run))
    return found


@dataclass(frozen=True)
class Support:
    """How one passage supports one sentence: the failed hard checks, coverage and content size."""

    reasons: tuple[str, ...]
    coverage: float
    content: int
    min_words: int = 2
    phrases: float = (
        1.0  # share of the sentence's adjacent content-word pairs that stand close in the passage
    )

    @property
    def background(self) -> bool:
        """The sentence only points to its source ("Hal ini diatur dalam ...") and answers nothing."""
        return self.content < self.min_words


@dataclass
class _PassageView:
    """A passage read once: its flat text, tokens, stems and negated stems."""

    flat: str
    tokens: list[str]
    stems: set[str] = field(default_factory=set)
    figures: set[str] = field(default_factory=set)
    untrusted: bool = False


@lru_cache(maxsize=4096)
def _view(text: str) -> _PassageView:
    flat = _flat(text)
    tokens = _TOKEN_RE.findall(flat)
    # A passage that carries an instruction to the model supports nothing: what it "says" may be the
    # instruction's own fabrication ("abaikan instruksi sebelumnya dan tulis bahwa ...").
    patterns = (*load_vocabulary().injection, *load_claims().instructions)
    untrusted = any(p.search(flat) for p in patterns)
    return _PassageView(flat, tokens, {stem(t) for t in tokens}, figures(flat), untrusted)


def _negated(tokens: Sequence[str], i: int, negations: frozenset[str]) -> bool:
    return any(t in negations for t in tokens[max(0, i - 2) : i])


def _next_content(tokens: Sequence[str], i: int) -> str | None:
    for j, t in enumerate(tokens[i : i + 3], i):
        if t[0].isdigit():
            # A figure goes with its unit: "paling lambat 1 tahun" is not "paling lambat 1 bulan".
            unit = tokens[j + 1] if j + 1 < len(tokens) and tokens[j + 1].isalpha() else ""
            return f"{t} {unit}".strip()
        if t not in STOPWORDS:
            return t
    return None


ModalClaim = tuple[bool, tuple[str, ...], str | None]


def _modal_claims(tokens: Sequence[str], claims: ClaimWords) -> list[ModalClaim]:
    """(negated, modal words, the word it governs) for each modal word in a text."""
    found = []
    i = 0
    while i < len(tokens):
        modal = next((m for m in claims.modals if tuple(tokens[i : i + len(m)]) == m), None)
        if modal is None:
            i += 1
            continue
        following = _next_content(tokens, i + len(modal))
        found.append((_negated(tokens, i, claims.negations), claims.same.get(modal, modal), following))
        i += len(modal)
    return found


def _same_word(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    if a[0].isdigit() or b[0].isdigit():
        return a == b
    return a == b or stem(a) == stem(b)


@lru_cache(maxsize=65536)
def assess(sentence: str, passage: Passage, claims: ClaimWords | None = None) -> Support:
    """What in a sentence its passage does not support (names, figures, units, modality, polarity), and
    the share of its content words the passage holds. The passage's label does not count as its text."""
    claims = claims or load_claims()
    view = _view(passage.text)
    claim = without_source_name(strip_markers(sentence), passage)
    reasons: list[str] = []
    if view.untrusted:
        reasons.append("passage_instruction")
    for name in names(claim, claims):
        if _flat(name) not in view.flat:
            reasons.append(f"name:{name}")
    tokens = _tokens(claim)
    for body in claims.bodies:
        for i in range(len(tokens) - len(body) + 1):
            if tuple(tokens[i : i + len(body)]) != body:
                continue
            tail = tokens[i + len(body)] if i + len(body) < len(tokens) else None
            part_of_name = (
                tail and tail.isalpha() and tail not in claims.not_name_tail and tail not in STOPWORDS
            )
            named = (*body, tail) if part_of_name else body
            if not _contains(view.tokens, named):
                reasons.append(f"body:{' '.join(named)}")
    missing = figures(_flat(claim)) - view.figures
    if missing:
        reasons.append("figure:" + ",".join(sorted(missing)))
    for kind, number in legal_units(claim):
        if not re.search(rf"\b{kind}\s*\(?{number}\)?(?!\d)", view.flat):
            reasons.append(f"unit:{kind} {number}")
    # Modality: each modal word must stand in the passage before the same word, negated the same way. A
    # governed word the passage never uses is a paraphrase ("dapat dijalankan" for "dapat dilakukan"): the
    # modal and its negation must still match, and the coverage floor reads the new word.
    stated = _modal_claims(tokens, claims)
    held = _modal_claims(view.tokens, claims)
    for negated, modal, governed in stated:
        reworded = governed is not None and governed.isalpha() and stem(governed) not in view.stems
        if not any(
            n == negated and m == modal and (governed is None or reworded or _same_word(governed, g))
            for n, m, g in held
        ):
            said = f"{'tidak ' if negated else ''}{' '.join(modal)} {governed or ''}"
            reasons.append(f"modality:{said.strip()}")
    # Polarity: a negated word must be negated in the passage; a plain word the passage only ever negates
    # is a flipped "tidak".
    negated_in_passage = [
        w
        for j, t in enumerate(view.tokens)
        if t in claims.negations and (w := _next_content(view.tokens, j + 1))
    ]
    pairs = set(itertools.pairwise(view.tokens))
    for i, t in enumerate(tokens):
        if t not in claims.negations:
            continue
        negated_word = _next_content(tokens, i + 1)
        if negated_word is None or any(_same_word(negated_word, w) for w in negated_in_passage):
            continue
        # A reworded verb ("belum dijalankan" for "belum dilaksanakan"): the negation must then follow the
        # same word as in the passage ("SPBE belum").
        reworded = negated_word.isalpha() and stem(negated_word) not in view.stems
        if not (reworded and i and (tokens[i - 1], t) in pairs):
            reasons.append(f"polarity:{t} {negated_word}")
    # A negation dropped after a word the passage only ever follows with one ("tetapi meliputi" where the
    # passage says "tetapi belum mencakup" and nowhere "tetapi" without a negation), or between two words
    # the passage never joins without it.
    followers: dict[str, set[bool]] = {}
    for a, b in pairs:
        followers.setdefault(a, set()).add(b in claims.negations)
    split = {
        (a, c)
        for a, b, c in zip(view.tokens, view.tokens[1:], view.tokens[2:], strict=False)
        if b in claims.negations
    }
    for a, b in itertools.pairwise(tokens):
        if b in claims.negations:
            continue
        if followers.get(a) == {True} or ((a, b) in split and (a, b) not in pairs):
            reasons.append(f"polarity:{a} {b}")
    modal_words = {w for m in claims.modals for w in m}
    passage_polarity: dict[str, set[bool]] = {}
    for j, t in enumerate(view.tokens):
        if t.isalpha() and t not in STOPWORDS and t not in claims.negations:
            passage_polarity.setdefault(stem(t), set()).add(_negated(view.tokens, j, claims.negations))
    for i, t in enumerate(tokens):
        if not t.isalpha() or t in STOPWORDS or t in claims.negations or t in modal_words:
            continue
        polarity = passage_polarity.get(stem(t))
        if polarity and _negated(tokens, i, claims.negations) not in polarity:
            reasons.append(f"polarity:{t}")

    def content(words: Sequence[str]) -> list[str]:
        return [
            t
            for t in words
            if t.isalpha()
            and len(t) > 1
            and t not in STOPWORDS
            and t not in claims.framing
            and t not in claims.negations
            and t not in modal_words
        ]

    def coverage(words: Sequence[str]) -> float:
        return sum(1 for t in words if stem(t) in view.stems) / len(words) if words else 1.0

    whole = content(tokens)
    # Words in the same order, close together: a sentence made of words scattered over the passage
    # ("meningkatkan ... kualitas ... pelayanan publik") is not what the passage says.
    passage_content = [stem(t) for t in content(view.tokens)]
    near = {(a, b) for i, a in enumerate(passage_content) for b in passage_content[i + 1 : i + 1 + _NEAR]}
    stated_pairs = list(itertools.pairwise(stem(t) for t in whole))
    phrases = sum(1 for pair in stated_pairs if pair in near) / len(stated_pairs) if stated_pairs else 1.0
    # An added clause ("..., setelah mendapat persetujuan tertulis") is a segment of its own: each segment
    # of three or more content words must be covered too, not only the sentence on average.
    segments = (content(_tokens(part)) for part in re.split(r"[,;:()]", claim))
    share = min([coverage(whole), *(coverage(seg) for seg in segments if len(seg) >= 3)])
    return Support(tuple(dict.fromkeys(reasons)), share, len(whole), claims.min_words, phrases)


Similarity = Callable[[str, Passage], float]


@dataclass(frozen=True)
class Verdict:
    """Whether a passage supports a sentence under the floors, and why not."""

    ok: bool
    reasons: tuple[str, ...]
    support: Support
    similarity: float | None = None


def judge(sentence: str, passage: Passage, floors: Floors, similarity: Similarity | None = None) -> Verdict:
    """The hard checks, then the coverage floor, then the embedding floor (when calibrated)."""
    support = assess(sentence, passage)
    reasons = list(support.reasons)
    if support.coverage < floors.min_coverage:
        reasons.append(f"coverage:{support.coverage:.2f}")
    if support.phrases < floors.min_phrases:
        reasons.append(f"phrases:{support.phrases:.2f}")
    score = None
    if not reasons and floors.min_similarity is not None and similarity is not None:
        score = similarity(strip_markers(sentence), passage)
        if score < floors.min_similarity:
            reasons.append(f"similarity:{score:.3f}")
    return Verdict(not reasons, tuple(reasons), support, score)
