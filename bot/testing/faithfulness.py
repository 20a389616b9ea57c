"""The LLM faithfulness suite: seeded cases over the real index, written by the stand-in model through the
fake OpenAI server and the real langchain client, scored sentence by sentence against the checker.

Per kind of fabrication it reports the share shown to the user; for faithful paraphrases, the share kept.
`calibrate` fits the floors (content-word coverage, embedding cosine) on one half of the cases; the other
half is reported.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.llm import SYSTEM_PROMPT, ChatModel, prompt_for, sentences_of, verify_reply
from bot.core.models import Passage
from bot.core.retrieve import KnowledgeIndex
from bot.core.verify import Floors, strip_markers
from bot.testing.standin import KINDS, Planned, StandInModel, Written, clauses, has_figure, instruction

FAITHFUL = "faithful"
_MIN_CHARS, _MAX_CHARS = 60, 1500


@dataclass(frozen=True)
class Case:
    """One reply to write: numbered passages, a question, and the sentences the stand-in must write."""

    id: str
    kind: str
    seed: int
    question: str
    context: tuple[Passage, ...]
    plan: tuple[Planned, ...]


@dataclass(frozen=True)
class Scored:
    """One written sentence and what the checker did with it."""

    case: str
    kind: str
    shown: bool
    correct: bool  # shown with a citation whose passage holds what it says
    moved: bool


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\(\s*[a-z][a-z\s-]*\)", "", text.lower())).strip()


def generate_cases(index: KnowledgeIndex, per_kind: int, seed: int = 0, context_size: int = 4) -> list[Case]:
    """`per_kind` cases for each fabrication kind over the index's passages, seeded."""
    rng = random.Random(seed)
    candidates = [
        p for p in index.passages if _MIN_CHARS <= len(p.text) <= _MAX_CHARS and len(clauses(p.text)) >= 1
    ]
    with_figures = [p for p in candidates if any(has_figure(c) for c in clauses(p.text))]
    cases: list[Case] = []
    for round_ in range(per_kind):
        for kind in KINDS:
            case_seed = rng.randrange(1 << 30)
            local = random.Random(case_seed)
            source = local.choice(with_figures if kind == "other_number" else candidates)
            # Neighbours by BM25 (close in words, as retrieval would return them; no embedding needed).
            scores = index.lexical(source.text[:400])
            nearest = sorted(range(len(scores)), key=lambda i: -scores[i])[:12]
            neighbours = [
                index.passages[i]
                for i in nearest
                if index.passages[i].chunk_id != source.chunk_id
                and _flat(index.passages[i].text) != _flat(source.text)
                and clauses(index.passages[i].text)
            ]
            context = [source, *neighbours[: context_size - 1]]
            local.shuffle(context)
            at = context.index(source) + 1
            plan = [Planned(FAITHFUL, at, at)]
            others = [i for i in range(1, len(context) + 1) if context[i - 1].key != source.key]
            if kind == "wrong_marker" and others:
                plan.append(Planned(kind, at, local.choice(others)))
            elif kind == "uncited":
                plan.append(Planned(kind, at, None))
            elif kind == "injection" and others:
                # The planted passage is not one a faithful sentence is written from.
                poisoned = local.choice(others)
                others.remove(poisoned)
                target = context[poisoned - 1]
                context[poisoned - 1] = replace(target, text=f"{target.text} {instruction(local)}")
                plan.append(Planned(kind, poisoned, poisoned))
            elif kind != "injection":
                plan.append(Planned(kind, at, at))
            if others and local.random() < 0.5:  # a second faithful sentence, from another passage
                other = local.choice(others)
                plan.append(Planned(FAITHFUL, other, other))
            local.shuffle(plan)
            first = clauses(source.text)[0].split()[:8]
            question = f"Bagaimana ketentuan mengenai {' '.join(first).rstrip(',.;:')}?"
            cases.append(Case(f"{kind}-{round_}", kind, case_seed, question, tuple(context), tuple(plan)))
    return cases


@dataclass
class Reply:
    """A case's reply: what the stand-in wrote, sentence by sentence."""

    case: Case
    reply: str
    written: list[Written]


def write_replies(cases: Sequence[Case], llm: ChatModel, standin: StandInModel) -> list[Reply]:
    """Ask the model (the stand-in behind the fake server) for each case's reply."""
    replies = []
    for case in cases:
        standin.seed, standin.plan = case.seed, list(case.plan)
        reply = llm.complete(SYSTEM_PROMPT, prompt_for(case.question, case.context))
        replies.append(Reply(case, reply, list(standin.written)))
    return replies


def _holds(passage: Passage, clause_source: Passage, sentence: Written) -> bool:
    """Whether a passage holds what a faithful sentence says (its own source or its unit, or the same
    words)."""
    # The same unit (a Pasal's ayat, a report's section) counts whatever its page: the label names it.
    if passage.chunk_id == clause_source.chunk_id or passage.key == clause_source.key:
        return True
    words = [w for w in re.findall(r"\w+", _flat(sentence.clause)) if len(w) > 3]
    text = _flat(passage.text)
    return bool(words) and sum(1 for w in words if w in text) / len(words) >= 0.85


def score(replies: Sequence[Reply], floors: Floors, similarity: Any = None) -> list[Scored]:
    """Verify every reply and score each written sentence."""
    scored: list[Scored] = []
    for item in replies:
        case = item.case
        verified = verify_reply(item.reply, case.context, floors, similarity)
        if len(sentences_of(item.reply)) != len(item.written):
            raise AssertionError(
                f"{case.id}: the reply does not split into the sentences written: {item.reply}"
            )
        kept = {k.position: k for k in verified.kept}
        for position, sentence in enumerate(item.written, 1):
            shown = kept.get(position)
            source = case.context[sentence.source - 1]
            content_fabrication = sentence.kind not in (FAITHFUL, "wrong_marker", "uncited")
            correct = (
                shown is not None
                and not content_fabrication
                and all(_holds(p, source, sentence) for p in shown.passages)
            )
            kind = FAITHFUL if sentence.kind == FAITHFUL else sentence.kind
            scored.append(Scored(case.id, kind, shown is not None, correct, bool(shown and shown.moved)))
    return scored


