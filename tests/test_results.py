"""Evaluation results as records: extraction against the reports' own totals, names as people write them,
ranks with ties, computed answers and their number check, refusals for years no report covers."""

from __future__ import annotations

import re
import shutil
from collections import Counter

import pytest

from bot.channels.formatting import to_html
from bot.core.results import ResultAnswerer, ResultsQuestion, ResultTable, numbers_supported
from ingest.load import load_document
from ingest.normalize import clean_pages
from ingest.records import extract
from knowledge.results import Figure, ResultRecord
from knowledge.store import Store
from tests.conftest import CORPUS_FILES, corpus_path
from tests.test_cli import run_cli

REPORTS = {2023: "Laporan Evaluasi SPBE 2023", 2024: "Laporan Evaluasi SPBE 2024"}


def _report(year: int):
    loaded = load_document(corpus_path(CORPUS_FILES[REPORTS[year]]))
    lines = clean_pages(loaded.pages, markdown=True)
    return loaded, extract(lines, REPORTS[year], year)


@pytest.mark.parametrize("year", sorted(REPORTS))
def test_records_match_the_reports_own_totals(year):
    loaded, extracted = _report(year)
    # The report states how many it evaluated: "... 92 Instansi Pusat dan 529 Pemerintah Daerah".
    stated = re.search(r"(\d+) Instansi Pusat dan (\d+) Pemerintah Daerah", loaded.text)
    assert stated, "the report's own totals were not found"
    pusat, daerah = int(stated.group(1)), int(stated.group(2))
    counts = Counter(r.category for r in extracted.records)
    assert counts["kementerian"] + counts["lembaga"] == pusat
    assert counts["provinsi"] + counts["kabupaten"] + counts["kota"] == daerah
    assert counts["provinsi"] == 38 and counts["kementerian"] == 34
    assert not extracted.skipped
    # Every per-province table holds its own province's government, once: rows never drift to another
    # table's title when a title is written as a heading or a table continues on the next page.
    provinces = Counter(r.table for r in extracted.records if r.category == "provinsi")
    regional = {r.table for r in extracted.records if r.category in ("kabupaten", "kota")}
    assert regional <= set(provinces) and set(provinces.values()) == {1}
    for r in extracted.records:
        assert r.predikat.lower() in ("memuaskan", "sangat baik", "baik", "cukup", "kurang"), r
        assert 1.0 <= r.index <= 5.0
        assert r.instansi.split()[0] in r.row.replace("<br>", " ")


def test_summary_figures_and_a_known_row():
    _, extracted = _report(2024)
    national = {f.year: f.value for f in extracted.figures if f.measure == "Indeks SPBE Nasional"}
    assert national == {2018: 1.98, 2019: 2.18, 2020: 2.26, 2021: 2.24, 2022: 2.34, 2023: 2.79, 2024: 3.12}
    (kalbar,) = [r for r in extracted.records if r.instansi == "Pemerintah Provinsi Kalimantan Barat"]
    assert (kalbar.index, kalbar.predikat, kalbar.domains) == (3.58, "Sangat Baik", (4.70, 3.50, 1.00, 4.24))
    assert kalbar.table == "Tabel 33. Hasil Evaluasi SPBE Pemerintah Daerah di Kalimantan Barat"
    assert kalbar.page == 76


@pytest.fixture(scope="module")
def table() -> ResultTable:
    records = [r for year in REPORTS for r in _report(year)[1].records]
    figures = [f for year in REPORTS for f in _report(year)[1].figures]
    return ResultTable(records, figures, corpus_words=frozenset({"batas", "sekarang"}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("indeks kalbar", {("provinsi", "kalimantanbarat")}),
        ("pemprov jabar", {("provinsi", "jawabarat")}),
        ("ntb 2023", {("provinsi", "nusatenggarabarat")}),  # "NTB" in 2023, spelt out in 2024: one province
        ("kab. malang", {("kabupaten", "malang")}),
        ("pemkot malang", {("kota", "malang")}),
        ("malang", {("kabupaten", "malang"), ("kota", "malang")}),  # namesakes: both
        ("kemenkeu", {("kementerian", "kementeriankeuangan")}),
        ("bssn", {("lembaga", "badansiberdansandinegara")}),
        # Official English names (results.toml [aliases.pusat]).
        ("the Ministry of Finance", {("kementerian", "kementeriankeuangan")}),
        ("National Cyber and Crypto Agency", {("lembaga", "badansiberdansandinegara")}),
    ],
)
def test_instansi_as_people_name_them(table, text, expected):
    assert {(e.category, e.key) for e in table.find(text)} == expected


