"""The answer log: what was asked and answered, with a salted hash instead of the chat id."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bot.core.models import Answer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    chat TEXT NOT NULL,
    channel TEXT NOT NULL,
    question TEXT NOT NULL,
    cited TEXT NOT NULL,
    refused INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    feedback INTEGER,
    collection TEXT
);
"""


class AnswerLog:
    """SQLite log of answers and the feedback given on them; never stores a raw chat id."""

    def __init__(self, path: Path, salt: str | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        # A log, not a ledger: WAL without a sync per answer (0.6 -> 0.02 ms a row); a power cut may lose
        # the last rows, never the database.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Another process writing the same file (replicas on one host) holds the lock for a moment: wait.
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(answers)")}
        if "collection" not in columns:  # a log written before answers named their index version
            self._db.execute("ALTER TABLE answers ADD COLUMN collection TEXT")
        self._lock = threading.Lock()
        self._salt = (salt or self._stored_salt(path)).encode()

    @staticmethod
    def _stored_salt(path: Path) -> str:
        """A random salt kept beside the database, so hashes stay stable across restarts."""
        salt_file = path.with_suffix(".salt")
        if not salt_file.exists():
            salt_file.write_text(secrets.token_hex(16), encoding="utf-8")
            salt_file.chmod(0o600)
        return salt_file.read_text(encoding="utf-8").strip()

    def chat_hash(self, chat_id: str) -> str:
        """The salted hash that stands for a chat in the log."""
        return hashlib.blake2b(chat_id.encode(), key=self._salt[:64], digest_size=12).hexdigest()

    def record(self, chat_id: str, channel: str, question: str, answer: Answer) -> int:
        """Store one answer; returns its id (used by the feedback buttons)."""
        cited = json.dumps([c.label() for c in answer.citations], ensure_ascii=False)
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO answers (ts, chat, channel, question, cited, refused, latency_ms, collection) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (
                    time.time(),
                    self.chat_hash(chat_id),
                    channel,
                    question,
                    cited,
                    int(answer.refused),
                    answer.latency_ms,
                    answer.collection,
                ),
            )
        return int(cursor.lastrowid or 0)

    def feedback(self, answer_id: int, positive: bool) -> bool:
        """Record 👍 or 👎 on an answer; False when there is no such answer."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "UPDATE answers SET feedback = ? WHERE id = ?", (1 if positive else -1, answer_id)
            )
        return cursor.rowcount == 1

    def rows(self, since: float = 0.0) -> list[sqlite3.Row]:
        """Logged answers since a time (for reports and tests)."""
        self._db.row_factory = sqlite3.Row
        with self._lock:
            return list(self._db.execute("SELECT * FROM answers WHERE ts >= ? ORDER BY id", (since,)))

    def report(self, since: float = 0.0, top: int = 5) -> dict[str, Any]:
        """Counts, refusal rate, feedback, the most cited units and the slowest answers since a time."""
        rows = self.rows(since)
        cited = Counter(label for row in rows for label in json.loads(row["cited"]))
        up = sum(1 for row in rows if row["feedback"] == 1)
        down = sum(1 for row in rows if row["feedback"] == -1)
        slowest = sorted(rows, key=lambda row: -row["latency_ms"])[:top]
        return {
            "answers": len(rows),
            "chats": len({row["chat"] for row in rows}),
            "by_channel": dict(Counter(row["channel"] for row in rows)),
            "refusal_rate": sum(row["refused"] for row in rows) / len(rows) if rows else 0.0,
            "thumbs_up": up,
            "thumbs_down": down,
            "top_topics": cited.most_common(top),
            "slowest": [
                {"question": row["question"][:80], "latency_ms": round(row["latency_ms"], 1)}
                for row in slowest
            ],
        }

    def close(self) -> None:
        """Close the database."""
        self._db.close()
