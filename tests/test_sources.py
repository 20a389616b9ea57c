"""`spbe-bot sources`: downloads over a local HTTP server on 127.0.0.1, checksums, offline failures."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from knowledge.catalog import load_catalog
from knowledge.sources import download_all
from tests.test_cli import run_cli

PDF = b"%PDF-1.4 fake regulation body"


class _Handler(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Handler.hits.append(self.path)
        if self.path.startswith("/ok/"):
            self.send_response(200)
            self.send_header("Content-Length", str(len(PDF)))
            self.end_headers()
            self.wfile.write(PDF)
        else:
            self.send_error(404)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_catalog(path: Path, base: str) -> Path:
    good = hashlib.sha256(PDF).hexdigest()
    entries = [
        ("Perpres 1/2020", f"{base}/ok/perpres-1.pdf", good),
        ("Perpres 2/2020", f"{base}/ok/perpres-2.pdf", "0" * 64),
        ("Perpres 3/2020", f"{base}/missing/perpres-3.pdf", ""),
        ("Perpres 4/2020", f"http://127.0.0.1:{_closed_port()}/perpres-4.pdf", ""),
        ("Perpres 5/2020", "", ""),
    ]
    text = ""
    for name, url, sha in entries:
        nomor = name.split()[1].split("/")[0]
        text += (
            f'[[regulation]]\nshort_name = "{name}"\ntitle = "Peraturan Presiden {nomor}"\n'
            f'jenis = "Peraturan Presiden"\nnomor = "{nomor}"\ntahun = 2020\n'
        )
        if url:
            text += f'download_url = "{url}"\n'
        if sha:
            text += f'sha256 = "{sha}"\n'
        if not url:
            text += 'url = "https://example.invalid/perpres-5"\n'
    path.write_text(text, encoding="utf-8")
    return path


def test_download_verifies_checksums_and_names_failures(tmp_path, server):
    catalog = load_catalog(write_catalog(tmp_path / "sources.toml", server))
    docs = tmp_path / "docs"
    results = {r.regulation: r for r in download_all(catalog, docs, timeout_s=5)}
    assert results["Perpres 1/2020"].status == "downloaded"
    assert (docs / "perpres-1.pdf").read_bytes() == PDF
    assert results["Perpres 2/2020"].status == "failed" and "checksum" in results["Perpres 2/2020"].detail
    assert not (docs / "perpres-2.pdf").exists()
    assert results["Perpres 3/2020"].status == "failed" and "404" in results["Perpres 3/2020"].detail
    assert results["Perpres 4/2020"].status == "failed" and "offline" in results["Perpres 4/2020"].detail
    assert results["Perpres 5/2020"].status == "skipped"
    assert "example.invalid" in results["Perpres 5/2020"].detail

    _Handler.hits.clear()
    again = {r.regulation: r for r in download_all(catalog, docs, timeout_s=5)}
    assert again["Perpres 1/2020"].status == "present"
    assert "/ok/perpres-1.pdf" not in _Handler.hits


def test_sources_cli_list_and_download(settings, server):
    catalog = write_catalog(settings.documents_dir.parent / "sources.toml", server)
    settings = settings.model_copy(update={"catalog_path": catalog})
    listed = run_cli(settings, "sources", "list")
    assert listed.returncode == 0 and "Perpres 1/2020" in listed.stdout
    downloaded = run_cli(settings, "sources", "download")
    assert downloaded.returncode == 1  # some downloads failed, and the table says which
    assert "diunduh" in downloaded.stdout and "GAGAL" in downloaded.stdout
    assert (settings.documents_dir / "perpres-1.pdf").exists()
    listed = run_cli(settings, "sources", "list")
    row = next(line for line in listed.stdout.splitlines() if "Perpres 1/2020" in line)
    assert "perpres-1.pdf" in row


def test_shipped_catalog_lists_every_document(settings):
    listed = run_cli(settings, "sources", "list")
    assert listed.returncode == 0
    for name in ("Perpres 95/2018", "Laporan Evaluasi SPBE 2024", "Peraturan BSSN 8/2024"):
        assert name in listed.stdout
