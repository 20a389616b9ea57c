"""Incremental, atomic ingest: unchanged files are reused, changed ones re-embedded, then one switch."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ingest.chunk import chunk_document
from ingest.legal import ParsedDocument, parse_guide, parse_markdown, parse_regulation
from ingest.load import LoadedDocument, LoadError, load_document
from ingest.normalize import clean_pages
from ingest.records import Extracted
from ingest.records import extract as extract_results
from knowledge.catalog import Catalog, Regulation
from knowledge.embedders import ModelEmbeddings
from knowledge.schema import Chunk
from knowledge.store import SourceRecord, Store, StoredRecord

logger = logging.getLogger(__name__)

# When two files hold the same document, the richer format wins.
_FORMAT_PREFERENCE = ("json", "pdf", "docx", "html", "htm", "md", "txt")


class Progress(Protocol):
    """Receives progress while documents are embedded."""

    def start(self, name: str, total: int) -> None:
        """A document with `total` chunks starts."""

    def advance(self, count: int) -> None:
        """`count` more chunks are embedded."""

    def finish(self) -> None:
        """The document is done."""


class _NoProgress:
    def start(self, name: str, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass
class DocumentResult:
    """What happened to one source file, for the summary table."""

    source_file: str
    status: str  # ingested | unchanged | duplicate | failed | removed
    regulation: str | None = None
    pages: int = 0
    pasal: int = 0
    chunks: int = 0
    seconds: float = 0.0
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    """The outcome of one ingest run."""

    results: list[DocumentResult]
    embedded: int = 0
    reused: int = 0
    switched: bool = False
    seconds: float = 0.0

    @property
    def failed(self) -> list[DocumentResult]:
        """Files that could not be ingested."""
        return [r for r in self.results if r.status == "failed"]


@dataclass
class _Parsed:
    path: Path
    digest: str
    loaded: LoadedDocument
    regulation: Regulation | None
    short_name: str
    title: str
    doc: ParsedDocument
    warnings: list[str]
    seconds: float
    results: Extracted = field(default_factory=Extracted)

    def result(self, status: str, chunks: int, seconds: float, warnings: list[str]) -> DocumentResult:
        """This file's row in the summary."""
        return DocumentResult(
            str(self.path),
            status,
            self.short_name,
            len(self.loaded.pages),
            len(self.doc.pasal),
            chunks,
            seconds,
            warnings=warnings,
        )


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Documentation that lives beside documents in a folder, not a document itself.
_NOT_DOCUMENTS = ("README", "SOURCES", "LICENSE", "CHANGELOG")


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus files under named folders (skipping hidden files, READMEs, SOURCES)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden and not child.name.upper().startswith(_NOT_DOCUMENTS):
                    found.append(child)
        else:
            found.append(path)
    return list(dict.fromkeys(p.resolve() for p in found))


