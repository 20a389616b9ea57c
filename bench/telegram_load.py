"""Load benchmark: many concurrent chats through a real PTB Application and the fake Bot API server.

Each chat asks its questions one after another (the next once the answer arrived, after the user's
reading time). Measures messages sent, answered, lost, and end-to-end latency from the update appearing
on the server to the answer arriving back. The fake server and the simulated users run in a child
process, as Telegram and its users are not in the bot's process: they do not compete with the bot for
its interpreter lock. Three scenarios, all run by default (one JSON file with every figure):

- readers:  users read each answer for 5-15 s (10 s on average) before asking again; Telegram's flood
            limits on. The everyday case, and the one the p95 <= 2 s target is met in.
- stress:   users ask again the moment an answer arrives; flood limits on. Telegram lets a bot send
            about 30 messages/s, so 200 such users wait at least 200/30 = 6.7 s each, whatever the bot.
- capacity: as stress, without flood limits: the bot's own throughput on this machine's cores.

Usage: python bench/telegram_load.py [--scenario NAME] [--chats 200] [--questions 10] [--think S]
Needs an ingested store (SPBE_STORE_DIR). Targets: lost 0, p95 <= 2 s. Never part of the test pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from load_common import QUESTIONS, cpu_s, percentile  # noqa: E402

from bot.answer_log import AnswerLog  # noqa: E402
from bot.channels.telegram import TelegramChannel  # noqa: E402
from bot.core.dialogue import Dialogue  # noqa: E402
from bot.core.limits import RateLimit  # noqa: E402
from bot.testing.telegram_server import FakeTelegram  # noqa: E402
from bot.wiring import build_dialogue  # noqa: E402
from knowledge.settings import Settings  # noqa: E402

TELEGRAM_MESSAGES_PER_S = 30  # Telegram's documented ceiling per bot, as PTB's AIORateLimiter applies it


@dataclasses.dataclass(frozen=True)
class Scenario:
    """Who the users are: how long they read between answers, and whether Telegram's limits apply."""

    name: str
    think_s: float
    flood_limits: bool
    about: str


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("readers", 10.0, True, "users read each answer 5-15 s before asking again"),
        Scenario("stress", 0.0, True, "users ask again the moment the answer arrives"),
        Scenario("capacity", 0.0, False, "as stress, without Telegram's flood limits: the bot alone"),
    )
}


async def chat(
    fake: FakeTelegram, chat_id: int, think: float, args: argparse.Namespace
) -> list[float | None]:
    """One user asking in turn; the latency of each answer (None when it never came)."""
    rng = random.Random(chat_id)  # seeded: every run reads for the same times
    latencies: list[float | None] = []
    # Users arrive spread over one reading period instead of all in the same instant.
    await asyncio.sleep(rng.uniform(0, think))
    for n in range(args.questions):
        if n and think:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
        update = fake.message(chat_id, QUESTIONS[n % len(QUESTIONS)], user_id=chat_id)
        asked_at = time.monotonic()
        reply = await fake.reply_to(chat_id, update["message"]["message_id"], args.timeout)
        latencies.append(None if reply is None else reply["received_at"] - asked_at)
    return latencies


async def users(
    args: argparse.Namespace, think: float, first_chat: int, port_out: multiprocessing.connection.Connection
) -> None:
    """The child process: the fake Bot API server and the chats asking through it."""
    fake = FakeTelegram()
    await fake.start()
    port_out.send(fake.base_url)
    for _ in range(600):  # the bot connects once it is started
        if "getupdates" in fake.calls:
            break
        await asyncio.sleep(0.1)
    started = time.monotonic()
    per_chat = await asyncio.gather(*(chat(fake, first_chat + i, think, args) for i in range(args.chats)))
    elapsed = time.monotonic() - started
    latencies = [t for chat_latencies in per_chat for t in chat_latencies]
    port_out.send({"latencies": latencies, "elapsed": elapsed, "bot_messages": len(fake.sent)})
    await asyncio.to_thread(port_out.recv)  # the bot has stopped polling: the server may go
    await fake.stop()


