"""Replicas on one Chroma server and one Redis, and re-indexing while questions flow.

Real servers only: `chroma run` and redis-server on 127.0.0.1 (CI's, or started by the session fixtures),
the real `spbe-bot ingest` and `spbe-bot whatsapp` processes, the fake WhatsApp platform posting signed
webhooks to each replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import sqlite3
import sys
import threading
from pathlib import Path

import pytest

from bot.answer_log import AnswerLog
from bot.channels.formatting import WHATSAPP_LIMIT, from_whatsapp, split_message, to_whatsapp
from bot.channels.host import FAILED, TOO_MANY
from bot.testing.servers import whatsapp_replica
from bot.testing.whatsapp_server import FakeWhatsApp, bsuid
from bot.wiring import build_dialogue, make_ingestor
from knowledge.settings import Settings
from knowledge.store import MAINTENANCE, Store
from tests.conftest import CORPUS_FILES, ROOT, corpus_path
from tests.new_regulation import SHORT_NAME, TEXT, write_regulation

QUESTION = "siapa yang menetapkan arsitektur spbe instansi pusat?"
FOLLOW_UP = "kalau untuk pemda gimana?"
PASAL_3 = f"isi pasal 3 {SHORT_NAME.lower()} apa?"
# The second version of the fixture regulation changes what its Pasal 3 says.
OLD_COPIES, NEW_COPIES = "paling sedikit 2 (dua) eksemplar", "paling sedikit 3 (tiga) eksemplar"
LOAD = (PASAL_3, "apa itu arsip vital?", QUESTION)
REPLICA_READY_S = 120.0
ANSWER_TIMEOUT_S = 60.0


def write_documents(folder: Path, *, version: int) -> Path:
    """Perpres 95/2018 and the fixture regulation, its Pasal 3 as in the given version."""
    folder.mkdir(exist_ok=True)
    source = corpus_path(CORPUS_FILES["Perpres 95/2018"])
    (folder / source.name).write_bytes(source.read_bytes())
    path = write_regulation(folder)
    if version == 2:
        assert OLD_COPIES in TEXT
        path.write_text(TEXT.replace(OLD_COPIES, NEW_COPIES), encoding="utf-8")
    return folder


def server_env(chroma: tuple[str, int], tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a bot process on the Chroma server (hash embedder, no .env of the developer)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPBE_")}
    env.update(
        SPBE_CHROMA_HOST=chroma[0],
        SPBE_CHROMA_PORT=str(chroma[1]),
        SPBE_EMBEDDER="hash",
        SPBE_STORE_DIR=str(tmp_path / "cache-store"),
        SPBE_INDEX_CHECK_S="0",
        COLUMNS="250",
        # This checkout's code, whatever the venv's editable install points at (a worktree's venv is shared).
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **extra,
    )
    return env


async def cli(env: dict[str, str], *args: str, cwd: Path) -> tuple[int, str]:
    """Run `spbe-bot ARGS` in its own process; (exit code, stdout + stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 300)
    return int(process.returncode or 0), output.decode()


async def ask(fake: FakeWhatsApp, url: str, number: str, text: str) -> str:
    """One message to one replica; the text of the bot's reply to it (asserted to arrive)."""
    delivery = await fake.send_text(number, text, url=url)
    assert delivery.status == 200
    reply = await fake.reply_to(str(delivery.message_id), ANSWER_TIMEOUT_S)
    assert reply is not None, f"no reply to {text!r}"
    return from_whatsapp(reply["text"])


def first_piece(text: str) -> str:
    """What WhatsApp shows of an answer in the message that quotes the question."""
    return from_whatsapp(to_whatsapp(split_message(text, WHATSAPP_LIMIT, to_whatsapp)[0]))