class Ingestor:
    """Runs the pipeline against one store with one embedder and catalog."""

    def __init__(
        self,
        store: Store,
        embedder: ModelEmbeddings,
        catalog: Catalog,
        *,
        batch_size: int = 32,
        progress: Progress | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.catalog = catalog
        self.batch_size = batch_size
        self.progress = progress or _NoProgress()

    def run(self, paths: Sequence[Path], *, rebuild: bool = False) -> IngestReport:
        """Ingest files and folders; only changed files are parsed and embedded."""
        started = time.perf_counter()
        if not rebuild:
            self.store.check_model(self.embedder.model_id)
        manifest = {} if rebuild else {r.source_file: r for r in self.store.manifest()}
        results: list[DocumentResult] = []
        kept: dict[str, SourceRecord] = {}
        parsed: list[_Parsed] = []

        for path in collect_files(paths):
            key = str(path)
            if not path.exists():
                results.append(DocumentResult(key, "failed", reason="berkas tidak ditemukan"))
                continue
            digest = file_digest(path) if path.is_file() else ""
            old = manifest.get(key)
            if old and old.source_hash == digest:
                kept[key] = old
                status = "duplicate" if old.duplicates and old.chunks == 0 else "unchanged"
                results.append(DocumentResult(key, status, old.regulation, old.pages, old.pasal, old.chunks))
                continue
            try:
                parsed.append(self._parse(path, digest))
            except LoadError as exc:
                results.append(DocumentResult(key, "failed", reason=str(exc)))
                if old:  # nothing is lost: the previous version stays searchable
                    kept[key] = old

        # Files this run did not name stay as they are; files that disappeared take their chunks with them.
        for key, old in manifest.items():
            if key in kept or any(str(p.path) == key for p in parsed):
                continue
            if Path(key).exists():
                kept[key] = old
            else:
                results.append(DocumentResult(key, "removed", old.regulation, chunks=old.chunks))

        new_records, duplicates = self._deduplicate(parsed, kept, results)
        removed = any(r.status == "removed" for r in results)
        if not parsed and not removed and not rebuild and not duplicates:
            return IngestReport(
                results, reused=sum(r.chunks for r in kept.values()), seconds=time.perf_counter() - started
            )

        report = self._build(new_records, kept, duplicates, results)
        report.seconds = time.perf_counter() - started
        return report

    # -- parsing ---------------------------------------------------------------------------------
    def _parse(self, path: Path, digest: str) -> _Parsed:
        started = time.perf_counter()
        loaded = load_document(path)
        warnings: list[str] = []
        is_markdown = loaded.format == "md"
        lines = clean_pages(loaded.pages, markdown=is_markdown)
        head = "\n".join(p.text for p in loaded.pages[:2])
        identity = self.catalog.identify(head)
        regulation = self.catalog.match(identity) if identity else None
        if regulation:
            short_name, title = regulation.short_name, regulation.title
        elif identity:
            short_name = self.catalog.short_name_for(identity)
            title = (
                _title_from_text(head, f"{identity.title_form} {identity.qualifier}".strip()) or short_name
            )
            warnings.append(f"'{short_name}' tidak ada di katalog; dimasukkan dengan nama dari teksnya")
        else:
            short_name = title = path.stem
            warnings.append("jenis, nomor dan tahun tidak ditemukan di halaman judul; memakai nama berkas")
        has_pasal = regulation.has_pasal if regulation else not is_markdown
        if is_markdown:
            doc = parse_markdown(lines)
        elif has_pasal:
            doc = parse_regulation(lines)
            if not doc.pasal and not regulation:
                doc = parse_guide(lines)
        else:
            doc = parse_guide(lines)
        warnings.extend(doc.warnings)
        if has_pasal and not doc.pasal and regulation:
            warnings.append("tidak ada Pasal yang dikenali")
        year = regulation.tahun if regulation else identity.tahun if identity else 0
        results = extract_results(lines, short_name, year, source_hash=digest)
        if results.skipped:
            warnings.append(f"{len(results.skipped)} baris tabel hasil evaluasi tidak terbaca")
        return _Parsed(
            path,
            digest,
            loaded,
            regulation,
            short_name,
            title,
            doc,
            warnings,
            time.perf_counter() - started,
            results,
        )

    def _deduplicate(
        self, parsed: list[_Parsed], kept: dict[str, SourceRecord], results: list[DocumentResult]
    ) -> tuple[list[_Parsed], dict[str, _Parsed]]:
        """One file per document: the same regulation from a second file is skipped with a warning."""
        owners: dict[str, str] = {r.regulation: k for k, r in kept.items() if r.chunks}
        chosen: list[_Parsed] = []
        duplicates: dict[str, _Parsed] = {}

        def rank(p: _Parsed) -> tuple[int, str]:
            fmt = p.loaded.format
            return (_FORMAT_PREFERENCE.index(fmt) if fmt in _FORMAT_PREFERENCE else 99, str(p.path))

        for item in sorted(parsed, key=rank):
            owner = owners.get(item.short_name)
            if owner and owner != str(item.path):
                note = f"{item.short_name} sudah dimuat dari {Path(owner).name}; {item.path.name} dilewati"
                logger.warning("duplicate document: %s", note)
                results.append(item.result("duplicate", 0, item.seconds, [note]))
                duplicates[str(item.path)] = item
                continue
            owners[item.short_name] = str(item.path)
            chosen.append(item)
        return chosen, duplicates

    # -- building --------------------------------------------------------------------------------
    def _build(
        self,
        parsed: list[_Parsed],
        kept: dict[str, SourceRecord],
        duplicates: dict[str, _Parsed],
        results: list[DocumentResult],
    ) -> IngestReport:
        now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        collection = self.store.new_collection()
        embedded = reused = 0
        manifest: list[SourceRecord] = []
        try:
            replaced = {str(p.path) for p in parsed}
            for key, record in kept.items():
                if key in replaced:
                    continue
                if record.chunks:
                    old = self.store.records({"source_hash": record.source_hash}, embeddings=True)
                    self.store.add(collection, old)
                    reused += len(old)
                    old_records, old_figures = self.store.results({"source_hash": record.source_hash})
                    self.store.add_results(collection, [*old_records, *old_figures])
                manifest.append(record)
            for item in parsed:
                started = time.perf_counter()
                chunks = chunk_document(
                    item.doc, item.short_name, source_file=item.path.name, source_hash=item.digest
                )
                self._embed_into(collection, item.short_name, chunks)
                self.store.add_results(collection, [*item.results.records, *item.results.figures])
                embedded += len(chunks)
                dupes = tuple(str(d.path) for d in duplicates.values() if d.short_name == item.short_name)
                reg = item.regulation
                manifest.append(
                    SourceRecord(
                        source_file=str(item.path),
                        source_hash=item.digest,
                        regulation=item.short_name,
                        title=item.title,
                        status=reg.status if reg else "tidak diketahui",
                        pages=len(item.loaded.pages),
                        pasal=len(item.doc.pasal),
                        chunks=len(chunks),
                        ingested_at=now,
                        duplicates=dupes,
                        warnings=tuple(item.warnings),
                    )
                )
                results.append(
                    item.result(
                        "ingested", len(chunks), item.seconds + time.perf_counter() - started, item.warnings
                    )
                )
            for key, item in duplicates.items():
                # Remember duplicates by hash so an unchanged re-run skips them without parsing.
                manifest.append(
                    SourceRecord(
                        source_file=key,
                        source_hash=item.digest,
                        regulation=item.short_name,
                        title=item.title,
                        status="duplikat",
                        pages=len(item.loaded.pages),
                        pasal=len(item.doc.pasal),
                        chunks=0,
                        ingested_at=now,
                        duplicates=(key,),
                    )
                )
            self.store.activate(collection, self.embedder.model_id, manifest)
        except BaseException:
            self.store.drop(collection)
            raise
        return IngestReport(results, embedded=embedded, reused=reused, switched=True)

    def _embed_into(self, collection: str, name: str, chunks: list[Chunk]) -> None:
        self.progress.start(name, len(chunks))
        try:
            for start in range(0, len(chunks), self.batch_size):
                batch = chunks[start : start + self.batch_size]
                vectors = self.embedder.embed_documents([c.embedding_text() for c in batch])
                self.store.add(
                    collection,
                    [
                        StoredRecord(c.chunk_id, c.text, c.metadata(), v)
                        for c, v in zip(batch, vectors, strict=True)
                    ],
                )
                self.progress.advance(len(batch))
        finally:
            self.progress.finish()


def _title_from_text(head: str, title_form: str) -> str | None:
    """'<Jenis> Nomor n Tahun y tentang <subject>' read from an unknown document's title page."""
    flat = re.sub(r"\s+", " ", head)
    m = re.search(
        r"NOMOR\s*:?\s*(\S+)\s+TAHUN\s+(\d{4})\s+TENTANG\s+([A-Z ,/()-]{5,200}?)\s+(?:DENGAN|[A-Z][a-z])",
        flat,
    )
    if not m:
        return None
    title = f"{title_form.title()} Nomor {m.group(1)} Tahun {m.group(2)} tentang {m.group(3).strip().title()}"
    return re.sub(r" (Dan|Di|Dalam|Atas|Untuk|Pada|Yang) ", lambda w: f" {w.group(1).lower()} ", title)
