"""Question text helpers: the stem and BM25 caches that spare Sastrawi at every start."""

from __future__ import annotations

import json

import pytest

from bot.core import text


@pytest.fixture
def fresh_stems(monkeypatch):
    """An empty cache of known stems, so each test sees what it loads itself."""
    monkeypatch.setattr(text, "_KNOWN_STEMS", {})
    return text._KNOWN_STEMS


def test_stems_round_trip_through_the_cache_file(tmp_path, fresh_stems):
    path = tmp_path / "cache" / "stems.json"
    text.save_stems(path, ["pengelolaan", "ditetapkan", "spbe"])
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["stems"]["pengelolaan"] == text._stem("pengelolaan") == "kelola"
    fresh_stems.clear()
    assert text.load_stems(path) == 3
    assert fresh_stems["ditetapkan"] == "tetap"
    # A known stem is answered from the cache, whatever Sastrawi would say now.
    fresh_stems["pengelolaan"] = "sentinel"
    assert text.stem("pengelolaan") == "sentinel"


def test_a_vocabulary_already_cached_is_not_rewritten(tmp_path, fresh_stems):
    path = tmp_path / "stems.json"
    text.save_stems(path, ["pengelolaan"])
    before = path.stat().st_mtime_ns
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")  # same content, new mtime
    touched = path.stat().st_mtime_ns
    text.save_stems(path, ["pengelolaan"])
    assert path.stat().st_mtime_ns == touched and touched >= before
    text.save_stems(path, ["pengelolaan", "penyelenggaraan"])
    assert "penyelenggaraan" in json.loads(path.read_text(encoding="utf-8"))["stems"]


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"version": "other", "stems": {"pengelolaan": "x"}}', '{"stems": 3}'],
)
def test_an_unusable_cache_file_is_ignored(tmp_path, fresh_stems, content):
    path = tmp_path / "stems.json"
    path.write_text(content, encoding="utf-8")
    assert text.load_stems(path) == 0
    assert fresh_stems == {}
    assert text.load_stems(tmp_path / "missing.json") == 0


def test_an_unwritable_cache_only_logs(tmp_path, fresh_stems, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    text.save_stems(blocker / "stems.json", ["pengelolaan"])  # its parent is a file
    assert "cache not written" in caplog.text
    assert text.stem("pengelolaan") == "kelola"


def test_the_index_caches_its_stems_and_bm25_index_and_reads_them_back(
    corpus_settings, tmp_path, fresh_stems
):
    import numpy as np

    from bot.core.retrieve import KnowledgeIndex
    from knowledge.embedders import make_embedder
    from knowledge.store import Store

    store, embedder = Store.open(corpus_settings), make_embedder(corpus_settings.embedder)
    cache = tmp_path / "cache"
    (cache / "bm25-an-earlier-collection").mkdir(parents=True)
    built = KnowledgeIndex(store, embedder, cache_dir=cache)
    stems = json.loads((cache / "stems.json").read_text(encoding="utf-8"))["stems"]
    assert stems["penyelenggaraan"] == "penyelenggaraan"  # protected legal term
    assert len(stems) > 1000
    folder = cache / f"bm25-{built.collection}"
    assert (folder / "meta.json").exists()
    assert not (cache / "bm25-an-earlier-collection").exists()

    question = "audit keamanan aplikasi umum dilakukan berapa kali dalam setahun?"
    (folder / "params.index.json").write_text("{}", encoding="utf-8")  # a bad cache must not be trusted...
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    # ...unless its meta vouches for it: a cache for other chunks is rebuilt, not read.
    (folder / "meta.json").write_text(json.dumps({**meta, "ids": meta["ids"][:-1]}), encoding="utf-8")
    rebuilt = KnowledgeIndex(store, embedder, cache_dir=cache)
    assert np.allclose(rebuilt.lexical(question), built.lexical(question))
    assert json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
    written = (folder / "meta.json").stat().st_mtime_ns
    read_back = KnowledgeIndex(store, embedder, cache_dir=cache)  # now from the rewritten cache
    assert (folder / "meta.json").stat().st_mtime_ns == written  # read, not rebuilt
    assert np.allclose(read_back.lexical(question), built.lexical(question))
    assert built.lexical(question).max() > 0
    built._load()  # a re-index reloads the same object (it once shadowed its own builder)
    assert np.allclose(built.lexical(question), read_back.lexical(question))
