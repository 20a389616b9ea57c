"""Faults an operator meets: the Chroma server stopped mid-conversation, a store folder read-only or missing.

(The LLM endpoint down, slow past its timeout or answering garbage is in test_llm.py: extractive answers
every time. Redis down is in test_state.py.)
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
from pathlib import Path

from bot.answer_log import AnswerLog
from bot.channels.host import ChatHost
from bot.channels.telegram import TelegramChannel
from bot.testing.servers import ChromaServer
from bot.testing.telegram_server import polling
from bot.wiring import build_dialogue, make_ingestor
from knowledge.settings import Settings
from knowledge.store import MAINTENANCE
from tests.test_cli import run_cli
from tests.test_replicas import FOLLOW_UP, QUESTION, write_documents

WHATSAPP = {
    "SPBE_WHATSAPP_TOKEN": "TEST-GRAPH-TOKEN",
    "SPBE_WHATSAPP_PHONE_ID": "106540352242922",
    "SPBE_WHATSAPP_APP_SECRET": "test-app-secret",
    "SPBE_WHATSAPP_VERIFY_TOKEN": "test-verify-token",
}


def spbe_bot(
    settings: Settings, *args: str, stdin: str = "", **extra: str
) -> subprocess.CompletedProcess[str]:
    """`spbe-bot ARGS` in its own process on the settings' store, no SPBE_ variable of the caller's."""
    return run_cli(settings, *args, stdin=stdin, timeout=120, isolated=True, **extra)


async def test_chroma_server_stopped_mid_conversation_then_back_without_a_restart(tmp_path, caplog):
    """WhatsApp and the console share ChatHost/Dialogue.respond; Telegram asks Dialogue.question: both."""
    server = ChromaServer(tmp_path / "chroma").start()
    try:
        docs = write_documents(tmp_path / "docs", version=1)
        settings = Settings(
            documents_dir=docs, store_dir=tmp_path / "cache", embedder="hash", index_check_s=0,
            chroma_host=server.host, chroma_port=server.port, _env_file=None,
        )  # fmt: skip
        make_ingestor(settings).run([docs], rebuild=True)
        dialogue = build_dialogue(settings)
        host = ChatHost(dialogue, _log(tmp_path, "host"))
        expected = build_dialogue(settings)
        expected.handle("c", QUESTION)
        follow_up = expected.handle("c", FOLLOW_UP)
        telegram_log = _log(tmp_path, "telegram")
        async with polling(TelegramChannel(build_dialogue(settings), telegram_log), telegram_log) as fake:
            assert (await asyncio.to_thread(host.message, "c", QUESTION)).answer is not None
            fake.message(7, QUESTION)
            await fake.wait_sent(7, 1, timeout=60)

            await asyncio.to_thread(server.stop)
            with caplog.at_level(logging.WARNING):
                down = [await asyncio.to_thread(host.message, "c", FOLLOW_UP) for _ in range(2)]
                fake.message(7, FOLLOW_UP)
                telegram_down = (await fake.wait_sent(7, 2, timeout=60))[-1]
            assert [r.text for r in down] == [MAINTENANCE, MAINTENANCE]
            assert all(r.answer is None and not r.buttons for r in down)
            assert "Anda" in MAINTENANCE and "pemeliharaan" in MAINTENANCE
            assert telegram_down["text"] == MAINTENANCE and not telegram_down.get("reply_markup")
            unreachable = [r for r in caplog.records if "tidak dapat dihubungi" in r.getMessage()]
            assert len(unreachable) == 2  # once per outage and engine (two here), not once per message
            status = await asyncio.to_thread(spbe_bot, settings, "status")
            assert status.returncode != 0 and "tidak dapat dihubungi" in status.stderr
            assert f"{server.host}:{server.port}" in status.stderr and "Traceback" not in status.stderr

            await asyncio.to_thread(server.start)  # the same port and data: the server is back
            back = await asyncio.to_thread(host.message, "c", FOLLOW_UP)
            # Answered again, in the conversation: the question before the outage is still its context.
            assert back.answer is not None and back.text == follow_up
            fake.message(7, FOLLOW_UP)
            telegram_back = (await fake.wait_sent(7, 3, timeout=60))[-1]
            assert "pemeliharaan" not in telegram_back["text"] and telegram_back.get("reply_markup")
            assert (await asyncio.to_thread(spbe_bot, settings, "status")).returncode == 0
    finally:
        server.stop()


def test_read_only_store_is_a_clear_error_at_start(tmp_path):
    docs = write_documents(tmp_path / "docs", version=1)
    settings = Settings(documents_dir=docs, store_dir=tmp_path / "store", embedder="hash", _env_file=None)
    make_ingestor(settings).run([docs])
    modes = {path: path.stat().st_mode for path in [settings.store_dir, *settings.store_dir.rglob("*")]}
    for path, mode in modes.items():
        path.chmod(mode & ~0o222)
    try:
        for args, stdin, extra in ((["chat"], "/keluar\n", {}), (["whatsapp"], "", WHATSAPP)):
            result = spbe_bot(settings, *args, stdin=stdin, **extra)
            assert result.returncode == 2, result.stderr
            assert "hanya-baca" in result.stderr and str(settings.store_dir) in result.stderr
            assert "Traceback" not in result.stderr and "memuat dokumen" not in result.stderr
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def test_missing_store_is_a_clear_error_at_start_of_a_channel(tmp_path):
    docs = write_documents(tmp_path / "docs", version=1)
    settings = Settings(documents_dir=docs, store_dir=tmp_path / "nowhere", embedder="hash", _env_file=None)
    result = spbe_bot(settings, "whatsapp", **WHATSAPP)
    assert result.returncode == 2
    assert "Indeks belum ada" in result.stderr and "spbe-bot ingest" in result.stderr
    assert "Traceback" not in result.stderr and not Path(settings.store_dir).exists()


def _log(tmp_path: Path, name: str) -> AnswerLog:
    return AnswerLog(tmp_path / f"answers-{name}.sqlite3", salt="uji")
