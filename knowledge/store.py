"""The Chroma store: versioned chunk collections, an atomic active pointer, and the embedding model id."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from knowledge.results import Figure, ResultRecord
from knowledge.schema import CHUNK_COLLECTION_PREFIX, META_COLLECTION, Chunk
from knowledge.settings import Settings

logger = logging.getLogger(__name__)


# The evaluation results of a chunk collection live in a companion collection with this suffix: they are
# built with it and switched and dropped with it, so readers never see results of another version.
RESULTS_SUFFIX = "-results"


class StoreError(Exception):
    """The store is missing, unreadable or built with another model; the message is for users."""


MAINTENANCE = (
    "Mohon maaf, basis pengetahuan sedang pemeliharaan. "
    "Silakan ajukan kembali pertanyaan Anda beberapa saat lagi."
)


class StoreUnavailable(StoreError):
    """The Chroma server cannot be reached now (stopped, restarting); it may come back by itself."""

    def __init__(self, location: str, cause: BaseException) -> None:
        super().__init__(MAINTENANCE)
        self.location = location
        self.cause = cause

    def detail(self) -> str:
        """For operators (CLI, logs): where, and what the client said."""
        return (
            f"Server Chroma di {self.location} tidak dapat dihubungi ({type(self.cause).__name__}); "
            "basis pengetahuan sedang pemeliharaan atau servernya belum berjalan."
        )


def _unreachable(exc: BaseException) -> bool:
    """A transport failure talking to a Chroma server (refused, reset, timed out), not a bad request.

    The chain is searched: chromadb's HttpClient wraps a refused connection at start in a ValueError.
    """
    import httpx

    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, httpx.TransportError | ConnectionError | TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _read_only(path: Path) -> bool:
    """A store folder the bot may not write: no permission, a read-only mount, or no write bits at all.

    Root passes os.access on a chmod-ed folder, so the mode bits are checked too: an operator who took
    the write bits away meant it, and Chroma's SQLite would fail on its first write, mid-answer.
    """
    mode = path.stat().st_mode
    return not os.access(path, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


@dataclass(frozen=True)
class SourceRecord:
    """What the store knows about one ingested source file."""

    source_file: str
    source_hash: str
    regulation: str
    title: str
    status: str
    pages: int
    pasal: int
    chunks: int
    ingested_at: str
    duplicates: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SourceRecord:
        """Rebuild from the stored manifest."""
        raw = dict(raw)
        raw["duplicates"] = tuple(raw.get("duplicates", ()))
        raw["warnings"] = tuple(raw.get("warnings", ()))
        return cls(**raw)


@dataclass(frozen=True)
class ActivePointer:
    """What readers use now: the active collection's name, embedding model and source manifest."""

    name: str | None
    embedding_model: str | None
    manifest: tuple[SourceRecord, ...] = ()


