"""A local OpenAI-compatible chat server on 127.0.0.1 that returns scripted or generated completions."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# A stand-in model: (system message, user message) -> the completion's text.
Writer = Callable[[str, str], str]


class FakeOpenAI:
    """Serves /v1/chat/completions from a script of replies, else from a writer; records what it was asked."""

    def __init__(self, writer: Writer | None = None) -> None:
        self.replies: deque[tuple[str, float]] = deque()
        self.writer = writer
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                content, delay = server.replies.popleft() if server.replies else (server.write(body), 0.0)
                if delay:
                    time.sleep(delay)
                payload = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "fake"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(payload).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The URL to give as SPBE_LLM_BASE_URL."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def write(self, body: dict[str, Any]) -> str:
        """The writer's completion for a request's system and user messages (TIDAK_DITEMUKAN without one)."""
        if self.writer is None:
            return "TIDAK_DITEMUKAN"
        messages = {m.get("role"): str(m.get("content", "")) for m in body.get("messages", [])}
        return self.writer(messages.get("system", ""), messages.get("user", ""))

    def reply(self, content: str, delay: float = 0.0) -> None:
        """Queue the next completion."""
        self.replies.append((content, delay))

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
