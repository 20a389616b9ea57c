"""Evaluation results as records: one per result-table row, and the figures of the reports' summary tables.

Ingest reads them from the reports' tables (ingest/records.py) and stores them beside the chunks
(knowledge/store.py); the bot computes answers from them (bot/core/results.py). How the tables are read
and how people name instansi is data: knowledge/vocabulary/results.toml.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from knowledge.vocabulary import DEFAULT_VOCABULARY_DIR, VocabularyError


@dataclass(frozen=True)
class ResultRecord:
    """One instansi's result in one report: its index, predikat and domain scores, with where it stands."""

    report: str  # the report's short name, e.g. "Laporan Evaluasi SPBE 2024"
    year: int
    category: str  # provinsi | kabupaten | kota | kementerian | lembaga (results.toml [[category]])
    instansi: str  # the name as the table writes it, e.g. "Pemerintah Kab. Sambas"
    place: str  # the name without the kind of government, e.g. "Sambas"; the full name for instansi pusat
    region: str  # the province a regional government lies in ("" for instansi pusat)
    index: float
    predikat: str
    domains: tuple[float | None, ...]
    table: str  # "Tabel 33. Hasil Evaluasi SPBE Pemerintah Daerah di Kalimantan Barat"
    page: int
    row: str  # the row as the document has it, for quoting
    source_hash: str = ""

    def metadata(self) -> dict[str, Any]:
        """Flat metadata for the store (Chroma metadata takes scalars only)."""
        raw = asdict(self)
        raw["domains"] = json.dumps(list(self.domains))
        raw["kind"] = "result"
        return raw

    @classmethod
    def from_metadata(cls, raw: dict[str, Any]) -> ResultRecord:
        """Rebuild from stored metadata."""
        raw = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        raw["domains"] = tuple(json.loads(raw.get("domains") or "[]"))
        return cls(**raw)