async def test_two_replicas_share_the_index_memory_and_limit_and_reindex_under_load(
    chroma_server, redis_url, tmp_path
):
    docs = write_documents(tmp_path / "docs", version=1)
    env = server_env(
        chroma_server,
        tmp_path,
        SPBE_REDIS_URL=redis_url,
        SPBE_LOG_SALT="uji-garam",
        SPBE_USER_RATE_LIMIT="3",
        SPBE_WHATSAPP_TOKEN="TEST-GRAPH-TOKEN",
        SPBE_WHATSAPP_PHONE_ID="106540352242922",
        SPBE_WHATSAPP_APP_SECRET="test-app-secret",
        SPBE_WHATSAPP_VERIFY_TOKEN="test-verify-token",
    )
    # Ingest through the server, as an admin would; status reads the same server.
    code, output = await cli(env, "ingest", "--rebuild", str(docs), cwd=tmp_path)
    assert code == 0, output
    code, output = await cli(env, "status", "--json", cwd=tmp_path)
    assert code == 0 and f'"store": "http://{chroma_server[0]}:{chroma_server[1]}"' in output
    assert SHORT_NAME in output and "Perpres 95/2018" in output

    settings = Settings(
        chroma_host=chroma_server[0], chroma_port=chroma_server[1], embedder="hash",
        store_dir=tmp_path / "test-store", index_check_s=0, _env_file=None,
    )  # fmt: skip
    old = Store.open(settings).active_name
    # What one bot process answers to the follow-up with the question before it, and without it.
    local = build_dialogue(settings)
    local.handle("c", QUESTION)
    expected_follow_up = first_piece(local.handle("c", FOLLOW_UP))
    assert expected_follow_up != first_piece(local.handle("alone", FOLLOW_UP))

    fake = FakeWhatsApp()
    await fake.start()
    env["SPBE_WHATSAPP_GRAPH_URL"] = fake.graph_url
    logs = [tmp_path / "replica-a.sqlite3", tmp_path / "replica-b.sqlite3"]
    try:
        async with (
            whatsapp_replica({**env, "SPBE_ANSWER_LOG_PATH": str(logs[0])}, tmp_path, REPLICA_READY_S) as (
                a,
                _,
            ),
            whatsapp_replica({**env, "SPBE_ANSWER_LOG_PATH": str(logs[1])}, tmp_path, REPLICA_READY_S) as (
                b,
                _,
            ),
        ):
            # A follow-up crosses replicas: the question on A, the follow-up on B, answered in context.
            await ask(fake, a, "6281200000001", QUESTION)
            assert await ask(fake, b, "6281200000001", FOLLOW_UP) == expected_follow_up
            # One rate limit for both: the third question gets through, the fourth does not.
            assert await ask(fake, a, "6281200000001", "apa itu arsip vital?") != TOO_MANY
            assert await ask(fake, b, "6281200000001", "apa itu arsip vital?") == TOO_MANY

            # Questions flow to both replicas while another process re-ingests a changed document.
            replies = await under_load(fake, (a, b), reingest(env, docs, tmp_path))
    finally:
        await fake.stop()

    new = Store.open(settings).active_name
    assert new != old
    failed = [(q, text) for _, q, text in replies if text in (FAILED, MAINTENANCE, TOO_MANY)]
    assert not failed and len(replies) >= 8
    # Every answer names the collection it came from, and says what that version of Pasal 3 says.
    versions = answered_from(logs, "uji-garam")
    seen: dict[str, set[str]] = {a: set(), b: set()}
    for (url, number), question, text in replies:
        collection = versions[number]
        assert collection in (old, new)
        seen[url].add(collection)
        if question == PASAL_3:
            assert (NEW_COPIES if collection == new else OLD_COPIES) in text, (collection, text)
            assert (OLD_COPIES if collection == new else NEW_COPIES) not in text
    # Both replicas noticed the switch without a restart.
    assert seen[a] >= {new} and seen[b] >= {new}


async def reingest(env: dict[str, str], docs: Path, cwd: Path) -> None:
    write_documents(docs, version=2)
    code, output = await cli(env, "ingest", str(docs), cwd=cwd)
    assert code == 0, output


