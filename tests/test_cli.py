"""The spbe-bot command as an admin runs it: real processes, real store, clear errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pypdf import PdfWriter

from knowledge.settings import Settings
from tests.conftest import ROOT, corpus_path


def run_cli(
    settings: Settings,
    *args: str,
    stdin: str | None = None,
    timeout: float = 300,
    isolated: bool = False,
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """`spbe-bot ARGS` in its own process on the settings' store, running this checkout's code.

    `isolated` drops every SPBE_ variable of the calling environment (CI exports some); `extra` adds more.
    """
    env = {k: v for k, v in os.environ.items() if not (isolated and k.startswith("SPBE_"))}
    env.update(
        SPBE_DOCUMENTS_DIR=str(settings.documents_dir),
        SPBE_STORE_DIR=str(settings.store_dir),
        SPBE_EMBEDDER=settings.embedder,
        PYTHONPATH=str(ROOT),
        COLUMNS="250",
        **extra,
    )
    if settings.catalog_path:
        env["SPBE_CATALOG_PATH"] = str(settings.catalog_path)
    if settings.chroma_host:
        env.update(SPBE_CHROMA_HOST=settings.chroma_host, SPBE_CHROMA_PORT=str(settings.chroma_port))
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.documents_dir.parent,
        timeout=timeout,
        check=False,
    )


def bad_inputs(folder: Path) -> dict[str, str]:
    """One file of each bad kind, and the reason the summary must give for it."""
    (folder / "kosong.txt").write_text("   \n", encoding="utf-8")
    (folder / "nol.pdf").write_bytes(b"")
    (folder / "rusak.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("rahasia")
    with open(folder / "terkunci.pdf", "wb") as fh:
        writer.write(fh)
    scanned = PdfWriter()
    scanned.add_blank_page(width=595, height=842)
    with open(folder / "pindaian.pdf", "wb") as fh:
        scanned.write(fh)
    (folder / "latin1.txt").write_bytes("PERATURAN tentang Keamanan \xe9lektronik".encode("latin-1"))
    (folder / "catatan.xyz").write_text("bukan dokumen", encoding="utf-8")
    return {
        "kosong.txt": "berkas kosong",
        "nol.pdf": "0 byte",
        "rusak.pdf": "PDF rusak",
        "terkunci.pdf": "terenkripsi",
        "pindaian.pdf": "tanpa lapisan teks",
        "latin1.txt": "bukan UTF-8",
        "catatan.xyz": "tidak didukung",
    }


def test_bad_files_are_named_with_reasons_and_the_rest_is_ingested(settings):
    reasons = bad_inputs(settings.documents_dir)
    shutil.copy(corpus_path("perpres-82-2023-percepatan-transformasi-digital.pdf"), settings.documents_dir)
    result = run_cli(settings, "ingest")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    for name, reason in reasons.items():
        row = next(line for line in lines if name in line)
        assert "GAGAL" in row and reason in row, row
    row = next(line for line in lines if "perpres-82-2023" in line)
    assert "dimuat" in row and "Perpres 82/2023" in row
    assert "Traceback" not in result.stderr
    status = json.loads(run_cli(settings, "status", "--json").stdout)
    assert [d["regulation"] for d in status["documents"]] == ["Perpres 82/2023"]


def test_status_json_and_inspect(settings):
    shutil.copy(corpus_path("perpres-95-2018.pdf-text-layer.json"), settings.documents_dir)
    assert run_cli(settings, "ingest").returncode == 0
    status = json.loads(run_cli(settings, "status", "--json").stdout)
    assert set(status) == {"store", "embedding_model", "documents"}
    assert status["embedding_model"] == "hash:256"
    assert Path(status["store"]) == settings.store_dir.resolve()
    (doc,) = status["documents"]
    assert set(doc) == {"regulation", "title", "status", "pages", "pasal", "chunks", "ingested_at"}
    assert (doc["regulation"], doc["status"], doc["pages"], doc["pasal"]) == (
        "Perpres 95/2018",
        "berlaku",
        110,
        77,
    )
    assert doc["chunks"] > 300

    pasal = run_cli(settings, "inspect", "perpres 95", "--pasal", "11")
    assert pasal.returncode == 0
    assert "Perpres 95/2018 Pasal 11" in pasal.stdout
    assert "Arsitektur SPBE Instansi Pusat disusun untuk jangka waktu 5 (lima)" in pasal.stdout.replace(
        "\n", " "
    )
    outline = run_cli(settings, "inspect", "Perpres 95/2018")
    assert "BAB IX KETENTUAN PENUTUP: Pasal 74, 75, 76, 77" in outline.stdout
    assert "2.1. Visi SPBE" in outline.stdout
    missing = run_cli(settings, "inspect", "Perpres 95/2018", "--pasal", "99")
    assert missing.returncode == 2 and "tidak memuat Pasal 99" in missing.stderr


def test_clear_errors_without_store_or_documents(settings):
    status = run_cli(settings, "status")
    assert status.returncode == 2
    assert "Indeks belum ada" in status.stderr and "spbe-bot ingest" in status.stderr
    assert "Traceback" not in status.stderr
    ingest = run_cli(settings, "ingest")
    assert ingest.returncode == 2
    assert "Belum ada dokumen" in ingest.stderr and "sources download" in ingest.stderr
    unknown = run_cli(
        Settings(**{**settings.model_dump(), "embedder": "word2vec"}), "ingest", str(ROOT / "README.md")
    )
    assert unknown.returncode == 2 and "tidak dikenal" in unknown.stderr


def test_corrupt_store_is_reported_clearly(settings):
    settings.store_dir.mkdir(parents=True)
    (settings.store_dir / "chroma.sqlite3").write_bytes(b"this is not sqlite")
    result = run_cli(settings, "status", "--json")
    assert result.returncode == 2
    assert "tidak dapat dibuka" in result.stderr
    assert "Traceback" not in result.stderr


def test_ask_json_prints_the_turn_object(corpus_settings):
    result = run_cli(corpus_settings, "ask", "isi pasal 40 perpres 95 apa?", "--json")
    assert result.returncode == 0, result.stderr
    turn = json.loads(result.stdout)
    assert set(turn) == {"question", "answer", "refused", "citations", "retrieved", "latency_ms"}
    assert turn["citations"][0] == {
        "regulation": "Perpres 95/2018",
        "pasal": "40",
        "part": None,
        "section": None,
        "page": turn["citations"][0]["page"],
        "quote": turn["citations"][0]["quote"],
    }
    assert "kenirsangkalan" in turn["answer"] and turn["refused"] is False


def test_eval_writes_results_and_prints_metrics(corpus_settings, tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        """
- id: lookup
  kind: pasal_lookup
  question: "pasal 24 perpres spbe bunyinya apa?"
  gold: [{regulation: "Perpres 95/2018", pasal: "24"}]
  must_include: ["proses bisnis"]
