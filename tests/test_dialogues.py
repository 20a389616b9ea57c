"""The dialogue case runner: the format, every expectation passing and failing, every channel, reports."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.dialogues.cases import CaseFileError, load_cases, load_file
from bot.dialogues.report import junit, markdown, summary
from bot.dialogues.runner import run
from knowledge.catalog import load_catalog
from tests.test_cli import run_cli

CATALOG = load_catalog()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def load(folder: Path, text: str):
    return load_file(write(folder, "kasus.yaml", text), CATALOG)


def error_of(folder: Path, text: str) -> CaseFileError:
    with pytest.raises(CaseFileError) as caught:
        load(folder, text)
    return caught.value


# -- the format ------------------------------------------------------------------------------------
def test_a_case_reads_with_lines_aliases_and_every_expectation(tmp_path):
    (case,) = load(
        tmp_path,
        """
        - name: Contoh
          description: Semua kunci
          tags: definisi
          turns:
            - user: apa itu arsitektur spbe?
              contains: kerangka
              not_contains: [resep, rendang]
              matches: 'Pasal \\d+'
              cites: {regulation: perpres 95, pasal: 1, part: angka 6}
              not_cites: {any_of: [{regulation: permenpan 59}, {regulation: Perpres 132/2022}]}
              refuses: false
              max_chars: 3000
            - press: Pasal lengkap
            - user: "spbe "
              repeat: 3
        """,
    )
    first, button, repeated = case.turns
    assert case.tags == ("definisi",) and case.line == 1
    assert (first.line, button.line, repeated.line) == (5, 13, 14)
    assert first.contains == ("kerangka",) and first.not_contains == ("resep", "rendang")
    assert first.cites.mode == "all" and first.cites.refs[0].regulation == "Perpres 95/2018"
    assert first.cites.refs[0].pasal == "1"
    assert first.not_cites.mode == "any"
    assert [r.regulation for r in first.not_cites.refs] == ["PermenPANRB 59/2020", "Perpres 132/2022"]
    assert repeated.message == "spbe spbe spbe "


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("- name: x\n  turns:\n    - user: 'tidak ditutup\n", 4, "dimulai di baris 3"),
        (
            "- name: x\n  turns:\n    - user: halo\n      contain: spbe\n",
            4,
            "turns.0.contain: kunci tidak dikenal",
        ),
        ("- name: x\n  description: tanpa giliran\n", 1, "turns: wajib diisi"),
        ("- name: x\n  turns:\n    - user: a\n      line: 3\n", 4, "turns.0.line: kunci tidak dikenal"),
        ("- name: x\n  turns: []\n", 2, "turns: tidak boleh kosong"),
        ("- name: x\n  turns:\n    - contains: spbe\n", 3, "tepat satu dari 'user'"),
        ("- name: x\n  turns:\n    - press: Tombol ajaib\n", 3, "tombol 'Tombol ajaib' tidak ada"),
        ("- name: x\n  turns:\n    - user: a\n      matches: '(['\n", 4, "tidak valid"),
        ("- name: x\n  turns:\n    - user: a\n      cites: {regulation: UU 27/2022}\n", 4, "tidak dikenal"),
        ("- name: x\n  turns:\n    - user: a\n      cites: {any_of: []}\n", 4, "tidak kosong"),
        ("name: x\nturns: []\n", 1, "daftar kasus"),
        ("", 1, "daftar kasus"),
    ],
)
def test_malformed_files_name_the_line_and_the_problem(tmp_path, text, line, words):
    error = error_of(tmp_path, text)
    assert error.line == line, str(error)
    assert words in error.message, str(error)
    assert str(error).startswith(f"{tmp_path / 'kasus.yaml'}:{line}: ")


def test_a_bad_file_is_reported_and_the_good_ones_still_load(tmp_path):
    write(tmp_path, "a.yaml", "- name: baik\n  turns:\n    - user: /start\n")
    write(tmp_path, "b.yml", "- name: baik\n  turns:\n    - user: /help\n")  # duplicate name
    write(tmp_path, "c.yaml", "- name: rusak\n  turns: [\n")
    cases, errors = load_cases([tmp_path], CATALOG)
    assert [c.name for c in cases] == ["baik"]
    assert sorted(Path(e.path).name for e in errors) == ["b.yml", "c.yaml"]
    assert "sudah dipakai" in next(e.message for e in errors if Path(e.path).name == "b.yml")
    _, missing = load_cases([tmp_path / "tidak-ada.yaml"], CATALOG)
    assert "tidak ditemukan" in missing[0].message


# -- expectations, each passing and failing ---------------------------------------------------------
PASSING = """
- name: lulus semua
  turns:
    - user: /pasal perpres95 40
      contains: [KENIRSANGKALAN, "bunyi   perpres 95/2018"]
      not_contains: rendang
      matches: 'Pasal 40\\b'
      cites: {regulation: Perpres 95/2018, pasal: 40}
      not_cites: {regulation: Perpres 95/2018, pasal: 41}
      refuses: false
      max_chars: 4000
    - press: 👍
      contains: terima kasih
    - press: Pasal lengkap
      cites: {any_of: [{regulation: Perpres 95/2018, pasal: 40}, {regulation: Perpres 95/2018, pasal: 99}]}
    - user: minta resep rendang yang empuk dong
      refuses: true
    - user: /status
      contains: khusus untuk admin
    - user: "   "
      contains: kosong