async def under_load(
    fake: FakeWhatsApp, urls: tuple[str, str], work: asyncio.Future | object
) -> list[tuple[tuple[str, str], str, str]]:
    """Two senders alternate between replicas, each message from a new user, until the work is done and
    each replica answered a few more; ((replica, number), question, reply) in order."""
    numbers = (f"62813{n:08d}" for n in itertools.count())
    replies: list[tuple[tuple[str, str], str, str]] = []
    done = asyncio.Event()
    after: dict[str, int] = dict.fromkeys(urls, 0)

    async def sender(offset: int) -> None:
        for n in itertools.count(offset):
            if done.is_set() and min(after.values()) >= 3:
                return
            url, question, number = urls[n % 2], LOAD[n % len(LOAD)], next(numbers)
            text = await ask(fake, url, number, question)
            replies.append(((url, number), question, text))
            if done.is_set():
                after[url] += 1

    async def working() -> None:
        await work  # type: ignore[misc]
        done.set()

    async with asyncio.timeout(240):
        await asyncio.gather(sender(0), sender(1), working())
    return replies


def answered_from(logs: list[Path], salt: str) -> dict[str, str]:
    """User number -> the collection the replica's answer to them came from (from the answer logs)."""
    hashes: dict[str, str] = {}
    for path in logs:
        with contextlib.closing(sqlite3.connect(path)) as db:
            hashes.update(dict(db.execute("SELECT chat, collection FROM answers")))
    log = AnswerLog(logs[0], salt)
    try:
        numbers = (f"62813{n:08d}" for n in range(10_000))
        found = {number: hashes.get(log.chat_hash(f"whatsapp:{bsuid(number)}")) for number in numbers}
    finally:
        log.close()
    return {number: collection for number, collection in found.items() if collection}


@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_reindex_under_load_gives_no_failed_and_no_mixed_answer(mode, chroma_server, tmp_path):
    """Two threads ask without pause while a full re-ingest switches the collection: every answer comes
    whole from the old version or the new one."""
    docs = write_documents(tmp_path / "docs", version=1)
    server = {"chroma_host": chroma_server[0], "chroma_port": chroma_server[1]} if mode == "server" else {}
    settings = Settings(
        documents_dir=docs, store_dir=tmp_path / "store", embedder="hash", index_check_s=0,
        _env_file=None, **server,
    )  # fmt: skip
    make_ingestor(settings).run([docs], rebuild=True)
    store = Store.open(settings)
    versions = {store.active_name: {r.chunk_id: r.text for r in store.records()}}
    dialogue = build_dialogue(settings)
    answers: list = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def asking(offset: int) -> None:
        for n in itertools.count(offset):
            if stop.is_set():
                return
            try:
                answers.append(dialogue.responder.answer(LOAD[n % len(LOAD)]))
            except BaseException as exc:
                errors.append(exc)
                return

    threads = [threading.Thread(target=asking, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    try:
        write_documents(docs, version=2)
        report = make_ingestor(settings).run([docs], rebuild=True)  # everything embedded and written again
        assert not report.failed
        new = Store.open(settings).active_name
        versions[new] = {r.chunk_id: r.text for r in Store.open(settings).records()}
        before = len(answers)
        # Until a few answers came from the new collection (each thread reloads without a restart).
        for _ in range(600):
            if sum(a.collection == new for a in answers[before:]) >= 4 or errors:
                break
            stop.wait(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    assert len(versions) == 2 and len(answers) >= 8
    assert {a.collection for a in answers} == set(versions)
    pasal_3 = 0
    for answer in answers:
        chunks = versions[answer.collection]
        # Every passage behind the answer is a chunk of the collection it names, with that version's text.
        assert answer.passages and all(chunks.get(p.chunk_id) == p.text for p in answer.passages)
        if f"{SHORT_NAME} Pasal 3" in answer.text:
            pasal_3 += 1
            fresh = answer.collection == new
            assert (NEW_COPIES if fresh else OLD_COPIES) in answer.text
            assert (OLD_COPIES if fresh else NEW_COPIES) not in answer.text
    assert pasal_3 >= 2
