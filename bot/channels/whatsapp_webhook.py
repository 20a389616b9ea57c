"""What WhatsApp posts to the bot: the handshake, the signature and shape checks, deduplication, the hand-off.

WhatsApp retries a webhook that is not answered 200 quickly, so this part only checks and hands over: it
never waits for an answer. It runs inside the bot's process (tests, the dialogue runner) or, for
`spbe-bot whatsapp`, as a small process of its own (`python -m bot.channels.whatsapp_webhook`). The bot's
answer workers hold the interpreter lock most of the time under load, and in the same process every
socket write of the webhook server waited for it; in its own process the webhook answers in milliseconds
whatever the answering does. The two processes speak over the child's stdin (its settings, one JSON line;
closing it stops the child) and stdout (length-prefixed frames: ready, error, or one message's payload).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import queue
import signal
import struct
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pywa.utils import HUB_CH, HUB_SIG, HUB_VT
from pywa_async import WhatsApp

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook"
HEALTH_PATH = "/health"
SEEN_IDS = 100_000  # message ids remembered for deduplication
READY, ERROR, MESSAGE = b"R", b"E", b"M"  # frame kinds from the webhook process
_HEADER = struct.Struct(">cI")


# -- the payload's shape (the edge: pydantic) ------------------------------------------------------
class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Contact(_Loose):
    wa_id: str | None = None
    user_id: str | None = None

    @model_validator(mode="after")
    def _identified(self) -> _Contact:
        if not (self.wa_id or self.user_id):
            raise ValueError("a contact needs wa_id or user_id")
        return self


class _Message(_Loose):
    id: str = Field(min_length=1)
    from_: str | None = Field(None, alias="from")
    from_user_id: str | None = None
    timestamp: str | int
    type: str = Field(min_length=1)

    @model_validator(mode="after")
    def _has_sender(self) -> _Message:
        if not (self.from_ or self.from_user_id):
            raise ValueError("a message needs a sender")
        return self


class _Metadata(_Loose):
    phone_number_id: str


class _MessagesValue(_Loose):
    metadata: _Metadata
    contacts: list[_Contact] = []
    messages: list[_Message] = []
    statuses: list[dict[str, Any]] = []

    @model_validator(mode="after")
    def _contacts_for_messages(self) -> _MessagesValue:
        if self.messages and not self.contacts:
            raise ValueError("messages without contacts")
        return self


class _Change(_Loose):
    field: str
    value: dict[str, Any]


class _Entry(_Loose):
    id: str
    changes: list[_Change]


class _Envelope(_Loose):
    object: str
    entry: list[_Entry] = Field(min_length=1)


class _SeenIds:
    """Message ids already taken, the oldest forgotten first."""

    def __init__(self, size: int = SEEN_IDS) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def add(self, message_id: str) -> bool:
        """Remember an id; False when it was already there."""
        if message_id in self._ids:
            return False
        self._ids[message_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


class WebhookReceiver:
    """GET and POST /webhook and GET /health; each new message is handed off as a payload of its own."""

    def __init__(self, app_secret: str, verify_token: str, hand_off: Callable[[bytes], None]) -> None:
        if not app_secret:
            raise ValueError("an app secret is needed to check webhook signatures")
        # pywa for the handshake and the signature check only: no token, nothing is sent from here.
        self._wa = WhatsApp(
            verify_token=verify_token,
            app_secret=app_secret,
            webhook_endpoint=WEBHOOK_PATH,
            skip_duplicate_updates=False,
        )
        self._hand_off = hand_off
        self._seen = _SeenIds()
        self.healthy = True

    def add_routes(self, app: web.Application) -> None:
        """Register the webhook and health endpoints."""
        app.router.add_get(WEBHOOK_PATH, self.verify)
        app.router.add_post(WEBHOOK_PATH, self.webhook)
        app.router.add_get(HEALTH_PATH, self.health)

    async def verify(self, request: web.Request) -> web.Response:
        """GET /webhook: the subscription handshake; the challenge comes back only for the right token."""
        query = request.query
        if query.get("hub.mode") != "subscribe":
            return web.Response(text="Forbidden", status=403)
        challenge, status = await self._wa.webhook_challenge_handler(
            vt=query.get(HUB_VT), ch=query.get(HUB_CH)
        )
        if status == 200 and not challenge:
            return web.Response(text="Bad Request", status=400)
        return web.Response(text=challenge or "Forbidden", status=status)

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /webhook: signature over the raw body, then shape; new messages handed off; 200 at once."""
        body = await request.read()
        try:
            rejection = await self._wa.webhook_update_validator(body, request.headers.get(HUB_SIG))
        except TypeError:  # a signature with non-ASCII characters cannot be compared: it is not one
            rejection = ("Forbidden", 403)
        if rejection is not None:
            return web.Response(text=rejection[0], status=rejection[1])
        try:
            payloads = list(self._new_messages(body))
        except ValueError as exc:  # bad JSON, or pydantic's ValidationError (a ValueError too)
            problems = exc.error_count() if isinstance(exc, ValidationError) else 1
            logger.warning("webhook refused: not a WhatsApp payload (%d problem(s))", problems)
            return web.Response(text="Bad Request", status=400)
        for payload in payloads:
            self._hand_off(payload)
        return web.Response(text="OK")

    async def health(self, request: web.Request) -> web.Response:
        """GET /health: 200 while messages can be handed to the bot."""
        if not self.healthy:
            return web.json_response({"status": "unavailable"}, status=503)
        return web.json_response({"status": "ok"})

    def _new_messages(self, body: bytes) -> Iterator[bytes]:
        """Each message not seen before, alone in a payload (pywa reads one message per update).

        Status updates and other fields are acknowledged and ignored.
        """
        raw = json.loads(body)
        envelope = _Envelope.model_validate(raw)
        batches = []
        for entry_raw, entry in zip(raw["entry"], envelope.entry, strict=True):
            for change_raw, change in zip(entry_raw["changes"], entry.changes, strict=True):
                if change.field == "messages":
                    value = _MessagesValue.model_validate(change.value)
                    batches.append((entry.id, change_raw["value"], value))
        for entry_id, value_raw, value in batches:  # all of the payload is valid before anything is taken
            rest = {k: v for k, v in value_raw.items() if k not in ("messages", "contacts", "statuses")}
            for message_raw, message in zip(value_raw.get("messages", []), value.messages, strict=True):
                if not self._seen.add(message.id):
                    logger.info("duplicate delivery of a message acknowledged; not answered again")
                    continue
                single = {
                    **rest,
                    "contacts": [_contact_of(message, value.contacts)],
                    "messages": [message_raw],
                }
                yield json.dumps(
                    {
                        "object": envelope.object,
                        "entry": [{"id": entry_id, "changes": [{"field": "messages", "value": single}]}],
                    }
                ).encode()