def test_typos_within_one_edit_but_not_real_words(table):
    assert {e.key for e in table.find("indeks kalbr", typos=True)} == {"kalimantanbarat"}
    assert {e.key for e in table.find("indeks banyuwangu", typos=True)} == {"banyuwangi"}
    assert table.find("batas atas rentangnya", typos=True) == []  # a word of the documents
    assert table.find("sekarang", typos=True) == []
    assert table.find("indeks kalbr") == []  # typos only when asked


def _record(
    name: str, index: float, category: str = "provinsi", year: int = 2024, predikat: str = "Baik"
) -> ResultRecord:
    return ResultRecord(
        report=f"Laporan Evaluasi SPBE {year}",
        year=year,
        category=category,
        instansi=f"Pemerintah Provinsi {name}",
        place=name,
        region=name,
        index=index,
        predikat=predikat,
        domains=(None, None, None, None),
        table="Tabel 1. Hasil Evaluasi SPBE Pemerintah Daerah",
        page=1,
        row=f"| 1 | Pemerintah Provinsi {name} | {index} |",
    )


def test_rank_with_ties_on_a_fixture_table():
    records = [_record("Alfa", 4.0), _record("Beta", 3.5), _record("Gama", 3.5), _record("Delta", 3.0)]
    answerer = ResultAnswerer(ResultTable(records, []))
    assert [answerer.rank(r)[:2] for r in records] == [(1, 0), (2, 1), (2, 1), (4, 0)]
    entity = answerer.table.entity(records[2])
    reply = answerer.answer(ResultsQuestion("rank", (entity,), years=(2024,)))
    assert "peringkat 2 dari 4 provinsi" in reply.text and "sama dengan 1 provinsi lain" in reply.text
    lowest = answerer.answer(ResultsQuestion("bottom", (), "provinsi", (2024,), n=2))
    assert "Gama" in lowest.text and "Beta" in lowest.text and "Delta" in lowest.text  # the tie at the cut


def test_two_things_asked_of_one_table_are_both_answered():
    records = [_record("Alfa", 4.0), _record("Beta", 3.5), _record("Delta", 3.0)]
    answerer = ResultAnswerer(ResultTable(records, []))
    both = answerer.table.read("provinsi mana yang indeksnya tertinggi dan terendah 2024?")
    assert both is not None and (both.ask, both.also) == ("top", ("bottom",))
    text = answerer.answer(both).text
    assert text.index("tertinggi") < text.index("Alfa") < text.index("terendah") < text.index("Delta")
    # Rank and change of one instansi, asked together: both are asked.
    beta = answerer.table.read("peringkat provinsi beta 2024 berapa dan naik berapa?")
    assert beta is not None and {beta.ask, *beta.also} == {"rank", "change"}
    # A follow-up that asks one thing asks only that.
    assert ResultsQuestion.from_topic(both.topic()).also == ("bottom",)


def test_every_category_a_question_names_is_answered_in_the_order_written():
    records = [_record("Alfa", 4.0, "kota"), _record("Beta", 3.0, "kota")]
    records += [_record("Gama", 3.5, "kabupaten"), _record("Delta", 2.0, "kabupaten")]
    answerer = ResultAnswerer(ResultTable(records, []))
    both = answerer.table.read("kota mana yang indeksnya tertinggi 2024? kalau kabupatennya?")
    assert both is not None and (both.ask, both.category, both.others) == ("top", "kota", ("kabupaten",))
    text = answerer.answer(both).text
    assert text.index("2 kota") < text.index("Alfa") < text.index("2 kabupaten") < text.index("Gama")
    assert "Beta" not in text.split("\n\n")[0] and "Delta" not in text.split("\n\n")[0]
    # A follow-up naming one category asks about that one only.
    kota = answerer.table.read("kalau kota?", both.topic())
    assert kota is not None and (kota.category, kota.others) == ("kota", ())
    # "instansi" (every category) beside a category is that category.
    counted = answerer.table.read("berapa instansi kabupaten yang predikatnya baik 2024?")
    assert counted is not None and (counted.category, counted.others) == ("kabupaten", ())


