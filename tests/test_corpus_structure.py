"""The parse of the real corpus: Pasal lists established by reading each document, not by the parser."""

import itertools
import random
import re

import pytest

from ingest.load import load_document
from tests.conftest import CORPUS_FILES, chunks_of, corpus_path, golden_word_repairs, parsed

# Established by reading each document page by page (garbled headings checked against the page images):
# Perpres 82/2023 prints Pasal 7 as "Pasa77", Pasal 11 as "Pasal l1", Pasal 20 as "Pasal 2O".
PASAL = {
    "Perpres 95/2018": list(range(1, 78)),
    "Perpres 132/2022": list(range(1, 7)),
    "Perpres 82/2023": list(range(1, 23)),
    "PermenPANRB 59/2020": list(range(1, 13)),
    "PermenPANRB 5/2020": list(range(1, 7)),
    "Peraturan BSSN 8/2024": list(range(1, 74)),
    "Pedoman MenPANRB 3/2024": [],
}
BAB = {
    "Perpres 95/2018": 9,
    "Perpres 132/2022": 0,
    "Perpres 82/2023": 6,
    "PermenPANRB 59/2020": 0,
    "PermenPANRB 5/2020": 0,
    "Peraturan BSSN 8/2024": 5,
}


@pytest.mark.parametrize("regulation", sorted(PASAL))
def test_every_pasal_found_once_in_order(regulation):
    assert [p.number for p in parsed(regulation).pasal] == PASAL[regulation]
    cited = list(
        dict.fromkeys(c.citation.pasal for c in chunks_of(regulation) if (c.citation.pasal or "").isdigit())
    )
    assert cited == [str(n) for n in PASAL[regulation]]


@pytest.mark.parametrize("regulation", sorted(BAB))
def test_bab_headings(regulation):
    babs = parsed(regulation).babs
    assert len(babs) == BAB[regulation]
    assert all(re.match(r"^BAB [IVX]+ [A-Z]", b) for b in babs)


def test_perpres_95_bab_spans_match_the_document():
    by_bab = {}
    for pasal in parsed("Perpres 95/2018").pasal:
        by_bab.setdefault(pasal.bab, []).append(pasal.number)
    assert by_bab["BAB VIII KETENTUAN PERALIHAN"] == [72, 73]
    assert by_bab["BAB IX KETENTUAN PENUTUP"] == [74, 75, 76, 77]
    assert by_bab["BAB I KETENTUAN UMUM"] == [1, 2, 3]


def _text(regulation, pasal):
    return "\n".join(c.text for c in chunks_of(regulation) if c.citation.pasal == str(pasal))


def test_garbled_headings_keep_their_right_text():
    # "Pasal 1 1" and "Pasal24" in the text layer.
    assert "Arsitektur SPBE Instansi Pusat disusun untuk jangka waktu 5 (lima) tahun" in _text(
        "Perpres 95/2018", 11
    )
    assert _text("Perpres 95/2018", 24).startswith(
        "Proses Bisnis yang saling terkait disusun secara terintegrasi"
    )
    assert "kerahasiaan, keutuhan, ketersediaan, keaslian, dan kenirsangkalan" in _text("Perpres 95/2018", 40)
    assert "mulai berlaku pada tanggal diundangkan" in _text("Perpres 95/2018", 77)
    assert "Direksi Perum Peruri" in _text("Perpres 82/2023", 20)


def test_definitions_are_citable_one_angka_at_a_time():
    angka = {c.citation.part: c.text for c in chunks_of("Perpres 95/2018") if c.citation.pasal == "1"}
    assert list(angka) == [f"angka {n}" for n in range(1, 29)]
    assert angka["angka 5"].startswith("5. Rencana Induk SPBE Nasional adalah dokumen perencanaan")
    assert angka["angka 11"].startswith("11. Peta Rencana SPBE Nasional")  # printed "1 1."
    assert angka["angka 12"].startswith("12. Peta Rencana SPBE Instansi")  # printed "l2."
    assert "27. Instansi" not in angka["angka 26"]  # the catchword at the foot of page 4


def test_ayat_split_with_ocr_markers():
    parts = [c.citation.part for c in chunks_of("Perpres 95/2018") if c.citation.pasal == "58"]
    assert parts == [f"ayat ({n})" for n in range(1, 7)]
    # Perpres 82/2023 Pasal 9 really goes from ayat (1) to ayat (3): the parser must not invent (2).
    parts = [c.citation.part for c in chunks_of("Perpres 82/2023") if c.citation.pasal == "9"]
    assert parts == ["ayat (1)", "ayat (3)"]


