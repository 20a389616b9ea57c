"""The httpx transport over aiohttp that pywa sends through: bodies, headers, errors, over 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket

import httpx
import pytest
from aiohttp import web

from bot.channels.aiohttp_transport import AiohttpTransport


@pytest.fixture
async def server():
    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {"method": request.method, "body": body.decode(), "auth": request.headers.get("Authorization")},
            headers={"X-Seen": request.query.get("q", "")},
        )

    async def zipped(request: web.Request) -> web.Response:
        data = gzip.compress(json.dumps({"success": True}).encode())
        return web.Response(
            body=data, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="late")

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/zipped", zipped)
    app.router.add_get("/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_requests_and_responses_pass_through(server):
    async with httpx.AsyncClient(transport=AiohttpTransport(), base_url=server) as client:
        client.headers["Authorization"] = "Bearer uji"
        response = await client.post("/echo", params={"q": "1"}, json={"to": "628"})
        assert response.status_code == 200 and response.headers["X-Seen"] == "1"
        assert response.json() == {"method": "POST", "body": '{"to":"628"}', "auth": "Bearer uji"}
        assert (await client.get("/zipped")).json() == {"success": True}  # decoded once, by httpx


async def test_failures_become_httpx_exceptions(server):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{closed}/")
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{server}/slow", timeout=httpx.Timeout(0.2))
