"""Evaluation results out of a report's Markdown tables: one record per result row, and summary figures.

A result table is recognised by its title and header (knowledge/vocabulary/results.toml), not by its
number: a table that continues on the next page repeats only its header, so rows keep the last title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.normalize import Line
from knowledge.results import Figure, ResultRecord, ResultsVocabulary, load_results_vocabulary
from knowledge.schema import squash

_MARKUP_RE = re.compile(r"<span[^>]*>\s*</span>|<[^>]+>|\*\*|__")
_SEPARATOR_RE = re.compile(r"^\|?\s*:?-{2,}")
_NUMBER_RE = re.compile(r"^\d{1,2}[.,]\d{1,2}$")
_YEAR_RE = re.compile(r"^(?:19|20)\d{2}$")


@dataclass
class Extracted:
    """What one report's tables hold, and what could not be read."""

    records: list[ResultRecord] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # rows of result tables without a readable index


def number(cell: str) -> float | None:
    """'3,58' or '3.58' -> 3.58; anything else (empty, '-', damaged) -> None."""
    cell = cell.strip()
    return float(cell.replace(",", ".")) if _NUMBER_RE.match(cell) else None


def _cells(text: str) -> list[str]:
    inner = text.strip().strip("|")
    return [" ".join(_MARKUP_RE.sub(" ", c.replace("<br>", " ")).split()) for c in inner.split("|")]


def _title(text: str, vocabulary: ResultsVocabulary) -> str | None:
    """A table title line ('**Tabel 9. Hasil Evaluasi SPBE Kementerian**'), cleaned; None otherwise."""
    if text.lstrip().startswith("|"):
        return None  # a list of tables is itself a table
    clean = " ".join(_MARKUP_RE.sub(" ", text).lstrip("# ").split())
    if re.match(rf"^{re.escape(vocabulary.title_word)}\s+\d+\s*\.", clean, re.IGNORECASE):
        return clean
    return None


@dataclass
class _Table:
    title: str
    header: list[str]
    rows: list[tuple[int, list[str], str]] = field(default_factory=list)  # (page, cells, raw row)


def _tables(lines: Sequence[Line], vocabulary: ResultsVocabulary) -> list[_Table]:
    """Markdown tables with the title they stand under; a table with the same header right after a
    titled one (the next page) continues it."""
    tables: list[_Table] = []
    title: str | None = None
    current: _Table | None = None
    previous_was_row = False
    for i, line in enumerate(lines):
        text = line.text.strip()
        found = _title(text, vocabulary)
        if found:
            title, current = found, None
            previous_was_row = False
            continue
        if not text.startswith("|"):
            previous_was_row = False
            continue
        following = lines[i + 1].text.strip() if i + 1 < len(lines) else ""
        if _SEPARATOR_RE.match(text.strip("| ")) or _SEPARATOR_RE.match(text):
            continue
        if _SEPARATOR_RE.match(following.strip("| ")) or _SEPARATOR_RE.match(following):
            header = [c.lower() for c in _cells(text)]
            if (
                current is not None
                and not previous_was_row
                and header == current.header
                and title == current.title
            ):
                pass  # the same table on the next page
            elif title is not None:
                current = _Table(title, header)
                tables.append(current)
            else:
                current = None
            previous_was_row = True
            continue
        if current is not None:
            current.rows.append((line.page, _cells(text), text))
        previous_was_row = True
    return tables


def _column(header: list[str], names: Sequence[str]) -> int | None:
    return next((i for i, h in enumerate(header) if h in names), None)


def _category(name: str, title: str, region: str, vocabulary: ResultsVocabulary) -> tuple[str, str] | None:
    """(category, name without the kind of government) for a row of a result table."""
    low = name.lower()
    for category in vocabulary.categories:
        for prefix in category.rows:
            if low.startswith(prefix):
                return category.name, name[len(prefix) :].strip(" .")
        for word in category.region_rows:
            rest = name[len(word) :].strip(" .")
            if region and low.startswith(word) and squash(rest) == squash(region):
                return category.name, region
    low_title = title.lower()
    for category in vocabulary.categories:
        if any(re.search(rf"\b{re.escape(word)}\b", low_title) for word in category.titles):
            return category.name, name
    return None