"""

FAILING = """
- name: gagal semua
  turns:
    - press: 👍
    - user: /pasal perpres95 40
      contains: pizza
      not_contains: kenirsangkalan
      matches: 'Pasal 41\\b'
      cites: {all_of: [{regulation: Perpres 95/2018, pasal: 40}, {regulation: Perpres 95/2018, pasal: 41}]}
      not_cites: {regulation: perpres 95}
      refuses: true
      max_chars: 50
    - user: minta resep rendang yang empuk dong
      refuses: false
- name: gagal tapi diketahui
  xfail: bot belum bisa
  turns:
    - user: /start
      contains: pizza
- name: xfail yang ternyata lulus
  xfail: sudah diperbaiki
  turns:
    - user: /start
      contains: selamat datang
"""


@pytest.mark.parametrize("channel", ["core", "telegram", "whatsapp"])
def test_every_expectation_passes_when_met(dialogue_factory, tmp_path, channel):
    (result,) = run(load(tmp_path, PASSING), dialogue_factory(), channel)
    assert result.status == "lulus", result.failures
    assert len(result.transcript) == 6 and "Bunyi Perpres 95/2018 Pasal 40" in result.transcript[2][1]


@pytest.mark.parametrize("channel", ["core", "telegram", "whatsapp"])
def test_every_expectation_fails_when_not_met(dialogue_factory, tmp_path, channel):
    failing, known, fixed = run(load(tmp_path, FAILING), dialogue_factory(), channel)
    assert failing.status == "gagal" and failing.failed
    by_turn = [(f.turn, f.expectation.split(" ")[0]) for f in failing.failures]
    assert by_turn == [
        (1, "bot"),
        (2, "memuat"),
        (2, "tidak"),
        (2, "cocok"),
        (2, "mengutip"),
        (2, "tidak"),
        (2, "menolak"),
        (2, "paling"),
        (3, "menjawab"),
    ]
    assert "tombol '👍' tidak ada" in failing.failures[0].actual  # nothing answered yet: no buttons
    assert "mengutip: Perpres 95/2018 Pasal 40" in failing.failures[4].actual
    assert failing.failures[1].line == 4 and "kenirsangkalan" in failing.failures[1].actual.lower()
    assert (known.status, known.failed) == ("xfail", False)
    assert (fixed.status, fixed.failed) == ("xpass", False)


async def test_telegram_channel_reports_a_rejected_message(dialogue_factory, tmp_path):
    from bot.answer_log import AnswerLog
    from bot.dialogues.runner import TelegramDriver, run_cases

    (case,) = load(tmp_path, "- name: x\n  turns:\n    - user: /start\n")
    log = AnswerLog(tmp_path / "log.sqlite3")
    async with TelegramDriver(dialogue_factory(), log) as driver:
        driver.fake.fail_next.append((400, "Bad Request: can't parse entities: Unclosed tag", None))
        (result,) = await run_cases(driver, [case])
    log.close()
    assert result.status == "gagal"
    assert "Telegram menolak pesan" in result.failures[0].actual
    assert "Selamat datang" in result.transcript[0][1]  # resent as plain text: nothing lost


async def test_whatsapp_channel_reports_a_refused_message(dialogue_factory, tmp_path):
    from bot.answer_log import AnswerLog
    from bot.dialogues.runner import WhatsAppDriver, run_cases

    (case,) = load(tmp_path, "- name: x\n  turns:\n    - user: /start\n")
    log = AnswerLog(tmp_path / "log.sqlite3")
    async with WhatsAppDriver(dialogue_factory(), log) as driver:
        driver.fake.fail_next.append((400, 131009, "Parameter value is not valid"))
        (result,) = await run_cases(driver, [case])
    log.close()
    assert result.status == "gagal"
    assert "WhatsApp menolak pesan (131009" in result.failures[0].actual


# -- reports ---------------------------------------------------------------------------------------
def test_reports_for_people_and_for_ci(dialogue_factory, tmp_path):
    results = run(load(tmp_path, FAILING), dialogue_factory(), "core")
    errors = [CaseFileError(tmp_path / "rusak.yaml", 7, "YAML tidak valid")]
    assert (
        summary(results, errors)
        == "3 kasus, 0 lulus, 1 gagal, 1 xfail, 1 xpass (hapus tanda xfail), 1 berkas bermasalah"
    )
    text = markdown(results, errors)
    assert "| gagal semua | `kasus.yaml` | 3 | GAGAL |" in text
    assert "Diharapkan: memuat 'pizza'" in text and "Ditandai xfail: bot belum bisa" in text
    assert "`" + str(tmp_path / "rusak.yaml") + "` baris 7: YAML tidak valid" in text
    suite = ET.fromstring(junit(results, errors))
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "4",
        "1",
        "1",
        "1",
    )
    failing = suite.find("testcase[@name='gagal semua']")
    assert failing is not None and failing.find("failure").get("message") == "bot membalas tanpa masalah"
    assert "diharapkan: memuat 'pizza'" in failing.find("failure").text


def test_cli_runs_cases_writes_reports_and_exits_by_result(corpus_settings, tmp_path):
    write(
        tmp_path,
        "lulus.yaml",
        "- name: ok\n  tags: [a]\n  turns:\n    - user: /start\n      contains: Selamat\n",
    )
    write(
        tmp_path,
        "gagal.yaml",
        "- name: tidak ok [x]\n  tags: [b]\n  turns:\n    - user: /start\n      contains: pizza\n",
    )
    report, xml = tmp_path / "laporan.md", tmp_path / "hasil.xml"
    result = run_cli(
        corpus_settings, "dialogues", "run", str(tmp_path), "--report", str(report), "--junit", str(xml)
    )
    assert result.returncode == 1, result.stderr
    assert "GAGAL: tidak ok [x]" in result.stdout and "diharapkan: memuat 'pizza'" in result.stdout
    assert (
        "2 kasus, 1 lulus, 1 gagal" in report.read_text() and ET.parse(xml).getroot().get("failures") == "1"
    )
    only_a = run_cli(
        corpus_settings, "dialogues", "run", str(tmp_path), "--tag", "a", "--channel", "telegram"
    )
    assert only_a.returncode == 0, only_a.stdout + only_a.stderr
    assert "1 kasus, 1 lulus, 0 gagal" in only_a.stdout
    on_whatsapp = run_cli(
        corpus_settings, "dialogues", "run", str(tmp_path), "--tag", "a", "--channel", "whatsapp"
    )
    assert on_whatsapp.returncode == 0, on_whatsapp.stdout + on_whatsapp.stderr
    assert "1 kasus, 1 lulus, 0 gagal" in on_whatsapp.stdout
    write(tmp_path, "rusak.yaml", "- name: r\n  turns:\n    - user: a\n      kontains: b\n")
    broken = run_cli(corpus_settings, "dialogues", "run", str(tmp_path / "rusak.yaml"))
    assert (
        broken.returncode == 1 and "rusak.yaml:4" in broken.stdout and "kunci tidak dikenal" in broken.stdout
    )
    assert "Traceback" not in broken.stdout + broken.stderr