def test_preamble_chunks():
    menimbang = _text("Perpres 132/2022", "Menimbang")
    assert "Pasal 9 ayat (4) dan Pasal 74" in menimbang
    assert _text("PermenPANRB 59/2020", "Menimbang").startswith(
        "bahwa untuk melaksanakan ketentuan Pasal 71 ayat (3)"
    )
    assert _text("Perpres 95/2018", "Menimbang").startswith("bahwa untuk mewujudkan tata kelola pemerintahan")
    assert "Undang-Undang Dasar" in _text("Perpres 95/2018", "Mengingat")


def test_lampiran_sections_cite_the_lampiran_with_heading_path():
    lampiran = [c for c in chunks_of("Perpres 95/2018") if c.citation.pasal == "Lampiran"]
    assert len(lampiran) > 50
    assert all(c.citation.page and c.citation.page >= 63 for c in lampiran)
    visi = [c for c in lampiran if c.citation.section and "2.1. Visi SPBE" in c.citation.section]
    assert visi and visi[0].citation.section == "BAB II VISI, MISI, TUJUAN, DAN SASARAN SPBE > 2.1. Visi SPBE"
    assert "terpadu dan menyeluruh" in visi[0].text
    assert visi[0].citation.label().startswith('Perpres 95/2018 Lampiran, bagian "BAB II')
    risk = [c for c in chunks_of("PermenPANRB 5/2020") if c.citation.pasal == "Lampiran"]
    assert any("Struktur Manajemen Risiko SPBE" in (c.citation.section or "") for c in risk)


def test_guides_and_reports_carry_sections():
    pedoman = chunks_of("Pedoman MenPANRB 3/2024")
    assert all(c.citation.pasal is None and c.citation.section for c in pedoman)
    assert any(c.citation.section.startswith("BAB IV ETIKA ASESOR") for c in pedoman)
    sections = {c.citation.section for c in pedoman}
    # A heading over two lines is one heading; one that ends with a full stop is still a heading (its
    # "Ekternal" is repaired from the document's 63 "eksternal").
    assert (
        "BAB III TATA CARA DAN KAIDAH PENILAIAN PEMANTAUAN DAN EVALUASI SPBE > F. Tata Cara dan Kaidah "
        "Penyusunan Analisis Kekuatan dan Kelemahan serta Rekomendasi Bagi Asesor Eksternal"
    ) in sections
    assert any(
        s.endswith("> G. Tata Cara dan Kaidah Penyusunan Hasil Reviu Bagi Tim Reviu") for s in sections
    )
    # Each questionnaire indicator is its own section, under its domain.
    indicator = [
        c for c in pedoman if c.citation.section.endswith("> III. DOMAIN MANAJEMEN SPBE > INDIKATOR 31")
    ]
    assert indicator and all("C. Pertanyaan Tingkat Kematangan" in c.citation.section for c in indicator)
    assert sum(1 for s in sections if re.search(r"> INDIKATOR \d+$", s) and s.startswith("BAB II ")) == 47
    report = chunks_of("Laporan Evaluasi SPBE 2024")
    jabar = [
        c
        for c in report
        if "Tabel 28. Hasil Evaluasi SPBE Pemerintah Daerah Jawa Barat" in c.citation.section
    ]
    assert jabar and any("4,73" in c.text for c in jabar)
    assert not any("Daftar Tabel" in c.citation.section for c in report)


_HEADER_PATTERNS = [
    # The letterhead, not a title ("PERATURAN PRESIDEN REPUBLIK ...") or a signature ("... INDONESIA,").
    re.compile(r"(?<!PERATURAN )PRES\s?I\s?DEN\s+REPU\w+\s+INDONESIA(?!,)"),
    re.compile(r"(?<![\w(])[-_]\s?[0-9t]{1,3}\s?[-_](?![\w)])"),
    re.compile(r"SK\s*No\s*\d{5,}"),
    re.compile(r"Halaman \d+ dari \d+"),
    re.compile(r"jdih\.menpan\.go\.id"),
]


@pytest.mark.parametrize("regulation", sorted(CORPUS_FILES))
def test_no_running_header_or_page_number_inside_chunks(regulation):
    for chunk in chunks_of(regulation):
        for pattern in _HEADER_PATTERNS:
            assert not pattern.search(chunk.text), f"{chunk.citation.label()}: {pattern.pattern}"


def _squash(text):
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _words(text):
    """Lowercase words (hyphenated words stay one word), single spaces."""
    return " ".join(re.sub(r"[^0-9a-z-]", " ", text.lower()).split())


def _catchwords(regulation):
    """Catchwords found independently: a page's last line that the next page's text starts with."""
    pages = load_document(corpus_path(CORPUS_FILES[regulation])).pages
    found = []
    skip = re.compile(r"^(PRES ?I ?DEN|REPU\w+ INDONESIA|[-_]?\s?[\dt ]{1,4}\s?[-_]?|SK No.*|SALINAN)$")
    for page, following in itertools.pairwise(pages):
        lines = [ln.strip() for ln in page.text.splitlines() if ln.strip() and not skip.match(ln.strip())]
        nxt = [ln.strip() for ln in following.text.splitlines() if ln.strip() and not skip.match(ln.strip())]
        if (
            lines
            and nxt
            and len(_squash(lines[-1])) >= 3
            and _squash("".join(nxt[:3])).startswith(_squash(lines[-1]))
        ):
            found.append(lines[-1])
    return found


