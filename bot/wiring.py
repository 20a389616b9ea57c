"""Build the answering parts from Settings (one place, used by every entry point)."""

from __future__ import annotations

import logging

from bot.core.answer import DENSE_FLOORS, Responder, Thresholds
from bot.core.dialogue import Dialogue
from bot.core.limits import Limiter, RateLimit
from bot.core.rank import DEFAULT_RANKER, Ranker
from bot.core.retrieve import CrossEncoderReranker, KnowledgeIndex
from bot.core.state import ConversationStore, InProcessConversations
from ingest.pipeline import Ingestor, Progress
from knowledge.catalog import load_catalog
from knowledge.embedders import ModelEmbeddings, make_embedder
from knowledge.settings import Settings
from knowledge.store import Store, StoreError

logger = logging.getLogger(__name__)


def load_ranker(settings: Settings) -> Ranker | None:
    """The learned ranking weights; None (the hand-set fusion) when the file is missing or unreadable."""
    path = settings.ranker_path or DEFAULT_RANKER
    try:
        return Ranker.load(path)
    except (OSError, ValueError) as exc:
        logger.warning("ranker weights not loaded from %s, ranking by the hand-set fusion: %s", path, exc)
        return None


def build_responder(settings: Settings) -> Responder:
    """Open the store, load the embedder and index, and build the responder (extractive or LLM)."""
    store = Store.open(settings)
    if not store.active_name:
        raise StoreError(f"Indeks di {store.location} masih kosong. Jalankan `spbe-bot ingest`.")
    embedder = make_embedder(settings.embedder)
    reranker = CrossEncoderReranker(settings.reranker) if settings.reranker else None
    index = KnowledgeIndex(
        store,
        embedder,
        core_regulation=settings.core_regulation,
        reranker=reranker,
        ranker=load_ranker(settings),
        cache_dir=settings.store_dir / "cache",
        refresh_interval_s=settings.index_check_s,
    )
    catalog = load_catalog(settings.catalog_path)
    thresholds = Thresholds(min_dense=DENSE_FLOORS.get(embedder.model_id, 0.0))
    if settings.llm_base_url and settings.llm_model:
        from bot.core.llm import LLMResponder, OpenAICompatibleLLM
        from bot.core.verify import load_floors

        llm = OpenAICompatibleLLM(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed",
            timeout_s=settings.llm_timeout_s,
        )
        return LLMResponder(
            index=index,
            catalog=catalog,
            thresholds=thresholds,
            top_k=settings.top_k,
            llm=llm,
            floors=load_floors(embedder.model_id, settings.faithfulness_path),
        )
    return Responder(index=index, catalog=catalog, thresholds=thresholds, top_k=settings.top_k)


def make_ingestor(
    settings: Settings, embedder: ModelEmbeddings | None = None, progress: Progress | None = None
) -> Ingestor:
    """The ingest pipeline on the configured store (reusing an already loaded embedder when given)."""
    return Ingestor(
        Store.open(settings, create=True),
        embedder or make_embedder(settings.embedder),
        load_catalog(settings.catalog_path),
        batch_size=settings.embed_batch_size,
        progress=progress,
    )


def build_state(settings: Settings) -> tuple[ConversationStore, Limiter]:
    """Conversation memory and the per-user rate limit: in Redis when SPBE_REDIS_URL is set, else here."""
    if settings.redis_url is None:
        return (
            InProcessConversations(settings.memory_turns, settings.max_chats),
            RateLimit(settings.user_rate_limit),
        )
    from bot.shared_state import shared_state

    return shared_state(
        settings.redis_url.get_secret_value(),
        max_turns=settings.memory_turns,
        max_chats=settings.max_chats,
        ttl_s=settings.memory_ttl_s,
        per_minute=settings.user_rate_limit,
    )


def build_dialogue(settings: Settings, memory: ConversationStore | None = None) -> Dialogue:
    """The dialogue engine every channel talks to (memory: from build_state; default in-process)."""
    return Dialogue(
        build_responder(settings),
        max_turns=settings.memory_turns,
        max_chats=settings.max_chats,
        memory=memory,
    )
