"""Cache keys: content decides, every answer-changing input counts, no secret leaks."""

from __future__ import annotations

import hashlib
import io
import sqlite3

import numpy as np
import pytest
from PIL import Image

from visionkit.backends.azure.options import AzureOptions
from visionkit.backends.local.analyzer import LocalOptions
from visionkit.cache.keys import cache_key, image_digest, options_fingerprint
from visionkit.cache.store import ResultCache
from visionkit.features import Feature
from visionkit.options import Secret
from visionkit.results import AnalysisResult

KEY = "3f6c0a1e9b7d4c2a8e5f1b0d7a6c9e21"
AZURE = AzureOptions(endpoint="https://res.cognitiveservices.azure.com/", key=Secret(KEY))
TAGS = frozenset({Feature.TAGS})


def key_for(digest="bytes:abc", backend="azure", options=AZURE, features=TAGS, version="1"):
    return cache_key(digest, backend=backend, options=options, features=features, version=version)


def test_the_same_bytes_give_the_same_digest_whatever_the_file_is_called(tmp_path, chelsea_png):
    data = chelsea_png.read_bytes()
    copy = tmp_path / "renamed.png"
    copy.write_bytes(data)
    assert image_digest(chelsea_png)[0] == image_digest(copy)[0] == image_digest(data)[0]
    assert image_digest(str(copy))[0] == image_digest(bytearray(data))[0]


def test_a_stream_is_read_once_and_its_bytes_handed_on(chelsea_png):
    data = chelsea_png.read_bytes()
    digest, image = image_digest(io.BytesIO(data))
    assert digest == image_digest(data)[0] and image == data


def test_pixels_and_arrays_are_keyed_by_content_and_shape():
    array = np.zeros((4, 6, 3), dtype=np.uint8)
    assert image_digest(array)[0] == image_digest(array.copy())[0]
    assert image_digest(array)[0] != image_digest(array.reshape(6, 4, 3))[0]
    img = Image.fromarray(array)
    assert image_digest(img)[0] == image_digest(Image.fromarray(array.copy()))[0]
    assert image_digest(img)[0] != image_digest(img.convert("L"))[0]


def test_large_pixels_are_hashed_a_strip_at_a_time_to_the_same_key(chelsea_png):
    photo = np.asarray(Image.open(chelsea_png).convert("RGB"))
    tall = np.concatenate([photo] * 3)  # 900 rows: several 256-row strips
    whole = f"{tall.dtype.str}:{tall.shape}:".encode() + tall.tobytes()
    assert image_digest(tall)[0] == "array:" + hashlib.sha256(whole).hexdigest()
    img = Image.fromarray(tall)
    pixels = f"RGB:{img.width}x{img.height}:".encode() + img.tobytes()
    assert image_digest(img)[0] == "pixels:" + hashlib.sha256(pixels).hexdigest()


def test_images_the_loader_would_refuse_are_not_hashed():
    # A broadcast view of 4.8 GB (3 bytes of memory): hashing would copy it all first.
    view = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (40_000, 40_000, 3))
    assert image_digest(view) == (None, view)
    strip = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (1, 70_000, 3))  # over max_side
    assert image_digest(strip)[0] is None
    assert image_digest(np.zeros(10, np.uint8))[0] is None  # not an image shape at all
    big = Image.new("L", (10_000, 9_000))  # 90 megapixels, over max_pixels
    assert image_digest(big)[0] is None


def test_urls_and_unreadable_paths_are_not_keyed(tmp_path):
    assert image_digest("https://example.com/cat.jpg?sig=secret")[0] is None
    assert image_digest(tmp_path / "missing.jpg")[0] is None


@pytest.mark.parametrize(
    "change",
    [
        {"digest": "bytes:other"},
        {"backend": "local"},
        {"features": frozenset({Feature.TAGS, Feature.COLORS})},
        {
            "options": AzureOptions(
                endpoint=AZURE.endpoint, key=AZURE.key, model_version="2021-04-01"
            )
        },
        {"options": AzureOptions(endpoint=AZURE.endpoint, key=AZURE.key, language="es")},
        {"version": "2"},
    ],
)
def test_anything_that_can_change_the_answer_changes_the_key(change):
    assert key_for(**change) != key_for()


def test_the_key_and_delivery_settings_do_not_change_the_key():
    other = AzureOptions(
        endpoint=AZURE.endpoint, key=Secret("another key"), timeout_s=99, max_retries=0
    )
    assert key_for(options=other) == key_for()


def test_features_are_keyed_as_a_set():
    assert key_for(features=frozenset({Feature.COLORS, Feature.TAGS})) == key_for(
        features=frozenset({Feature.TAGS, Feature.COLORS})
    )


def test_no_secret_appears_in_the_fingerprint_or_in_the_cache_file(tmp_path):
    fingerprint = options_fingerprint(AZURE)
    assert "key" not in fingerprint and KEY not in repr(fingerprint)
    path = tmp_path / "c.sqlite3"
    cache = ResultCache(path)
    cache.put(key_for(), AnalysisResult(backend="azure"))
    cache.close()
    for file in tmp_path.iterdir():
        assert KEY.encode() not in file.read_bytes()
    with sqlite3.connect(path) as conn:
        (stored_key,) = conn.execute("SELECT key FROM results").fetchone()
    assert stored_key == key_for() and len(stored_key) == 64


def test_a_model_file_contributes_its_size_and_time_so_retraining_starts_afresh(tmp_path):
    model = tmp_path / "model.tflite"
    model.write_bytes(b"v1")
    before = key_for(backend="local", options=LocalOptions(model=model))
    model.write_bytes(b"version 2")
    assert key_for(backend="local", options=LocalOptions(model=model)) != before
