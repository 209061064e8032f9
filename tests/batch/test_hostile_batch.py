"""Issue 13 through analyze_many: one hostile input is one failed item, never the run's end.

The same hostile inputs go through the local backend and through the Google
and AWS backends, whose services respx answers (hand-made minimal answers:
only the image side, reading, decoding and preparing the upload, is under
test). Every input is generated here; nothing touches the network.
"""

from __future__ import annotations

import array
import io
import json
import logging
import os
import struct
import zlib

import httpx
import numpy as np
import pytest
from PIL import Image

from visionkit.batch import analyze_many, analyze_many_async
from visionkit.errors import ConfigError, InvalidImageError

GOOGLE = "https://vision.googleapis.com/v1/images:annotate"
AWS = "https://rekognition.eu-west-1.amazonaws.com/"
SECRET = "s3cret-in-the-url"


class _Path(os.PathLike):  # type: ignore[type-arg]
    """A path object whose ``__fspath__`` returns ``value``, or raises it."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __fspath__(self):  # type: ignore[no-untyped-def]
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


class _BrokenRead:
    def read(self, size: int = -1) -> bytes:
        raise RuntimeError("disk on fire")


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def _scan_bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (128, 128, 128)).save(buffer, "JPEG", progressive=True)
    data = buffer.getvalue()
    last = data.rindex(b"\xff\xda")
    return data[:-2] + data[last:-2] * 200 + b"\xff\xd9"


def _hostile(tmp_path) -> list[object]:
    released = memoryview(b"released")
    released.release()
    closed = (tmp_path / "closed.png").open("wb")
    closed.close()
    return [
        _Path(42),
        released,
        _Path(ValueError("no path today")),
        closed,
        _BrokenRead(),
        _png_claiming(89_000_000, 1),
        np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (1, 20_000_000, 3)),
        "/dev/zero",
        str(tmp_path),
        _scan_bomb(),
        f"http://user:{SECRET}@[::1]:99999/x.jpg",
        "http://xn--zz/x.jpg",
        "http://example.com/\x00.jpg",
        None,
    ]


def _inputs(tmp_path, chelsea_png, count: int = 200) -> tuple[list[object], set[int]]:
    """``count`` inputs: the photo's bytes (also as an array.array), hostile ones spread out."""
    photo = chelsea_png.read_bytes()
    inputs: list[object] = [photo if i % 2 else array.array("B", photo) for i in range(count)]
    bad = set()
    for n, hostile in enumerate(_hostile(tmp_path)):
        inputs[7 + n * 13] = hostile
        bad.add(7 + n * 13)
    return inputs, bad


def _google_answer(request: httpx.Request) -> httpx.Response:
    """Hand-made minimal answer: one cat label per image the request carries."""
    images = len(json.loads(request.content)["requests"])
    label = {"description": "Cat", "score": 0.9, "mid": "/m/01yrx"}
    return httpx.Response(200, json={"responses": [{"labelAnnotations": [label]}] * images})


def _aws_answer(request: httpx.Request) -> httpx.Response:
    """Hand-made minimal DetectLabels answer."""
    label = {"Name": "Cat", "Confidence": 90.0, "Instances": [], "Parents": []}
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "hand-made"}
    return httpx.Response(200, headers=headers, json={"Labels": [label]})


@pytest.fixture
def no_aws_environment(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


BACKENDS = {
    "local": {},
    "google": {"api_key": "AIzaSyD-visionkit-test-key-0123456789ab"},
    "aws": {
        "region": "eu-west-1",
        "access_key_id": "AKIAVKFAKE0000000000",
        "secret_access_key": "vkfake/secret-access-key-0000000000",
    },
}


@pytest.mark.parametrize("cache", [False, True], ids=["uncached", "cached"])
@pytest.mark.parametrize("backend", ["local", "google", "aws"])
def test_200_inputs_with_hostile_ones_keep_every_other_result(
    backend, cache, tmp_path, chelsea_png, respx_mock, no_aws_environment, caplog
):
    respx_mock.post(GOOGLE).mock(side_effect=_google_answer)
    respx_mock.post(AWS).mock(side_effect=_aws_answer)
    inputs, bad = _inputs(tmp_path, chelsea_png)
    features = ["colors"] if backend == "local" else ["tags"]
    with caplog.at_level(logging.DEBUG):
        run = analyze_many(inputs, features, backend=backend, cache=cache, **BACKENDS[backend])
        items = list(run)
    assert [item.index for item in items] == list(range(200))
    failed = {item.index for item in items if not item.ok}
    assert failed == bad
    # Each is a visionkit error about the input itself: none is an UnexpectedError (a bug).
    assert all(isinstance(items[i].error, InvalidImageError) for i in bad)
    assert run.stats.done == 200 - len(bad) and run.stats.failed == len(bad)
    shown = caplog.text + "".join(str(items[i].error) + items[i].label for i in bad)
    assert SECRET not in shown


def test_an_iterable_that_raises_costs_only_what_it_did_not_give(chelsea_png):
    photo = chelsea_png.read_bytes()

    def images():
        yield from [photo] * 70  # more than one local batch of 64
        raise OSError("the share went away")

    run = analyze_many(images(), ["colors"], backend="local", cache=False)
    got = []
    with pytest.raises(OSError, match="the share went away") as caught:
        got.extend(run)
    assert len(got) == 70 and all(item.ok for item in got)
    assert "after 70 inputs" in caught.value.__notes__[0]


async def test_an_async_iterable_that_raises_costs_only_what_it_did_not_give(chelsea_png):
    photo = chelsea_png.read_bytes()

    async def images():
        for _ in range(3):
            yield photo
        raise ValueError("the queue closed")

    got: list[object] = []

    async def drain() -> None:
        async for item in analyze_many_async(images(), ["colors"], backend="local", cache=False):
            got.append(item)

    with pytest.raises(ValueError, match="the queue closed"):
        await drain()
    assert [item.index for item in got] == [0, 1, 2]


@pytest.mark.parametrize(
    "images", [b"\x89PNG...", "photo.jpg", object()], ids=["bytes", "str", "object"]
)
def test_one_image_or_no_iterable_as_images_is_refused_up_front(images):
    with pytest.raises(ConfigError, match="analyze_many takes an iterable of images"):
        analyze_many(images)
    with pytest.raises(ConfigError, match="analyze_many takes an iterable of images"):
        analyze_many_async(images)


@pytest.mark.parametrize("backend", ["azure", "google"])
def test_malformed_urls_the_service_would_download_are_refused_before_sending(backend, respx_mock):
    azure = respx_mock.post(url__startswith="https://vk.cognitiveservices.azure.com/")
    google = respx_mock.post(GOOGLE)
    options = {
        "azure": {"endpoint": "https://vk.cognitiveservices.azure.com/", "key": "k" * 32},
        "google": {"api_key": "AIzaSyD-visionkit-test-key-0123456789ab", "url_mode": "pass"},
    }[backend]
    urls = [
        f"http://user:{SECRET}@[::1]:99999/x.jpg",
        "http://xn--zz/x.jpg",
        "http://" + "a" * 10_000 + ".com/x.jpg",
    ]
    items = list(analyze_many(urls, ["tags"], backend=backend, cache=False, **options))
    assert all(isinstance(item.error, InvalidImageError) for item in items)
    assert all("is not a valid URL" in str(item.error) for item in items)
    assert SECRET not in "".join(str(item.error) for item in items)
    assert not azure.called and not google.called
