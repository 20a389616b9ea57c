"""Fetch the catalog's official documents into the documents folder (`spbe-bot sources download`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

from knowledge.catalog import Catalog, Regulation


@dataclass(frozen=True)
class DownloadResult:
    """What happened to one catalog entry."""

    regulation: str
    status: str  # downloaded | present | skipped | failed
    detail: str
    path: Path | None = None


def target_path(regulation: Regulation, documents_dir: Path) -> Path | None:
    """Where a regulation's download is saved (None when the catalog has no download address)."""
    if not regulation.download_url:
        return None
    name = regulation.filename or Path(urlparse(regulation.download_url).path).name
    return documents_dir / (name or f"{regulation.short_name.replace('/', '-')}.pdf")


def present_files(regulation: Regulation, documents_dir: Path) -> list[Path]:
    """Files in the documents folder that are this regulation's download target."""
    target = target_path(regulation, documents_dir)
    return [target] if target and target.exists() else []


def download_all(
    catalog: Catalog, documents_dir: Path, *, timeout_s: float = 60.0, client: httpx.Client | None = None
) -> list[DownloadResult]:
    """Download every catalog document that has an address, skipping those present; never raises."""
    documents_dir.mkdir(parents=True, exist_ok=True)
    own_client = client is None
    client = client or httpx.Client(timeout=timeout_s, follow_redirects=True)
    try:
        return [_download_one(client, reg, documents_dir) for reg in catalog.regulations]
    finally:
        if own_client:
            client.close()


def _download_one(client: httpx.Client, reg: Regulation, documents_dir: Path) -> DownloadResult:
    target = target_path(reg, documents_dir)
    if target is None:
        where = f"; halaman resmi: {reg.url}" if reg.url else ""
        return DownloadResult(reg.short_name, "skipped", f"katalog tidak punya alamat unduhan{where}")
    if target.exists() and (not reg.sha256 or _sha256(target.read_bytes()) == reg.sha256):
        return DownloadResult(reg.short_name, "present", "sudah ada", target)
    try:
        response = client.get(reg.download_url or "")
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        return DownloadResult(reg.short_name, "failed", f"server menjawab HTTP {exc.response.status_code}")
    except httpx.TimeoutException:
        return DownloadResult(reg.short_name, "failed", "waktu habis saat mengunduh")
    except httpx.HTTPError as exc:
        return DownloadResult(
            reg.short_name,
            "failed",
            f"tidak dapat terhubung ({type(exc).__name__}); apakah mesin ini offline?",
        )
    body = response.content
    if reg.sha256 and _sha256(body) != reg.sha256:
        return DownloadResult(reg.short_name, "failed", "checksum sha256 tidak cocok; berkas tidak disimpan")
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(body)
    partial.replace(target)
    return DownloadResult(reg.short_name, "downloaded", f"{len(body):,} byte", target)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
