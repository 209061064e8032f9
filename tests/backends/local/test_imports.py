"""Inference stands on its own: training imports the local backend, never the reverse.

Each check runs in a fresh interpreter, since this test session has long
imported TensorFlow and the training package for other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

PROBE = """
import json, sys
import numpy as np
from PIL import Image
import skimage
import visionkit.backends.local
from visionkit.backends.local.classifier import ImageClassifier

clf = ImageClassifier.load({path!r})
probs = clf.predict([Image.fromarray(skimage.data.chelsea())])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {{"tensorflow", "keras"}}
                or m.startswith("visionkit.training"))
print(json.dumps({{"top": clf.class_names[int(np.argmax(probs[0]))], "loaded": loaded}}))
"""


def probe(model: str | None) -> dict[str, object]:
    """Load ``model`` and classify chelsea in a new interpreter; what it imported."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(path=model)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_shipped_tflite_runs_without_tensorflow_or_training() -> None:
    result = probe(None)
    assert result["top"] == "cat"
    assert result["loaded"] == []


def test_keras_model_loads_without_the_training_package() -> None:
    pytest.importorskip("tensorflow")
    result = probe(str(REPO / "visionkit" / "models" / "cifar10-default.keras"))
    assert result["top"] == "cat"
    loaded = result["loaded"]
    assert isinstance(loaded, list)
    assert not [m for m in loaded if m.startswith("visionkit.training")]
    assert "keras" in loaded  # the .keras path does need Keras: the check above is not vacuous
