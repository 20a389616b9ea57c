"""Load source files into pages of text: PDF text layers, txt, md, html, docx and JSON text layers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md", ".html", ".htm", ".docx", ".json")

# Page markers: derived .txt files ("===== Halaman 3 dari 110 =====") and Marker's markdown ids.
_TXT_PAGE_RE = re.compile(r"^=+\s*Halaman\s+(\d+)(?:\s+dari\s+\d+)?\s*=+\s*$", re.MULTILINE)
_MD_PAGE_RE = re.compile(r"(?:id=\"page-(\d+)-\d+\"|\(_page_(\d+)_)")


class LoadError(Exception):
    """A file cannot be read as a document; the message names the reason in Indonesian."""


@dataclass(frozen=True)
class Page:
    """One page of a source document (1-based number)."""

    number: int
    text: str


@dataclass(frozen=True)
class LoadedDocument:
    """A source file as pages of text."""

    path: Path
    format: str
    pages: tuple[Page, ...]

    @property
    def text(self) -> str:
        """All pages joined."""
        return "\n".join(p.text for p in self.pages)


def load_document(path: Path) -> LoadedDocument:
    """Read a file into pages, or raise LoadError with the reason."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(f"jenis berkas '{suffix or '(tanpa ekstensi)'}' tidak didukung")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"berkas tidak dapat dibaca: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise LoadError("berkas kosong (0 byte)" if not raw else "berkas kosong")
    loader = {
        ".pdf": _load_pdf,
        ".txt": _load_txt,
        ".md": _load_markdown,
        ".html": _load_html,
        ".htm": _load_html,
        ".docx": _load_docx,
        ".json": _load_json,
    }[suffix]
    pages = tuple(p for p in loader(path, raw) if p.text.strip())
    if not pages:
        raise LoadError("berkas tidak berisi teks")
    return LoadedDocument(path=path, format=suffix.lstrip("."), pages=pages)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"teks bukan UTF-8 (byte tidak valid di posisi {exc.start})") from exc


def _split_marked(text: str, marker: re.Pattern[str]) -> list[Page]:
    """Split text at page markers; text before the first marker is page 1."""
    matches = list(marker.finditer(text))
    if not matches:
        return [Page(i, t) for i, t in enumerate(text.split("\f"), 1)]
    pages = [Page(1, text[: matches[0].start()])] if text[: matches[0].start()].strip() else []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        pages.append(Page(int(m.group(1)), text[m.end() : end]))
    return pages


def _load_txt(path: Path, raw: bytes) -> list[Page]:
    return _split_marked(_decode(raw), _TXT_PAGE_RE)


def _load_markdown(path: Path, raw: bytes) -> list[Page]:
    # Marker numbers pages from 0 in its ids; lines stay whole so headings survive.
    pages: dict[int, list[str]] = {}
    current = 1
    for line in _decode(raw).splitlines():
        found = _MD_PAGE_RE.search(line)
        if found:
            current = int(found.group(1) or found.group(2)) + 1
        pages.setdefault(current, []).append(line)
    return [Page(n, "\n".join(lines)) for n, lines in sorted(pages.items())]


def _load_html(path: Path, raw: bytes) -> list[Page]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(raw), "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer"]):
        tag.decompose()
    return [Page(1, soup.get_text("\n"))]


def _load_docx(path: Path, raw: bytes) -> list[Page]:
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise LoadError(f"DOCX rusak atau tidak dapat dibuka ({type(exc).__name__})") from exc
    return [Page(1, "\n".join(p.text for p in document.paragraphs))]


def _load_json(path: Path, raw: bytes) -> list[Page]:
    try:
        data = json.loads(_decode(raw))
    except json.JSONDecodeError as exc:
        raise LoadError(f"JSON tidak valid (baris {exc.lineno})") from exc
    entries = data.get("pages") if isinstance(data, dict) else data
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise LoadError("JSON bukan lapisan teks per halaman (diharapkan daftar 'pages')")
    pages = []
    for index, entry in enumerate(entries, 1):
        text = entry.get("selectable_text") or entry.get("text") or ""
        if entry.get("is_scanned") or not text.strip():
            text = entry.get("ocr_text") or text
        pages.append(Page(int(entry.get("page_number", index)), str(text)))
    return pages


def _load_pdf(path: Path, raw: bytes) -> list[Page]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("PDF terenkripsi (butuh kata sandi)")
        pages = [Page(i, page.extract_text() or "") for i, page in enumerate(reader.pages, 1)]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(f"PDF rusak atau tidak dapat dibaca ({type(exc).__name__})") from exc
    except Exception as exc:  # pypdf raises many types on damaged files; all mean the same to an admin
        if "crypt" in str(exc).lower():
            raise LoadError("PDF terenkripsi (butuh kata sandi)") from exc
        raise LoadError(f"PDF rusak atau tidak dapat dibaca ({type(exc).__name__})") from exc
    if pages and not any(p.text.strip() for p in pages):
        raise LoadError("PDF hasil pindaian tanpa lapisan teks (perlu OCR terlebih dahulu)")
    return pages