def test_a_domain_score_of_an_instansi_from_its_row():
    from dataclasses import replace

    alfa = replace(_record("Alfa", 3.5), domains=(4.0, 3.25, 1.5, 4.25))
    answerer = ResultAnswerer(
        ResultTable([alfa, replace(alfa, year=2023, domains=(3.0, 3.0, 1.25, 4.0))], [])
    )
    asked = answerer.table.read("nilai domain manajemen provinsi alfa 2024 berapa?")
    assert asked is not None and asked.domain == "manajemen"
    text = answerer.answer(asked).text
    assert text.startswith(
        "Nilai Domain Manajemen (D3) Pemerintah Provinsi Alfa pada Evaluasi SPBE 2024: 1,50"
    )
    # A follow-up keeps the domain and changes the year; "domain 1" is the first column's domain.
    earlier = answerer.table.read("kalau 2023?", asked.topic())
    assert (
        earlier is not None
        and "(D3)" in answerer.answer(earlier).text
        and "1,25" in answerer.answer(earlier).text
    )
    first = answerer.table.read("domain 1 nya?", asked.topic())
    assert first is not None and answerer.answer(first).text.startswith("Nilai Domain Kebijakan (D1)")
    # Without the word "domain", a domain's name asks nothing of it ("layanan" is everywhere).
    assert answerer.table.read("indeks provinsi alfa 2024 untuk layanan?").domain == ""


def test_a_group_of_categories_is_asked_as_one():
    records = [_record("Alfa", 4.0, "kementerian"), _record("Beta", 2.0, "lembaga", predikat="Cukup")]
    records += [_record("Gama", 1.0, "kabupaten", predikat="Kurang"), _record("Delta", 3.5, "kota")]
    answerer = ResultAnswerer(ResultTable(records, []))
    # "instansi pusat" is the kementerian and the lembaga together (each [[category]]'s group).
    lowest = answerer.table.read("instansi pusat yg indeksnya paling rendah 2024 siapa?")
    assert lowest is not None and (lowest.ask, lowest.category) == ("bottom", "instansi pusat")
    text = answerer.answer(lowest).text
    assert "di antara 2 instansi pusat" in text and "Beta" in text.split("\n")[0] and "Gama" not in text
    counted = answerer.answer(answerer.table.read("berapa pemda yang predikatnya minimal baik di 2024?"))
    assert "1 dari 2 pemerintah daerah mendapat predikat Baik atau lebih baik" in counted.text
    # How many took part, asked by group, is told for every group with the total.
    took_part = answerer.table.read("evaluasi 2024 menilai brp instansi pusat dan brp pemda?")
    assert took_part is not None
    assert (took_part.ask, took_part.category, took_part.others) == ("count", None, ())
    told = answerer.answer(took_part).text
    assert "memuat 4 instansi: 2 pemerintah daerah (1 kabupaten, 1 kota) dan 2 instansi pusat" in told
    # In English "agency" is any government body; "non-ministerial agency" is a lembaga.
    assert answerer.table.read("Which agency had the highest SPBE index in 2024?").category is None
    # ...and the LPNK are the lembaga of their own tables (results.toml [parts]).
    assert answerer.table.read("the highest non-ministerial agency in 2024?").category == "lpnk"


def test_a_count_of_a_predikat_and_those_above_or_below_it():
    grades = [("Alfa", 4.4, "Memuaskan"), ("Beta", 3.8, "Sangat Baik"), ("Gama", 3.0, "Baik")]
    grades += [("Delta", 2.2, "Cukup"), ("Eko", 1.5, "Kurang")]
    answerer = ResultAnswerer(ResultTable([_record(n, i, predikat=p) for n, i, p in grades], []))
    at_least = answerer.table.read("berapa provinsi yang predikatnya minimal sangat baik di 2024?")
    assert at_least is not None and (at_least.ask, at_least.predikat, at_least.bound) == (
        "count",
        "sangat baik",
        "at_least",
    )
    text = answerer.answer(at_least).text
    assert (
        "2 dari 5 provinsi mendapat predikat Sangat Baik atau lebih baik (Memuaskan 1, Sangat Baik 1)" in text
    )
    below = answerer.answer(answerer.table.read("ada berapa provinsi yang di bawah baik tahun 2024?")).text
    assert "2 dari 5 provinsi mendapat predikat di bawah Baik (Cukup 1, Kurang 1)" in below
    exact = answerer.answer(answerer.table.read("berapa provinsi yang predikatnya baik 2024?")).text
    # A few are named, best first, with their index.
    assert "1 dari 5 provinsi mendapat predikat Baik: Pemerintah Provinsi Gama (3,00)." in exact
    assert "(Cukup 1, Kurang 1): Pemerintah Provinsi Delta (2,20); Pemerintah Provinsi Eko (1,50)." in below
    # The bound is carried by the conversation topic, as a follow-up "kalau 2023?" needs.
    assert ResultsQuestion.from_topic(at_least.topic()).bound == "at_least"


