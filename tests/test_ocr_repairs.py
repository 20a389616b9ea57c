"""Words OCR misread, repaired from the document's own lexicon: the real corpus's repairs, then the rules.

Run with UPDATE_GOLDEN=1 to rewrite tests/golden/ocr-repairs.txt, then review every changed line by hand.
"""

import os

from ingest.load import Page, load_document
from ingest.normalize import Line, clean_pages, repair_words
from tests.conftest import CORPUS_FILES, OCR_REPAIRS, corpus_path, golden_word_repairs


def test_repairs_on_the_corpus_match_the_reviewed_golden_file():
    got: list[str] = []
    for regulation, name in CORPUS_FILES.items():
        loaded = load_document(corpus_path(name))
        markdown = loaded.format == "md"
        lines = clean_pages(loaded.pages, markdown=markdown, spelling=False)
        repaired, repairs = repair_words(lines)
        if markdown:  # a Markdown conversion is taken as written
            assert clean_pages(loaded.pages, markdown=True) == lines
            continue
        assert clean_pages(loaded.pages) == repaired
        got.extend(f"{regulation}: {r.damaged} -> {r.repaired} ({r.count})" for r in repairs)
    if os.environ.get("UPDATE_GOLDEN"):
        header = [ln for ln in OCR_REPAIRS.read_text(encoding="utf-8").splitlines() if ln.startswith("#")]
        OCR_REPAIRS.write_text("\n".join([*header, *got]) + "\n", encoding="utf-8")
    want = [f"{d}: {a} -> {b} ({n})" for d, items in golden_word_repairs().items() for a, b, n in items]
    assert got == want


def test_the_known_damage_is_repaired_in_the_parsed_text():
    repairs = golden_word_repairs()
    assert ("Fusat", "Pusat", 17) in repairs["Perpres 95/2018"]
    assert ("bidane", "bidang", 32) in repairs["Perpres 132/2022"]


def _repair(text: str) -> str:
    lines = [Line(1, t) for t in text.splitlines()]
    return "\n".join(line.text for line in repair_words(lines)[0])


# A small document: "pusat", "kebijakan", "data" and "pasal" are frequent, "berikut" is not.
_BODY = "\n".join(
    [
        *["Instansi Pusat menetapkan kebijakan data pusat." for _ in range(12)],
        *["Pasal ini mengatur data dan daya pada pasal berikut." for _ in range(6)],
        "Pasol 12",
    ]
)


def test_a_one_letter_misreading_of_a_frequent_word_is_repaired_in_its_case():
    text = _repair(_BODY + "\nInstansi Fusat dan pusat.\nKEBIIAKAN DAN kebiiakan\nSEBAGAI pasol")
    assert "Instansi Pusat dan pusat." in text
    assert "KEBIJAKAN DAN kebijakan" in text
    assert text.endswith("SEBAGAI pasal")


def test_numbers_acronyms_headings_and_real_words_are_left_alone():
    lines = [
        "dengan kebiia2an",  # a digit: a number or a code, never a word to repair
        "PUSAH dan FUSAT",  # five capitals or fewer: an acronym
        "Pasol 12",  # a word and a number alone on a line: a heading the parser reads
        "data atau daya",  # "daya" is a real word, however frequent "data" is
        "kebijakanx",  # a letter glued on: two words run together, not a misreading
        "keBiiakan",  # mixed case: no case pattern to keep
    ]
    text = _repair(_BODY + "\n" + "\n".join(lines))
    for line in lines:
        assert line in text.splitlines()


def test_a_rare_word_or_an_ambiguous_one_is_not_repaired():
    # "berikut" printed 6 times is too rare to repair to; "pusak" is Indonesian (Sastrawi knows it).
    assert _repair(_BODY + "\npusak berikvt").endswith("pusak berikvt")
    # "konteks" and "konten" are both one letter from "kontek": a guess, so it stays.
    twin = "\n".join(["konteks dan konten"] * 12 + ["kontek"])
    assert _repair(twin).endswith("kontek")


def test_clean_pages_repairs_words_unless_asked_not_to_or_markdown():
    pages = [Page(1, _BODY + "\nInstansi Fusat")]
    assert clean_pages(pages)[-1].text == "Instansi Pusat"
    assert clean_pages(pages, spelling=False)[-1].text == "Instansi Fusat"
    assert clean_pages(pages, markdown=True)[-1].text == "Instansi Fusat"
