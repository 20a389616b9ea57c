"""`spbe-bot eval`: run gold cases (../shared/eval format) through the dialogue engine and score them."""

from __future__ import annotations

import re
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.core.dialogue import Dialogue


class EvalError(Exception):
    """The cases file cannot be read; the message says why."""


# Issue 13's measure of "the answer first": the asked facts stand in the reply's first 400 characters.
FIRST_CHARS = 400


def load_cases(path: Path) -> list[dict[str, Any]]:
    """Cases from a YAML file in the eval format."""
    try:
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EvalError(f"Berkas kasus {path} tidak dapat dibaca: {exc}") from exc
    if not isinstance(cases, list) or not all(isinstance(c, dict) and "id" in c for c in cases):
        raise EvalError(f"Berkas kasus {path} harus berupa daftar kasus dengan 'id'.")
    return cases


def _norm_pasal(value: Any) -> str:
    return re.sub(r"^pasal\s*", "", str(value or "").strip().lower())


def _norm_text(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "").strip().casefold())


def _section_matches(gold: str, section: str | None) -> bool:
    """Equal after case-folding, or contained in the heading path (word by word)."""
    if not section:
        return False
    gold_n, section_n = _norm_text(gold), _norm_text(section)
    if gold_n == section_n or gold_n in section_n:
        return True
    gold_words = re.findall(r"\w+", gold_n)
    return bool(gold_words) and set(gold_words) <= set(re.findall(r"\w+", section_n))


def matches(item: dict[str, Any], gold: dict[str, Any]) -> bool:
    """Whether a retrieved passage or a citation supports a gold reference."""
    if item.get("regulation") != gold.get("regulation"):
        return False
    if gold.get("section"):
        return _section_matches(gold["section"], item.get("section"))
    return _norm_pasal(item.get("pasal")) == _norm_pasal(gold.get("pasal"))


# A number written in words ("lima", "dua puluh", "seratus"): ../shared/eval/README.md drops it in parentheses
# after a digit ("5 (lima) tahun" -> "5 tahun"), and only it ("3,12 (predikat baik)" keeps its words).
_NUMBER_WORD = (
    r"(?:se)?(?:nol|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|puluh|belas|ratus|ribu|juta|koma)"
)
_WORDED_NUMBER_RE = re.compile(rf"(\d)\s*\(\s*{_NUMBER_WORD}(?:[\s-]+{_NUMBER_WORD})*\s*\)")


def _normalise_answer(text: str) -> str:
    text = _WORDED_NUMBER_RE.sub(r"\1", text.lower())
    text = re.sub(r"(?<=\d)\.(?=\d)", ",", text)
    return re.sub(r"\s+", " ", text)


@dataclass
class Item:
    """One scored question (a case, or a turn of a dialogue case)."""

    case_id: str
    kind: str
    answerable: bool
    turn: dict[str, Any]
    gold: list[dict[str, Any]]
    must_include: list[str]
    tags: tuple[str, ...] = ()

    def rank(self) -> int | None:
        """1-based rank of the first retrieved passage matching a gold item (top 10)."""
        for position, passage in enumerate(self.turn["retrieved"][:10], 1):
            if any(matches(passage, g) for g in self.gold):
                return position
        return None

    def citation_precision(self) -> float:
        """Share of cited (regulation, pasal/section) pairs that match a gold item."""
        pairs = {(c["regulation"], c.get("pasal"), c.get("section")) for c in self.turn["citations"]}
        if not pairs:
            return 0.0
        good = sum(
            1
            for r, p, s in pairs
            if any(matches({"regulation": r, "pasal": p, "section": s}, g) for g in self.gold)
        )
        return good / len(pairs)

    def coverage(self, within: int | None = None) -> float:
        """Share of must_include phrases found in the answer (or in its first `within` characters)."""
        if not self.must_include:
            return 1.0
        answer = _normalise_answer(self.turn["answer"][:within])
        return sum(1 for phrase in self.must_include if _normalise_answer(phrase) in answer) / len(
            self.must_include
        )


