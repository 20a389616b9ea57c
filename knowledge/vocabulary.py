"""The field's vocabulary as data: kinds of regulation, chat spellings, synonyms, glossary, asked attributes.

The files live in knowledge/vocabulary/ (TOML). Code holds the mechanisms that use them; what the bot
recognises is read from here and from the index, so adding a regulation or a term needs no code change.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_VOCABULARY_DIR = Path(__file__).with_name("vocabulary")


class VocabularyError(Exception):
    """A vocabulary file is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class Kind:
    """A kind of regulation (jenis): its names in citations, on title pages and in chat."""

    name: str
    short: str
    title_form: str
    spellings: tuple[str, ...] = ()
    qualifier: int = 0  # words that may stand between the kind and its number (a region, a ministry)
    acronym_titles: bool = False  # named by its title's acronym ("UU ITE")
    numbered: bool = True  # False: named by year only (the evaluation reports)


@dataclass(frozen=True)
class Attribute:
    """Something a question asks about its subject (who, when, how many...) and what holds the answer."""

    name: str
    asked: re.Pattern[str]
    evidence: re.Pattern[str]
    required: bool = False

    def holds(self, text: str) -> bool:
        """Whether a text holds an answer of this kind."""
        return self.evidence.search(text) is not None


@dataclass(frozen=True)
class Vocabulary:
    """Everything the bot recognises that is not derived from the index."""

    kinds: tuple[Kind, ...] = ()
    abbreviations: dict[str, str] = field(default_factory=dict)
    lowercase: dict[str, str] = field(default_factory=dict)  # chat words an acronym shares ("bkn": "bukan")
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    glossary: dict[str, str] = field(default_factory=dict)
    twins: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    attributes: tuple[Attribute, ...] = ()
    future: tuple[re.Pattern[str], ...] = ()
    since: tuple[re.Pattern[str], ...] = ()
    connectors: tuple[str, ...] = ()
    anaphora: tuple[str, ...] = ()
    part_joiners: tuple[str, ...] = ()  # where one sentence may hold two questions ("dan", ",")
    interrogatives: frozenset[str] = frozenset()  # question words ("siapa", "berapa")
    negations: tuple[str, ...] = ()  # "bukan": the words after it are what the question is not about
    particles: frozenset[str] = frozenset()  # "ya", "sih": end a negated phrase
    slots: tuple[frozenset[str], ...] = ()
    injection: tuple[re.Pattern[str], ...] = ()
    filler: frozenset[str] = frozenset()
    unstemmed: frozenset[str] = frozenset()
    incumbent: tuple[re.Pattern[str], ...] = ()
    previous_year: tuple[str, ...] = ()
    next_year: tuple[str, ...] = ()
    definitions: tuple[re.Pattern[str], ...] = ()  # how a question asks what a term means
    english: frozenset[str] = frozenset()  # English function words
    title_joiners: tuple[str, ...] = ()  # words between a kind and its title's subject ("tentang")
    generic_kinds: tuple[str, ...] = ()  # words for any kind of regulation ("regulation", "peraturan")
    title_between: tuple[str, ...] = ()  # words that may stand among a described title's words ("and")
    real_words: frozenset[str] = frozenset()  # real words Sastrawi's dictionary lacks ("konsultansi")

    def words(self) -> frozenset[str]:
        """Every single word the vocabulary names: glossary (both languages), synonyms, terms, real words."""
        phrases = [
            *self.glossary,
            *self.glossary.values(),
            *self.synonyms,
            *(s for group in self.synonyms.values() for s in group),
        ]
        named = {w for phrase in phrases for w in re.findall(r"[^\W\d_]+", phrase.lower())}
        return frozenset(named | self.english | self.unstemmed | self.real_words)

    def kind(self, short: str) -> Kind | None:
        """A kind by its short form ("Perpres")."""
        return next((k for k in self.kinds if k.short == short), None)

    def attribute(self, name: str) -> Attribute | None:
        """An asked attribute by name ("who", "duration")."""
        return next((a for a in self.attributes if a.name == name), None)


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise VocabularyError(f"Berkas kosakata tidak ditemukan: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise VocabularyError(f"Berkas kosakata {path} tidak valid: {exc}") from exc


def _compile(pattern: str, where: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise VocabularyError(f"Pola tidak valid di {where}: {exc}") from exc


def parse_kinds(raw: list[dict], where: str) -> tuple[Kind, ...]:
    """Kinds from [[kind]] (or a catalog's [[jenis]]) tables."""
    kinds = []
    for entry in raw:
        try:
            kinds.append(
                Kind(
                    name=entry["name"],
                    short=entry["short"],
                    title_form=entry["title_form"],
                    spellings=tuple(s.lower() for s in entry.get("spellings", ())),
                    qualifier=int(entry.get("qualifier", 0)),
                    acronym_titles=bool(entry.get("acronym_titles", False)),
                    numbered=bool(entry.get("numbered", True)),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise VocabularyError(f"Jenis regulasi tidak lengkap di {where}: {entry}") from exc
    return tuple(kinds)


@lru_cache(maxsize=1)
def sastrawi() -> Any:  # Sastrawi has no types
    """Sastrawi's factory (its Indonesian root-word dictionary and stemmer), built once per process."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory()


@lru_cache(maxsize=8)
def load_vocabulary(folder: Path | None = None) -> Vocabulary:
    """Read kinds.toml, terms.toml and attributes.toml from a folder (the shipped one by default)."""
    folder = folder or DEFAULT_VOCABULARY_DIR
    kinds_file, terms_file, attributes_file = (
        folder / n for n in ("kinds.toml", "terms.toml", "attributes.toml")
    )
    kinds = parse_kinds(_read(kinds_file).get("kind", []), str(kinds_file))
    terms = _read(terms_file)
    twins = tuple((tuple(t.get("left", ())), tuple(t.get("right", ()))) for t in terms.get("twins", []))
    later = terms.get("later_events", {})
    dialogue = terms.get("dialogue", {})
    attributes = tuple(
        Attribute(
            name=a["name"],
            asked=_compile(a["asked"], f"{attributes_file} ({a['name']}.asked)"),
            evidence=_compile(a["evidence"], f"{attributes_file} ({a['name']}.evidence)", re.I | re.M),
            required=bool(a.get("required", False)),
        )
        for a in _read(attributes_file).get("attribute", [])
    )
    return Vocabulary(
        kinds=kinds,
        abbreviations={k.lower(): v.lower() for k, v in terms.get("abbreviations", {}).items()},
        lowercase={k.lower(): v.lower() for k, v in terms.get("lowercase", {}).items()},
        synonyms={k.lower(): tuple(v) for k, v in terms.get("synonyms", {}).items()},
        glossary={k.lower(): v.lower() for k, v in terms.get("glossary", {}).items()},
        twins=twins,
        attributes=attributes,
        future=tuple(_compile(p, f"{terms_file} (later_events.future)") for p in later.get("future", ())),
        since=tuple(_compile(p, f"{terms_file} (later_events.since)") for p in later.get("since", ())),
        connectors=tuple(c.lower() for c in dialogue.get("connectors", ())),
        anaphora=tuple(a.lower() for a in dialogue.get("anaphora", ())),
        part_joiners=tuple(j.lower() for j in dialogue.get("part_joiners", ())),
        interrogatives=frozenset(w.lower() for w in dialogue.get("interrogatives", ())),
        negations=tuple(w.lower() for w in dialogue.get("negations", ())),
        particles=frozenset(w.lower() for w in dialogue.get("particles", ())),
        slots=tuple(frozenset(w.lower() for w in slot) for slot in dialogue.get("slots", ())),
        injection=tuple(
            _compile(p, f"{terms_file} (injection)") for p in terms.get("injection", {}).get("patterns", ())
        ),
        filler=frozenset(w.lower() for w in terms.get("field", {}).get("filler", ())),
        unstemmed=frozenset(w.lower() for w in terms.get("stemming", {}).get("keep", ())),
        incumbent=tuple(
            _compile(p, f"{terms_file} (later_events.incumbent)") for p in later.get("incumbent", ())
        ),
        previous_year=tuple(p.lower() for p in dialogue.get("previous_year", ())),
        next_year=tuple(p.lower() for p in dialogue.get("next_year", ())),
        definitions=tuple(
            _compile(p, f"{terms_file} (definitions)")
            for p in terms.get("definitions", {}).get("patterns", ())
        ),
        english=frozenset(w.lower() for w in terms.get("english", {}).get("function_words", ())),
        title_joiners=tuple(w.lower() for w in terms.get("regulation_names", {}).get("title_joiners", ())),
        generic_kinds=tuple(w.lower() for w in terms.get("regulation_names", {}).get("generic", ())),
        title_between=tuple(w.lower() for w in terms.get("regulation_names", {}).get("between", ())),
        real_words=frozenset(w.lower() for w in terms.get("spelling", {}).get("real_words", ())),
    )
