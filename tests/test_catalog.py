from pathlib import Path

import pytest

from ingest.load import load_document
from knowledge.catalog import CatalogError, load_catalog
from tests.conftest import CORPUS_FILES, corpus_path

EVAL_NAMES = {
    "Perpres 95/2018",
    "Perpres 132/2022",
    "Perpres 82/2023",
    "PermenPANRB 59/2020",
    "PermenPANRB 5/2020",
    "Peraturan BSSN 8/2024",
    "Pedoman MenPANRB 3/2024",
    "Laporan Evaluasi SPBE 2023",
    "Laporan Evaluasi SPBE 2024",
}


def test_catalog_has_one_entry_per_corpus_document_named_as_in_eval():
    catalog = load_catalog()
    assert {r.short_name for r in catalog.regulations} == EVAL_NAMES
    for reg in catalog.regulations:
        assert reg.title and reg.jenis and reg.tahun >= 2018
        assert reg.status in {"berlaku", "diubah", "dicabut"}
        if reg.url:
            assert reg.url.startswith("https://")


@pytest.mark.parametrize("regulation", sorted(CORPUS_FILES))
def test_every_corpus_document_identifies_itself_from_its_own_text(regulation):
    catalog = load_catalog()
    loaded = load_document(corpus_path(CORPUS_FILES[regulation]))
    identity = catalog.identify("\n".join(p.text for p in loaded.pages[:2]))
    assert identity is not None
    assert catalog.match(identity).short_name == regulation


def test_derived_txt_copies_identify_as_the_same_document():
    catalog = load_catalog()
    for name, expected in [
        ("perpres-95-2018.txt", "Perpres 95/2018"),
        ("perpres-132-2022.txt", "Perpres 132/2022"),
    ]:
        text = corpus_path(name).read_text(encoding="utf-8")[:5000]
        assert catalog.match(catalog.identify(text)).short_name == expected


def test_unknown_regulation_gets_a_short_name_from_its_text():
    catalog = load_catalog()
    identity = catalog.identify(
        "SALINAN\nPERATURAN MENTERI KOMUNIKASI DAN INFORMATIKA\nREPUBLIK INDONESIA\n"
        "NOMOR 1 TAHUN 2023\nTENTANG\nINTEROPERABILITAS DATA"
    )
    assert catalog.match(identity) is None
    assert catalog.short_name_for(identity) == "Permenkominfo 1/2023"


def test_loose_names_find_their_regulation():
    catalog = load_catalog()
    assert catalog.find("perpres spbe").short_name == "Perpres 95/2018"
    assert catalog.find("PermenPAN RB 59/2020").short_name == "PermenPANRB 59/2020"
    assert catalog.find("perpres 999") is None


def test_malformed_catalog_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[regulation]]\nshort_name = 'X'\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="tanpa kolom"):
        load_catalog(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[[regulation", encoding="utf-8")
    with pytest.raises(CatalogError, match="tidak valid"):
        load_catalog(broken)
    with pytest.raises(CatalogError, match="tidak ditemukan"):
        load_catalog(tmp_path / "none.toml")
