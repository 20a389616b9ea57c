"""The aiohttp request adapter PTB sends through: bodies, files, errors and timeouts, over 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TimedOut

from bot.channels.aiohttp_request import AiohttpRequest

MESSAGE = {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}}
ME = {"id": 7, "is_bot": True, "first_name": "Tanya", "username": "tanya_spbe_bot"}


@pytest.fixture
async def server():
    """A Bot API stand-in that records what arrived and can be slow on request."""
    seen: list[dict] = []

    async def handle(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != "1:OK":
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        if method == "slow":
            await asyncio.sleep(2)
        fields = {}
        if request.content_type == "multipart/form-data":
            async for part in await request.multipart():
                fields[part.name] = (part.filename, await part.read())
        else:
            fields = dict(await request.post())
        seen.append({"method": method, "type": request.content_type, "fields": fields})
        result = {"getMe": ME, "sendDocument": MESSAGE}.get(method, True)
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/bot", seen
    await runner.cleanup()


async def test_bot_methods_travel_as_form_fields(server):
    base_url, seen = server
    async with Bot("1:OK", base_url=base_url, request=AiohttpRequest()) as bot:
        assert (await bot.get_me()).username == "tanya_spbe_bot"
        assert await bot.send_chat_action(42, "typing")
    action = seen[-1]
    assert action["method"] == "sendChatAction"
    assert action["type"] == "application/x-www-form-urlencoded"
    assert action["fields"] == {"chat_id": "42", "action": "typing"}


async def test_files_travel_as_multipart(server):
    base_url, seen = server
    async with Bot("1:OK", base_url=base_url, request=AiohttpRequest()) as bot:
        sent = await bot.send_document(42, b"isi dokumen", filename="catatan.txt")
    assert sent.message_id == 1
    upload = seen[-1]
    assert upload["type"] == "multipart/form-data"
    assert upload["fields"]["chat_id"] == (None, b"42")
    assert upload["fields"]["document"] == ("catatan.txt", b"isi dokumen")


async def test_rejected_token_is_invalid_token(server):
    base_url, _ = server
    with pytest.raises(InvalidToken):
        async with Bot("2:BAD", base_url=base_url, request=AiohttpRequest()) as bot:
            await bot.get_me()


async def test_slow_reply_is_timed_out(server):
    base_url, _ = server
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"{base_url}1:OK/slow")
        # A per-call timeout wins over the default.
        assert await request.post(f"{base_url}1:OK/slow", read_timeout=5) is True
    finally:
        await request.shutdown()


async def test_unreachable_server_is_network_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/bot1:OK/getMe")
    finally:
        await request.shutdown()
    assert not isinstance(raised.value, TimedOut)


async def test_use_before_initialize_is_refused():
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:9/", "POST")


def test_read_timeout_is_reported():
    assert AiohttpRequest(read_timeout=3.5).read_timeout == 3.5
    assert AiohttpRequest().read_timeout == 5.0  # PTB's default
