"""Conversation memory and rate limits in Redis, shared by bot replicas; in-process when Redis is down.

Turns are JSON (TurnRecord) in one list per conversation, trimmed to the last few and expiring after
SPBE_MEMORY_TTL_S; the rate limit is a sliding one-minute window per user in a sorted set, counted and
added in one Lua script so two replicas cannot both let the sixth question through. Keys hold a hash of
the chat or user id, never the id itself.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.core.limits import Limiter, RateLimit
from bot.core.state import ConversationStore, InProcessConversations, TurnRecord

logger = logging.getLogger(__name__)

T = TypeVar("T")
PREFIX = "spbe:"
# After Redis failed, calls go to the in-process state for this long before Redis is tried again:
# a stopped server costs one refused connection per interval, not one per message.
RETRY_AFTER_S = 10.0

# Drop what left the window, count the rest; below the limit, add this question. Redis's own clock:
# replicas on hosts whose clocks differ still share one window. Returns 1 when allowed.
_SLIDING_WINDOW = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms - 60000)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], ms, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], 61000)
  return 1
end
return 0
"""


def connect(url: str) -> redis.Redis:
    """A Redis client that fails fast: short timeouts and one immediate retry (a stale pooled socket)."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=0.5,
        socket_timeout=1.0,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=30,
    )


def _key(kind: str, ident: str) -> str:
    """A key naming a conversation or user by a hash: Redis listings show no chat ids or numbers."""
    return f"{PREFIX}{kind}:{hashlib.blake2b(ident.encode(), digest_size=16).hexdigest()}"


class RedisConversations:
    """The last max_turns of each conversation in Redis, forgotten ttl_s after its last turn."""

    def __init__(self, client: redis.Redis, max_turns: int = 4, ttl_s: int = 86_400) -> None:
        self._redis = client
        self.max_turns = max_turns
        self.ttl_s = ttl_s

    def turns(self, chat_id: str) -> list[TurnRecord]:
        """A conversation's remembered turns, oldest first."""
        raw = self._redis.lrange(_key("chat", chat_id), 0, -1)
        return [TurnRecord.from_json(item) for item in raw]  # type: ignore[union-attr]

    def append(self, chat_id: str, turn: TurnRecord) -> None:
        """Remember one more turn: push, trim and renew the expiry in one transaction."""
        key = _key("chat", chat_id)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, turn.to_json())
            pipe.ltrim(key, -self.max_turns, -1)
            pipe.expire(key, self.ttl_s)
            pipe.execute()

    def reset(self, chat_id: str) -> None:
        """Forget one conversation."""
        self._redis.delete(_key("chat", chat_id))

    def chats(self) -> int:
        """How many conversations are remembered (a scan: for status and tests, not per message)."""
        return sum(1 for _ in self._redis.scan_iter(match=f"{PREFIX}chat:*", count=1000))


class RedisRateLimit:
    """At most per_minute questions per user in any 60 s, counted across every replica."""

    def __init__(self, client: redis.Redis, per_minute: int) -> None:
        self._redis = client
        self.per_minute = per_minute
        self._script = client.register_script(_SLIDING_WINDOW)

    def allow(self, user: str) -> bool:
        """Count one question for a user; False when the user is over the limit."""
        if self.per_minute <= 0:
            return True
        return bool(self._script(keys=[_key("rate", user)], args=[self.per_minute, uuid.uuid4().hex]))


class _Failover:
    """Calls Redis while it answers; on a Redis error warns once and uses the in-process fallback."""

    def __init__(
        self, what: str, retry_after_s: float = RETRY_AFTER_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._what = what
        self._retry_after_s = retry_after_s
        self._clock = clock
        self._down_since: float | None = None
        self._lock = threading.Lock()

    def call(self, shared: Callable[[], T], local: Callable[[], T]) -> T:
        """The shared call's result, or the local one while Redis is down (retried every RETRY_AFTER_S)."""
        with self._lock:
            down = self._down_since
        if down is not None and self._clock() - down < self._retry_after_s:
            return local()
        try:
            result = shared()
        except redis.RedisError as exc:
            with self._lock:
                first = self._down_since is None
                self._down_since = self._clock()
            if first:  # once per outage; the exception's type only (its text may carry the URL)
                logger.warning(
                    "Redis unreachable (%s): %s kept in this process until it is back",
                    type(exc).__name__,
                    self._what,
                )
            return local()
        if down is not None:
            with self._lock:
                self._down_since = None
            logger.warning("Redis reachable again: %s shared again", self._what)
        return result

    @property
    def down(self) -> bool:
        """Whether the last call to Redis failed."""
        return self._down_since is not None


class SharedConversations:
    """Conversations in Redis, or in this process while Redis cannot be reached."""

    def __init__(
        self, shared: ConversationStore, fallback: ConversationStore, *, retry_after_s: float = RETRY_AFTER_S
    ) -> None:
        self.shared = shared
        self.fallback = fallback
        self._failover = _Failover("conversation memory", retry_after_s)

    def turns(self, chat_id: str) -> list[TurnRecord]:
        """A conversation's remembered turns, oldest first."""
        return self._failover.call(lambda: self.shared.turns(chat_id), lambda: self.fallback.turns(chat_id))

    def append(self, chat_id: str, turn: TurnRecord) -> None:
        """Remember one more turn."""
        self._failover.call(
            lambda: self.shared.append(chat_id, turn), lambda: self.fallback.append(chat_id, turn)
        )

    def reset(self, chat_id: str) -> None:
        """Forget one conversation (here too: a turn kept here while Redis was down must go)."""
        self.fallback.reset(chat_id)
        self._failover.call(lambda: self.shared.reset(chat_id), lambda: None)

    def chats(self) -> int:
        """How many conversations are remembered."""
        return self._failover.call(self.shared.chats, self.fallback.chats)

    @property
    def degraded(self) -> bool:
        """Whether Redis failed at the last try (state kept in this process meanwhile)."""
        return self._failover.down


class SharedRateLimit:
    """The rate limit in Redis, or in this process while Redis cannot be reached."""

    def __init__(self, shared: Limiter, fallback: Limiter, *, retry_after_s: float = RETRY_AFTER_S) -> None:
        self.shared = shared
        self.fallback = fallback
        self._failover = _Failover("rate limits", retry_after_s)

    def allow(self, user: str) -> bool:
        """Count one question for a user; False when the user is over the limit."""
        return self._failover.call(lambda: self.shared.allow(user), lambda: self.fallback.allow(user))


def shared_state(
    url: str, *, max_turns: int, max_chats: int, ttl_s: int, per_minute: int
) -> tuple[SharedConversations, SharedRateLimit]:
    """Conversation memory and rate limit in the Redis at url, each with its in-process fallback.

    Redis is asked once now, so an unreachable server is reported at start, not at the first message.
    """
    client = connect(url)
    conversations = SharedConversations(
        RedisConversations(client, max_turns, ttl_s), InProcessConversations(max_turns, max_chats)
    )
    limit = SharedRateLimit(RedisRateLimit(client, per_minute), RateLimit(per_minute))
    conversations._failover.call(client.ping, lambda: False)
    return conversations, limit
