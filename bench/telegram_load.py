"""Load benchmark: many concurrent chats through a real PTB Application and the fake Bot API server.

Each chat asks its questions one after another (the next once the answer arrived). Measures messages
sent, answered, lost, and end-to-end latency from the update appearing on the server to the answer
arriving back. The fake server and the simulated users run in a child process, as Telegram and its
users are not in the bot's process: they do not compete with the bot for its interpreter lock.
Usage: python bench/telegram_load.py [--chats 200] [--questions 10]
Needs an ingested store (SPBE_STORE_DIR). Target: lost 0, p95 <= 2 s. Never part of the test pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import multiprocessing.connection
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answer_log import AnswerLog  # noqa: E402
from bot.channels.telegram import TelegramChannel  # noqa: E402
from bot.core.limits import RateLimit  # noqa: E402
from bot.testing.telegram_server import FakeTelegram  # noqa: E402
from bot.wiring import build_dialogue  # noqa: E402
from knowledge.settings import Settings  # noqa: E402

QUESTIONS = [
    "apa itu arsitektur spbe?",
    "isi pasal 40 perpres 95 apa?",
    "audit infrastruktur spbe milik pemda minimal brp kali dilakukan?",
    "bobot domain layanan spbe dalam perhitungan indeks itu brp persen?",
    "pasal berikutnya bilang apa?",
    "siapa yang menetapkan arsitektur spbe instansi pusat?",
    "kalau untuk pemda gimana?",
    "tim koordinasi spbe nasional ketuanya siapa?",
    "minta resep rendang dong",
    "indeks spbe pemprov jawa barat tahun 2024 berapa?",
]


async def chat(fake: FakeTelegram, chat_id: int, args: argparse.Namespace, latencies: list[float]) -> int:
    """One user asking in turn (reading for `think` seconds between answers); returns answers lost."""
    lost = 0
    questions, timeout = args.questions, args.timeout
    # With a think time, users arrive spread over one think period instead of all in the same instant.
    await asyncio.sleep(random.Random(chat_id).uniform(0, args.think))
    for n in range(questions):
        if n and args.think:
            await asyncio.sleep(args.think)
        update = fake.message(chat_id, QUESTIONS[n % len(QUESTIONS)], user_id=chat_id)
        asked_at = time.monotonic()
        reply = await fake.reply_to(chat_id, update["message"]["message_id"], timeout)
        if reply is None:
            lost += 1
        else:
            latencies.append(reply["received_at"] - asked_at)
    return lost


async def users(args: argparse.Namespace, port_out: multiprocessing.connection.Connection) -> None:
    """The child process: the fake Bot API server and the chats asking through it."""
    fake = FakeTelegram()
    await fake.start()
    port_out.send(fake.base_url)
    for _ in range(600):  # the bot connects once its index is loaded
        if "getupdates" in fake.calls:
            break
        await asyncio.sleep(0.1)
    latencies: list[float] = []
    started = time.monotonic()
    lost = await asyncio.gather(*(chat(fake, 10_000 + i, args, latencies) for i in range(args.chats)))
    elapsed = time.monotonic() - started
    port_out.send(
        {"latencies": latencies, "lost": sum(lost), "elapsed": elapsed, "bot_messages": len(fake.sent)}
    )
    await asyncio.to_thread(port_out.recv)  # the bot has stopped polling: the server may go
    await fake.stop()


def users_process(args: argparse.Namespace, port_out: multiprocessing.connection.Connection) -> None:
    """Entry point of the child process: run the users, send the figures back."""
    logging.disable(logging.WARNING)
    asyncio.run(users(args, port_out))


async def main_async(args: argparse.Namespace) -> dict:
    """Run the bot here and the load in a child process; collect figures."""
    settings = Settings()
    dialogue = build_dialogue(settings)
    parent_end, child_end = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(target=users_process, args=(args, child_end))
    child.start()
    base_url = await asyncio.to_thread(parent_end.recv)
    with tempfile.TemporaryDirectory() as tmp:
        log = AnswerLog(Path(tmp) / "answers.sqlite3", salt="bench")
        channel = TelegramChannel(dialogue, log, limit=RateLimit(0))
        app = channel.build(FakeTelegram().token, base_url, flood_limits=not args.no_flood_limits)
        await app.initialize()
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        figures = await asyncio.to_thread(parent_end.recv)
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        log.close()
    parent_end.send("stopped")
    child.join()
    own, users_cpu = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    latencies = sorted(figures["latencies"])
    elapsed = figures["elapsed"]
    asked = args.chats * args.questions
    return {
        "benchmark": "telegram_load",
        "chats": args.chats,
        "questions_per_chat": args.questions,
        "think_s": args.think,
        "messages_sent": asked,
        "answered": len(latencies),
        "lost": figures["lost"],
        "bot_messages": figures["bot_messages"],
        "seconds": round(elapsed, 1),
        "answers_per_s": round(len(latencies) / elapsed, 1),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))], 3)
        if latencies
        else None,
        "bot_peak_rss_mb": round(own.ru_maxrss / 1024, 1),
        # CPU seconds: the bot (including its index load) and the fake server with its simulated users.
        "bot_cpu_s": round(own.ru_utime + own.ru_stime, 1),
        "users_cpu_s": round(users_cpu.ru_utime + users_cpu.ru_stime, 1),
        "flood_limits": not args.no_flood_limits,
        "note": "With flood limits, PTB's AIORateLimiter keeps answers to Telegram's ~30 messages/s "
        "per bot (the typing action is exempt).",
        "targets": {"lost": 0, "p95_s": 2.0},
    }


def main() -> None:
    """Parse arguments, run, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--think", type=float, default=0.0, help="Seconds a user reads before the next question (0: stress)."
    )
    parser.add_argument(
        "--no-flood-limits",
        action="store_true",
        help="Measure the bot alone, without Telegram's 30 msg/s limit.",
    )
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    if args.uvloop:
        import uvloop

        uvloop.install()
    result = asyncio.run(main_async(args))
    suffix = ("-no-flood-limits" if args.no_flood_limits else "") + (
        f"-think{args.think:g}" if args.think else ""
    )
    args.out = args.out or ROOT / "bench" / "results" / f"telegram_load{suffix}.json"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
