"""Real Redis and Chroma servers on 127.0.0.1 for tests and benchmarks: started, waited for, stopped.

Nothing here fakes a server: `redis-server` (Debian's package) and `chroma run` (the chromadb package's
CLI) run as child processes on free loopback ports, and every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
REPLICA_STOP_TIMEOUT_S = 60.0  # a replica finishing the answers in flight under load
REPLICA_READY_LINE = b"menerima webhook di"  # what `spbe-bot whatsapp` logs once it listens


class ServerError(RuntimeError):
    """A server could not be found or started; the message says what to install or check."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"{what} exited at start (code {process.returncode})")
        if ready():
            return
        time.sleep(0.1)
    raise ServerError(f"{what} did not answer within {START_TIMEOUT_S:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)


def redis_executable() -> str:
    """The redis-server program; ServerError saying how to install it when it is missing."""
    found = shutil.which("redis-server")
    if not found:
        raise ServerError(
            "redis-server is not installed; the shared-state tests need a real one: "
            "apt-get install -y redis-server"
        )
    return found


def chroma_executable() -> str:
    """The `chroma` CLI of this environment (installed with chromadb)."""
    beside = Path(sys.executable).parent / "chroma"
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if not found:
        raise ServerError("the `chroma` CLI was not found beside this Python (pip install chromadb)")
    return found


@dataclass
class RedisServer:
    """A redis-server on 127.0.0.1 without persistence; start() and stop() may be called again."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """redis://127.0.0.1:port/0"""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start and wait until it answers PING."""
        command = [redis_executable(), "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--protected-mode", "yes"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(self._answers, self.process, f"redis-server on port {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after the timeout)."""
        if self.process is not None:
            _stop(self.process)
            self.process = None


@dataclass
class ChromaServer:
    """`chroma run` on 127.0.0.1 over a data folder; stop() then start() keeps the data."""

    path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    host = "127.0.0.1"

    def start(self) -> ChromaServer:
        """Start and wait until its heartbeat answers."""
        self.path.mkdir(parents=True, exist_ok=True)
        self.log = self.path.with_suffix(".log")
        command = [chroma_executable(), "run", "--host", self.host, "--port", str(self.port)]
        command += ["--path", str(self.path)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _wait(self._answers, self.process, f"chroma run on port {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            return httpx.get(f"http://{self.host}:{self.port}/api/v2/heartbeat", timeout=1.0).is_success
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after the timeout)."""
        if self.process is not None:
            _stop(self.process)
            self.process = None


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A private redis-server for the block."""
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def running_chroma(path: Path) -> Iterator[ChromaServer]:
    """A private Chroma server over a data folder for the block."""
    server = ChromaServer(path).start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def whatsapp_replica(
    env: dict[str, str], cwd: Path, ready_timeout_s: float
) -> AsyncIterator[tuple[str, int]]:
    """`spbe-bot whatsapp` of this interpreter in its own process on a free port: (webhook URL, pid) once
    it listens. Its stderr is drained meanwhile (a full pipe would block it); when it exits at start, the
    error holds what it wrote."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "whatsapp", env={**env, "SPBE_WHATSAPP_PORT": str(port)}, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    seen: list[bytes] = []
    drain: asyncio.Future[bytes] | None = None
    try:
        async with asyncio.timeout(ready_timeout_s):
            while REPLICA_READY_LINE not in (line := await process.stderr.readline()):
                if not line:
                    said = b"".join(seen[-10:]).decode(errors="replace")
                    raise ServerError(f"a replica exited at start:\n{said}")
                seen.append(line)
        drain = asyncio.ensure_future(process.stderr.read())
        yield f"http://127.0.0.1:{port}/webhook", process.pid
    finally:
        if drain is not None:
            drain.cancel()
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), REPLICA_STOP_TIMEOUT_S)
            except TimeoutError:
                process.kill()
                await process.wait()
