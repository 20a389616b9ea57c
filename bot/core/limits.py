"""Per-user rate limit: a sliding one-minute window, bounded in memory (or shared: bot/shared_state.py)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Protocol


class Limiter(Protocol):
    """Counts questions per user and says when one is over the limit."""

    def allow(self, user: str) -> bool:
        """Count one question for a user; False when the user is over the limit."""


class RateLimit:
    """At most `per_minute` questions per user per minute (0 turns it off)."""

    def __init__(
        self, per_minute: int, *, max_users: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.max_users = max_users
        self._clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, user: str) -> bool:
        """Count one question for a user; False when the user is over the limit."""
        if self.per_minute <= 0:
            return True
        now = self._clock()
        with self._lock:
            times = self._seen.pop(user, None) or deque()
            while times and now - times[0] >= 60.0:
                times.popleft()
            allowed = len(times) < self.per_minute
            if allowed:
                times.append(now)
            self._seen[user] = times
            while len(self._seen) > self.max_users:
                self._seen.popitem(last=False)
        return allowed