- id: oos
  kind: out_of_scope
  question: "resep rendang yang empuk dong"
  expect: refuse
  gold: []
- id: chain
  kind: dialogue
  turns:
    - question: "pasal 60 perpres 95 isinya apa?"
      gold: [{regulation: "Perpres 95/2018", pasal: "60"}]
      must_include: ["koordinator spbe instansi pusat"]
    - question: "pasal berikutnya bilang apa?"
      gold: [{regulation: "Perpres 95/2018", pasal: "61"}]
      must_include: ["sekretaris daerah"]
""",
        encoding="utf-8",
    )
    out = tmp_path / "results.json"
    result = run_cli(corpus_settings, "eval", str(cases), "--out", str(out))
    assert result.returncode == 0, result.stderr
    results = json.loads(out.read_text(encoding="utf-8"))
    assert [c["id"] for c in results["cases"]] == ["lookup", "oos", "chain"]
    assert len(results["cases"][2]["turns"]) == 2
    assert results["cases"][2]["turns"][1]["citations"][0]["pasal"] == "61"
    assert len(results["cases"][0]["turns"][0]["retrieved"]) >= 1
    overall = next(line for line in result.stdout.splitlines() if "overall" in line)
    assert "1.000" in overall  # hit@1, citation precision, must_include and refusal accuracy are all 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {question: no id}\n", encoding="utf-8")
    broken = run_cli(corpus_settings, "eval", str(bad))
    assert broken.returncode == 2 and "id" in broken.stderr


def test_chat_without_documents_says_so_in_one_line(settings):
    result = run_cli(settings, "chat")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Belum ada dokumen" in lines[0]


def test_console_chat_runs_the_dialogue(dialogue_factory):
    from bot.channels.console import run_console

    typed = iter(["apa itu arsitektur spbe?", "/reset", "/keluar"])
    shown: list[str] = []
    run_console(dialogue_factory(), read=lambda prompt: next(typed), write=shown.append)
    assert "Selamat datang" in shown[0]
    assert any("Perpres 95/2018 Pasal 1 angka 6" in s for s in shown)
    assert any("lupakan" in s for s in shown)
    assert shown[-1] == "Sampai jumpa."


def test_invalid_setting_is_a_clear_error(settings):
    env_settings = settings.model_copy()
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "status"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SPBE_TOP_K": "banyak", "SPBE_STORE_DIR": str(env_settings.store_dir)},
    )
    assert result.returncode == 2
    assert "SPBE_TOP_K" in result.stderr and "Traceback" not in result.stderr
