"""Fuzz: the dialogue entry point and the legal parser never raise, whatever they are given.

Hypothesis draws odd Unicode, control characters, markup, injection strings, commands with garbage and
inputs over 100 kB (bot/testing/fuzz.py). Runs are derandomized and keep no example database, so CI
draws the same examples every time; bench/fuzz.py runs 10,000 messages.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from bot.core.dialogue import MAX_QUESTION_CHARS, Dialogue, pasal_command
from bot.testing.fuzz import HUGE_LINE_PIECES, conversations, judge, pages
from ingest.chunk import chunk_document
from ingest.legal import parse_guide, parse_markdown, parse_regulation, split_units
from ingest.load import Page
from ingest.normalize import clean_pages
from ingest.records import extract
from knowledge.catalog import load_catalog

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


@pytest.fixture(scope="module")
def dialogue(dialogue_factory) -> Dialogue:
    """One engine for the whole fuzz, so odd turns pile up in its memory as they would in production."""
    return dialogue_factory(max_chats=50)


@FUZZ
@given(conversation=conversations())
def test_every_message_gets_a_polite_indonesian_reply(dialogue: Dialogue, conversation: list[str]) -> None:
    chat = f"fuzz-{len(conversation[0]) % 7}"  # a few chats, so follow-ups meet earlier odd turns
    for message in conversation:
        reply = dialogue.respond(chat, message)
        verdict = judge(reply, dialogue)
        assert verdict.kind in ("answered", "refused", "command"), (verdict.reason, message[:200], reply.text)


@pytest.mark.parametrize(
    "message",
    [
        "/pasal a" + " " * 200_000 + "a",  # the /pasal argument's regex backtracked over every space
        "/pasal " + "1" * 200_000,
        "apa itu " + "\u200b" * 200_000,
        "a " * 100_000,
    ],
)
def test_huge_messages_are_answered_from_their_first_part(dialogue: Dialogue, message: str) -> None:
    # Not a timing test: a quadratic path on these inputs would not finish at all.
    reply = dialogue.respond("huge", message)
    assert judge(reply, dialogue).kind in ("answered", "refused", "command")


def test_pasal_command_reads_only_a_bounded_argument() -> None:
    assert pasal_command("perpres95 40") == "isi pasal 40 perpres 95"
    assert pasal_command("x" * (MAX_QUESTION_CHARS * 2) + " 40") is None


@FUZZ
@given(document=pages())
def test_the_parser_never_raises_and_keeps_its_invariants(document: list[Page]) -> None:
    catalog = load_catalog()
    for markdown in (False, True):
        lines = clean_pages(document, markdown=markdown)
        assert all(line.text == line.text.strip() and line.text for line in lines)
        head = "\n".join(p.text for p in document[:2])
        catalog.identify(head)
        for parse in (parse_regulation, parse_guide, parse_markdown):
            parsed = parse(lines)
            numbers = [p.number for p in parsed.pasal]
            # A Pasal heading counts only as the next number in sequence (or one or two after it).
            assert numbers == sorted(set(numbers))
            assert all(b - a <= 3 for a, b in zip([0, *numbers], numbers, strict=False))
            for node in parsed.pasal:
                split_units(node)
            chunks = chunk_document(parsed, "Perpres 1/2099", source_hash="fuzz")
            assert all(c.text and c.text == c.text.strip() for c in chunks)
            assert all(c.citation.regulation == "Perpres 1/2099" for c in chunks)
            assert [c.ordinal for c in chunks] == list(range(len(chunks)))
        extracted = extract(lines, "Laporan Evaluasi SPBE 2099", 2099, source_hash="fuzz")
        assert all(r.report == "Laporan Evaluasi SPBE 2099" and r.year == 2099 for r in extracted.records)


@pytest.mark.parametrize("piece", HUGE_LINE_PIECES)
def test_a_huge_line_is_parsed(piece: str) -> None:
    # Not a timing test: a regex that backtracks quadratically over a 100 kB line would not finish.
    lines = clean_pages([Page(1, "Pasal 1\n(1) isi.\n" + piece * 100_001 + "\nPasal 2\nisi.")])
    parsed = parse_regulation(lines)
    assert [p.number for p in parsed.pasal] == [1, 2] or piece.startswith("Pasal")
    chunks = chunk_document(parsed, "Perpres 1/2099")
    assert sum(len(c.text) for c in chunks) >= (100_000 if piece.strip() else 0)


def test_the_judge_rejects_what_a_user_must_not_see(dialogue: Dialogue) -> None:
    from bot.core.dialogue import Reply
    from bot.core.models import Answer

    question = dialogue.respond("judge", "isi pasal 40 perpres 95 apa?")
    assert judge(question, dialogue).kind == "answered"
    assert judge(dialogue.respond("judge", "/help"), dialogue).kind == "command"
    leaked = "Maaf, terjadi kesalahan: Traceback (most recent call last): KeyError"
    refused = Answer(leaked, refused=True, refusal="insufficient")
    assert judge(Reply(leaked, refused), dialogue).kind == "wrong"
    uncited = "Pasal ini mengatur yang Anda tanyakan."
    assert judge(Reply(uncited, Answer(uncited)), dialogue).kind == "wrong"
    assert judge(Reply("Perintah tidak dikenal, Anda"), dialogue).kind == "wrong"
    assert judge(Reply(" \n"), dialogue).kind == "empty"
