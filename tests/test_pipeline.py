"""Ingest against a real Chroma store on disk: incremental, atomic, duplicates, bad input, model checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.pipeline import Ingestor
from knowledge.catalog import load_catalog
from knowledge.embedders import HashEmbeddings
from knowledge.settings import Settings
from knowledge.store import Store, StoreError
from tests.conftest import corpus_path


class CountingEmbeddings(HashEmbeddings):
    """The hash embedder, counting what it embeds (a fake through the real interface)."""

    def __init__(self, dim: int = 256, fail_on_call: int | None = None) -> None:
        super().__init__(dim)
        self.embedded = 0
        self.calls = 0
        self.fail_on_call = fail_on_call

    def embed_documents(self, texts):
        self.calls += 1
        if self.fail_on_call and self.calls >= self.fail_on_call:
            raise RuntimeError("embedder died")
        self.embedded += len(texts)
        return super().embed_documents(texts)


def make_ingestor(settings: Settings, embedder=None, progress=None) -> tuple[Ingestor, CountingEmbeddings]:
    embedder = embedder or CountingEmbeddings()
    store = Store.open(settings, create=True)
    return Ingestor(store, embedder, load_catalog(), batch_size=16, progress=progress), embedder


def copy_into(folder: Path, *names: str) -> list[Path]:
    return [Path(shutil.copy(corpus_path(n), folder / n)) for n in names]


def by_status(report):
    out = {}
    for r in report.results:
        out.setdefault(r.status, []).append(Path(r.source_file).name)
    return out


def test_incremental_reingest(settings):
    docs = settings.documents_dir
    copy_into(docs, "perpres-132-2022.txt", "permenpanrb-5-2020-pedoman-manajemen-risiko-spbe.pdf")
    ingestor, embedder = make_ingestor(settings)
    first = ingestor.run([docs])
    assert by_status(first) == {"ingested": sorted(p.name for p in docs.iterdir())}
    total = ingestor.store.count()
    assert embedder.embedded == total == first.embedded > 100

    active = ingestor.store.active_name
    embedder.embedded = 0
    second = ingestor.run([docs])
    assert embedder.embedded == 0 and second.embedded == 0
    assert set(by_status(second)) == {"unchanged"}
    assert ingestor.store.active_name == active  # nothing rebuilt

    # Change one Pasal of one file: only that file's chunks are embedded again.
    txt = docs / "perpres-132-2022.txt"
    original = txt.read_text(encoding="utf-8")
    assert "Pengemba.ngan infrastruktur" in original
    txt.write_text(
        original.replace("Pengemba.ngan infrastruktur", "Pengembangan infrastruktur"), encoding="utf-8"
    )
    third = ingestor.run([docs])
    p132 = [c for c in ingestor.store.chunks("Perpres 132/2022")]
    assert embedder.embedded == len(p132) == third.embedded
    assert third.reused == total - len(p132)
    assert any("(3) Pengembangan infrastruktur" in c.text for c in p132)
    assert not any("Pengemba.ngan" in c.text for c in p132)
    assert ingestor.store.count() == total

    # A removed file takes exactly its chunks with it.
    txt.unlink()
    fourth = ingestor.run([docs])
    assert by_status(fourth)["removed"] == ["perpres-132-2022.txt"]
    assert ingestor.store.chunks("Perpres 132/2022") == []
    assert ingestor.store.count() == total - len(p132)
    assert [r.regulation for r in ingestor.store.manifest()] == ["PermenPANRB 5/2020"]


def test_readers_never_see_a_half_built_index(settings):
    docs = settings.documents_dir
    copy_into(docs, "perpres-82-2023-percepatan-transformasi-digital.pdf")
    ingestor, _ = make_ingestor(settings)
    ingestor.run([docs])
    before = ingestor.store.active_name
    count_before = ingestor.store.count()
    seen = []

    class Probe:
        def start(self, name, total):
            pass

        def advance(self, count):
            reader = Store.open(settings)  # a second client, like the bot during /reindex
            seen.append((reader.active_name, reader.count()))

        def finish(self):
            pass

    copy_into(docs, "permenpanrb-5-2020-pedoman-manajemen-risiko-spbe.pdf")
    ingestor.progress = Probe()
    ingestor.run([docs])
    assert seen and all(s == (before, count_before) for s in seen)
    assert ingestor.store.active_name != before
    assert ingestor.store.count() > count_before


def test_failed_build_leaves_the_old_index_active(settings):
    docs = settings.documents_dir
    copy_into(docs, "perpres-82-2023-percepatan-transformasi-digital.pdf")
    ingestor, _ = make_ingestor(settings)
    ingestor.run([docs])
    active, count = ingestor.store.active_name, ingestor.store.count()
    copy_into(docs, "permenpanrb-5-2020-pedoman-manajemen-risiko-spbe.pdf")
    ingestor.embedder = CountingEmbeddings(fail_on_call=2)
    with pytest.raises(RuntimeError):
        ingestor.run([docs])
    reader = Store.open(settings)
    assert (reader.active_name, reader.count()) == (active, count)
    names = [c.name for c in reader._client.list_collections()]
    assert sorted(n for n in names if n.startswith("spbe-chunks-")) == [active]


def test_same_document_twice_is_ingested_once(settings):
    docs = settings.documents_dir
    copy_into(docs, "perpres-95-2018.pdf-text-layer.json", "perpres-95-2018.txt")
    ingestor, embedder = make_ingestor(settings)
    report = ingestor.run([docs])
    statuses = by_status(report)
    assert statuses["ingested"] == ["perpres-95-2018.pdf-text-layer.json"]
    assert statuses["duplicate"] == ["perpres-95-2018.txt"]
    warning = next(r for r in report.results if r.status == "duplicate").warnings[0]
    assert "perpres-95-2018.pdf-text-layer.json" in warning and "perpres-95-2018.txt" in warning
    definitions = [
        c for c in ingestor.store.chunks("Perpres 95/2018", pasal="1") if c.citation.part == "angka 6"
    ]
    assert len(definitions) == 1
    embedder.embedded = 0
    again = ingestor.run([docs])
    assert embedder.embedded == 0
    assert by_status(again)["duplicate"] == ["perpres-95-2018.txt"]


def test_unknown_regulation_is_ingested_under_its_own_name(settings):
    doc = settings.documents_dir / "permenkominfo.txt"
    doc.write_text(
        "PERATURAN MENTERI KOMUNIKASI DAN INFORMATIKA\nREPUBLIK INDONESIA\nNOMOR 1 TAHUN 2023\nTENTANG\n"
        "INTEROPERABILITAS DATA DALAM PENYELENGGARAAN SISTEM ELEKTRONIK\nDENGAN RAHMAT TUHAN YANG MAHA ESA\n"
        "Menimbang : bahwa untuk melaksanakan ketentuan perlu menetapkan Peraturan Menteri;\n"
        "Mengingat : Undang-Undang Nomor 11 Tahun 2008;\nMEMUTUSKAN:\n"
        "Pasal 1\nDalam Peraturan Menteri ini yang dimaksud dengan:\n1. Data adalah catatan.\n"
        "2. Interoperabilitas adalah kemampuan.\n3. Menteri adalah menteri.\n"
        "Pasal 2\n(1) Penyelenggara wajib menerapkan interoperabilitas.\n(2) Ketentuan lain diatur.\n"
        "Ditetapkan di Jakarta\n",
        encoding="utf-8",
    )
    ingestor, _ = make_ingestor(settings)
    report = ingestor.run([doc])
    result = report.results[0]
    assert (result.status, result.regulation, result.pasal) == ("ingested", "Permenkominfo 1/2023", 2)
    assert any("tidak ada di katalog" in w for w in result.warnings)
    record = ingestor.store.manifest()[0]
    assert record.title.startswith(
        "Peraturan Menteri Komunikasi dan Informatika Nomor 1 Tahun 2023 tentang Interoperabilitas Data"
    )
    assert [c.citation.label() for c in ingestor.store.chunks("Permenkominfo 1/2023", pasal="2")] == [
        "Permenkominfo 1/2023 Pasal 2 ayat (1)",
        "Permenkominfo 1/2023 Pasal 2 ayat (2)",
    ]


def test_store_refuses_to_mix_embedding_models(settings):
    copy_into(settings.documents_dir, "perpres-82-2023-percepatan-transformasi-digital.pdf")
    ingestor, _ = make_ingestor(settings)
    ingestor.run([settings.documents_dir])
    other, _ = make_ingestor(settings, embedder=CountingEmbeddings(dim=128))
    with pytest.raises(StoreError, match=r"hash:256.*hash:128"):
        other.run([settings.documents_dir])
    report = other.run([settings.documents_dir], rebuild=True)
    assert report.embedded == other.store.count()
    assert Store.open(settings).embedding_model == "hash:128"


def test_ingesting_one_file_keeps_every_other_document(settings, tmp_path):
    docs = settings.documents_dir
    copy_into(docs, "perpres-82-2023-percepatan-transformasi-digital.pdf", "perpres-132-2022.txt")
    ingestor, embedder = make_ingestor(settings)
    ingestor.run([docs])
    before = {r.regulation: r.chunks for r in ingestor.store.manifest()}
    extra = tmp_path / "extra"
    extra.mkdir()
    (new,) = copy_into(extra, "permenpanrb-5-2020-pedoman-manajemen-risiko-spbe.pdf")
    embedder.embedded = 0
    report = ingestor.run([new])
    after = {r.regulation: r.chunks for r in ingestor.store.manifest()}
    assert after == {**before, "PermenPANRB 5/2020": after["PermenPANRB 5/2020"]}
    assert embedder.embedded == after["PermenPANRB 5/2020"] == report.embedded
    assert ingestor.store.count() == sum(after.values())