def _row_region(category: str, place: str, table_region: str, vocabulary: ResultsVocabulary) -> str:
    """The province a row lies in: itself, its table's, or none (instansi pusat)."""
    kind = vocabulary.category(category)
    where = kind.region if kind else ""
    return place if where == "self" else table_region if where == "table" else ""


def _region(title: str, vocabulary: ResultsVocabulary) -> str:
    for words in vocabulary.region_after:
        m = re.search(rf"\b{re.escape(words)}\s+(.+)$", title, re.IGNORECASE)
        if m:
            return m.group(1).strip()
    return ""


def extract(
    lines: Sequence[Line],
    report: str,
    year: int,
    *,
    source_hash: str = "",
    vocabulary: ResultsVocabulary | None = None,
) -> Extracted:
    """Result records and summary figures from a report's cleaned lines."""
    vocabulary = vocabulary or load_results_vocabulary()
    out = Extracted()
    for table in _tables(lines, vocabulary):
        low_title = table.title.lower()
        name_col = _column(table.header, vocabulary.instansi_columns)
        index_col = _column(table.header, vocabulary.index_columns)
        if (
            any(w in low_title for w in vocabulary.result_titles)
            and name_col is not None
            and index_col is not None
        ):
            _result_rows(table, name_col, index_col, report, year, source_hash, vocabulary, out)
        elif len(table.header) > 2 and all(_YEAR_RE.match(h) for h in table.header[1:]):
            _yearly_figures(table, report, source_hash, out)
        elif sum(h in vocabulary.average_columns for h in table.header) >= 3:
            _average_figures(table, report, year, source_hash, vocabulary, out)
    return out


def _result_rows(
    table: _Table,
    name_col: int,
    index_col: int,
    report: str,
    year: int,
    source_hash: str,
    vocabulary: ResultsVocabulary,
    out: Extracted,
) -> None:
    predikat_col = _column(table.header, vocabulary.predikat_columns)
    domain_cols = [_column(table.header, (d,)) for d in vocabulary.domain_columns]
    region = _region(table.title, vocabulary)
    for page, cells, raw in table.rows:
        while len(cells) > len(table.header) and not cells[-1]:
            cells = cells[:-1]  # a row drawn with empty cells past the header's last column
        if len(cells) != len(table.header):
            out.skipped.append(f"{table.title}: {raw}")
            continue
        name = cells[name_col]
        value = number(cells[index_col])
        category = _category(name, table.title, region, vocabulary) if name else None
        if value is None or category is None:
            out.skipped.append(f"{table.title}: {raw}")
            continue
        kind, place = category
        predikat = " ".join(cells[predikat_col].split()) if predikat_col is not None else ""
        out.records.append(
            ResultRecord(
                report=report,
                year=year,
                category=kind,
                instansi=name,
                place=place,
                region=_row_region(kind, place, region, vocabulary),
                index=value,
                predikat=predikat,
                domains=tuple(number(cells[c]) if c is not None else None for c in domain_cols),
                table=table.title,
                page=page,
                row=raw,
                source_hash=source_hash,
            )
        )


def _yearly_figures(table: _Table, report: str, source_hash: str, out: Extracted) -> None:
    for page, cells, raw in table.rows:
        if len(cells) != len(table.header) or not cells[0]:
            continue
        for year_cell, cell in zip(table.header[1:], cells[1:], strict=True):
            value = number(cell)
            if value is not None:
                out.figures.append(
                    Figure(
                        report,
                        int(year_cell),
                        "nasional",
                        cells[0],
                        value,
                        table.title,
                        page,
                        raw,
                        source_hash,
                    )
                )


def _average_figures(
    table: _Table, report: str, year: int, source_hash: str, vocabulary: ResultsVocabulary, out: Extracted
) -> None:
    groups = [vocabulary.average_columns.get(h) for h in table.header]
    for page, cells, raw in table.rows:
        if len(cells) != len(table.header) or not cells[0]:
            continue
        for column, (group, cell) in enumerate(zip(groups, cells, strict=True)):
            value = number(cell)
            # Several columns may stand for one category (LPNK, LNS: "lembaga"); only "nasional" and the
            # categories with one column are figures of the category as a whole.
            if group and value is not None and groups.count(group) == 1 and column:
                out.figures.append(
                    Figure(report, year, group, cells[0], value, table.title, page, raw, source_hash)
                )
