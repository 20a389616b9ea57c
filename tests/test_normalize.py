from ingest.load import Page
from ingest.normalize import clean_pages, repair_numbers


def test_numbers_typed_with_letters_are_repaired():
    assert repair_numbers("tanggal 2 Oktober 2Ol8") == "tanggal 2 Oktober 2018"
    assert repair_numbers("tahun 2O2O dan 2OIO") == "tahun 2020 dan 2010"
    assert repair_numbers("Pasal 4O") == "Pasal 40"
    assert repair_numbers("ayat (l) dan I (satu) kali") == "ayat (1) dan 1 (satu) kali"
    assert repair_numbers("Pasal24 dan PasaI 74") == "Pasal 24 dan Pasal 74"
    assert repair_numbers("(41 Pembangunan sebagaimana dimaksud pada ayat (21 dapat") == (
        "(4) Pembangunan sebagaimana dimaksud pada ayat (2) dapat"
    )
    assert repair_numbers("(11 dan (21) tetap") == "(11 dan (21) tetap"


def test_words_and_roman_numerals_are_left_alone():
    assert (
        repair_numbers("BAB II, BAB IV, Lol, OIO, Ill, SPBE, lO") == "BAB II, BAB IV, Lol, OIO, Ill, SPBE, lO"
    )


def test_running_headers_page_numbers_and_catchwords_are_dropped():
    pages = [
        Page(i, f"PRES I DEN\nREPUBLIK INDONESIA\n-{i}-\nisi halaman {i} yang panjang\nPasal {i + 1}")
        for i in range(1, 6)
    ]
    pages = [
        Page(p.number, p.text.replace("isi", f"Pasal {p.number}\nisi") if p.number > 1 else p.text)
        for p in pages
    ]
    pages[2] = Page(3, "PRES IDEN\nREPUELIK INDONESIA\n_3_\nPasal 3\nisi halaman 3")
    lines = [line.text for line in clean_pages(pages)]
    assert not any("PRES" in t or "INDONESIA" in t for t in lines)
    assert not any(t.startswith(("-", "_")) for t in lines)
    assert lines.count("Pasal 3") == 1  # the catchword at the foot of page 2 is gone


def test_hyphenation_is_joined_but_reduplication_keeps_its_hyphen():
    pages = [Page(1, "peraturan pemerin-\ntahan dan undang-\nundang serta kata-\nkata")]
    text = " ".join(line.text for line in clean_pages(pages))
    assert "pemerintahan" in text
    assert "undang-undang" in text
    assert "kata-kata" in text


def test_garbled_pasal_headings_read_against_the_expected_number():
    from ingest.legal import pasal_number

    assert pasal_number("Pasal 1 1", 11) == 11
    assert pasal_number("Pasal24", 24) == 24
    assert pasal_number("Pasal 4O", 40) == 40
    assert pasal_number("PasaI 74", 74) == 74
    assert pasal_number("Pasal l1", 11) == 11
    assert pasal_number("Pasa77", 7) == 7
    assert pasal_number("Pasa77", 77) == 77
    assert pasal_number("Pasal 4 ayat (1) Undang-Undang", 4) is None
