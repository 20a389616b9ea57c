"""The ranker's weights are learned from labelled cases, reproducibly, and cross-validated by case."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.conftest import ROOT
from tests.test_cli import run_cli

LABELLED = ROOT / "tests" / "labelled" / "pasal-dan-ayat.yaml"


def test_training_is_reproducible_and_reports_held_out_folds(dialogue_factory):
    from bot.core.rank import FEATURES
    from bot.train import collect, cross_validate, fit, from_eval_file

    dialogue = dialogue_factory()
    cases = from_eval_file(LABELLED)
    groups = collect(dialogue, cases)
    assert len(groups) >= 30 and all(g.features.shape[1] == len(FEATURES) for g in groups)
    assert sum(bool(g.labels.any()) for g in groups) >= 0.8 * len(groups)  # the gold unit is a candidate
    first, second = fit(groups, seed=0), fit(groups, seed=0)
    assert np.allclose(first.weights, second.weights)
    report = cross_validate(groups, folds=3, seed=0)
    assert set(report) == {"hand", "learned"} and report["learned"]["n"] == len(groups)
    assert cross_validate(groups, folds=3, seed=0) == report  # the folds are seeded
    assert 0.0 <= report["learned"]["hit@1"] <= report["learned"]["hit@5"] <= 1.0


def test_ranker_train_command_writes_weights_that_the_bot_loads(corpus_settings, tmp_path: Path):
    from bot.core.rank import FEATURES, Ranker

    out = tmp_path / "ranker.json"
    result = run_cli(corpus_settings, "ranker", "train", str(LABELLED), "--folds", "3", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "learned" in result.stdout and "hand" in result.stdout
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert list(saved["features"]) == list(FEATURES)
    assert saved["report"]["cross_validation"]["learned"]["n"] == saved["report"]["groups"]
    assert Ranker.load(out).weights == tuple(saved["features"].values())
