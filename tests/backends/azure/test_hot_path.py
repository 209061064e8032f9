"""Where an Azure analysis prepares its upload: small JPEGs and PNGs on the event loop,
anything larger, or of another format, or not a regular file, on a worker thread.

Either way the upload and the result are the same; what changes is only whether a
thread trip (0.2-0.4 ms of CPU, more than preparing a thumbnail) is paid.
"""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path

import httpx
import pytest
from PIL import Image

from visionkit.backends.azure import AzureAnalyzer
from visionkit.backends.azure.analyzer import (
    INLINE_MAX_BYTES,
    INLINE_MAX_PIXELS,
    _cheap_to_prepare,
)
from visionkit.errors import InvalidImageError

from .conftest import ENDPOINT, KEY

TAGS = {
    "tags": [{"name": "cat", "confidence": 0.97}],
    "requestId": "0dbec5ad-a3d3-4f7e-96b4-dfd57efe967d",
    "metadata": {"width": 50, "height": 50, "format": "Jpeg"},
    "modelVersion": "2021-05-01",
}


def _encoded(img: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt)
    return buffer.getvalue()


def _opened(path: Path) -> Image.Image:
    with Image.open(path) as img:
        return img.convert("RGB")


@pytest.fixture
def cifar_cat(cifar10_dir) -> Path:
    return sorted((cifar10_dir / "test" / "cat").glob("*.jpg"))[0]


def test_which_inputs_are_prepared_on_the_loop(cifar_cat, rocket_jpg, chelsea_png, tmp_path):
    small_png = _encoded(_opened(chelsea_png).resize((40, 30)), "PNG")
    white = _encoded(Image.new("RGB", (2000, 2000), "white"), "PNG")  # 4 MP in a few kB
    webp = _encoded(_opened(cifar_cat), "WEBP")
    assert len(white) <= INLINE_MAX_BYTES and INLINE_MAX_PIXELS < 2000 * 2000
    assert cifar_cat.stat().st_size <= INLINE_MAX_BYTES < rocket_jpg.stat().st_size
    assert _cheap_to_prepare(cifar_cat) and _cheap_to_prepare(str(cifar_cat))
    assert _cheap_to_prepare(cifar_cat.read_bytes()) and _cheap_to_prepare(small_png)
    for image in (rocket_jpg, chelsea_png, white, webp, bytearray(small_png), tmp_path):
        assert not _cheap_to_prepare(image)
    assert not _cheap_to_prepare(tmp_path / "missing.jpg")
    assert not _cheap_to_prepare(_opened(cifar_cat))  # decoded pixels: the thread encodes them


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_never_opened_on_the_loop(tmp_path):
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    assert not _cheap_to_prepare(fifo)  # returns at once: opening it would block


def _analyzer(sent: list[bytes]) -> AzureAnalyzer:
    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(200, json=TAGS)

    return AzureAnalyzer(endpoint=ENDPOINT, key=KEY, transport=httpx.MockTransport(answer))


async def test_the_loop_and_the_thread_send_the_same_upload(cifar_cat, rocket_jpg, monkeypatch):
    trips: list[object] = []
    real = asyncio.to_thread

    async def counted(fn, /, *args, **kwargs):
        trips.append(args[0] if args else fn)
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    sent: list[bytes] = []
    analyzer = _analyzer(sent)
    on_loop = await analyzer.analyze_async(cifar_cat, ["tags", "metadata"])
    assert trips == []
    monkeypatch.setattr("visionkit.backends.azure.analyzer.INLINE_MAX_BYTES", 0)
    on_thread = await analyzer.analyze_async(cifar_cat, ["tags", "metadata"])
    assert trips == [cifar_cat]
    assert sent[0] == sent[1] and on_loop == on_thread
    with Image.open(io.BytesIO(sent[0])) as upload:  # a 32x32 photo, scaled up for Azure
        assert (upload.format, upload.size) == ("JPEG", (50, 50))
    assert on_loop.metadata.width == 32 and on_loop.tags[0].name == "cat"
    await analyzer.analyze_async(rocket_jpg, ["tags"])
    assert trips == [cifar_cat, rocket_jpg] and sent[2] == rocket_jpg.read_bytes()
    await analyzer.aclose()


async def test_a_broken_small_file_fails_the_same_way_on_the_loop(tmp_path):
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)  # a JPEG header and nothing else
    assert _cheap_to_prepare(cut)
    analyzer = _analyzer([])
    with pytest.raises(InvalidImageError, match=r"cut\.jpg"):
        await analyzer.analyze_async(cut, ["tags"])
    await analyzer.aclose()


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (f"{ENDPOINT}vision/v3.2/analyze", (("visualFeatures", "Tags,Color"), ("language", "en"))),
        (f"{ENDPOINT}vision/v3.2/read/analyzeResults/e56ffa6e?op=1", ()),
        (f"{ENDPOINT}vision/v3.2/analyze?x=1", (("visualFeatures", "Tags"),)),
    ],
)
def test_a_url_parsed_once_is_the_url_httpx_would_build(url, params):
    from visionkit.backends.azure.analyzer import _parsed_url

    with httpx.Client() as client:
        expected = client.build_request("POST", url, params=params).url
        assert _parsed_url(url, params) == expected
        assert client.build_request("POST", _parsed_url(url, params)).url == expected
    assert _parsed_url(url, params) is _parsed_url(url, params)