def _average(group: str, measure: str, value: float) -> Figure:
    table = "Tabel 8. Nilai Indeks Kematangan SPBE"
    return Figure("Laporan Evaluasi SPBE 2024", 2024, group, measure, value, table, 51, f"| {measure} |")


def test_a_category_average_is_the_report_s_own_figure():
    figures = [
        _average("provinsi", "A.1 Kebijakan Tata Kelola", 3.61),
        _average("provinsi", "SPBE", 3.42),
        _average("provinsi", "D1. Kebijakan", 3.61),
        _average("lembaga", "SPBE", 3.82),
    ]
    answerer = ResultAnswerer(ResultTable([_record("Alfa", 4.0)], figures))
    asked = answerer.table.read("rata-rata indeks spbe pemprov 2024 berapa?")
    assert asked is not None and (asked.ask, asked.category) == ("average", "provinsi")
    reply = answerer.answer(asked)
    # The index row first, then the domains; an aspect row is not a domain.
    assert reply.text.startswith(
        "Rata-rata indeks SPBE provinsi pada Evaluasi SPBE 2024: 3,42. Per domain: D1."
    )
    assert "A.1" not in reply.text and reply.citations[0].section == "Tabel 8. Nilai Indeks Kematangan SPBE"
    # Several columns of the table stand for "lembaga" (LPNK, LNS, ...): no figure is the category's.
    lembaga = answerer.table.read("rata-rata indeks lpnk 2024?")
    assert lembaga is not None and not answerer.answerable(lembaga)


def test_a_sentence_whose_number_is_not_in_the_records_is_dropped():
    allowed = frozenset({"2024", "3,58"})
    assert numbers_supported("Indeks 3,58 pada 2024.", allowed)
    assert numbers_supported("Indeks 3.58 pada 2024.", allowed)
    assert not numbers_supported("Indeks 3,85 pada 2024.", allowed)
    assert not numbers_supported("Peringkat 2 pada 2024.", allowed)


def test_computed_answers_in_a_conversation(dialogue_factory):
    dialogue = dialogue_factory()
    first = dialogue.ask("c", "indeks spbe kalbar 2024 berapa?")
    assert first.text.startswith(
        "Indeks SPBE Pemerintah Provinsi Kalimantan Barat pada Evaluasi SPBE 2024: 3,58"
    )
    assert first.citations[0].section == "Tabel 33. Hasil Evaluasi SPBE Pemerintah Daerah di Kalimantan Barat"
    assert first.passages and first.passages[0].heading_path[-1] == first.citations[0].section
    rank = dialogue.ask("c", "peringkatnya?")
    assert re.search(r"peringkat \d+ dari 38 provinsi", rank.text)
    earlier = dialogue.ask("c", "kalau 2023?")
    assert "Evaluasi SPBE 2023" in earlier.text and earlier.citations[0].regulation == REPORTS[2023]
    other = dialogue.ask("c", "kalau jabar?")
    assert "Jawa Barat" in other.text and "Evaluasi SPBE 2023" in other.text
    # A question about the regulations that names an agency is not a results follow-up.
    regulation = dialogue.ask("c", "apa tugas bssn dalam audit keamanan spbe?")
    assert not regulation.refused
    assert all(not c.regulation.startswith("Laporan") for c in regulation.citations)


def test_an_english_results_conversation(dialogue_factory):
    dialogue = dialogue_factory()
    first = dialogue.ask("en", "What SPBE index did the Ministry of Finance score in 2024?")
    assert first.text.startswith("Indeks SPBE Kementerian Keuangan pada Evaluasi SPBE 2024")
    domain = dialogue.ask("en", "And its score on the management domain?")
    assert domain.text.startswith("Nilai Domain Manajemen (D3) Kementerian Keuangan pada Evaluasi SPBE 2024")
    # "a year earlier" is read in the message's own words (the glossary turns "year" into "tahun"), and
    # asking for the index again leaves the domain.
    earlier = dialogue.ask("en", "What was its overall index a year earlier?")
    assert earlier.text.startswith("Indeks SPBE Kementerian Keuangan pada Evaluasi SPBE 2023")


