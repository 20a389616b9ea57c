"""The testers' case library (tests/dialogues/) runs on the default set-up: a failing case fails CI."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from bot.dialogues.cases import load_cases
from bot.dialogues.report import markdown
from bot.dialogues.runner import run
from bot.wiring import build_dialogue
from knowledge.catalog import load_catalog
from tests.conftest import ROOT
from tests.test_cli import run_cli

LIBRARY = ROOT / "tests" / "dialogues"


def library():
    cases, errors = load_cases([LIBRARY], load_catalog())
    assert not errors, [str(e) for e in errors]
    return cases


def test_the_library_covers_what_testers_need():
    cases = library()
    assert len(cases) >= 40
    tags = Counter(tag for case in cases for tag in case.tags)
    for topic in ("definisi", "pasal", "lanjutan", "penolakan", "aneh", "perintah", "admin", "tombol"):
        assert tags[topic] >= 1, topic
    cited = {ref.regulation for case in cases for turn in case.turns if turn.cites for ref in turn.cites.refs}
    assert cited >= {r.short_name for r in load_catalog().regulations if r.short_name}
    assert sum(len(c.turns) >= 3 and "lanjutan" in c.tags for c in cases) >= 5
    assert all(case.xfail is None or case.xfail.strip() for case in cases)


@pytest.mark.parametrize("channel", ["core", "telegram", "whatsapp"])
def test_every_library_case_passes(default_settings, channel):
    results = run(library(), build_dialogue(default_settings), channel)
    failed = [r for r in results if r.failed]
    assert not failed, markdown(failed, channel=channel)


def test_the_readme_walkthrough_works_as_written(default_settings, tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Scripted dialogues.*?```sh\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    copy, edit, start, _read = commands
    edit_from = re.search(r"s/(.*?)/", edit).group(1)
    assert edit_from in (LIBRARY / "contoh.yaml").read_text(encoding="utf-8")
    for command in (copy, edit):
        subprocess.run(command.replace("/tmp/", f"{tmp_path}/"), shell=True, cwd=ROOT, check=True)
    assert edit_from not in (tmp_path / "coba.yaml").read_text(encoding="utf-8")
    args = start.replace("/tmp/", f"{tmp_path}/").split()
    assert args[:3] == [".venv/bin/spbe-bot", "dialogues", "run"]
    result = run_cli(default_settings, *args[1:])
    assert result.returncode == 0, result.stdout + result.stderr
    report = Path(tmp_path / "laporan.md").read_text(encoding="utf-8")
    assert "Ringkasan: **2 kasus, 2 lulus, 0 gagal**" in report
