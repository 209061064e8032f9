"""Dataset loaders: the three layouts, the decode cache, resizing, and the errors."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.training.conftest import CLASSES
from visionkit.backends.local.classifier import fit_to_square
from visionkit.errors import ConfigError
from visionkit.training.data import (
    DATA_DIR_ENV,
    DatasetError,
    load_dataset,
    resolve_data_dir,
)


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def test_split_folders_decode_real_cifar_images(small_cifar, cache):
    data = load_dataset(small_cifar, cache=cache)

    assert data.layout == "split-folders"
    assert data.class_names == CLASSES
    assert data.train.images.shape == (400, 32, 32, 3)
    assert data.train.images.dtype == np.uint8
    assert data.test.images.shape == (100, 32, 32, 3)
    assert np.bincount(data.train.labels).tolist() == [40] * 10
    first_cat = sorted((small_cifar / "train" / "cat").glob("*.jpg"))[0]
    np.testing.assert_array_equal(data.train.images[3 * 40], _pixels(first_cat))
    assert len(data.digest) == 64


def test_second_load_comes_from_the_cache_and_matches(small_cifar, cache):
    first = load_dataset(small_cifar, cache=cache)
    cached = list(cache.glob("*.npz"))
    assert cached, "the first load should have written a cache file"

    second = load_dataset(small_cifar, cache=cache)

    np.testing.assert_array_equal(first.train.images, second.train.images)
    np.testing.assert_array_equal(first.test.labels, second.test.labels)
    assert first.digest == second.digest


def test_digest_changes_when_a_file_is_added(small_cifar, tmp_path, cache):
    copy = shutil.copytree(small_cifar, tmp_path / "copy")
    before = load_dataset(copy, cache=cache).digest
    extra = next((copy / "train" / "dog").glob("*.jpg"))
    shutil.copy(extra, extra.with_name("extra.jpg"))

    after = load_dataset(copy, cache=cache)

    assert after.digest != before
    assert len(after.train) == 401


def test_cifar_python_batches_in_the_official_format(small_cifar, tmp_path, cache):
    source = load_dataset(small_cifar, cache=cache)
    batch_dir = tmp_path / "cifar-10-batches-py"
    batch_dir.mkdir()

    def write(name: str, images: np.ndarray, labels: np.ndarray) -> None:
        rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)  # channel-first rows
        batch = {b"batch_label": name.encode(), b"labels": labels.tolist(), b"data": rows}
        with (batch_dir / name).open("wb") as f:
            pickle.dump(batch, f)

    for i in range(5):
        part = slice(80 * i, 80 * (i + 1))
        write(f"data_batch_{i + 1}", source.train.images[part], source.train.labels[part])
    write("test_batch", source.test.images, source.test.labels)
    with (batch_dir / "batches.meta").open("wb") as f:
        pickle.dump({b"label_names": [n.encode() for n in CLASSES]}, f)

    data = load_dataset(tmp_path, cache=cache)  # found in the cifar-10-batches-py sub-folder

    assert data.layout == "cifar-python"
    assert data.class_names == CLASSES
    np.testing.assert_array_equal(data.train.images, source.train.images)
    np.testing.assert_array_equal(data.train.labels, source.train.labels)
    np.testing.assert_array_equal(data.test.images, source.test.images)


def test_class_folders_hold_out_a_seeded_stratified_share(small_cifar, cache):
    folders = small_cifar / "train"  # one sub-folder per class, no split

    a = load_dataset(folders, validation_share=0.25, seed=1, cache=cache)
    b = load_dataset(folders, validation_share=0.25, seed=1, cache=cache)
    c = load_dataset(folders, validation_share=0.25, seed=2, cache=cache)

    assert a.layout == "class-folders"
    assert np.bincount(a.test.labels).tolist() == [10] * 10
    assert np.bincount(a.train.labels).tolist() == [30] * 10
    np.testing.assert_array_equal(a.test.images, b.test.images)
    assert not np.array_equal(a.test.images, c.test.images)
    # the two shares partition the folder: no image is in both
    train_rows = {img.tobytes() for img in a.train.images}
    assert not any(img.tobytes() in train_rows for img in a.test.images)


def test_photos_of_other_sizes_are_fitted_like_at_inference(
    chelsea_png, rocket_jpg, tmp_path, cache
):
    for name, photo in (("cat", chelsea_png), ("rocket", rocket_jpg)):
        (tmp_path / name).mkdir()
        for i in range(2):
            shutil.copy(photo, tmp_path / name / f"{i}{photo.suffix}")

    data = load_dataset(tmp_path, image_size=32, validation_share=0.5, cache=cache)

    assert data.class_names == ("cat", "rocket")
    with Image.open(chelsea_png) as img:
        expected = np.asarray(fit_to_square(img, 32))
    cat_rows = np.concatenate([data.train.images[data.train.labels == 0]])
    np.testing.assert_array_equal(cat_rows[0], expected)


def test_errors_say_what_is_wrong(tmp_path, monkeypatch, cache):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    with pytest.raises(DatasetError, match=DATA_DIR_ENV):
        resolve_data_dir(None)
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(tmp_path / "nowhere", cache=cache)

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DatasetError, match="has no images"):
        load_dataset(tmp_path, cache=cache)

    (tmp_path / "b" / "y.jpg").write_bytes(b"not a jpeg either")
    (tmp_path / "a" / "z.jpg").write_bytes(b"still not a jpeg")
    (tmp_path / "b" / "w.jpg").write_bytes(b"nope")
    with pytest.raises(DatasetError, match=r"Cannot decode training image .*\.jpg"):
        load_dataset(tmp_path, cache=cache)
    assert issubclass(DatasetError, ConfigError)


def test_environment_variable_names_the_data(small_cifar, monkeypatch, cache):
    monkeypatch.setenv(DATA_DIR_ENV, str(small_cifar))
    assert load_dataset(cache=cache).source == str(small_cifar)
