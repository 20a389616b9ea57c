"""The scorer (`spbe-bot eval`) follows ../shared/eval/README.md."""

from __future__ import annotations

import pytest

from bot.core.eval import Item


@pytest.mark.parametrize(
    ("answer", "phrase", "found"),
    [
        # ../shared/eval/README.md: a number in words in parentheses after a digit is dropped ...
        ("jangka waktu 5 (lima) tahun", "5 tahun", True),
        ("paling lambat 14 (empat belas) hari kerja", "14 hari", True),
        # ... and only that: other words in parentheses stay ("3,12 (predikat Baik)" holds "baik").
        ("Indeks SPBE Nasional 3,12 (predikat Baik)", "baik", True),
        ("nilai 2.79", "2,79", True),
        ("nilai 2,97", "2,79", False),
    ],
)
def test_must_include_matching_follows_the_eval_readme(answer, phrase, found):
    item = Item("c", "fact", True, {"answer": answer}, [], [phrase])
    assert (item.coverage() == 1.0) is found