@dataclass(frozen=True)
class Figure:
    """One figure of a summary table: a measure for a group ("nasional", a category) in a year."""

    report: str
    year: int  # the year the figure is for (a column of a table of years, or the report's year)
    group: str  # "nasional" or a category name
    measure: str  # the row label as the table writes it: "Indeks SPBE Nasional", "D1. Kebijakan"
    value: float
    table: str
    page: int
    row: str
    source_hash: str = ""

    def metadata(self) -> dict[str, Any]:
        """Flat metadata for the store."""
        return {**asdict(self), "kind": "figure"}

    @classmethod
    def from_metadata(cls, raw: dict[str, Any]) -> Figure:
        """Rebuild from stored metadata."""
        return cls(**{k: v for k, v in raw.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Category:
    """A category of instansi: how its rows and tables are recognised."""

    name: str
    label: str
    rows: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    region_rows: tuple[str, ...] = ()  # "<word> <the table's region>" is this category
    group: str = ""  # "instansi pusat" or "pemerintah daerah"
    region: str = ""  # "self": a row is a province; "table": it lies in its table's province


@dataclass(frozen=True)
class Part:
    """A part of a category that tables of its own hold (the LPNK among the lembaga)."""

    category: str
    title: str  # lowercase words of its tables' titles
    label: str


@dataclass(frozen=True)
class ResultsVocabulary:
    """results.toml, read once."""

    result_titles: tuple[str, ...]
    title_word: str
    instansi_columns: tuple[str, ...]
    index_columns: tuple[str, ...]
    predikat_columns: tuple[str, ...]
    domain_columns: tuple[str, ...]
    region_after: tuple[str, ...]
    average_columns: dict[str, str]
    average_index_rows: tuple[str, ...]
    average_domain_rows: str  # a regular expression: the domain rows of a table of averages
    instansi_kinds: tuple[str, ...]  # words that start an instansi's name ("badan", "kabupaten")
    not_names: frozenset[str]  # words after them that name no instansi ("daerah", "pusat")
    nation_kinds: frozenset[str]  # kinds after which the nation's name is the nation ("pemerintah indonesia")
    categories: tuple[Category, ...]
    predikat_order: tuple[str, ...]
    predikat_bounds: dict[str, float]  # the lowest index of each predikat (for the national index)
    national_index_rows: tuple[str, ...]  # the national table's row holding the index itself
    asks: dict[str, tuple[str, ...]]
    ask_categories: dict[str, tuple[str, ...]]
    domains: dict[str, tuple[str, ...]]  # each domain of the index, in the tables' column order: its words
    domain_pattern: re.Pattern[str]  # a domain asked ("domain 3", "domain manajemennya"); group n: number
    numbers: dict[str, int]  # numbers written as words ("tiga", "three")
    parts: dict[str, Part]  # parts of a category by the name questions use ("lpnk")
    prefixes: dict[str, tuple[str, ...]]
    province_aliases: dict[str, str]
    pusat_aliases: dict[str, str]
    _patterns: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False, repr=False)

    def cue(self, name: str) -> re.Pattern[str]:
        """A pattern for any of an ask's cue words, on word boundaries."""
        if name not in self._patterns:
            words = self.asks.get(name) or self.ask_categories.get(name) or self.domains.get(name, ())
            self._patterns[name] = words_pattern(words)
        return self._patterns[name]

    def category(self, name: str) -> Category | None:
        """A category by name."""
        return next((c for c in self.categories if c.name == name), None)

    @cached_property
    def groups(self) -> dict[str, str]:
        """Each category's group ("kementerian" -> "instansi pusat")."""
        return {c.name: c.group for c in self.categories if c.group}


def words_pattern(words: tuple[str, ...] | list[str]) -> re.Pattern[str]:
    """Any of the words or phrases, longest first, not inside another word."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    # "peringkatnya", "indeksnya": a cue word keeps its -nya.
    return re.compile(rf"(?<![\w]){'(?:' + alternatives + ')' if alternatives else '(?!x)x'}(?:nya)?(?![\w])")


@lru_cache(maxsize=4)
def load_results_vocabulary(folder: Path | None = None) -> ResultsVocabulary:
    """Read results.toml from a vocabulary folder (the shipped one by default)."""
    path = (folder or DEFAULT_VOCABULARY_DIR) / "results.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        tables = raw["tables"]
        asks = raw["asks"]
        return ResultsVocabulary(
            result_titles=tuple(tables["result_titles"]),
            title_word=str(tables["title_word"]).lower(),
            instansi_columns=tuple(tables["instansi_columns"]),
            index_columns=tuple(tables["index_columns"]),
            predikat_columns=tuple(tables["predikat_columns"]),
            domain_columns=tuple(tables["domain_columns"]),
            region_after=tuple(tables["region_after"]),
            average_columns={k.lower(): v for k, v in tables.get("average_columns", {}).items()},
            average_index_rows=tuple(r.lower() for r in tables.get("average_index_rows", ())),
            average_domain_rows=tables.get("average_domain_rows", "(?!)"),
            instansi_kinds=tuple(w.lower() for w in raw.get("instansi_names", {}).get("kinds", ())),
            not_names=frozenset(w.lower() for w in raw.get("instansi_names", {}).get("not_names", ())),
            nation_kinds=frozenset(w.lower() for w in raw.get("instansi_names", {}).get("nation_kinds", ())),
            categories=tuple(
                Category(
                    c["name"],
                    c.get("label", c["name"]),
                    tuple(c.get("rows", ())),
                    tuple(c.get("titles", ())),
                    tuple(c.get("region_rows", ())),
                    str(c.get("group", "")),
                    str(c.get("region", "")),
                )
                for c in raw["category"]
            ),
            predikat_order=tuple(raw["predikat"]["order"]),
            predikat_bounds={k: float(v) for k, v in raw["predikat"].get("lower_bounds", {}).items()},
            national_index_rows=tuple(r.lower() for r in raw["predikat"].get("national_index_rows", ())),
            asks={k: tuple(v) for k, v in asks.items() if isinstance(v, list)},
            ask_categories={k: tuple(v) for k, v in asks.get("categories", {}).items()},
            domains={k: tuple(v) for k, v in asks.get("domains", {}).items()},
            domain_pattern=re.compile(asks.get("domain_pattern", "(?!x)x")),
            numbers={k.lower(): int(v) for k, v in asks.get("numbers", {}).items()},
            parts={
                name: Part(str(p["category"]), str(p["title"]).lower(), str(p.get("label", name)))
                for name, p in raw.get("parts", {}).items()
            },
            prefixes={k: tuple(v) for k, v in raw.get("prefixes", {}).items()},
            province_aliases={k.lower(): v for k, v in raw.get("aliases", {}).get("provinsi", {}).items()},
            pusat_aliases={k.lower(): v for k, v in raw.get("aliases", {}).get("pusat", {}).items()},
        )
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise VocabularyError(f"{path}: {type(exc).__name__}: {exc}") from exc