@dataclass(frozen=True)
class StoredRecord:
    """One chunk as stored: id, text, metadata and (when asked for) its embedding."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]
    embedding: Sequence[float] | None = None

    def chunk(self) -> Chunk:
        """The chunk this record holds."""
        return Chunk.from_record(self.text, self.metadata)


class Store:
    """Chunk collections in Chroma; readers always see one complete, active collection."""

    def __init__(self, client: Any, location: str, *, remote: bool = False) -> None:
        self._client = client
        self.location = location
        self.remote = remote  # a Chroma server: it can stop and come back while the bot runs
        with self._reachable():
            self._meta = client.get_or_create_collection(META_COLLECTION, embedding_function=None)

    @contextlib.contextmanager
    def _reachable(self) -> Iterator[None]:
        """Turn a lost connection to the Chroma server into StoreUnavailable (its message is for users)."""
        try:
            yield
        except Exception as exc:
            if self.remote and _unreachable(exc):
                raise StoreUnavailable(self.location, exc) from exc
            raise

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings, *, create: bool = False) -> Store:
        """Open the configured store (on disk, or a Chroma server when SPBE_CHROMA_HOST is set)."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        location = str(settings.store_dir)
        try:
            if settings.chroma_host:
                location = f"http://{settings.chroma_host}:{settings.chroma_port}"
                client = chromadb.HttpClient(
                    host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
                )
                return cls(client, location, remote=True)
            path = settings.store_dir
            if not create and not (path / "chroma.sqlite3").exists():
                raise StoreError(f"Indeks belum ada di {path}. Jalankan `spbe-bot ingest` terlebih dahulu.")
            path.mkdir(parents=True, exist_ok=True)
            if _read_only(path):
                raise StoreError(
                    f"Folder indeks {path} hanya-baca. Chroma perlu menulis ke foldernya; berikan izin "
                    "tulis atau arahkan SPBE_STORE_DIR ke folder yang dapat ditulis."
                )
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            return cls(client, str(Path(path).resolve()))
        except StoreUnavailable as exc:
            raise StoreError(exc.detail()) from exc
        except StoreError:
            raise
        except Exception as exc:
            if settings.chroma_host and _unreachable(exc):
                raise StoreError(StoreUnavailable(location, exc).detail()) from exc
            raise StoreError(f"Indeks tidak dapat dibuka ({type(exc).__name__}: {exc}).") from exc

    # -- the active pointer ----------------------------------------------------------------------
    def _meta_info(self) -> dict[str, Any]:
        # Read it fresh: another process, or another client in this one, may have switched collections.
        with self._reachable():
            self._meta = self._client.get_collection(META_COLLECTION, embedding_function=None)
        return dict(self._meta.metadata or {})

    def pointer(self) -> ActivePointer:
        """The active collection, its model and manifest, from one read (they always belong together)."""
        info = self._meta_info()
        raw = info.get("manifest")
        return ActivePointer(
            name=info.get("active"),
            embedding_model=info.get("embedding_model"),
            manifest=tuple(SourceRecord.from_dict(r) for r in json.loads(raw)) if raw else (),
        )

    @property
    def embedding_model(self) -> str | None:
        """The model id the active collection was embedded with."""
        return self._meta_info().get("embedding_model")

    @property
    def active_name(self) -> str | None:
        """Name of the collection readers use."""
        return self._meta_info().get("active")

    def manifest(self) -> list[SourceRecord]:
        """Source files in the active collection."""
        raw = self._meta_info().get("manifest")
        return [SourceRecord.from_dict(r) for r in json.loads(raw)] if raw else []

    def check_model(self, model_id: str, stored: str | None = None) -> None:
        """Refuse to mix embedding models in one store (stored: the model already read with the pointer)."""
        stored = stored or self.embedding_model
        if stored and stored != model_id:
            raise StoreError(
                f"Indeks di {self.location} dibuat dengan model embedding '{stored}', sedangkan "
                f"pengaturan sekarang '{model_id}'. Samakan SPBE_EMBEDDER, atau bangun ulang indeks "
                "dengan `spbe-bot ingest --rebuild`."
            )

    def _collection(self, name: str | None = None) -> Any:
        name = name or self.active_name
        if not name:
            raise StoreError("Indeks masih kosong. Jalankan `spbe-bot ingest` terlebih dahulu.")
        with self._reachable():
            return self._client.get_collection(name, embedding_function=None)

    # -- building --------------------------------------------------------------------------------
    def new_collection(self) -> str:
        """Create an empty chunk collection to build into; readers do not see it until activate()."""
        name = f"{CHUNK_COLLECTION_PREFIX}{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self._client.create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        return name

    def add(self, collection: str, records: Sequence[StoredRecord]) -> None:
        """Add records (with embeddings) to a collection being built."""
        target = self._collection(collection)
        batch = max(1, min(1000, self._client.get_max_batch_size()))
        for start in range(0, len(records), batch):
            part = records[start : start + batch]
            target.add(
                ids=[r.chunk_id for r in part],
                documents=[r.text for r in part],
                metadatas=[r.metadata for r in part],
                embeddings=[list(r.embedding or ()) for r in part],
            )

    def activate(self, collection: str, model_id: str, manifest: Sequence[SourceRecord]) -> None:
        """Switch readers to a complete collection in one metadata write, then drop the old one."""
        previous = self.active_name
        self._meta.modify(
            metadata={
                "active": collection,
                "embedding_model": model_id,
                "manifest": json.dumps([asdict(r) for r in manifest], ensure_ascii=False),
                "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
        )
        if previous and previous != collection:
            try:
                self._client.delete_collection(previous)
            except Exception:  # a reader may hold it; a stale collection costs only disk
                logger.warning("could not delete old collection %s", previous, exc_info=True)
            self._drop_results(previous)

    def drop(self, collection: str) -> None:
        """Delete a collection that was being built and will not be activated."""
        self._client.delete_collection(collection)
        self._drop_results(collection)

    def _drop_results(self, collection: str) -> None:
        try:
            self._client.delete_collection(collection + RESULTS_SUFFIX)
        except Exception:  # none was built (no report in it), or a reader holds it
            logger.debug("no results collection for %s", collection)

    def add_results(self, collection: str, items: Sequence[ResultRecord | Figure]) -> None:
        """Add evaluation results (records and figures) beside a chunk collection being built."""
        if not items:
            return
        # Records are found by their fields, never by similarity: a constant vector keeps Chroma's
        # default embedding function (which downloads a model) out of it.
        target = self._client.get_or_create_collection(collection + RESULTS_SUFFIX, embedding_function=None)
        batch = max(1, min(1000, self._client.get_max_batch_size()))
        for start in range(0, len(items), batch):
            part = items[start : start + batch]
            target.add(
                ids=[f"{type(r).__name__}-{uuid.uuid4().hex}" for r in part],
                documents=[r.row for r in part],
                metadatas=[r.metadata() for r in part],
                embeddings=[[1.0] for _ in part],
            )

    def results(
        self, where: dict[str, Any] | None = None, *, collection: str | None = None
    ) -> tuple[list[ResultRecord], list[Figure]]:
        """The evaluation results beside a chunk collection (the active one by default)."""
        name = (collection or self.active_name or "") + RESULTS_SUFFIX
        try:
            target = self._client.get_collection(name, embedding_function=None)
        except Exception as exc:  # built before results were kept, or no report in it
            if self.remote and _unreachable(exc):
                raise StoreUnavailable(self.location, exc) from exc
            return [], []
        with self._reachable():
            got = target.get(where=where, include=["metadatas"])
        records: list[ResultRecord] = []
        figures: list[Figure] = []
        for meta in got["metadatas"]:
            if meta.get("kind") == "result":
                records.append(ResultRecord.from_metadata(dict(meta)))
            else:
                figures.append(Figure.from_metadata(dict(meta)))
        records.sort(key=lambda r: (r.year, r.page))
        figures.sort(key=lambda f: (f.year, f.table, f.page, f.row))
        return records, figures

    # -- reading ---------------------------------------------------------------------------------
    def records(
        self, where: dict[str, Any] | None = None, *, embeddings: bool = False, collection: str | None = None
    ) -> list[StoredRecord]:
        """Stored chunks matching a metadata filter, in document order."""
        include = ["documents", "metadatas", *(["embeddings"] if embeddings else [])]
        target = self._collection(collection)
        with self._reachable():
            got = target.get(where=where, include=include)
        vectors = got.get("embeddings")
        out = [
            StoredRecord(
                chunk_id=cid,
                text=doc,
                metadata=dict(meta),
                embedding=(list(vectors[i]) if vectors is not None else None),
            )
            for i, (cid, doc, meta) in enumerate(
                zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            )
        ]
        return sorted(
            out, key=lambda r: (str(r.metadata.get("regulation")), int(r.metadata.get("ordinal", 0)))
        )

    def chunks(self, regulation: str, pasal: str | None = None) -> list[Chunk]:
        """A regulation's chunks (optionally one Pasal's), in document order."""
        where: dict[str, Any] = {"regulation": regulation}
        if pasal is not None:
            where = {"$and": [where, {"pasal": pasal}]}
        return [r.chunk() for r in self.records(where)]

    def count(self) -> int:
        """Number of chunks in the active collection."""
        return int(self._collection().count())
