"""Conversation memory and rate limits in a real Redis (shared by replicas), and the fall-back without it."""

from __future__ import annotations

import logging
import threading

import pytest

from bot.core.dialogue import Dialogue
from bot.core.limits import RateLimit
from bot.core.state import InProcessConversations, TurnRecord
from bot.dialogues.cases import load_cases
from bot.shared_state import (
    RedisConversations,
    RedisRateLimit,
    SharedConversations,
    SharedRateLimit,
    connect,
    shared_state,
)
from bot.testing.servers import RedisServer, free_port
from knowledge.catalog import load_catalog
from tests.conftest import ROOT

QUESTION = "siapa yang menetapkan arsitektur spbe instansi pusat?"
FOLLOW_UP = "kalau untuk pemda gimana?"


@pytest.fixture
def client(redis_url):
    client = connect(redis_url)
    yield client
    for key in client.scan_iter(match="spbe:*"):  # only this project's keys: CI's server may be shared
        client.delete(key)
    client.close()


def redis_dialogue(responder, client, max_turns=4) -> Dialogue:
    return Dialogue(responder, max_turns=max_turns, memory=RedisConversations(client, max_turns, ttl_s=600))


def test_a_turn_record_keeps_what_follow_ups_read(dialogue_factory):
    dialogue = dialogue_factory()
    answer = dialogue.ask("a", QUESTION)
    record = TurnRecord.of(QUESTION, answer)
    assert record.citations and record.topic is not None
    assert TurnRecord.from_json(record.to_json()) == record
    assert record.first_pasal() == answer.first_pasal()
    assert [c.label() for c in record.citations] == [c.label().split(", hlm.")[0] for c in answer.citations]


def test_redis_memory_answers_follow_ups_exactly_as_in_process_memory(dialogue_factory, client):
    """Every follow-up chain of the testers' library: the same replies with Redis as in-process."""
    cases, errors = load_cases([ROOT / "tests" / "dialogues"], load_catalog())
    assert not errors
    chains = [c for c in cases if "lanjutan" in c.tags and len(c.turns) >= 2]
    assert len(chains) >= 5
    local = dialogue_factory()
    shared = redis_dialogue(local.responder, client)
    compared = 0
    for number, case in enumerate(chains):
        chat = f"case-{number}"
        for turn in case.turns:
            if not turn.user:
                continue
            assert shared.handle(chat, turn.user) == local.handle(chat, turn.user), (case.name, turn.user)
            compared += 1
    assert compared >= 10
    # And the memory mattered: a follow-up asked with no conversation gets another answer.
    shared.handle("fresh", QUESTION)
    assert shared.handle("fresh", FOLLOW_UP) != local.handle("nobody-before", FOLLOW_UP)


def test_redis_memory_is_bounded_expires_and_resets(dialogue_factory, client):
    memory = RedisConversations(client, max_turns=2, ttl_s=600)
    record = TurnRecord.of(QUESTION, dialogue_factory().ask("x", QUESTION))
    for n in range(5):
        memory.append("chat", TurnRecord(f"q{n}", record.query, record.regulations, record.topic))
    assert [t.question for t in memory.turns("chat")] == ["q3", "q4"]
    (key,) = list(client.scan_iter(match="spbe:chat:*"))
    assert b"chat" not in key.split(b":")[-1]  # the chat id is hashed
    assert 0 < client.ttl(key) <= 600
    assert memory.chats() == 1
    memory.reset("chat")
    assert memory.turns("chat") == [] and memory.chats() == 0


def test_the_rate_limit_is_one_window_across_replicas(client, redis_url):
    """Two replicas (two clients) and eight threads asking at once: exactly the limit gets through."""
    replicas = [RedisRateLimit(connect(redis_url), per_minute=5) for _ in range(2)]
    allowed: list[bool] = []
    lock = threading.Lock()

    def ask(limiter: RedisRateLimit) -> None:
        for _ in range(3):
            result = limiter.allow("whatsapp:6281200000009")
            with lock:
                allowed.append(result)

    threads = [threading.Thread(target=ask, args=(replicas[n % 2],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(allowed) == 24 and sum(allowed) == 5
    assert replicas[1].allow("whatsapp:6281200000010")  # another user has a window of their own
    assert RedisRateLimit(client, per_minute=0).allow("whatsapp:6281200000009")  # 0 turns it off


def test_redis_down_at_start_falls_back_to_this_process_with_one_warning(dialogue_factory, caplog):
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="bot.shared_state"):
        memory, limit = shared_state(url, max_turns=4, max_chats=100, ttl_s=600, per_minute=2)
        dialogue = Dialogue(dialogue_factory().responder, memory=memory)
        first = dialogue.ask("c", QUESTION)
        follow = dialogue.ask("c", FOLLOW_UP)
        assert [limit.allow("u"), limit.allow("u"), limit.allow("u")] == [True, True, False]
    assert not first.refused and not follow.refused
    local = dialogue_factory()
    local.ask("c", QUESTION)
    assert follow.text == local.ask("c", FOLLOW_UP).text  # the follow-up still had its context
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "conversation memory" in w]) == 1
    assert len([w for w in warnings if "rate limits" in w]) == 1
    assert not any("arsitektur" in w or "127.0.0.1" in w for w in warnings)  # no message text, no URL


def test_redis_stopped_mid_conversation_then_back(dialogue_factory, caplog):
    server = RedisServer().start()
    try:
        client = connect(server.url)
        memory = SharedConversations(
            RedisConversations(client, 4, ttl_s=600), InProcessConversations(4), retry_after_s=0.0
        )
        limit = SharedRateLimit(RedisRateLimit(client, 3), RateLimit(3), retry_after_s=0.0)
        dialogue = Dialogue(dialogue_factory().responder, memory=memory)
        dialogue.ask("c", QUESTION)
        assert limit.allow("u")
        assert len(list(client.scan_iter(match="spbe:chat:*"))) == 1  # the turn is in Redis
        server.stop()
        with caplog.at_level(logging.WARNING, logger="bot.shared_state"):
            follow = dialogue.ask("c", FOLLOW_UP)  # the turn before is in Redis, out of reach
            again = dialogue.ask("d", QUESTION)
            assert limit.allow("u")
        assert not follow.refused and not again.refused and memory.degraded
        assert [r.getMessage() for r in caplog.records].count(
            "Redis unreachable (ConnectionError): conversation memory kept in this process until it is back"
        ) == 1
        server.start()  # the same port: Redis is back
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="bot.shared_state"):
            dialogue.ask("e", QUESTION)
        assert not memory.degraded and "Redis reachable again" in caplog.text
        assert any(True for _ in client.scan_iter(match="spbe:chat:*"))
    finally:
        server.stop()