def users_process(
    args: argparse.Namespace, think: float, first_chat: int, port_out: multiprocessing.connection.Connection
) -> None:
    """Entry point of the child process: run the users, send the figures back."""
    logging.disable(logging.WARNING)
    asyncio.run(users(args, think, first_chat, port_out))


async def run_scenario(
    dialogue: Dialogue, scenario: Scenario, think: float, first_chat: int, args: argparse.Namespace
) -> dict:
    """One scenario: a fresh Telegram channel over the loaded dialogue, the users in a child process."""
    bot_cpu, users_cpu = cpu_s(resource.RUSAGE_SELF), cpu_s(resource.RUSAGE_CHILDREN)
    parent_end, child_end = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=users_process, args=(args, think, first_chat, child_end)
    )
    child.start()
    base_url = await asyncio.to_thread(parent_end.recv)
    with tempfile.TemporaryDirectory() as tmp:
        log = AnswerLog(Path(tmp) / "answers.sqlite3", salt="bench")
        channel = TelegramChannel(dialogue, log, limit=RateLimit(0))
        app = channel.build(FakeTelegram().token, base_url, flood_limits=scenario.flood_limits)
        await app.initialize()
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        figures = await asyncio.to_thread(parent_end.recv)
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        log.close()
    parent_end.send("stopped")
    await asyncio.to_thread(child.join)
    answered = sorted(t for t in figures["latencies"] if t is not None)
    elapsed = figures["elapsed"]
    p95 = percentile(answered, 0.95)
    asked = args.chats * args.questions
    lost = asked - len(answered)
    result = {
        "scenario": scenario.name,
        "about": scenario.about,
        "think_s": think,
        "flood_limits": scenario.flood_limits,
        "messages_sent": asked,
        "answered": len(answered),
        "lost": lost,
        "bot_messages": figures["bot_messages"],
        "seconds": round(elapsed, 1),
        "answers_per_s": round(len(answered) / elapsed, 1),
        "p50_s": round(statistics.median(answered), 3) if answered else None,
        "p95_s": round(p95, 3) if p95 is not None else None,
        # CPU seconds in this scenario: the bot, and the fake server with its simulated users.
        "bot_cpu_s": round(cpu_s(resource.RUSAGE_SELF) - bot_cpu, 1),
        "users_cpu_s": round(cpu_s(resource.RUSAGE_CHILDREN) - users_cpu, 1),
        "meets_targets": lost == 0 and p95 is not None and p95 <= 2.0,
    }
    if scenario.flood_limits and not think:
        # Every user waits for its turn in Telegram's queue: no bot can answer them faster than this.
        result["telegram_floor_p95_s"] = round(args.chats / TELEGRAM_MESSAGES_PER_S, 2)
    return result


async def main_async(args: argparse.Namespace) -> dict:
    """Load the index once, then run each chosen scenario; collect figures."""
    dialogue = build_dialogue(Settings())
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    results = []
    for position, name in enumerate(names):
        scenario = SCENARIOS[name]
        think = scenario.think_s if args.think is None else args.think
        # Each scenario's users are new chats: no conversation carries over from the one before.
        results.append(await run_scenario(dialogue, scenario, think, 10_000 + position * 100_000, args))
        print(json.dumps(results[-1]), flush=True)
    return {
        "benchmark": "telegram_load",
        "chats": args.chats,
        "questions_per_chat": args.questions,
        "cpu_cores": os.cpu_count(),
        "bot_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "note": "With flood limits, PTB's AIORateLimiter keeps answers to Telegram's ~30 messages/s "
        "per bot (the typing action is exempt).",
        "targets": {"lost": 0, "p95_s": 2.0},
        "scenarios": results,
    }


def main() -> None:
    """Parse arguments, run, write JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="Seconds before an answer counts as lost."
    )
    parser.add_argument(
        "--think",
        type=float,
        default=None,
        help="Average reading time in seconds, instead of the scenario's.",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    result = asyncio.run(main_async(args))
    suffix = "" if args.scenario == "all" else f"-{args.scenario}"
    suffix += "" if args.think is None else f"-think{args.think:g}"
    args.out = args.out or ROOT / "bench" / "results" / f"telegram_load{suffix}.json"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
