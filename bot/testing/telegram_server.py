"""A local fake of the Telegram Bot API on 127.0.0.1, speaking its HTTP JSON, for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

BOT = {
    "id": 999000, "is_bot": True, "first_name": "Tanya SPBE", "username": "tanyaspbe_bot",
    "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
}  # fmt: skip
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote"}


class _EntityCheck(HTMLParser):
    """Telegram's HTML rules, roughly: known tags only, properly nested."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = f'Unmatched end tag "{tag}"'


def _html_error(text: str) -> str | None:
    checker = _EntityCheck()
    checker.feed(text)
    checker.close()
    if re.search(r"&(?!(?:amp|lt|gt|quot|#\d+|#x[0-9a-f]+);)", text):
        return "Unsupported HTML entity"
    return checker.error or ("Unclosed tag" if checker.stack else None)


class FakeTelegram:
    """Serves getMe, getUpdates, sendMessage, sendChatAction, answerCallbackQuery and friends."""

    def __init__(self, token: str = "123456:TEST-TOKEN") -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.actions: list[dict[str, Any]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []  # sendMessage calls refused with 400: what broke
        self.calls: list[str] = []
        self.files: dict[str, bytes] = {}
        self.replies: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, question message id) -> first reply
        self._reply_waiters: dict[tuple[int, int], asyncio.Future[dict[str, Any]]] = {}
        self.fail_next: list[tuple[int, str, dict[str, Any] | None]] = []  # (code, description, parameters)
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- server ----------------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/documents/{file_id}", self._download)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """What SPBE_TELEGRAM_BASE_URL should be."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"].lower()
        params = await _params(request)
        self.calls.append(method)
        if self.fail_next and method == "sendmessage":
            code, description, parameters = self.fail_next.pop(0)
            if code == 400:
                self.rejected.append({"chat_id": params.get("chat_id"), "description": description})
            body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
            if parameters:
                body["parameters"] = parameters
            return web.json_response(body, status=code)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _ok(True)
        return await handler(params)

    async def _download(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["file_id"])
        if request.match_info["token"] != self.token or data is None:
            return web.Response(status=404)
        return web.Response(body=data)

    # -- methods ---------------------------------------------------------------------------------
    async def _m_getfile(self, params: dict[str, Any]) -> web.Response:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        return _ok(
            {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}",
            }
        )

    async def _m_getme(self, params: dict[str, Any]) -> web.Response:
        return _ok(BOT)

    async def _m_getupdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 1.0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and timeout:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        return _ok([u for u in self.updates if u["update_id"] >= offset][:100])

    async def _m_sendmessage(self, params: dict[str, Any]) -> web.Response:
        text = str(params.get("text", ""))
        problem = None
        if not text.strip():
            problem = "Bad Request: message text is empty"
        elif len(text) > 4096:
            problem = "Bad Request: message is too long"
        elif params.get("parse_mode") == "HTML" and (html_problem := _html_error(text)):
            problem = f"Bad Request: can't parse entities: {html_problem}"
        if problem:
            self.rejected.append({"chat_id": params.get("chat_id"), "description": problem})
            return _error(400, problem)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "from": BOT,
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "text": text,
        }
        record = {**params, "message": message, "received_at": time.monotonic()}
        self.sent.append(record)
        reply_to = (params.get("reply_parameters") or {}).get("message_id")
        if reply_to is not None:
            key = (int(params["chat_id"]), int(reply_to))
            self.replies.setdefault(key, record)
            waiter = self._reply_waiters.pop(key, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(record)
        return _ok(message)

    async def _m_sendchataction(self, params: dict[str, Any]) -> web.Response:
        self.actions.append(params)
        return _ok(True)

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> web.Response:
        self.callback_answers.append(params)
        return _ok(True)

    # -- what a user does ------------------------------------------------------------------------
    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = next(self._update_ids)
        self.updates.append(update)
        self._new_update.set()
        return update

    def message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int = 42,
        chat_type: str = "private",
        reply_to_bot: bool = False,
        edited: bool = False,
        **content: Any,
    ) -> dict[str, Any]:
        """A user sends a message (text, or content such as sticker=..., photo=..., location=...)."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {
                "id": chat_id,
                "type": chat_type,
                **({"title": "Grup Uji"} if chat_type != "private" else {}),
            },
            "from": {"id": user_id, "is_bot": False, "first_name": "Uji"},
            **content,
        }
        if text is not None:
            message["text"] = text
            mention = re.search(r"@\w+", text)
            entities = []
            if text.startswith("/"):
                entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
            if mention:
                entities.append(
                    {"type": "mention", "offset": mention.start(), "length": len(mention.group(0))}
                )
            if entities:
                message["entities"] = entities
        if reply_to_bot:
            message["reply_to_message"] = {
                "message_id": 1,
                "date": int(time.time()),
                "from": BOT,
                "chat": message["chat"],
                "text": "jawaban sebelumnya",
            }
        if edited:
            message["edit_date"] = int(time.time())
            return self._push({"edited_message": message})
        return self._push({"message": message})

    def upload(self, chat_id: int, name: str, data: bytes, *, user_id: int = 42) -> dict[str, Any]:
        """A user sends a file."""
        file_id = f"file{len(self.files) + 1}"
        self.files[file_id] = data
        document = {"file_id": file_id, "file_unique_id": file_id, "file_name": name, "file_size": len(data)}
        return self.message(chat_id, user_id=user_id, document=document)

    def press(self, sent: dict[str, Any], data: str, *, user_id: int = 42) -> dict[str, Any]:
        """A user presses an inline button under a message the bot sent."""
        return self._push({"callback_query": {
            "id": str(next(self._update_ids)), "from": {"id": user_id, "is_bot": False, "first_name": "Uji"},
            "message": sent["message"], "chat_instance": "uji", "data": data,
        }})  # fmt: skip

    async def reply_to(self, chat_id: int, message_id: int, timeout: float) -> dict[str, Any] | None:
        """The bot's first reply to a message, waiting for it without polling (None on timeout)."""
        key = (chat_id, message_id)
        if key in self.replies:
            return self.replies[key]
        waiter = self._reply_waiters.setdefault(key, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            return None

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Messages sent to a chat, once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.sent if int(m["chat_id"]) == chat_id]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"chat {chat_id}: expected {count} messages, got {self.sent_to(chat_id)}")

    def sent_to(self, chat_id: int) -> list[str]:
        """Texts sent to a chat so far."""
        return [m["text"] for m in self.sent if int(m["chat_id"]) == chat_id]


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
    else:
        data = dict(await request.post())
    for key in ("reply_markup", "reply_parameters", "allowed_updates"):
        if isinstance(data.get(key), str):
            data[key] = json.loads(data[key])
    return {k: v for k, v in data.items() if not hasattr(v, "file")}


@contextlib.asynccontextmanager
async def polling(channel: Any, log: Any) -> AsyncIterator[FakeTelegram]:
    """A fake server and the channel's PTB Application polling it; both stopped afterwards."""
    fake = FakeTelegram()
    await fake.start()
    app = channel.build(fake.token, fake.base_url)
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield fake
    finally:
        await stop(app, fake, log)


async def stop(app: Any, fake: FakeTelegram, log: Any) -> None:
    """Stop a PTB Application (polling or webhook), the fake server and the answer log."""
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await fake.stop()
    log.close()


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)