def table(scored: Sequence[Scored]) -> dict[str, dict[str, float | int]]:
    """Per kind: sentences, share shown wrongly (fabrications) or kept rightly (faithful), moved."""
    groups: dict[str, list[Scored]] = defaultdict(list)
    for s in scored:
        groups[s.kind].append(s)
    rows: dict[str, dict[str, float | int]] = {}
    for kind in (FAITHFUL, *KINDS):
        group = groups.get(kind, [])
        if not group:
            continue
        if kind == FAITHFUL:
            rows[kind] = {"n": len(group), "kept": sum(s.correct for s in group) / len(group)}
        else:
            wrong = sum(1 for s in group if s.shown and not s.correct)
            rows[kind] = {"n": len(group), "shown": wrong / len(group)}
        rows[kind]["moved"] = sum(s.moved and s.correct for s in group) / len(group)
    fabricated = [s for s in scored if s.kind != FAITHFUL]
    if fabricated:
        rows["all_fabrications"] = {
            "n": len(fabricated),
            "shown": sum(1 for s in fabricated if s.shown and not s.correct) / len(fabricated),
        }
    return rows


def _cost(scored: Sequence[Scored]) -> tuple[int, int]:
    shown = sum(1 for s in scored if s.kind != FAITHFUL and s.shown and not s.correct)
    lost = sum(1 for s in scored if s.kind == FAITHFUL and not s.correct)
    return shown, lost


def calibrate(replies: Sequence[Reply], similarity: Any = None) -> tuple[Floors, dict[str, Any]]:
    """The floors that show the fewest fabrications, then keep the most faithful sentences, then are
    the strictest, over the given (fitting) replies; with the search's figures."""
    steps = [round(0.5 + 0.05 * i, 2) for i in range(9)]  # 0.50 .. 0.90
    similarities: list[float | None] = [None]
    if similarity is not None:
        observed = sorted(
            similarity(strip_markers(s), p)
            for item in replies
            for s in sentences_of(item.reply)
            for p in item.case.context
        )
        # Candidate floors: the lower half of what sentences score against passages, in 10 steps.
        similarities += [round(observed[len(observed) * i // 20], 4) for i in range(11)] if observed else []
    best: tuple[tuple[int, int, float, float, float], Floors] | None = None
    for coverage in steps:
        for phrases in steps:
            for floor in similarities:
                floors = Floors(coverage, floor, phrases)
                shown, lost = _cost(score(replies, floors, similarity))
                key = (shown, lost, -coverage, -phrases, -(floor if floor is not None else -1.0))
                if best is None or key < best[0]:
                    best = (key, floors)
    assert best is not None
    grid = len(steps) ** 2 * len(similarities)
    return best[1], {"fabrications_shown": best[0][0], "faithful_lost": best[0][1], "grid": grid}


class CachedSimilarity:
    """Sentence-to-passage cosine through the responder, one embedding per sentence."""

    def __init__(self, index: KnowledgeIndex) -> None:
        self.index = index
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, sentence: str, passage: Passage) -> float:
        """Cosine of the sentence (as a question) and the passage's stored vector."""
        found = self._cache.get(sentence)
        if found is None:
            found = self._cache[sentence] = self.index.similarities(sentence)
        return float(found[passage.index])


def run_suite(
    index: KnowledgeIndex,
    llm: ChatModel,
    standin: StandInModel,
    *,
    per_kind: int,
    seed: int,
    floors: Floors,
    fit: bool,
) -> dict[str, Any]:
    """Generate, write and score the suite; with `fit`, floors are fitted on one half first."""
    started = time.perf_counter()
    cases = generate_cases(index, per_kind, seed)
    replies = write_replies(cases, llm, standin)
    similarity = CachedSimilarity(index)
    result: dict[str, Any] = {"seed": seed, "cases": len(cases), "embedder": index.embedder.model_id}
    if fit:
        # Cases alternate kinds, so each half holds every kind equally.
        fitting, heldout = replies[::2], replies[1::2]
        floors, search = calibrate(fitting, similarity)
        result |= {
            "cases_fitting": len(fitting),
            "cases_heldout": len(heldout),
            "fitting": table(score(fitting, floors, similarity)),
            "heldout": table(score(heldout, floors, similarity)),
            "search": search,
        }
    else:
        result["all"] = table(score(replies, floors, similarity))
    result["floors"] = {
        "min_coverage": floors.min_coverage,
        "min_phrases": floors.min_phrases,
        "min_similarity": floors.min_similarity,
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def save_floors(path: Path, result: dict[str, Any]) -> None:
    """Write the fitted floors for the result's embedder, keeping other embedders' entries."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = {}
    saved.setdefault(
        "about",
        "Floors of the LLM sentence check, fitted by `spbe-bot eval --llm-faithfulness --calibrate` on one "
        "half of the stand-in's cases; `heldout` is the other half.",
    )
    # The lexical floors hold for any embedder without its own entry (with no embedding floor).
    saved["min_coverage"] = result["floors"]["min_coverage"]
    saved["min_phrases"] = result["floors"]["min_phrases"]
    saved.setdefault("embedders", {})[result["embedder"]] = {
        **result["floors"],
        "seed": result["seed"],
        "cases": result["cases"],
        "heldout": result.get("heldout", {}),
    }
    path.write_text(json.dumps(saved, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
