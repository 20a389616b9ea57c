"""The source catalog: which regulations the bot knows, their status and where to get them."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.vocabulary import Kind, VocabularyError, load_vocabulary, parse_kinds

DEFAULT_CATALOG = Path(__file__).with_name("sources.toml")

# Title-page forms: "<JENIS> [REPUBLIK INDONESIA] NOMOR [:] <n> TAHUN <yyyy>" and the evaluation reports.
_TITLE_RE = re.compile(
    r"\b((?:PERATURAN|PEDOMAN|KEPUTUSAN|SURAT EDARAN|UNDANG-UNDANG|INSTRUKSI)\b[A-Z ,/-]{0,160}?)"
    r"\s+NOMOR\s*:?\s*([0-9]+[A-Z]?)\s+TAHUN\s+((?:19|20)[0-9]{2})\b"
)
# The title block ends where the considerations begin: a regulation cited in the Menimbang
# ("... Peraturan Presiden Nomor 95 Tahun 2018 ...") is not the document's own title.
# Text layers may set the margin label "Menimbang" before the title, so the blessing line ends the block.
_TITLE_BLOCK_END = re.compile(r"\bDENGAN RAHMAT TUHAN\b")
_REPORT_RE = re.compile(
    r"\bLAPORAN\s+(?:PELAKSANAAN\s+)?EVALUASI\s+(?:SPBE|SISTEM PEMERINTAHAN BERBASIS ELEKTRONIK)"
    r"\s+(?:TAHUN\s+)?((?:19|20)[0-9]{2})\b"
)
REPORT_JENIS = "Laporan Evaluasi SPBE"


class CatalogError(Exception):
    """The catalog file is missing or malformed."""


@dataclass(frozen=True)
class Regulation:
    """One catalog entry."""

    short_name: str
    title: str
    jenis: str
    nomor: str
    tahun: int
    status: str = "berlaku"
    ditetapkan: str | None = None
    diundangkan: str | None = None
    lembaran: str | None = None
    amended_by: tuple[str, ...] = ()
    url: str | None = None
    download_url: str | None = None
    sha256: str | None = None
    filename: str | None = None
    aliases: tuple[str, ...] = ()
    has_pasal: bool = True
    note: str | None = None

    def status_text(self) -> str:
        """Status in plain Indonesian, naming the amending regulation where known."""
        if self.status == "berlaku":
            return "berlaku"
        if self.amended_by:
            return f"{self.status} oleh {', '.join(self.amended_by)}"
        return self.status


@dataclass(frozen=True)
class DocumentIdentity:
    """What a document says it is on its title page."""

    jenis: str
    nomor: str
    tahun: int
    title_form: str = ""
    qualifier: str = ""  # the region or ministry after the kind: "BATU BARA" in "PERATURAN BUPATI BATU BARA"


@dataclass(frozen=True)
class Catalog:
    """All known regulations and kinds of regulation."""

    regulations: tuple[Regulation, ...]
    jenis: tuple[Kind, ...] = field(default_factory=tuple)

    def get(self, short_name: str) -> Regulation | None:
        """Entry by exact short name."""
        return next((r for r in self.regulations if r.short_name == short_name), None)

    def find(self, name: str) -> Regulation | None:
        """Entry by short name or alias, case- and space-insensitive."""
        key = _squash(name)
        for reg in self.regulations:
            if key in {_squash(reg.short_name), *(_squash(a) for a in reg.aliases)}:
                return reg
        return None

    def identify(self, text: str) -> DocumentIdentity | None:
        """Read jenis, nomor and tahun from a document's first pages (its title block)."""
        flat = re.sub(r"\s+", " ", text.upper())
        end = _TITLE_BLOCK_END.search(flat)
        block = flat[: end.start()] if end else flat
        title = _TITLE_RE.search(block)
        report = _REPORT_RE.search(flat)
        if report and (not title or report.start() < title.start()):
            return DocumentIdentity(REPORT_JENIS, "", int(report.group(1)), report.group(0))
        if not title:
            return None
        form = re.sub(r"\s+REPUBLIK INDONESIA\s*$", "", title.group(1).strip(" ,"))
        # The words before the jenis on a title page are letterhead ("SALINAN", "PRESIDEN ...").
        for known in sorted(self.jenis, key=lambda j: -len(j.title_form)):
            pos = form.find(known.title_form)
            if pos >= 0 and (pos == 0 or form[pos - 1] == " "):
                qualifier = form[pos + len(known.title_form) :].strip(" ,") if known.qualifier else ""
                return DocumentIdentity(
                    known.name, title.group(2), int(title.group(3)), known.title_form, qualifier
                )
        start = form.rfind("PERATURAN") if "PERATURAN" in form else 0
        name = form[start:].title()
        return DocumentIdentity(name, title.group(2), int(title.group(3)), form[start:])

    def match(self, identity: DocumentIdentity) -> Regulation | None:
        """The catalog entry a document identity refers to."""
        for reg in self.regulations:
            if (reg.jenis, reg.nomor, reg.tahun) == (identity.jenis, identity.nomor, identity.tahun):
                return reg
        return None

    def short_name_for(self, identity: DocumentIdentity) -> str:
        """A short name for a document that is not in the catalog."""
        if identity.jenis == REPORT_JENIS:
            return f"{REPORT_JENIS} {identity.tahun}"
        known = next((j for j in self.jenis if j.name == identity.jenis), None)
        short = known.short if known else identity.jenis
        if identity.qualifier:  # "Perbup Batu Bara 81/2021": two regions may use the same number
            short = f"{short} {identity.qualifier.title()}"
        return f"{short} {identity.nomor}/{identity.tahun}"


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9/]", "", text.lower())


def load_catalog(path: Path | None = None, vocabulary_dir: Path | None = None) -> Catalog:
    """Read the catalog TOML (the shipped one by default); kinds of regulation come from the vocabulary."""
    path = path or DEFAULT_CATALOG
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogError(f"Katalog sumber tidak ditemukan: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"Katalog sumber {path} tidak valid: {exc}") from exc
    # Kinds come from the vocabulary; a catalog may add its own [[jenis]] tables (same fields).
    try:
        jenis = (
            *parse_kinds(raw.get("jenis", []), str(path)),
            *load_vocabulary(vocabulary_dir).kinds,
        )
    except VocabularyError as exc:
        raise CatalogError(str(exc)) from exc
    regulations = []
    for entry in raw.get("regulation", []):
        try:
            regulations.append(
                Regulation(
                    short_name=entry["short_name"],
                    title=entry["title"],
                    jenis=entry["jenis"],
                    nomor=str(entry.get("nomor", "")),
                    tahun=int(entry["tahun"]),
                    status=entry.get("status", "berlaku"),
                    ditetapkan=entry.get("ditetapkan"),
                    diundangkan=entry.get("diundangkan"),
                    lembaran=entry.get("lembaran"),
                    amended_by=tuple(entry.get("amended_by", [])),
                    url=entry.get("url"),
                    download_url=entry.get("download_url"),
                    sha256=entry.get("sha256"),
                    filename=entry.get("filename"),
                    aliases=tuple(entry.get("aliases", [])),
                    has_pasal=bool(entry.get("has_pasal", True)),
                    note=entry.get("note"),
                )
            )
        except KeyError as exc:
            raise CatalogError(f"Entri katalog tanpa kolom {exc}: {entry}") from exc
    return Catalog(tuple(regulations), jenis)