@pytest.mark.parametrize("regulation", sorted(r for r, f in CORPUS_FILES.items() if not f.endswith(".md")))
def test_no_catchword_repeated_in_chunks(regulation):
    catchwords = _catchwords(regulation)
    if regulation in ("Perpres 95/2018", "Perpres 132/2022", "Perpres 82/2023"):
        assert len(catchwords) >= 5  # these text layers have one on most pages
    whole = _words(" ".join(c.text for c in chunks_of(regulation)))
    for word in catchwords:
        assert f" {_words(word)} {_words(word)} " not in f" {whole} ", word


def test_ocr_numbers_repaired_across_corpus():
    for regulation in CORPUS_FILES:
        for chunk in chunks_of(regulation):
            assert not re.search(r"\b2O[0-9O]{2}\b|\b2Ol8\b|\b4O\b", chunk.text), chunk.citation.label()
    assert "2 Oktober 2018" in _text("Perpres 95/2018", "Penutup") or any(
        "2 Oktober 2018" in c.text for c in chunks_of("Perpres 95/2018") if c.kind == "penutup"
    )


def _source_pasal_texts():
    """Pasal bodies read straight from the derived .txt (a different file from the one ingested)."""
    raw = corpus_path("perpres-95-2018.txt").read_text(encoding="utf-8")
    raw = raw.split("LAMPIRAN\nPERATURAN PRESIDEN")[0]
    heading = re.compile(r"^(?:Pasal|PasaI)\s*([0-9OlI ]{1,5})\s*$", re.MULTILINE)
    texts, expected = {}, 1
    matches = [m for m in heading.finditer(raw)]
    accepted = []
    for m in matches:
        number = int(m.group(1).replace(" ", "").translate(str.maketrans("OlI", "011")))
        if number == expected:
            accepted.append((number, m))
            expected += 1
    for (number, m), nxt in zip(accepted, [*accepted[1:], None], strict=True):
        end = nxt[1].start() if nxt else raw.index("Ditetapkan di Jakarta")
        texts[number] = raw[m.end() : end]
    return texts


def _allowed_repairs(text):
    """What ingest may change: page markers, running headers, catchwords, OCR digits, reviewed misread words
    (tests/golden/ocr-repairs.txt), line wraps."""
    for damaged, repaired, _ in golden_word_repairs()["Perpres 95/2018"]:
        text = re.sub(rf"\b{damaged}\b", repaired, text)
    text = re.sub(r"\(l\)", "(1)", text)
    text = re.sub(r"(^|ayat )\(([2-9])1(?=[\s,;.])", r"\1(\2)", text, flags=re.MULTILINE)  # "(21" is "(2)"
    text = re.sub(
        r"(?<![A-Za-z0-9])(?=[0-9OIl]*[0-9])(?=[0-9OIl]*[OIl])[0-9OIl]{2,}(?![A-Za-z0-9])",
        lambda m: m.group(0).translate(str.maketrans("OIl", "011")),
        text,
    )
    text = re.sub(
        r"\n+=+ Halaman \d+ dari \d+ =+\n(PRES ?I ?DEN\n)?REPU\w+ INDONESIA\n"
        r"([-_]?\s?[\dt ]{1,4}\s?[-_]?\n)?",
        "\n@PAGE@\n",
        text,
    )
    # A catchword is the line before a page break that the next page repeats.
    text = re.sub(
        r"([^\n]+)\n@PAGE@\n(?=([^\n]+))",
        lambda m: "" if _squash(m.group(2)).startswith(_squash(m.group(1))) else m.group(1) + "\n",
        text,
    )
    text = text.replace("@PAGE@\n", "")
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    text = re.sub(r"^(\d) (\d)\.", r"\1\2.", text, flags=re.MULTILINE)
    text = re.sub(r"^(\d+)\.(?=\S)", r"\1. ", text, flags=re.MULTILINE)
    return re.sub(r"\s+", " ", text).strip()


def test_sample_of_20_pasal_equals_source_except_allowed_repairs():
    source = _source_pasal_texts()
    assert sorted(source) == list(range(1, 78))
    sample = random.Random(95).sample(sorted(source), 20)
    for number in sample:
        stored = re.sub(r"\s+", " ", _text("Perpres 95/2018", number)).strip()
        expected = _allowed_repairs(source[number])
        # Bagian/Paragraf headings that follow a Pasal belong to the outline, not to the Pasal's text.
        expected = re.split(r" (?:Bagian Ke\w+|Paragraf ?\.?\d+|BAB [IVX]+) ", expected)[0]
        assert stored == expected, f"Pasal {number}"