def test_change_extremes_counts_and_national_figures(dialogue_factory):
    dialogue = dialogue_factory()
    change = dialogue.ask("c", "nilai indeks kemenkeu naik atau turun dari 2023 ke 2024?")
    assert "naik 0,08 poin: dari 4,66 (Memuaskan) pada 2023 menjadi 4,74 (Memuaskan) pada 2024" in change.text
    top = dialogue.ask("d", "provinsi mana yang indeksnya tertinggi 2024?")
    assert "Pemerintah Provinsi Jawa Barat (4,73, Memuaskan)" in top.text[:300]
    count = dialogue.ask("e", "berapa instansi yang dievaluasi tahun 2024?")
    assert "615 instansi: 523 pemerintah daerah" in count.text
    # The report's own statement of the totals is quoted first.
    assert "dilaksanakan terhadap 615 IPPD" in count.citations[0].quote
    national = dialogue.ask("f", "indeks spbe nasional 2022 berapa")
    # The index first, with the predikat of its interval (results.toml lower_bounds), then its domains.
    assert "Pada 2022: Indeks SPBE Nasional 2,34 dengan predikat Cukup; Indeks Domain" in national.text
    assert "<pre>" in to_html(national.text)
    # A change of the national index is stated first, from the index rows of both years.
    moved = dialogue.ask("g", "indeks spbe nasional naik berapa dari 2022 ke 2024?")
    assert moved.text.startswith(
        "Indeks SPBE Nasional naik 0,78 poin: dari 2,34 pada 2022 menjadi 3,12 pada 2024."
    )


@pytest.mark.parametrize(
    "question",
    [
        "hasil evaluasi spbe kalbar 2022",
        "peringkat jabar tahun 2021 berapa?",
        "indeks spbe kabupaten maybrat 2024 berapa?",  # in the 2023 table only
    ],
)
def test_years_no_report_covers_are_refused(dialogue_factory, question):
    answer = dialogue_factory().ask("c", question)
    assert answer.refused and not answer.citations
    assert "2023, 2024" in answer.text


def test_a_figure_finer_than_the_tables_hold_or_a_score_of_something_else_is_not_a_result(dialogue_factory):
    dialogue = dialogue_factory()
    # The tables hold an instansi's index, predikat and domains, not its indicators: never its index instead.
    finer = dialogue.ask("c", "nilai indikator 16 kab gowa di evaluasi spbe 2024 dapet level brp?")
    assert finer.refused and not finer.citations and "per indikator" in finer.text
    # "skor" and "indonesia" alone do not make a question about the national index.
    match = dialogue.ask("d", "skor timnas indonesia lawan jepang kemarin brp?")
    assert match.refused and match.refusal == "out_of_scope"
    # Another index the reports cite (the UN's EGDI) is not the SPBE results: the search answers it.
    assert dialogue.responder.index.results.read("peringkat egdi indonesia 2024 berapa? nilainya?") is None
    # Nor are the targets the reports set: "what target was it compared against" is in their prose.
    target = "What was the national SPBE index in 2024, and what target was it compared against?"
    assert dialogue.responder.index.results.read(target) is None
    reply = dialogue.ask("e", target)
    assert not reply.refused and "2,85" in reply.text.replace("2.85", "2,85"), reply.text[:400]


def test_results_follow_the_index_and_inspect_shows_them(settings):
    shutil.copy(corpus_path(CORPUS_FILES[REPORTS[2024]]), settings.documents_dir)
    shutil.copy(corpus_path(CORPUS_FILES["Perpres 82/2023"]), settings.documents_dir)
    assert run_cli(settings, "ingest").returncode == 0
    records, figures = Store.open(settings).results()
    assert len(records) == 615 and figures
    shown = run_cli(settings, "inspect", REPORTS[2024], "--hasil")
    assert shown.returncode == 0 and "615 instansi" in shown.stdout
    # Removing the report removes its records with its chunks.
    (settings.documents_dir / CORPUS_FILES[REPORTS[2024]]).unlink()
    assert run_cli(settings, "ingest").returncode == 0
    assert Store.open(settings).results() == ([], [])


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("indeks spbe badan gizi nasional 2024 berapa?", "badan gizi nasional"),
        ("nilai spbe kabupaten antah berantah 2023?", "kabupaten antah berantah"),
        # A kind written before a name the tables hold only for another kind: not that namesake.
        ("indeks pemkot jakarta selatan 2023", "kota jakarta selatan"),
        ("Otorita IKN dapet nilai indeks spbe brp di evaluasi 2024?", "otorita ikn"),
        # An acronym in capitals that no document writes.
        ("OJK dapet predikat apa di evaluasi spbe 2024?", "OJK"),
        # A category, a group or the nation is not an instansi missing from the tables.
        ("indeks spbe kementerian 2024 berapa?", None),
        ("indeks spbe pemerintah daerah 2024 berapa?", None),
        ("indeks spbe pemerintah indonesia 2024 berapa?", None),
        ("kabupaten mana yang indeks spbe-nya terendah 2024?", None),
    ],
)
def test_an_instansi_no_table_holds_is_refused_by_name(table, question, missing):
    asked = table.read(question)
    assert (asked.missing if asked else "") == (missing or "")
    if missing:
        reply = ResultAnswerer(table).answer(asked)
        assert reply.refused and not reply.citations and f"“{missing}”" in reply.text


