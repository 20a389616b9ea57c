"""An admin adds a regulation of a kind and topic the catalog does not list: it is known at once by its
name, its Pasal, its definitions and its facts, with no code change; removed, it is refused by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from knowledge.settings import Settings
from tests.new_regulation import QUESTIONS, SHORT_NAME, write_regulation
from tests.test_cli import run_cli


@pytest.fixture
def corpus_copy(corpus_settings: Settings, tmp_path: Path) -> Settings:
    """The whole corpus store (hash embedder), copied so that ingesting into it disturbs no other test."""
    shutil.copytree(corpus_settings.store_dir, tmp_path / "store")
    docs = tmp_path / "docs"
    docs.mkdir()
    return Settings(documents_dir=docs, store_dir=tmp_path / "store", embedder="hash", _env_file=None)


def _ask(settings: Settings, question: str) -> dict:
    result = run_cli(settings, "ask", question, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _labels(turn: dict) -> list[str]:
    from knowledge.schema import Citation

    return [
        Citation(**{k: c[k] for k in ("regulation", "pasal", "part", "section", "page")}).label()
        for c in turn["citations"]
    ]


def test_a_regulation_outside_the_catalog_is_known_at_once_and_refused_after_removal(corpus_copy):
    settings = corpus_copy
    before = _ask(settings, QUESTIONS[0][0])
    assert before["refused"] and not before["citations"]
    assert f"{SHORT_NAME} belum ada dalam basis pengetahuan" in before["answer"]

    path = write_regulation(settings.documents_dir)
    ingest = run_cli(settings, "ingest", str(path))
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    assert SHORT_NAME in ingest.stdout and "tidak ada di katalog" in ingest.stdout
    status = run_cli(settings, "status", "--json")
    assert SHORT_NAME in status.stdout

    for question, citation, phrase in QUESTIONS:
        turn = _ask(settings, question)
        assert not turn["refused"], (question, turn["answer"])
        assert any(label.startswith(citation) for label in _labels(turn)), (question, _labels(turn))
        assert phrase in turn["answer"]
        assert "tidak ada di katalog" in turn["answer"]  # Sumber says the catalog does not vouch for it

    path.unlink()  # the admin removes the file and re-indexes the folder
    removal = run_cli(settings, "ingest", str(settings.documents_dir))
    assert removal.returncode == 0, removal.stdout + removal.stderr
    assert "dihapus" in removal.stdout
    after = _ask(settings, QUESTIONS[0][0])
    assert after["refused"] and not after["citations"]
    assert f"{SHORT_NAME} belum ada dalam basis pengetahuan" in after["answer"]
    unnamed = _ask(settings, QUESTIONS[2][0])  # its facts are gone with it
    assert not any(label.startswith(SHORT_NAME) for label in _labels(unnamed))


def test_the_name_of_an_indexed_regulation_is_built_from_its_title_page():
    from bot.core.lexicon import Lexicon

    lexicon = Lexicon.build([SHORT_NAME, "Perpres 95/2018"], titles={SHORT_NAME: "Peraturan Gubernur Contoh"})
    for named in (
        "pergub contoh 7/2025",
        "pergub contoh nomor 7 tahun 2025",
        "peraturan gubernur contoh no 7 thn 2025",
        "pergub contoh",  # a region's only regulation of that kind, without its number
    ):
        (mention,) = lexicon.find_regulations(f"isi pasal 3 {named} apa?")
        assert mention.short_name == SHORT_NAME, named
    (other,) = lexicon.find_regulations("isi pasal 3 pergub jawa barat 7/2025 apa?")
    assert other.short_name is None and other.display == "Pergub Jawa Barat 7/2025"
