"""Fuzz benchmark: 10,000 odd messages through the dialogue entry point every channel uses.

The messages are tests/test_fuzz.py's (bot/testing/fuzz.py: odd Unicode, controls, markup, injections,
commands with garbage, inputs over 100 kB), drawn by hypothesis from a fixed seed, in conversations of one
to four messages. Counts each reply as answered (with citations), politely refused, a command's text, or
empty, and any exception or wrong reply with the message that caused it.
Usage: python bench/fuzz.py [--messages 10000] [--seed 0] [--out bench/results/fuzz.json]
Needs an ingested store (SPBE_STORE_DIR). Targets: 0 exceptions, 0 wrong or empty replies. Exits 1 when
an exception escaped. Never part of the test pass/fail (the short fuzz in tests/ is).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from bot.core.dialogue import Dialogue  # noqa: E402
from bot.testing.fuzz import conversations, judge  # noqa: E402
from bot.wiring import build_dialogue  # noqa: E402
from knowledge.settings import Settings  # noqa: E402

TARGETS = {"exceptions": 0, "wrong": 0, "empty": 0}
_EXAMPLES_KEPT = 20  # failing messages written to the JSON, each cut to 300 characters


class Tally:
    """Counts over every message sent, and the first few failures."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kinds: Counter[str] = Counter()
        self.latencies_ms: list[float] = []
        self.failures: list[dict[str, str]] = []
        self.conversations = 0

    @property
    def messages(self) -> int:
        """Messages sent so far."""
        return len(self.latencies_ms)

    def send(self, dialogue: Dialogue, chat: str, message: str) -> None:
        """Send one message, time it, judge the reply."""
        started = time.perf_counter()
        try:
            reply = dialogue.respond(chat, message)
        except Exception as exc:  # the one thing this benchmark exists to count
            self.latencies_ms.append((time.perf_counter() - started) * 1000)
            self.kinds["exceptions"] += 1
            self._keep(message, f"{type(exc).__name__}: {exc}", traceback.format_exc(limit=-3))
            return
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        verdict = judge(reply, dialogue)
        self.kinds[verdict.kind] += 1
        if self.messages % 1000 == 0:  # a long run on a shared machine: say where it is
            print(f"{self.messages} messages, {dict(self.kinds)}", file=sys.stderr, flush=True)
        if verdict.kind in ("wrong", "empty"):
            self._keep(message, verdict.reason, reply.text[:300])

    def _keep(self, message: str, reason: str, detail: str) -> None:
        if len(self.failures) < _EXAMPLES_KEPT:
            self.failures.append({"message": message[:300], "reason": reason, "detail": detail})


def run(dialogue: Dialogue, messages: int, seed_value: int) -> Tally:
    """Draw conversations from the seed until `messages` messages are sent."""
    tally = Tally(messages)

    # Generation only: no shrinking (nothing is raised) and no example database, so a seed is a run.
    @seed(seed_value)
    @settings(
        max_examples=messages,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(conversation=conversations())
    def fuzz(conversation: list[str]) -> None:
        if tally.messages >= tally.limit:
            return  # hypothesis cannot be stopped early: the remaining examples are drawn and skipped
        tally.conversations += 1
        chat = f"fuzz-{tally.conversations % 50}"
        for message in conversation[: tally.limit - tally.messages]:
            tally.send(dialogue, chat, message)

    # Conversations hold 1-4 messages: draw until the count is reached (hypothesis may stop early).
    while tally.messages < messages:
        before = tally.messages
        fuzz()
        if tally.messages == before:
            break
        seed_value += 1
    return tally


def main() -> None:
    """Run the benchmark and write its JSON; exit 1 when an exception escaped."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fuzz.json")
    args = parser.parse_args()
    # The bot logs refusals and odd input at INFO/WARNING; thousands of those lines measure nothing.
    logging.disable(logging.WARNING)
    settings_ = Settings()
    dialogue = build_dialogue(settings_)
    dialogue.respond("warm-up", "apa itu spbe?")
    started = time.perf_counter()
    tally = run(dialogue, args.messages, args.seed)
    elapsed = time.perf_counter() - started
    latencies = sorted(tally.latencies_ms)
    result = {
        "benchmark": "fuzz",
        "embedder": settings_.embedder,
        "seed": args.seed,
        "messages": tally.messages,
        "conversations": tally.conversations,
        "exceptions": tally.kinds["exceptions"],
        "answered": tally.kinds["answered"],
        "refused": tally.kinds["refused"],
        "commands": tally.kinds["command"],
        "empty": tally.kinds["empty"],
        "wrong": tally.kinds["wrong"],
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[round(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "seconds": round(elapsed, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "failures": tally.failures,
        "targets": TARGETS,
    }
    result["meets_targets"] = all(result[name] <= limit for name, limit in TARGETS.items())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "failures"}, indent=2))
    print(f"written: {args.out}")
    sys.exit(1 if result["exceptions"] else 0)


if __name__ == "__main__":
    main()
