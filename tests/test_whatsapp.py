"""End to end: the real webhook server on 127.0.0.1, signed webhooks in, a fake Graph API recording calls."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from bot.answer_log import AnswerLog
from bot.channels.formatting import from_whatsapp, split_message, to_whatsapp
from bot.channels.host import ADMIN_ONLY, NOT_TEXT
from bot.channels.whatsapp import FEEDBACK_PROMPT, WhatsAppChannel, serving_apart
from bot.channels.whatsapp_webhook import webhook_process
from bot.core.dialogue import Dialogue
from bot.testing.whatsapp_server import FakeWhatsApp, bsuid, running

USER = "6281200000001"


@pytest.fixture
async def whatsapp(dialogue_factory, tmp_path):
    log = AnswerLog(tmp_path / "answers.sqlite3", salt="uji")
    channel = WhatsAppChannel(dialogue_factory(), log, retry_delays=(0.05, 0.1))
    async with running(channel, log) as fake:
        yield fake, channel, log


async def _ask(fake, channel, number, text):
    delivery = await fake.send_text(number, text)
    assert delivery.status == 200
    await asyncio.wait_for(channel.drain(), 60)
    return delivery


def _texts(fake, number):
    return [from_whatsapp(m["text"]) for m in fake.sent_to(number)]


def _labels(record):
    return [title for title, _ in record.get("buttons", [])]


def test_whatsapp_markup_cannot_be_injected_and_links_stay_intact():
    text = (
        "Menurut *tebal* _miring_ ~coret~ `kode` ```blok```:\n> kutipan palsu\n"
        "— Perpres 95/2018 Pasal 1 angka 6\nhttps://jdih.example.go.id/a_b*c~d"
    )
    rendered = to_whatsapp(text)
    body, link = rendered.rsplit("\n", 1)
    lines = body.split("\n")
    assert not any(ch in lines[0] + lines[1] for ch in "*_~`") and not lines[1].startswith(">")
    assert lines[2] == "— *Perpres 95/2018 Pasal 1 angka 6*"  # the bot's own markup: citations bold
    assert link == "https://jdih.example.go.id/a_b*c~d"
    assert from_whatsapp(rendered) == text  # what the user reads is what the bot said


def test_whatsapp_split_stays_below_the_limit_at_paragraph_and_sentence_boundaries():
    sentence = "Penyelenggaraan SPBE dilaksanakan secara terpadu oleh Instansi Pusat dan Pemerintah Daerah. "
    paragraphs = [sentence * 20, "— Perpres 95/2018 Pasal 3", sentence * 40, "*" * 5000]
    pieces = split_message("\n\n".join(paragraphs), 4096, to_whatsapp)
    assert all(len(to_whatsapp(p)) <= 4096 for p in pieces) and len(pieces) >= 3
    assert (
        pieces[0].endswith("Pasal 3")
        and pieces[1].startswith("Penyelenggaraan")
        and pieces[1].rstrip().endswith(".")
    )
    assert "".join(pieces).replace("\n", "").replace(" ", "") == "".join(paragraphs).replace(" ", "")


async def test_question_is_answered_as_a_reply_with_citation_and_buttons(whatsapp):
    fake, channel, log = whatsapp
    question = await _ask(fake, channel, USER, "apa itu arsitektur spbe?")
    (sent,) = fake.sent_to(USER)
    assert sent["context"] == question.message_id  # a reply to the user's own message
    assert question.message_id in fake.reads and question.message_id in fake.typing
    assert "Perpres 95/2018 Pasal 1 angka 6" in sent["text"] and "Sumber:" in sent["text"]
    assert _labels(sent) == ["👍", "👎", "Pasal lengkap"]
    (row,) = log.rows()
    assert row["channel"] == "whatsapp" and row["refused"] == 0 and "Pasal 1 angka 6" in row["cited"]
    assert USER not in row["chat"] and row["chat"] == log.chat_hash(f"whatsapp:{bsuid(USER)}")


async def test_follow_up_and_refusal_as_on_telegram(whatsapp):
    fake, channel, _ = whatsapp
    await _ask(fake, channel, USER, "pasal 60 perpres 95 isinya apa?")
    await _ask(fake, channel, USER, "pasal berikutnya bilang apa?")
    refusal = await _ask(fake, channel, USER, "minta resep rendang yang empuk dong")
    texts = _texts(fake, USER)
    assert "Bunyi Perpres 95/2018 Pasal 60" in texts[0] and "Pasal 61" in texts[1]
    last = fake.sent_to(USER)[-1]
    assert "di luar cakupan" in texts[2] and last["type"] == "text" and last["context"] == refusal.message_id


async def test_a_chat_is_answered_in_order(whatsapp):
    fake, channel, _ = whatsapp
    first = await fake.send_text(USER, "pasal 60 perpres 95 isinya apa?")
    second = await fake.send_text(USER, "pasal berikutnya bilang apa?")  # before the first is answered
    assert (first.status, second.status) == (200, 200)
    await channel.drain()
    assert "Pasal 61" in from_whatsapp(fake.replies[second.message_id]["text"])


async def test_long_answer_is_split_below_the_limit_with_buttons_last(whatsapp):
    fake, channel, _ = whatsapp
    question = await _ask(fake, channel, USER, "isi pasal 1 perpres 95 apa?")  # 28 definitions
    sent = fake.sent_to(USER)
    assert len(sent) >= 2 and all(len(m["text"]) < 4096 for m in sent)
    assert sent[0]["context"] == question.message_id and all(m["context"] is None for m in sent[1:])
    joined = "\n".join(_texts(fake, USER))
    for number in (1, 14, 28):
        assert f"{number}. " in joined
    assert not any(m.get("buttons") for m in sent[:-1]) and _labels(sent[-1]) == ["👍", "👎", "Pasal lengkap"]
    # An interactive body holds at most 1,024 characters: a longer last part is followed by the buttons.
    assert len(sent[-1]["text"]) <= 1024
    assert sent[-1]["text"] != FEEDBACK_PROMPT or len(sent[-2]["text"]) > 1024


async def test_buttons_follow_an_answer_too_long_to_carry_them(whatsapp):
    fake, channel, _ = whatsapp
    question = await _ask(fake, channel, USER, "isi pasal 40 perpres 95 apa?")
    answer, prompt = fake.sent_to(USER)
    assert (
        answer["type"] == "text" and len(answer["text"]) > 1024 and answer["context"] == question.message_id
    )
    assert prompt["text"] == FEEDBACK_PROMPT and _labels(prompt) == ["👍", "👎", "Pasal lengkap"]


async def test_buttons_round_trip_into_the_answer_log(whatsapp):
    fake, channel, log = whatsapp
    await _ask(fake, channel, USER, "audit infrastruktur spbe milik pemda minimal brp kali dilakukan?")
    answer = fake.sent_to(USER)[-1]
    thumbs = await fake.press(USER, answer, "👍")
    await channel.drain()
    assert fake.sent_to(USER)[-1]["text"] == "Terima kasih atas penilaian Anda."
    assert fake.sent_to(USER)[-1]["context"] == thumbs.message_id and thumbs.message_id in fake.reads
    assert log.rows()[0]["feedback"] == 1
    await fake.press(USER, answer, "👎")
    await channel.drain()
    assert log.rows()[0]["feedback"] == -1
    await fake.press(USER, answer, "Pasal lengkap")
    await channel.drain()
    assert from_whatsapp(fake.sent_to(USER)[-1]["text"]).startswith("Bunyi ")


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha256=ß", "md5=abc"])
async def test_forged_or_missing_signature_is_rejected_and_nothing_is_answered(whatsapp, signature):
    fake, channel, log = whatsapp
    delivery = await fake.deliver(fake.text_payload(USER, "apa itu arsitektur spbe?"), signature=signature)
    await channel.drain()
    assert 400 <= delivery.status < 500
    assert fake.calls == 0 and fake.reads == [] and log.rows() == []


async def test_signature_is_checked_over_the_raw_body(whatsapp):
    fake, channel, _ = whatsapp
    body = json.dumps(fake.text_payload(USER, "apa itu spbe?")).encode()
    signature = fake.sign(body)
    tampered = body.replace(b"apa itu spbe?", b"apa itu SPBE?")
    assert (await fake.deliver(tampered, signature=signature)).status == 403
    assert (await fake.deliver(body, signature=signature)).status == 200
    reformatted = json.dumps(json.loads(body), indent=1).encode()  # same JSON, other bytes
    assert (await fake.deliver(reformatted, signature=signature)).status == 403
    await channel.drain()
    assert len(fake.sent_to(USER)) == 1


async def test_a_retried_delivery_is_acknowledged_and_answered_once(whatsapp):
    fake, channel, log = whatsapp
    payload = fake.text_payload(USER, "apa itu arsitektur spbe?")
    deliveries = await asyncio.gather(*(fake.deliver(payload) for _ in range(3)))
    await channel.drain()
    again = await fake.deliver(payload)  # WhatsApp retrying later
    await channel.drain()
    assert [d.status for d in deliveries] + [again.status] == [200, 200, 200, 200]
    assert len(fake.sent_to(USER)) == 1 and len(log.rows()) == 1


async def test_the_webhook_answers_at_once_while_a_slow_answer_is_prepared(dialogue_factory, tmp_path):
    class SlowDialogue(Dialogue):
        def ask(self, chat_id, text):
            import time

            time.sleep(1.5)  # an answer slower than WhatsApp's patience would be
            return super().ask(chat_id, text)

    log = AnswerLog(tmp_path / "answers.sqlite3", salt="uji")
    async with running(WhatsAppChannel(SlowDialogue(dialogue_factory().responder), log), log) as fake:
        delivery = await fake.send_text(USER, "apa itu arsitektur spbe?")
        assert delivery.status == 200 and delivery.seconds < 0.5 and fake.sent_to(USER) == []
        reply = await fake.reply_to(delivery.message_id, timeout=30)
        assert reply is not None and "Pasal 1 angka 6" in reply["text"]


async def test_handshake_with_the_right_and_a_wrong_token(whatsapp):
    fake, _, _ = whatsapp
    url = fake.webhook_url
    async with httpx.AsyncClient() as client:
        right = {
            "hub.mode": "subscribe",
            "hub.verify_token": fake.verify_token,
            "hub.challenge": "1158201444",
        }
        response = await client.get(url, params=right)
        assert (response.status_code, response.text) == (200, "1158201444")
        wrong = await client.get(url, params={**right, "hub.verify_token": "salah"})
        assert wrong.status_code == 403 and "1158201444" not in wrong.text
        other_mode = await client.get(url, params={**right, "hub.mode": "unsubscribe"})
        assert other_mode.status_code == 403
        no_challenge = await client.get(url, params={k: v for k, v in right.items() if k != "hub.challenge"})
        assert no_challenge.status_code == 400
        health = await client.get(url.replace("/webhook", "/health"))
        assert health.status_code == 200 and health.json()["status"] == "ok"


def _malformed(fake):
    good = fake.text_payload(USER, "apa itu spbe?")
    value = good["entry"][0]["changes"][0]["value"]
    message = value["messages"][0]
    yield b"{not json"
    yield b"[]"
    yield b'"whatsapp"'
    yield {"object": "whatsapp_business_account"}
    yield {"object": "whatsapp_business_account", "entry": []}
    yield {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": "semua"}]}
    yield {**good, "entry": [{"id": "1", "changes": [{"field": "messages", "value": []}]}]}
    for broken in (
        {**value, "messages": [{k: v for k, v in message.items() if k != "id"}]},
        {**value, "messages": [{k: v for k, v in message.items() if k not in ("from", "from_user_id")}]},
        {**value, "messages": [{**message, "timestamp": None}]},
        {**value, "messages": "halo"},
        {k: v for k, v in value.items() if k != "contacts"},
        {**value, "contacts": [{"profile": {"name": "x"}}]},
        {k: v for k, v in value.items() if k != "metadata"},
    ):
        yield {**good, "entry": [{"id": "1", "changes": [{"field": "messages", "value": broken}]}]}


async def test_malformed_payloads_get_a_4xx_and_the_server_keeps_running(whatsapp):
    fake, channel, log = whatsapp
    for payload in _malformed(fake):
        delivery = await fake.deliver(payload)
        assert delivery.status == 400, payload
    await channel.drain()
    assert fake.calls == 0 and log.rows() == []
    await _ask(fake, channel, USER, "isi pasal 40 perpres 95 apa?")
    assert "Bunyi Perpres 95/2018 Pasal 40" in _texts(fake, USER)[0]


MEDIA = {
    "image": {"type": "image", "image": {"mime_type": "image/jpeg", "sha256": "abc=", "id": "7001"}},
    "audio": {
        "type": "audio",
        "audio": {"mime_type": "audio/ogg; codecs=opus", "sha256": "abc=", "id": "7002", "voice": True},
    },
    "sticker": {
        "type": "sticker",
        "sticker": {"mime_type": "image/webp", "sha256": "abc=", "id": "7003", "animated": False},
    },
    "location": {"type": "location", "location": {"latitude": -6.2, "longitude": 106.8}},
    "reaction": {"type": "reaction", "reaction": {"message_id": "wamid.OUT1", "emoji": "👍"}},
    "unsupported": {
        "type": "unsupported",
        "errors": [
            {
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": {"details": "Message type is currently not supported."},
            }
        ],
    },
}


@pytest.mark.parametrize("kind", sorted(MEDIA))
async def test_non_text_gets_the_polite_reply(whatsapp, kind):
    fake, channel, log = whatsapp
    delivery = await fake.deliver(fake.payload(USER, MEDIA[kind]))
    await channel.drain()
    (sent,) = fake.sent_to(USER)
    assert delivery.status == 200 and sent["text"] == NOT_TEXT and delivery.message_id in fake.reads
    assert sent["context"] == (None if kind == "reaction" else delivery.message_id)
    assert log.rows() == []


async def test_status_updates_and_other_fields_are_ignored(whatsapp):
    fake, channel, _ = whatsapp
    await _ask(fake, channel, USER, "isi pasal 40 perpres 95 apa?")
    calls = fake.calls
    for status in ("sent", "delivered", "read"):
        assert (await fake.deliver(fake.status_payload(fake.sent[0], status))).status == 200
    other = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "message_template_status_update", "value": {"x": 1}}]}],
    }
    assert (await fake.deliver(other)).status == 200
    await channel.drain()
    assert fake.calls == calls


async def test_empty_text_and_markup_in_a_question(whatsapp):
    fake, channel, _ = whatsapp
    await _ask(fake, channel, USER, "   ")
    await _ask(fake, channel, USER, "*_~`tebal`~_* isi pasal 40 perpres 95 ```apa```?")
    empty, answer = fake.sent_to(USER)[:2]
    assert "kosong" in empty["text"]
    assert "Bunyi Perpres 95/2018 Pasal 40" in from_whatsapp(answer["text"])


async def test_graph_429_is_retried_then_delivered(whatsapp, caplog):
    fake, channel, _ = whatsapp
    fake.fail_next.append((429, 130429, "Rate limit hit"))
    with caplog.at_level(logging.WARNING, logger="bot.channels.whatsapp"):
        question = await _ask(fake, channel, USER, "isi pasal 40 perpres 95 apa?")
    sent = fake.sent_to(USER)[0]
    assert sent["context"] == question.message_id and "Pasal 40" in sent["text"]
    assert [r["code"] for r in fake.rejected] == [130429]
    assert any("retrying" in r.getMessage() and "130429" in r.getMessage() for r in caplog.records)


async def test_graph_5xx_is_retried_and_a_lasting_failure_is_logged(whatsapp, caplog):
    fake, channel, _ = whatsapp
    fake.fail_next.append((500, 131000, "Something went wrong"))
    first = await _ask(fake, channel, USER, "isi pasal 40 perpres 95 apa?")
    assert "Pasal 40" in fake.replies[first.message_id]["text"]
    fake.fail_next += [(503, 2, "Service temporarily unavailable")] * 3  # more than the two retries
    with caplog.at_level(logging.ERROR, logger="bot.channels.whatsapp"):
        lost = await _ask(fake, channel, USER, "isi pasal 41 perpres 95 apa?")
    assert lost.message_id not in fake.replies and len(fake.rejected) == 4
    assert any("not sent after 3 attempts" in r.getMessage() for r in caplog.records)
    third = await _ask(fake, channel, USER, "isi pasal 42 perpres 95 apa?")  # the server keeps running
    assert "Pasal 42" in fake.replies[third.message_id]["text"]


async def test_outside_the_window_nothing_is_sent_and_it_is_logged(whatsapp, caplog):
    fake, channel, _ = whatsapp
    fake.fail_next.append((400, 131047, "Re-engagement message"))
    with caplog.at_level(logging.ERROR, logger="bot.channels.whatsapp"):
        await _ask(fake, channel, USER, "isi pasal 1 perpres 95 apa?")  # a long answer: no later part tried
    assert fake.sent_to(USER) == [] and len(fake.rejected) == 1
    assert any("24-hour" in r.getMessage() and "131047" in r.getMessage() for r in caplog.records)
    calls = fake.calls
    late = await fake.deliver(fake.payload(USER, {"type": "text", "text": {"body": "halo"}}, age_s=25 * 3600))
    await channel.drain()
    assert late.status == 200 and fake.calls == calls  # a retry of a day-old message: not even marked read


async def test_logs_never_hold_numbers_or_secrets(whatsapp, caplog):
    fake, channel, _ = whatsapp
    fake.fail_next += [(429, 130429, "Rate limit hit"), (400, 131047, "Re-engagement message")]
    with caplog.at_level(logging.DEBUG):
        await _ask(fake, channel, USER, "isi pasal 40 perpres 95 apa?")
        await _ask(fake, channel, "6281200000002", "apa itu spbe?")
        await fake.deliver(fake.text_payload(USER, "x"), signature="sha256=" + "1" * 64)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert any("retrying" in line for line in ours) and any("131047" in line for line in ours)
    for line in ours:
        for secret in (USER, "6281200000002", fake.token, fake.app_secret, fake.verify_token):
            assert secret not in line


async def test_group_messages_are_not_answered(whatsapp):
    fake, channel, _ = whatsapp
    delivery = await fake.deliver(
        fake.payload(
            USER, {"type": "text", "text": {"body": "apa itu spbe?"}, "group_id": "120363000000@g.us"}
        )
    )
    await channel.drain()
    assert delivery.status == 200 and fake.sent == []


async def test_the_receiver_in_a_process_of_its_own_hands_messages_over(dialogue_factory, tmp_path):
    log = AnswerLog(tmp_path / "answers.sqlite3", salt="uji")
    channel = WhatsAppChannel(dialogue_factory(), log)
    fake = FakeWhatsApp()
    await fake.start()
    try:
        async with serving_apart(channel, fake.config()) as (url, ended):
            fake.webhook_url = url + "/webhook"
            payload = fake.text_payload(USER, "apa itu arsitektur spbe?")
            first, again = await fake.deliver(payload), await fake.deliver(payload)
            forged = await fake.deliver(fake.text_payload(USER, "x"), signature="sha256=" + "2" * 64)
            malformed = await fake.deliver(b"{")
            assert [d.status for d in (first, again, forged, malformed)] == [200, 200, 403, 400]
            reply = await fake.reply_to(first.message_id, timeout=30)
            assert reply is not None and "Pasal 1 angka 6" in reply["text"]
            port = int(url.rsplit(":", 1)[1])
            with pytest.raises(OSError, match="in use"):  # a second receiver cannot take the same port
                async with webhook_process("127.0.0.1", port, "s", "t", lambda body: None):
                    pass
            assert not ended.done()
        assert ended.done()  # the receiver's process stopped with the channel
        assert len(fake.sent_to(USER)) == 1 and len(log.rows()) == 1
    finally:
        await fake.stop()
        log.close()


ADMIN = "6281199990000"


@pytest.fixture
async def admin_whatsapp(tmp_path):
    """A bot over its own small store, with an admin number, so re-indexing cannot disturb other tests."""
    from bot.admin import Admin
    from bot.wiring import build_dialogue
    from tests.conftest import small_indexed_settings

    settings = small_indexed_settings(tmp_path, whatsapp_admin_numbers="+62 811-9999-0000")
    dialogue = build_dialogue(settings)
    log = AnswerLog(tmp_path / "answers.sqlite3", salt="uji")
    channel = WhatsAppChannel(
        dialogue, log, Admin(settings, dialogue, log), admin_numbers=settings.whatsapp_admin_numbers
    )
    async with running(channel, log) as fake:
        yield fake, channel, settings


async def test_admin_commands_for_admin_numbers_only(admin_whatsapp):
    import shutil

    from tests.conftest import corpus_path

    fake, channel, settings = admin_whatsapp
    assert settings.whatsapp_admin_numbers == [ADMIN]
    for command in ("/status", "/reindex"):
        await _ask(fake, channel, USER, command)
    assert _texts(fake, USER) == [ADMIN_ONLY, ADMIN_ONLY]
    await _ask(fake, channel, ADMIN, "/status")
    assert "Perpres 82/2023" in _texts(fake, ADMIN)[0] and "hash:256" in _texts(fake, ADMIN)[0]
    shutil.copy(corpus_path("perpres-132-2022.txt"), settings.documents_dir)
    reindex = await _ask(fake, channel, ADMIN, "/reindex")  # drained: the re-index has finished too
    started, summary = fake.sent_to(ADMIN)[1:]
    assert "latar belakang" in started["text"] and "Ringkasan ingest" in summary["text"]
    assert summary["context"] == reindex.message_id  # still a reply to the admin's own message
    assert "perpres-132-2022.txt: dimuat" in from_whatsapp(summary["text"])
    await _ask(fake, channel, USER, "isi pasal 5 perpres 132/2022")
    assert "Bunyi Perpres 132/2022 Pasal 5" in _texts(fake, USER)[-1]


def test_admin_numbers_and_settings_read_from_the_environment(monkeypatch):
    from knowledge.settings import Settings

    monkeypatch.setenv("SPBE_WHATSAPP_ADMIN_NUMBERS", "+62 811-1111, 628222,")
    monkeypatch.setenv("SPBE_WHATSAPP_APP_SECRET", "rahasia")
    settings = Settings(_env_file=None)
    assert settings.whatsapp_admin_numbers == ["628111111", "628222"]
    assert "rahasia" not in repr(settings) and settings.whatsapp_graph_url == "https://graph.facebook.com"


async def _cli(env_extra, settings, *, wait=True):
    import os
    import sys

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPBE_")},
        "SPBE_STORE_DIR": str(settings.store_dir),
        "SPBE_EMBEDDER": settings.embedder,
        "SPBE_ANSWER_LOG_PATH": str(settings.store_dir.parent / "wa-log.sqlite3"),
        "COLUMNS": "200",  # a terminal's width: rich wraps at 80 columns when stderr is a pipe
        **env_extra,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "whatsapp", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    if not wait:
        return process
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, stderr.decode()


async def test_missing_settings_are_one_clear_error(corpus_settings):
    code, stderr = await _cli({"SPBE_WHATSAPP_TOKEN": "t", "SPBE_WHATSAPP_PHONE_ID": "1"}, corpus_settings)
    assert code == 2 and "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert "SPBE_WHATSAPP_APP_SECRET" in stderr and "SPBE_WHATSAPP_VERIFY_TOKEN" in stderr
    assert "SPBE_WHATSAPP_TOKEN" not in stderr


async def test_a_port_in_use_is_one_clear_error(corpus_settings):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {
            "SPBE_WHATSAPP_TOKEN": "t",
            "SPBE_WHATSAPP_PHONE_ID": "1",
            "SPBE_WHATSAPP_APP_SECRET": "s",
            "SPBE_WHATSAPP_VERIFY_TOKEN": "v",
            "SPBE_WHATSAPP_PORT": str(taken.getsockname()[1]),
        }
        code, stderr = await _cli(env, corpus_settings)
    assert code == 2 and "Traceback" not in stderr and "SPBE_WHATSAPP_PORT" in stderr
    assert len(stderr.strip().splitlines()) == 1 and "already in use" in stderr


async def test_cli_serves_the_webhook_against_the_configured_graph_api(corpus_settings):
    import signal
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake = FakeWhatsApp()
    await fake.start()
    fake.webhook_url = f"http://127.0.0.1:{port}/webhook"
    env = {
        "SPBE_WHATSAPP_TOKEN": fake.token,
        "SPBE_WHATSAPP_PHONE_ID": fake.phone_id,
        "SPBE_WHATSAPP_APP_SECRET": fake.app_secret,
        "SPBE_WHATSAPP_VERIFY_TOKEN": fake.verify_token,
        "SPBE_WHATSAPP_GRAPH_URL": fake.graph_url,
        "SPBE_WHATSAPP_PORT": str(port),
        "SPBE_LOG_LEVEL": "DEBUG",
    }
    process = await _cli(env, corpus_settings, wait=False)
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            params = {"hub.mode": "subscribe", "hub.verify_token": fake.verify_token, "hub.challenge": "42"}
            assert (await client.get(fake.webhook_url, params=params)).text == "42"
        delivery = await fake.send_text(USER, "isi pasal 40 perpres 95 apa?")
        reply = await fake.reply_to(delivery.message_id, timeout=60)
        assert reply is not None and "Bunyi Perpres 95/2018 Pasal 40" in reply["text"]
        assert (await fake.deliver(fake.text_payload(USER, "x"), signature=None)).status == 401
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        await fake.stop()
    log = stderr.decode()
    assert process.returncode == 0, log
    for secret in (fake.token, fake.app_secret, fake.verify_token, USER):
        assert secret not in log