def run_cases(dialogue: Dialogue, cases: list[dict[str, Any]]) -> tuple[dict[str, Any], list[Item]]:
    """Run every case in a fresh conversation; return the results document and the scored items."""
    results: list[dict[str, Any]] = []
    items: list[Item] = []
    for case in cases:
        chat = f"eval-{case['id']}-{uuid.uuid4().hex[:6]}"
        turns_in = case.get("turns") or [
            {
                "question": case["question"],
                "gold": case.get("gold", []),
                "must_include": case.get("must_include", []),
            }
        ]
        turns_out = []
        for turn in turns_in:
            answer = dialogue.ask(chat, str(turn["question"]))
            record = answer.turn(str(turn["question"]))
            mode = llm_mode(answer.notes)
            if mode:  # LLM mode only: extractive results stay as they were
                record["mode"] = mode
            turns_out.append(record)
            # A dialogue turn may expect a refusal of its own ("and next year?").
            refuse = turn.get("expect", case.get("expect")) == "refuse"
            items.append(
                Item(
                    case["id"],
                    case.get("kind", "?"),
                    not refuse,
                    record,
                    list(turn.get("gold") or []),
                    list(turn.get("must_include") or []),
                    tuple(
                        dict.fromkeys(
                            [
                                *(case.get("tags") or []),
                                *(turn.get("tags") or []),
                                # Later turns of a dialogue, the kind of question that leans on context.
                                *(["follow_up"] if turns_out[:-1] else []),
                            ]
                        )
                    ),
                )
            )
        dialogue.reset(chat)
        results.append({"id": case["id"], "turns": turns_out})
    return {"cases": results}, items


def llm_mode(notes: tuple[str, ...]) -> str | None:
    """'llm' when the model's verified sentences answered, the fallback's reason when it did not, None
    when no model was asked."""
    if "llm" in notes:
        return "llm"
    return next((n.split(":")[0] for n in notes if n.startswith("llm_")), None)


def llm_summary(items: list[Item]) -> dict[str, int]:
    """How many answers the model wrote and why the others fell back (empty in extractive mode)."""
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        mode = item.turn.get("mode")
        if mode:
            counts[mode] += 1
    return dict(counts)


def metrics(items: list[Item], *, by_tag: bool = False) -> dict[str, dict[str, float | int | None]]:
    """The metric table, overall and by kind (or by the cases' tags)."""
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        groups["overall"].append(item)
        for name in item.tags if by_tag else (item.kind,):
            groups[name].append(item)
    table: dict[str, dict[str, float | int | None]] = {}
    for name, group in groups.items():
        answerable = [i for i in group if i.answerable]
        refusals = [i for i in group if not i.answerable]
        ranks = [i.rank() for i in answerable]
        latencies = sorted(i.turn["latency_ms"] for i in group)
        row: dict[str, float | int | None] = {"n": len(group)}
        if answerable:
            row["hit@1"] = sum(1 for r in ranks if r == 1) / len(answerable)
            row["hit@5"] = sum(1 for r in ranks if r and r <= 5) / len(answerable)
            row["mrr"] = sum(1 / r for r in ranks if r) / len(answerable)
            row["citation_precision"] = statistics.mean(i.citation_precision() for i in answerable)
            row["must_include"] = statistics.mean(i.coverage() for i in answerable)
            row["false_refusal"] = sum(1 for i in answerable if i.turn["refused"]) / len(answerable)
            # The answer first: every asked fact within the first 400 characters of the reply.
            asked = [i for i in answerable if i.must_include]
            row["facts_first_400"] = (
                sum(1 for i in asked if i.coverage(FIRST_CHARS) == 1.0) / len(asked) if asked else None
            )
        if refusals:
            row["refusal_accuracy"] = sum(
                1 for i in refusals if i.turn["refused"] and not i.turn["citations"]
            ) / len(refusals)
        row["p50_ms"] = statistics.median(latencies) if latencies else None
        row["p95_ms"] = (
            latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))] if latencies else None
        )
        table[name] = row
    return table


COLUMNS = ("n", "hit@1", "hit@5", "mrr", "citation_precision", "must_include", "facts_first_400",
           "refusal_accuracy", "false_refusal", "p50_ms", "p95_ms")  # fmt: skip
