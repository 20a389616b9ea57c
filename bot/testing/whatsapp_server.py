"""A local fake of the WhatsApp platform on 127.0.0.1, for end-to-end tests, the dialogue runner and load.

It plays both sides the bot talks to: the Graph API's /messages endpoint (read receipts, typing, text and
reply-button messages, with the Cloud API's limits and error bodies), and WhatsApp users, whose messages
arrive at the bot's webhook as payloads signed with the app secret, the way Meta sends them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from bot.answer_log import AnswerLog
    from bot.channels.whatsapp import GraphConfig, WhatsAppChannel

WINDOW_S = 24 * 3600
WABA_ID = "102290129340398"
DISPLAY_NUMBER = "15550001234"
_ROUTE = re.compile(r"^v\d+\.\d+$")


@dataclass(frozen=True)
class Delivery:
    """What the bot's webhook answered to one POST, and how long it took."""

    status: int
    seconds: float
    message_id: str | None = None


class FakeWhatsApp:
    """The Graph API (POST /vNN/{phone_id}/messages) and the users who write to the bot."""

    def __init__(
        self,
        token: str = "TEST-GRAPH-TOKEN",
        phone_id: str = "106540352242922",
        app_secret: str = "test-app-secret",
        verify_token: str = "test-verify-token",
    ) -> None:
        self.token, self.phone_id = token, phone_id
        self.app_secret, self.verify_token = app_secret, verify_token
        self.webhook_url = ""  # where users' messages are posted: the bot's /webhook
        self.sent: list[dict[str, Any]] = []  # messages the bot sent (text and interactive)
        self.reads: list[str] = []  # message ids the bot marked read
        self.typing: list[str] = []  # message ids the bot showed typing for
        self.rejected: list[dict[str, Any]] = []  # sends refused with an error: recipient and why
        self.calls = 0
        self.fail_next: list[tuple[int, int, str]] = []  # (HTTP status, Graph error code, message) for sends
        self.inbound: dict[str, float] = {}  # recipient -> when the user last wrote (the 24-hour window)
        self.replies: dict[str, dict[str, Any]] = {}  # user's message id -> the bot's first reply quoting it
        self._reply_waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    # -- server ----------------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application()
        app.router.add_post("/{version}/{phone_id}/messages", self._messages)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        # One connection per concurrent user at most; the bot's webhook is local.
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def stop(self) -> None:
        """Stop listening."""
        if self._session:
            await self._session.close()
        if self._runner:
            await self._runner.cleanup()

    @property
    def graph_url(self) -> str:
        """What SPBE_WHATSAPP_GRAPH_URL should be."""
        return f"http://127.0.0.1:{self.port}"

    async def _messages(self, request: web.Request) -> web.Response:
        self.calls += 1
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(
                401, 190, "Invalid OAuth access token - Cannot parse access token", "OAuthException"
            )
        if not _ROUTE.match(request.match_info["version"]) or request.match_info["phone_id"] != self.phone_id:
            return _error(
                400, 100, "Unsupported post request. Object does not exist.", "GraphMethodException"
            )
        try:
            body = await request.json()
        except ValueError:
            return _error(400, 100, "Invalid parameter")
        if body.get("messaging_product") != "whatsapp":
            return _error(400, 100, "The parameter messaging_product is required.")
        if body.get("status") == "read":
            return self._read(body)
        return self._send(body)

    def _read(self, body: dict[str, Any]) -> web.Response:
        message_id = str(body.get("message_id") or "")
        if not message_id.startswith("wamid."):
            return _error(400, 100, "Invalid parameter")
        self.reads.append(message_id)
        if body.get("typing_indicator"):
            self.typing.append(message_id)
        return web.json_response({"success": True})

    def _send(self, body: dict[str, Any]) -> web.Response:
        recipient = str(body.get("to") or body.get("recipient") or "")
        if self.fail_next:
            status, code, message = self.fail_next.pop(0)
            self.rejected.append({"to": recipient, "code": code, "description": message})
            return _error(status, code, message)
        record: dict[str, Any] = {"to": recipient, "type": body.get("type")}
        problem = _content_problem(body, record)
        if problem is None and time.time() - self.inbound.get(recipient, float("-inf")) > WINDOW_S:
            self.rejected.append({"to": recipient, "code": 131047, "description": "Re-engagement message"})
            return _error(
                400,
                131047,
                "Re-engagement message",
                details="Message failed to send because more than 24 hours have passed since the "
                "customer last replied to this number.",
            )
        if problem is not None:
            self.rejected.append({"to": recipient, "code": 100, "description": problem})
            return _error(400, 100, f"(#100) {problem}")
        record["id"] = f"wamid.OUT{next(self._ids)}"
        record["context"] = (body.get("context") or {}).get("message_id")
        record["received_at"] = time.monotonic()
        self.sent.append(record)
        quoted = record["context"]
        if quoted and quoted not in self.replies:
            self.replies[quoted] = record
            waiter = self._reply_waiters.pop(quoted, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(record)
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": recipient, "wa_id": recipient}],
                "messages": [{"id": record["id"]}],
            }
        )

    # -- what users do -----------------------------------------------------------------------------
    def text_payload(self, number: str, text: str, **message: Any) -> dict[str, Any]:
        """A user's text message as Meta posts it."""
        return self.payload(number, {"type": "text", "text": {"body": text}, **message})

    def payload(self, number: str, content: dict[str, Any], *, age_s: float = 0.0) -> dict[str, Any]:
        """A user's message of any type (content holds 'type' and its object) as Meta posts it."""
        message_id = f"wamid.IN{next(self._ids)}"
        sent_at = time.time() - age_s
        if not age_s:
            self.inbound[number] = sent_at  # the user writing opens the window
        message = {
            "from": number,
            "from_user_id": bsuid(number),
            "id": message_id,
            "timestamp": str(int(sent_at)),
            **content,
        }
        return self._envelope(
            {
                "contacts": [
                    {"profile": {"name": "Pengguna Uji"}, "wa_id": number, "user_id": bsuid(number)}
                ],
                "messages": [message],
            }
        )

    def press_payload(self, number: str, sent: dict[str, Any], title: str) -> dict[str, Any]:
        """A user taps a reply button under a message the bot sent."""
        buttons = dict(sent.get("buttons") or [])
        context = {"from": DISPLAY_NUMBER, "id": sent["id"]}
        reply = {"type": "button_reply", "button_reply": {"id": buttons[title], "title": title}}
        return self.payload(number, {"type": "interactive", "interactive": reply, "context": context})

    def status_payload(self, sent: dict[str, Any], status: str = "delivered") -> dict[str, Any]:
        """WhatsApp reports a sent message's status."""
        return self._envelope(
            {
                "statuses": [
                    {
                        "id": sent["id"],
                        "status": status,
                        "timestamp": str(int(time.time())),
                        "recipient_id": sent["to"],
                    }
                ]
            }
        )

    def _envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        metadata = {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": self.phone_id}
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": WABA_ID,
                    "changes": [
                        {
                            "field": "messages",
                            "value": {"messaging_product": "whatsapp", "metadata": metadata, **value},
                        }
                    ],
                }
            ],
        }

    def sign(self, body: bytes) -> str:
        """X-Hub-Signature-256 as Meta computes it: HMAC-SHA256 of the raw body with the app secret."""
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    async def deliver(
        self,
        payload: dict[str, Any] | bytes,
        *,
        signature: str | None = "valid",
        retries: int = 0,
        url: str | None = None,
    ) -> Delivery:
        """POST a payload to the bot's webhook (or to url: one replica of several), signed ('valid'),
        unsigned (None) or with a given header."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "valid":
            headers["X-Hub-Signature-256"] = self.sign(body)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        target = url or self.webhook_url
        assert self._session is not None and target, "start() and set webhook_url first"
        started = time.perf_counter()
        async with self._session.post(target, data=body, headers=headers) as response:
            await response.read()
            status = response.status
        message_id = _message_id(payload) if isinstance(payload, dict) else None
        return Delivery(status, time.perf_counter() - started, message_id)

    async def send_text(self, number: str, text: str, url: str | None = None) -> Delivery:
        """A user writes a text message; returns the webhook's answer (with the message id)."""
        return await self.deliver(self.text_payload(number, text), url=url)

    async def press(self, number: str, sent: dict[str, Any], title: str) -> Delivery:
        """A user taps a reply button."""
        return await self.deliver(self.press_payload(number, sent, title))

    # -- what the bot sent ---------------------------------------------------------------------------
    async def reply_to(self, message_id: str, timeout: float) -> dict[str, Any] | None:
        """The bot's first message quoting a user's message, waiting for it without polling."""
        if message_id in self.replies:
            return self.replies[message_id]
        waiter = self._reply_waiters.setdefault(message_id, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            return None

    async def wait_sent(self, number: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Messages sent to a user, once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent_to(number)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.02)
        texts = [m["text"] for m in self.sent_to(number)]
        raise AssertionError(f"{number}: expected {count} messages, got {texts}")

    def sent_to(self, number: str) -> list[dict[str, Any]]:
        """Messages sent to a user so far."""
        return [m for m in self.sent if m["to"] == number]

    def config(self) -> GraphConfig:
        """The channel's Graph settings that point at this fake."""
        from bot.channels.whatsapp import GraphConfig

        return GraphConfig(self.phone_id, self.token, self.app_secret, self.verify_token, self.graph_url)


@contextlib.asynccontextmanager
async def running(channel: WhatsAppChannel, log: AnswerLog) -> AsyncIterator[FakeWhatsApp]:
    """A fake platform and the channel's real webhook server on 127.0.0.1; both stopped afterwards."""
    from bot.channels.whatsapp import WEBHOOK_PATH, serving

    fake = FakeWhatsApp()
    await fake.start()
    try:
        async with serving(channel, fake.config()) as url:
            fake.webhook_url = url + WEBHOOK_PATH
            yield fake
    finally:
        await fake.stop()
        log.close()


def bsuid(number: str) -> str:
    """A business-scoped user id for a number (stable, and not the number)."""
    return "ID." + str(int(hashlib.sha256(number.encode()).hexdigest()[:15], 16))


def _content_problem(body: dict[str, Any], record: dict[str, Any]) -> str | None:
    """What the Cloud API would refuse in a text or reply-button message; fills the record otherwise."""
    kind = body.get("type")
    if kind == "text":
        text = str((body.get("text") or {}).get("body") or "")
        record["text"] = text
        if not text.strip():
            return "Param text['body'] is required"
        if len(text) > 4096:
            return "Param text['body'] must be at most 4096 characters long"
        return None
    if kind != "interactive" or (body.get("interactive") or {}).get("type") != "button":
        return f"Unsupported message type {kind!r}"
    interactive = body["interactive"]
    text = str((interactive.get("body") or {}).get("text") or "")
    buttons = [b.get("reply") or {} for b in (interactive.get("action") or {}).get("buttons") or []]
    record["text"] = text
    record["buttons"] = [(str(b.get("title")), str(b.get("id"))) for b in buttons]
    titles, ids = [t for t, _ in record["buttons"]], [i for _, i in record["buttons"]]
    if not text.strip() or len(text) > 1024:
        return "Param interactive['body']['text'] must be 1 to 1024 characters long"
    if not 1 <= len(buttons) <= 3:
        return "Param interactive['action']['buttons'] must have 1 to 3 buttons"
    if any(not t or len(t) > 20 for t in titles) or len(set(titles)) != len(titles):
        return "Button titles must be unique and 1 to 20 characters long"
    if any(not i or len(i) > 256 for i in ids) or len(set(ids)) != len(ids):
        return "Button ids must be unique and 1 to 256 characters long"
    return None


def _message_id(payload: dict[str, Any]) -> str | None:
    with contextlib.suppress(KeyError, IndexError, TypeError):
        return str(payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"])
    return None


def _error(
    status: int, code: int, message: str, kind: str = "OAuthException", details: str | None = None
) -> web.Response:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGh"}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return web.json_response({"error": error}, status=status)
