"""A tiny real training run end to end: it learns, saves, documents itself and resumes."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from visionkit.backends.local.keras_model import head_of, load_keras_model
from visionkit.backends.local.views import DEFAULT_POLICY
from visionkit.errors import ConfigError
from visionkit.training.architectures import ARCHITECTURES
from visionkit.training.card import card_paths
from visionkit.training.evaluate import evaluate
from visionkit.training.train import checkpoint_dir, train


def test_loss_falls_over_the_run(tiny_run):
    result, _, lines = tiny_run
    card = json.loads(result.card_json.read_text())
    losses = [row["loss"] for row in card["training"]["history"]]

    assert len(losses) == 3
    assert losses[-1] < losses[0]
    assert any(line.startswith("epoch 3/3") for line in lines)


def test_saved_model_reloads_with_class_names_and_same_predictions(tiny_run):
    result, data, _ = tiny_run
    model = load_keras_model(result.model_path)

    assert head_of(model).class_names == data.class_names
    assert head_of(model).views is DEFAULT_POLICY
    report = evaluate(result.model_path, data)
    assert report.accuracy == pytest.approx(result.report.accuracy)
    np.testing.assert_array_equal(report.confusion, result.report.confusion)
    assert float(np.asarray(head_of(model).temperature)) == pytest.approx(result.temperature)


def test_model_card_has_the_evidence(tiny_run):
    result, data, _ = tiny_run
    json_path, md_path, png_path = card_paths(result.model_path)
    card = json.loads(json_path.read_text())

    assert card["class_names"] == list(data.class_names)
    assert card["data"]["digest"] == data.digest
    assert card["architecture"]["name"] == "tutorial"
    assert card["evaluation"]["accuracy_tta"] == pytest.approx(result.report.accuracy)
    assert np.asarray(card["evaluation"]["confusion_matrix"]).sum() == len(data.test)
    assert set(card["calibration"]) >= {"temperature", "ece_before", "ece_after"}
    assert card["machine"]["cores"] >= 1
    assert png_path.read_bytes().startswith(b"\x89PNG")
    assert card["evaluation"]["views"] == DEFAULT_POLICY.name
    assert f"test accuracy, {DEFAULT_POLICY.label} (as shipped)" in md_path.read_text()


def test_report_reads_well(tiny_run):
    result, data, _ = tiny_run
    text = str(result.report)

    assert f"accuracy ({DEFAULT_POLICY.label})" in text
    assert all(name in text for name in data.class_names)


def test_resume_after_the_last_epoch_reproduces_the_model(tiny_run):
    result, data, _ = tiny_run
    assert sorted(p.name for p in checkpoint_dir(result.model_path).glob("*.npz")) == [
        "epoch-002.npz",
        "epoch-003.npz",
    ]
    before = json.loads(result.card_json.read_text())["evaluation"]["confusion_matrix"]

    again = train(
        data,
        "tutorial",
        epochs=3,
        batch_size=32,
        out=result.model_path,
        resume=True,
        progress=lambda _: None,
    )

    assert again.report.confusion.tolist() == before
    assert "resumed after epoch 3; the last process took" in again.card_markdown.read_text()


def resume_tiny_run(tiny_run, seed: int) -> None:
    """Resume the tiny run's checkpoints as ``tutorial`` with ``seed``."""
    result, data, _ = tiny_run
    train(
        data,
        "tutorial",
        epochs=3,
        batch_size=32,
        seed=seed,
        out=result.model_path,
        resume=True,
        progress=lambda _: None,
    )


def test_resume_refuses_a_checkpoint_from_another_run(tiny_run):
    with pytest.raises(ConfigError, match="different run"):
        resume_tiny_run(tiny_run, seed=1)


def test_resume_refuses_a_checkpoint_trained_with_another_recipe(tiny_run, monkeypatch):
    # Same name, seed and epochs, but the recipe changed (as when weight decay
    # started going through momentum): mixing the two would be neither run.
    tutorial = ARCHITECTURES["tutorial"]
    changed = replace(tutorial, recipe=replace(tutorial.recipe, learning_rate=2e-3))
    monkeypatch.setitem(ARCHITECTURES, "tutorial", changed)
    with pytest.raises(ConfigError, match="different run"):
        resume_tiny_run(tiny_run, seed=0)