@pytest.mark.parametrize(
    ("question", "region", "category"),
    [
        ("pemda di jatim yg indeks spbe nya paling bawah 2024 siapa?", "Jawa Timur", "pemerintah daerah"),
        ("kabupaten se-jabar yg indeksnya tertinggi 2023?", "Jawa Barat", "kabupaten"),
        ("5 kota tertinggi di jawa tengah 2024", "Jawa Tengah", "kota"),
        ("instansi di jatim yang indeksnya tertinggi 2024?", "Jawa Timur", None),
        ("brp pemda di jawa timur yg dapet predikat memuaskan 2024?", "Jawa Timur", "pemerintah daerah"),
        # Provinces do not lie in a province, and a province's own figure is not bounded by it.
        ("provinsi tertinggi di indonesia 2024", "", "provinsi"),
        ("indeks spbe jatim 2024 berapa?", "", None),
    ],
)
def test_a_question_over_many_instansi_bounded_to_one_province(table, question, region, category):
    asked = table.read(question)
    assert asked is not None and (asked.region, asked.category) == (region, category)


def test_the_regional_governments_of_a_province_counted_ranked_and_followed_up(table, dialogue_factory):
    answerer = ResultAnswerer(table)
    lowest = answerer.answer(table.read("pemda di jatim yg indeks spbe nya paling bawah 2024 siapa?"))
    rows = [r for r in table.records if r.year == 2024 and r.region == "Jawa Timur"]
    least = min(r.index for r in rows)
    assert f"di antara {len(rows)} pemerintah daerah di Jawa Timur pada Evaluasi SPBE 2024" in lowest.text
    assert all(r.instansi in lowest.text for r in rows if r.index == least)
    # A province named before, then "di sana": its regional governments; naming another moves the bound.
    dialogue = dialogue_factory()
    dialogue.ask("p", "indeks papua pegunungan 2023?")
    there = dialogue.ask("p", "yg paling tinggi di sana siapa?")
    assert there.text.startswith("Indeks SPBE tertinggi di antara") and "di Papua Pegunungan" in there.text
    moved = dialogue.ask("p", "kalau di jatim?")
    assert "pemerintah daerah di Jawa Timur pada Evaluasi SPBE 2023" in moved.text


def test_parts_of_a_category_number_words_and_listed_counts(table):
    answerer = ResultAnswerer(table)
    # The LPNK are the lembaga of their own tables, not every lembaga (results.toml [parts]).
    lpnk = table.read("Which non-ministerial agency (LPNK) scored highest in SPBE 2024?")
    assert lpnk is not None and lpnk.category == "lpnk"
    lpnk_rows = [r for r in table.records if r.year == 2024 and "non kementerian" in r.table.lower()]
    assert lpnk_rows and f"di antara {len(lpnk_rows)} LPNK" in answerer.answer(lpnk).text
    lns = table.read("di tabel lembaga non struktural 2023 yg indeksnya paling tinggi siapa?")
    assert lns is not None and lns.category == "lns"
    # Numbers written as words.
    three = table.read("Which three ministries had the highest SPBE index in 2024?")
    assert three is not None and (three.ask, three.category, three.n) == ("top", "kementerian", 3)
    # A count of a few names them.
    counted = answerer.answer(table.read("ada brp kementerian yg predikatnya memuaskan tahun 2023?")).text
    best = [r for r in table.records if r.year == 2023 and r.category == "kementerian"]
    best = [r for r in best if r.predikat.lower() == "memuaskan"]
    assert f"{len(best)} dari" in counted and all(r.instansi in counted for r in best)


def test_national_domains_ranked_and_an_average_s_change(table):
    answerer = ResultAnswerer(table)
    domains = table.read(
        "domain spbe yg nilainya paling tinggi dan paling rendah secara nasional 2024 apa aja?"
    )
    assert domains is not None and (domains.ask, domains.also) == ("domains", ("top", "bottom"))
    text = answerer.answer(domains).text
    assert text.startswith("Pada 2024, domain dengan indeks nasional tertinggi Indeks Domain Layanan (3,78)")
    assert "terendah Indeks Domain Manajemen (1,86)" in text
    moved = table.read("rerata indeks pemprov naik brp dr evaluasi 2023 ke 2024?")
    assert moved is not None and (moved.ask, moved.category, moved.also) == (
        "average",
        "provinsi",
        ("change",),
    )
    first = answerer.answer(moved).text.split("\n")[0]
    assert re.fullmatch(
        r"Rata-rata indeks SPBE provinsi (naik|turun) \d,\d\d poin: dari .+ pada 2023 .+ 2024\.", first
    )


