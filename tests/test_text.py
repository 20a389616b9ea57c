"""Question text helpers: the stem cache that spares Sastrawi at every start."""

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
    assert "stem cache not written" in caplog.text
    assert text.stem("pengelolaan") == "kelola"


def test_the_index_writes_the_cache_beside_the_store(corpus_settings, tmp_path, fresh_stems):
    from bot.core.retrieve import KnowledgeIndex
    from knowledge.embedders import make_embedder
    from knowledge.store import Store

    path = tmp_path / "stems.json"
    KnowledgeIndex(Store.open(corpus_settings), make_embedder(corpus_settings.embedder), stem_cache=path)
    stems = json.loads(path.read_text(encoding="utf-8"))["stems"]
    assert stems["penyelenggaraan"] == "penyelenggaraan"  # protected legal term
    assert len(stems) > 1000
