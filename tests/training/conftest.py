"""Small real datasets for the training tests, built from the shared CIFAR-10 JPEGs.

The tests copy a few images per class into temporary folders instead of
loading all 60,000: decoding them all takes ~30 s, and the layouts under test
(split folders, class folders, python batches) are built from the same files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


def copy_cifar_subset(cifar10_dir: Path, dest: Path, per_class: dict[str, int]) -> Path:
    """Copy the first ``n`` images of every class of each split into ``dest/<split>/<class>/``."""
    for split, n in per_class.items():
        for name in CLASSES:
            target = dest / split / name
            target.mkdir(parents=True)
            for src in sorted((cifar10_dir / split / name).glob("*.jpg"))[:n]:
                shutil.copy(src, target / src.name)
    return dest


@pytest.fixture(scope="session")
def small_cifar(cifar10_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Split folders with 40 training and 10 test images per class (real CIFAR-10 JPEGs)."""
    return copy_cifar_subset(
        cifar10_dir, tmp_path_factory.mktemp("small_cifar"), {"train": 40, "test": 10}
    )


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A decode cache private to the test session, so tests never touch ~/.cache."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def small_cifar_images(small_cifar: Path, cache: Path):
    """The 400 training images of :func:`small_cifar` as a uint8 array."""
    from visionkit.training.data import load_dataset

    return load_dataset(small_cifar, cache=cache).train.images


@pytest.fixture(scope="session")
def tiny_run(small_cifar: Path, cache: Path, tmp_path_factory: pytest.TempPathFactory):
    """A real (tiny) training run: ``tutorial`` on 400 images for 3 epochs.

    Returns the :class:`~visionkit.training.train.TrainingResult`, the dataset and
    the progress lines. Shared by the training, evaluation and export tests because
    it is the slowest thing they need (~20 s on two cores).
    """
    pytest.importorskip("tensorflow")
    from visionkit.training.data import load_dataset
    from visionkit.training.train import train

    data = load_dataset(small_cifar, cache=cache)
    lines: list[str] = []
    out = tmp_path_factory.mktemp("tiny_run") / "tiny.keras"
    result = train(
        data, "tutorial", epochs=3, batch_size=32, out=out, seed=0, progress=lines.append
    )
    return result, data, lines