def test_a_year_no_report_covers_beside_one_held_is_refused(table):
    asked = table.read("indeks spbe pemkot bandung tahun 2022 brp ya? mau bandingin sama 2024")
    reply = ResultAnswerer(table).answer(asked)
    assert reply.refused and not reply.citations and "tahun 2022 tidak ada" in reply.text
    # The year of a regulation's number is not a year asked.
    assert table.read("menurut perpres 95/2018, indeks kalbar 2024 berapa?").years == (2024,)


def test_an_instansi_named_with_capitals_ends_where_they_do(table):
    asked = table.read("What SPBE index did Bank Indonesia receive in the 2023 evaluation?")
    assert asked is not None and asked.missing == "bank indonesia"


def test_an_instansi_a_figure_is_attributed_to_is_not_the_one_asked_about(table):
    asked = table.read("td baca berita pemkab mesuji 2023 dapet 3,7. bener ga sih menurut laporan kemenpan?")
    assert asked is not None and [e.key for e in asked.entities] == ["mesuji"]
    # Alone, it is the one asked about.
    alone = table.read("menurut laporan kemenpan, indeks kemenpanrb 2024 brp")
    assert alone is not None and len(alone.entities) == 1 and alone.entities[0].category == "kementerian"


def test_bkn_in_lower_case_is_chat_for_bukan_and_in_capitals_the_agency(table):
    from bot.core.text import expand

    assert expand("pemda DIY (provinsinya ya, bkn kota jogja)").endswith("bukan kota yogyakarta)")
    assert "badan kepegawaian negara" in expand("indeks BKN 2024")
    asked = table.read("indeks BKN 2024 brp")
    assert asked is not None and asked.entities[0].key == "badankepegawaiannegara"


def test_number_words_are_whole_words(table):
    assert table.read("lima kota tertinggi 2024?").n == 5
    asked = table.read("kota tertinggi 2024 dan duanya?")  # "duanya" is not "dua"
    assert asked is not None and asked.n == 1


def test_an_instansi_s_lowest_domain_asked_and_followed_up(table, dialogue_factory):
    asked = table.read("domain kalbar paling rendah 2024 apa?")
    assert asked is not None and (asked.ask, asked.also) == ("domains", ("bottom",)) and asked.entities
    row = next(
        r
        for r in table.records
        if r.year == 2024
        and r.category == "provinsi"
        and "Barat" in r.instansi
        and "Kalimantan" in r.instansi
    )
    lowest = min(d for d in row.domains if d is not None)
    text = ResultAnswerer(table).answer(asked).text
    assert text.startswith(f"Nilai domain {row.instansi} pada Evaluasi SPBE 2024: terendah Domain")
    assert f") {str(f'{lowest:.2f}').replace('.', ',')}." in text.split("\n")[0]
    # After an instansi, "the lowest domain" is its own, not the nation's.
    dialogue = dialogue_factory()
    dialogue.ask("d", "indeks pemprov jatim 2024?")
    own = dialogue.ask("d", "domain yg nilainya paling rendah yg mana?")
    assert own.text.startswith(
        "Nilai domain Pemerintah Provinsi Jawa Timur pada Evaluasi SPBE 2024: terendah"
    )


@pytest.mark.parametrize(
    ("first", "follow_up", "opening"),
    [
        # A rank asked among the instansi's own category keeps the instansi.
        (
            "pemprov banten 2024 indeks spbe brp?",
            "itu peringkat brp di antara provinsi?",
            "Pada Evaluasi SPBE 2024, Pemerintah Provinsi Banten berada di peringkat",
        ),
        # After the national figures, the lowest domain is the nation's.
        (
            "What was Indonesia's national SPBE index in 2024?",
            "Which domain scored lowest, and with what value?",
            "Pada 2024, domain dengan indeks nasional terendah Indeks Domain Manajemen (1,86)",
        ),
    ],
)
def test_a_follow_up_keeps_the_subject_asked_before(dialogue_factory, first, follow_up, opening):
    dialogue = dialogue_factory()
    dialogue.ask("f", first)
    assert dialogue.ask("f", follow_up).text.startswith(opening)


