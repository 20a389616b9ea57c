"""Load benchmark: many concurrent WhatsApp senders through the real webhook server and the fake platform.

Each sender writes its messages one after another (the next once the answer arrived, after an optional
reading time). Every message is a webhook POST signed with the app secret; a share of them is delivered
a second time, as WhatsApp does when it retries, to show that a retry is acknowledged and not answered
again. The fake platform and the senders run in a child process, as WhatsApp and its users are not in the
bot's process: they do not compete with the bot for its interpreter lock.

The bot runs as `spbe-bot whatsapp` does: the webhook receiver in a process of its own, the answering in
the bot's process (`--in-process` puts both in one process, as the tests do, for comparison).

Measures: messages received (acknowledged with 200), answered exactly once, lost (never answered), the
webhook's response time (what WhatsApp waits for before it considers a retry) and the answer latency
(from the POST to the first reply quoting the message arriving at the Graph API).

Usage: python bench/whatsapp_load.py [--senders 100] [--messages 10] [--duplicates 0.1] [--think S]
                                     [--in-process]
Needs an ingested store (SPBE_STORE_DIR). Targets: lost 0, webhook p95 <= 50 ms. Never part of the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from load_common import QUESTIONS, cpu_s, percentile  # noqa: E402

from bot.answer_log import AnswerLog  # noqa: E402
from bot.channels.whatsapp import WEBHOOK_PATH, WhatsAppChannel, serving, serving_apart  # noqa: E402
from bot.core.limits import RateLimit  # noqa: E402
from bot.testing.whatsapp_server import FakeWhatsApp  # noqa: E402
from bot.wiring import build_dialogue  # noqa: E402
from knowledge.settings import Settings  # noqa: E402

TARGETS = {"lost": 0, "webhook_p95_ms": 50.0}


async def sender(fake: FakeWhatsApp, number: str, args: argparse.Namespace) -> dict:
    """One user writing in turn: webhook response times, answer latencies, duplicate deliveries."""
    rng = random.Random(number)  # seeded: every run retries the same messages and reads for the same times
    posts: list[tuple[int, float, bool]] = []  # (HTTP status, seconds, a retried delivery)
    latencies: list[float | None] = []
    ids: list[str] = []
    await asyncio.sleep(rng.uniform(0, args.think or 0.5))  # arrivals spread, not all in one instant
    for n in range(args.messages):
        if n and args.think:
            await asyncio.sleep(rng.uniform(0.5 * args.think, 1.5 * args.think))
        payload = fake.text_payload(number, QUESTIONS[n % len(QUESTIONS)])
        asked_at = time.monotonic()
        delivery = await fake.deliver(payload)
        posts.append((delivery.status, delivery.seconds, False))
        ids.append(str(delivery.message_id))
        if rng.random() < args.duplicates:  # WhatsApp retries the same delivery
            again = await fake.deliver(payload)
            posts.append((again.status, again.seconds, True))
        reply = await fake.reply_to(str(delivery.message_id), args.timeout)
        latencies.append(None if reply is None else reply["received_at"] - asked_at)
    return {"posts": posts, "latencies": latencies, "ids": ids}


async def users(args: argparse.Namespace, pipe: multiprocessing.connection.Connection) -> None:
    """The child process: the fake platform and the senders writing through it."""
    fake = FakeWhatsApp()
    await fake.start()
    pipe.send(fake.config())
    fake.webhook_url = await asyncio.to_thread(pipe.recv)
    started = time.monotonic()
    numbers = [f"628{7_000_000_000 + i}" for i in range(args.senders)]
    per_sender = await asyncio.gather(*(sender(fake, number, args) for number in numbers))
    elapsed = time.monotonic() - started
    await asyncio.sleep(2.0)  # a duplicate answered late would show up here
    quoting = Counter(m["context"] for m in fake.sent if m["context"])
    ids = [i for s in per_sender for i in s["ids"]]
    pipe.send(
        {
            "posts": [p for s in per_sender for p in s["posts"]],
            "latencies": [t for s in per_sender for t in s["latencies"]],
            "answers_per_message": [quoting.get(i, 0) for i in ids],
            "graph_messages": len(fake.sent),
            "graph_rejected": len(fake.rejected),
            "elapsed": elapsed,
        }
    )
    await asyncio.to_thread(pipe.recv)  # the bot has stopped: the platform may go
    await fake.stop()


def users_process(args: argparse.Namespace, pipe: multiprocessing.connection.Connection) -> None:
    """Entry point of the child process."""
    logging.disable(logging.WARNING)
    asyncio.run(users(args, pipe))


async def main_async(args: argparse.Namespace) -> dict:
    """Load the index once, serve the webhook, let the senders write, collect the figures."""
    dialogue = build_dialogue(Settings())
    bot_cpu, users_cpu = cpu_s(resource.RUSAGE_SELF), cpu_s(resource.RUSAGE_CHILDREN)
    parent_end, child_end = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(target=users_process, args=(args, child_end))
    child.start()
    config = await asyncio.to_thread(parent_end.recv)
    with tempfile.TemporaryDirectory() as tmp:
        log = AnswerLog(Path(tmp) / "answers.sqlite3", salt="bench")
        channel = WhatsAppChannel(dialogue, log, limit=RateLimit(0))
        if args.in_process:
            async with serving(channel, config) as url:
                parent_end.send(url + WEBHOOK_PATH)
                figures = await asyncio.to_thread(parent_end.recv)
        else:
            async with serving_apart(channel, config) as (url, _):
                parent_end.send(url + WEBHOOK_PATH)
                figures = await asyncio.to_thread(parent_end.recv)
        logged = len(log.rows())
        log.close()
    parent_end.send("stopped")
    await asyncio.to_thread(child.join)
    posts = figures["posts"]
    accepted = [seconds for status, seconds, _ in posts if status == 200]
    answered = [t for t in figures["latencies"] if t is not None]
    per_message = figures["answers_per_message"]
    webhook_p95 = percentile(accepted, 0.95)
    answer_p95 = percentile(answered, 0.95)
    lost = sum(1 for count in per_message if count == 0)
    return {
        "benchmark": "whatsapp_load",
        "senders": args.senders,
        "messages_per_sender": args.messages,
        "think_s": args.think,
        "duplicate_rate": args.duplicates,
        "webhook_receiver": "in the bot's process" if args.in_process else "a process of its own",
        "cpu_cores": os.cpu_count(),
        "webhook_posts": len(posts),
        "duplicate_posts": sum(1 for *_, retried in posts if retried),
        "received": sum(1 for status, _, retried in posts if status == 200 and not retried),
        "answered_exactly_once": sum(1 for count in per_message if count == 1),
        "answered_more_than_once": sum(1 for count in per_message if count > 1),
        "lost": lost,
        "answers_logged": logged,
        "graph_messages": figures["graph_messages"],
        "graph_rejected": figures["graph_rejected"],
        "seconds": round(figures["elapsed"], 1),
        "answers_per_s": round(len(answered) / figures["elapsed"], 1),
        "webhook_p50_ms": round(1000 * statistics.median(accepted), 1) if accepted else None,
        "webhook_p95_ms": round(1000 * webhook_p95, 1) if webhook_p95 is not None else None,
        "webhook_max_ms": round(1000 * max(accepted), 1) if accepted else None,
        "answer_p50_s": round(statistics.median(answered), 3) if answered else None,
        "answer_p95_s": round(answer_p95, 3) if answer_p95 is not None else None,
        # CPU seconds: the bot, and the fake platform with its simulated senders (the other process).
        "bot_cpu_s": round(cpu_s(resource.RUSAGE_SELF) - bot_cpu, 1),
        "users_cpu_s": round(cpu_s(resource.RUSAGE_CHILDREN) - users_cpu, 1),
        "bot_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "targets": TARGETS,
        "meets_targets": lost == 0
        and webhook_p95 is not None
        and 1000 * webhook_p95 <= TARGETS["webhook_p95_ms"],
    }


def main() -> None:
    """Parse arguments, run, write JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument(
        "--duplicates", type=float, default=0.1, help="Share of messages WhatsApp delivers twice."
    )
    parser.add_argument(
        "--think", type=float, default=0.0, help="Average reading time in seconds between messages."
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="Seconds before an answer counts as lost."
    )
    parser.add_argument(
        "--in-process", action="store_true", help="The webhook receiver in the bot's process (as in tests)."
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    result = asyncio.run(main_async(args))
    suffix = "-in-process" if args.in_process else ""
    args.out = args.out or ROOT / "bench" / "results" / f"whatsapp_load{suffix}.json"
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
