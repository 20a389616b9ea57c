"""Chunk and Citation types, the metadata keys they are stored under, and store naming."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

# A line that opens an ayat or a list item ("(2)", "3)", "a.", "4."): ingest keeps each on its own line of a
# chunk's text, and a quote window never cuts one.
LIST_MARKER_RE = re.compile(r"^(\(\d+\)|\d+\)|[a-z]\.|\d+\.|\d+ \d\.)(\s|$)")


def squash(text: str) -> str:
    """Letters and digits only, lowercased: for comparing OCR variants and spellings of the same words."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


# Pseudo-articles for parts of a regulation that are not a Pasal.
MENIMBANG = "Menimbang"
MENGINGAT = "Mengingat"
LAMPIRAN = "Lampiran"
PENUTUP = "Penutup"
PENJELASAN = "Penjelasan"

HEADING_SEPARATOR = " > "

# Store naming: chunk collections are versioned, the meta collection points at the active one.
META_COLLECTION = "spbe-meta"
CHUNK_COLLECTION_PREFIX = "spbe-chunks-"


@dataclass(frozen=True)
class Citation:
    """The smallest unit of a source that supports a claim."""

    regulation: str
    pasal: str | None = None
    part: str | None = None
    section: str | None = None
    page: int | None = None
    quote: str | None = None

    def label(self) -> str:
        """Human citation, e.g. 'Perpres 95/2018 Pasal 1 angka 6'."""
        if self.pasal and self.pasal not in (LAMPIRAN, PENUTUP):
            head = self.pasal if not self.pasal[0].isdigit() else f"Pasal {self.pasal}"
            text = f"{self.regulation} {head}"
            return f"{text} {self.part}" if self.part else text
        text = self.regulation
        if self.pasal == LAMPIRAN:
            text += " Lampiran"
        where = self.section or (self.pasal if self.pasal != LAMPIRAN else None)
        if where:
            text += f', bagian "{where}"'
        if self.page:
            text += f", hlm. {self.page}"
        return text

    def as_dict(self) -> dict[str, Any]:
        """Structured form used in JSON, logs and eval."""
        return {
            "regulation": self.regulation,
            "pasal": self.pasal,
            "part": self.part,
            "section": self.section,
            "page": self.page,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage that carries its own citation and heading path."""

    text: str
    citation: Citation
    kind: str
    ordinal: int
    source_file: str = ""
    source_hash: str = ""
    bab: str | None = None
    heading_path: tuple[str, ...] = field(default_factory=tuple)

    @property
    def chunk_id(self) -> str:
        """Stable id: regulation, position and content."""
        digest = hashlib.sha1(self.text.encode("utf-8")).hexdigest()[:10]
        slug = "".join(c if c.isalnum() else "-" for c in self.citation.regulation.lower())
        return f"{slug}-{self.ordinal:05d}-{digest}"

    def embedding_text(self, max_chars: int = 500) -> str:
        """Text given to the embedder: citation and nearest headings, then the passage (cut for speed)."""
        context = [self.citation.regulation, *self.heading_path[-2:], self.citation.part or ""]
        head = " | ".join(dict.fromkeys(c for c in context if c))
        # Embedding costs ~0.1 ms per character on 2 cores: the first 500 characters plus the headings
        # keep a full ingest within budget, and the lexical index still sees the whole passage.
        return f"{head}\n{self.text[:max_chars]}"

    def metadata(self) -> dict[str, str | int]:
        """Flat metadata for Chroma (scalars only; absent values omitted)."""
        meta: dict[str, str | int] = {
            "regulation": self.citation.regulation,
            "kind": self.kind,
            "ordinal": self.ordinal,
            "source_file": self.source_file,
            "source_hash": self.source_hash,
            "heading_path": HEADING_SEPARATOR.join(self.heading_path),
        }
        optional = {
            "pasal": self.citation.pasal,
            "part": self.citation.part,
            "section": self.citation.section,
            "page": self.citation.page,
            "bab": self.bab,
        }
        meta.update({k: v for k, v in optional.items() if v is not None})
        return meta

    @classmethod
    def from_record(cls, text: str, meta: dict[str, Any]) -> Chunk:
        """Rebuild a chunk from a stored document and its metadata."""
        path = str(meta.get("heading_path") or "")
        page = meta.get("page")
        return cls(
            text=text,
            citation=Citation(
                regulation=str(meta["regulation"]),
                pasal=meta.get("pasal"),
                part=meta.get("part"),
                section=meta.get("section"),
                page=int(page) if page is not None else None,
            ),
            kind=str(meta.get("kind", "")),
            ordinal=int(meta.get("ordinal", 0)),
            source_file=str(meta.get("source_file", "")),
            source_hash=str(meta.get("source_hash", "")),
            bab=meta.get("bab"),
            heading_path=tuple(path.split(HEADING_SEPARATOR)) if path else (),
        )
