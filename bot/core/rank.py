"""Ranking retrieved passages with weights learned from labelled questions (see bot/core/train.py).

Each candidate passage is described by evidence features (lexical and dense ranks, whether it holds what
the question asks, whether it belongs to the regulation named, ...); a logistic model fitted on labelled
cases turns them into one score. The weights live in knowledge/ranker.json beside the feature names and
the cross-validated figures they were fitted with, so a reviewer sees what the ranking values.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_RANKER = Path(__file__).resolve().parents[2] / "knowledge" / "ranker.json"

# The evidence about one candidate passage for one question. Order matters: it is the column order of
# the feature matrix and of the stored weights.
FEATURES = (
    "bm25_rrf",  # 1 / (20 + BM25 rank), 0 outside the BM25 pool
    "bm25_rel",  # BM25 score / best BM25 score
    "dense_rrf",  # 1 / (20 + dense rank)
    "dense_gap",  # cosine similarity minus the best one (<= 0)
    "heading_rrf",  # 1 / (20 + rank) among sections whose heading the question names
    "hand",  # the hand-set fusion of earlier versions (RRF with priors), for comparison and as evidence
    "hand_rank",  # 1 / (1 + rank of the passage's unit under the hand-set fusion)
    "named",  # the passage's regulation is named in the question
    "topic_regulation",  # a follow-up, and the passage's regulation is the conversation's
    "guidance",  # a guide or report (restating the law), not named
    "definition",  # a Pasal 1 definition
    "definition_fact",  # a Pasal 1 definition, for a who/when/where/list question
    "enumerates_list",  # an article that enumerates, for a list question
    "holds_attribute",  # the passage holds the kind of answer asked (who, when, how many...)
    "holds_near",  # one sentence of it holds that kind of answer beside a topical word of the question
    "unit_holds_attribute",  # its Pasal or section holds it (maybe in another ayat)
    "attribute_missing",  # an attribute is asked and neither the passage nor its unit holds it
    "avoided",  # a follow-up on the same subject, and the last answers already quoted this ayat
    "last_unit",  # a follow-up on the same subject, and the passage is in the unit the last answer cited
    "avoided_new_subject",  # the same, for a follow-up that names a new subject ("kalau untuk pemda?")
    "last_unit_new_subject",
    "year",  # a year the question asks about appears in the passage's text or headings
    "place",  # share of the named region or institution's words in the passage
    "coverage",  # IDF-weighted share of the question's words (stems) in the passage
    "rare_coverage",  # share of the question's two rarest words in the passage
    "heading_coverage",  # IDF-weighted share of the question's words in the passage's heading path
    "phrase_coverage",  # share of the question's adjacent-word pairs (stemmed) in the passage
    "article",  # an article (Pasal), not a Lampiran, a report or a guide section
    "article_rule",  # an article, for a question asking a rule (no year, no figure asked)
    "sibling",  # best hand score of another chunk of the same Pasal / best hand score
    "length",  # log of the passage length, in characters
    "fresh_coverage",  # a follow-up: IDF-weighted share of the turn's own words (not the topic's) in it
    "fresh_bm25",  # a follow-up: BM25 score of the turn's own words / best such score
)


def sigmoid(values: np.ndarray) -> np.ndarray:
    """Logistic function, overflow-safe."""
    return 1.0 / (1.0 + np.exp(-np.clip(values, -30, 30)))


@dataclass(frozen=True)
class Ranker:
    """A linear model over FEATURES: score = sigmoid(bias + weights · features)."""

    weights: tuple[float, ...]
    bias: float = 0.0
    names: tuple[str, ...] = FEATURES
    report: dict = field(default_factory=dict, compare=False)  # how it was fitted, for reviewers

    def score(self, matrix: np.ndarray) -> np.ndarray:
        """Scores in (0, 1) for a (candidates x features) matrix."""
        if matrix.size == 0:
            return np.zeros(len(matrix))
        return sigmoid(matrix @ np.asarray(self.weights) + self.bias)

    def save(self, path: Path) -> None:
        """Write the weights with their feature names and fitting report (JSON)."""
        payload = {
            "features": dict(zip(self.names, (round(w, 6) for w in self.weights), strict=True)),
            "bias": round(self.bias, 6),
            "report": self.report,
        }
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = DEFAULT_RANKER) -> Ranker:
        """Read weights written by save(); features the file does not know weigh 0."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        stored = raw.get("features", {})
        weights = tuple(float(stored.get(name, 0.0)) for name in FEATURES)
        bias = float(raw.get("bias", 0.0))
        if not all(math.isfinite(w) for w in (*weights, bias)):
            raise ValueError(f"{path}: weights are not finite numbers")
        return cls(weights, bias, FEATURES, raw.get("report", {}))


def hand_ranker() -> Ranker:
    """The earlier hand-set fusion alone, as a ranker (the baseline the learned weights must beat)."""
    weights = tuple(1.0 if name == "hand" else 0.0 for name in FEATURES)
    return Ranker(weights, 0.0)