def test_a_follow_up_naming_an_instansi_by_acronym_and_a_later_year(dialogue_factory):
    dialogue = dialogue_factory()
    dialogue.ask("k", "indeks spbe kemenkeu di evaluasi 2023 berapa ya?")
    # Chat expansion spells "kominfo" out; the message as written still names the ministry.
    other = dialogue.ask("k", "kalau kominfo?")
    assert other.text.startswith("Indeks SPBE Kementerian Komunikasi dan Informatika pada Evaluasi SPBE 2023")
    # "evaluasi", "jadi" add no subject of their own (results.toml [asks] follow).
    later = dialogue.ask("k", "trus di evaluasi 2024 dia naik jadi brp?")
    assert later.text.startswith("Indeks SPBE Kementerian Komunikasi dan Informatika naik")


def test_a_rank_among_a_part_or_within_a_province(table):
    answerer = ResultAnswerer(table)
    # Among the LPNK (the lembaga of their own tables), not every lembaga.
    asked = table.read("peringkat bssn di antara lpnk 2024?")
    assert asked is not None and (asked.ask, asked.category) == ("rank", "lpnk")
    lpnk = [r for r in table.records if r.year == 2024 and "non kementerian" in r.table.lower()]
    bssn = next(r for r in lpnk if r.instansi == "Badan Siber dan Sandi Negara")
    position = 1 + sum(1 for r in lpnk if r.index > bssn.index)
    assert f"peringkat {position} dari {len(lpnk)} LPNK" in answerer.answer(asked).text
    # Within a province: every regional government of its table.
    asked = table.read("kota bandung peringkat brp di jabar 2024?")
    assert asked is not None and asked.region == "Jawa Barat" and len(asked.entities) == 1
    jabar = [r for r in table.records if r.year == 2024 and r.region == "Jawa Barat"]
    bandung = next(r for r in jabar if r.instansi == "Pemerintah Kota Bandung")
    position = 1 + sum(1 for r in jabar if r.index > bandung.index)
    text = answerer.answer(asked).text
    assert f"peringkat {position} dari {len(jabar)} pemerintah daerah di Jawa Barat" in text
    # Without a narrower group the rank is within the instansi's category.
    plain = answerer.answer(table.read("peringkat kota bandung 2024?")).text
    assert "kota dengan indeks" in plain and "di Jawa Barat" not in plain


def test_a_follow_up_keeps_the_conversations_year(dialogue_factory):
    dialogue = dialogue_factory()
    # After answers about 2023 from the reports' prose, the computed extreme is 2023's.
    dialogue.ask("y", "rerata indeks spbe instansi pusat di evaluasi 2023 brp?")
    top = dialogue.ask("y", "trus instansi yg indeksnya paling tinggi se-nasional siapa?")
    assert not top.refused and "Evaluasi SPBE 2023" in top.text.split("\n")[0], top.text[:300]
    # "that year" points back in English too, after the national figures.
    dialogue.ask(
        "en", "What was Indonesia's national SPBE index in 2023 and which predicate did it fall under?"
    )
    weakest = dialogue.ask("en", "Which domain was the weakest that year?")
    assert weakest.text.startswith("Pada 2023") and "Manajemen" in weakest.text.split("\n")[0], weakest.text[
        :300
    ]


def test_a_categorys_domain_extremes_are_left_to_the_reports_prose(table):
    # The records hold each instansi's domains, not a category's domain averages.
    assert table.read("domain yg paling rendah di pemda 2023 apa?") is None


def test_a_quoted_table_is_shown_aligned_never_as_ragged_pipes():
    from bot.core.results import markdown_rows_block

    rows = (
        "| No | Nama Instansi | D1 | Indeks | Predikat |\n|----|----|----|----|----|\n…\n"
        "| 2  | Markas Besar Kepolisian Republik Indonesia | 3,50 | 3,47   | Baik      |"
    )
    block = markdown_rows_block(rows)
    assert block is not None and block.startswith("```\n") and block.endswith("\n```")
    lines = block.strip("`\n").splitlines()
    assert "|" not in block and "---" not in block and lines[1] == "…"
    # Every cell is kept, and the columns line up: the index starts at the same place in header and row.
    assert lines[0].index("Indeks") == lines[2].index("3,47"), block
    assert markdown_rows_block("(1) Bukan tabel.") is None


def test_a_figure_asked_as_what_was_got_is_a_result(table):
    asked = table.read("mabes polri 2024 spbe nya dpt brp?")
    assert asked is not None and asked.ask == "value" and asked.years == (2024,)
    assert asked.entities[0].key == "markasbesarkepolisianrepublikindonesia"