def _contact_of(message: _Message, contacts: list[_Contact]) -> dict[str, Any]:
    """The sender's contact entry, with user_id filled from wa_id for payloads without BSUIDs."""
    contact = next(
        (
            c
            for c in contacts
            if (message.from_user_id and c.user_id == message.from_user_id)
            or (message.from_ and c.wa_id == message.from_)
        ),
        contacts[0],
    )
    data = contact.model_dump(exclude_none=True)
    data["user_id"] = contact.user_id or contact.wa_id
    return data


# -- frames between the two processes --------------------------------------------------------------
def frame(kind: bytes, body: bytes = b"") -> bytes:
    """One frame: its kind, its length, its body."""
    return _HEADER.pack(kind, len(body)) + body


async def read_frame(stream: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """The next frame (kind, body); IncompleteReadError when the webhook process has gone."""
    kind, length = _HEADER.unpack(await stream.readexactly(_HEADER.size))
    return kind, await stream.readexactly(length)


# -- the webhook as a process of its own -----------------------------------------------------------
def main() -> None:
    """Entry point of the webhook process: settings as one JSON line on stdin, frames out on stdout."""
    # Ctrl+C reaches the whole process group; the bot's process stops this one by closing stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    settings = json.loads(sys.stdin.readline())
    logging.basicConfig(level=settings["log_level"], format="%(levelname)s %(name)s: %(message)s")
    # pywa logs whole updates (phone numbers) at DEBUG.
    logging.getLogger("pywa").setLevel(max(logging.WARNING, logging.getLogger().level))
    frames_out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the frames
    asyncio.run(_serve(settings, frames_out))


async def _serve(settings: dict[str, Any], frames_out: BinaryIO) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    receiver = WebhookReceiver(
        settings["app_secret"], settings["verify_token"], lambda body: outbox.put(frame(MESSAGE, body))
    )

    def write_frames() -> None:  # a thread: the event loop never waits for the pipe
        while (data := outbox.get()) is not None:
            try:
                frames_out.write(data)
                frames_out.flush()
            except (BrokenPipeError, OSError):
                receiver.healthy = False
                loop.call_soon_threadsafe(stop.set)
                return

    def watch_stdin() -> None:  # end of stdin: the bot's process is stopping (or has gone)
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stop.set)

    app = web.Application(client_max_size=1024**2)
    receiver.add_routes(app)
    runner = web.AppRunner(app, access_log=None)  # the handshake's query string holds the verify token
    await runner.setup()
    try:
        await web.TCPSite(runner, settings["host"], settings["port"]).start()
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        frames_out.write(frame(ERROR, reason.encode()))
        frames_out.flush()
        await runner.cleanup()
        return
    writer = threading.Thread(target=write_frames, name="webhook-frames", daemon=True)
    writer.start()
    threading.Thread(target=watch_stdin, name="webhook-stdin", daemon=True).start()
    host, port = runner.addresses[0][:2]
    outbox.put(frame(READY, f"http://{host}:{port}".encode()))
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()
    outbox.put(None)
    await asyncio.to_thread(writer.join, 5.0)


@contextlib.asynccontextmanager
async def webhook_process(
    host: str, port: int, app_secret: str, verify_token: str, hand_off: Callable[[bytes], None]
) -> Any:
    """The webhook process, its messages handed to `hand_off`; yields its URL and a task ending with it.

    OSError when it cannot listen.
    """
    # The child runs this very code, whatever the installed package points at.
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.channels.whatsapp_webhook",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    settings = {
        "host": host,
        "port": port,
        "app_secret": app_secret,
        "verify_token": verify_token,
        "log_level": logging.getLevelName(logging.getLogger().getEffectiveLevel()),
    }
    process.stdin.write(json.dumps(settings).encode() + b"\n")
    await process.stdin.drain()
    try:
        kind, body = await read_frame(process.stdout)
    except asyncio.IncompleteReadError:
        kind, body = ERROR, b"the webhook process ended at start"
    if kind != READY:
        process.stdin.close()
        await process.wait()
        raise OSError(body.decode(errors="replace"))
    handing = asyncio.get_running_loop().create_task(_hand_over(process.stdout, hand_off))
    try:
        yield body.decode(), handing
    finally:
        process.stdin.close()  # the webhook process stops taking messages and exits
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await handing


async def _hand_over(stream: asyncio.StreamReader, hand_off: Callable[[bytes], None]) -> None:
    """Every message the webhook process took, to the channel, until the process ends."""
    while True:
        try:
            kind, body = await read_frame(stream)
        except asyncio.IncompleteReadError:
            return
        if kind == MESSAGE:
            hand_off(body)


if __name__ == "__main__":
    main()
