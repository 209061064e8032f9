"""Fixtures for the Google backend: recorded answers, a mocked service, drawn images.

No test here reaches the network: respx intercepts every httpx request and
fails any that no route expects. Retries wait on a :class:`ManualClock`, so
no test sleeps.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from visionkit.backends.google import GoogleAnalyzer
from visionkit.backends.http import ManualClock

FIXTURES = Path(__file__).parent / "fixtures"
ANNOTATE = "https://vision.googleapis.com/v1/images:annotate"
KEY = "AIzaSyD-visionkit-test-key-0123456789ab"

CLOUDY_SIZES: dict[str, tuple[int, int]] = {
    "binoculars.jpg": (3264, 2448),
    "cheering_my_popinlaw.jpg": (1080, 720),
    "collie.jpg": (1200, 1600),
    "drawing_cow1.jpg": (2448, 3264),
    "fruit.jpg": (2448, 3264),
    "marathon.png": (640, 427),
    "mona_lisa.jpg": (604, 900),
    "ship_and_board_games.jpg": (2448, 3264),
}
"""Each cloudy_vision image's size, as the shared fixtures README records it."""


def load(relative: str) -> Any:
    with (FIXTURES / relative).open(encoding="utf-8") as f:
        return json.load(f)


def cloudy(image: str) -> dict[str, Any]:
    """The one AnnotateImageResponse of a cloudy_vision recording."""
    (response,) = load(f"cloudy_vision/{image}.google.json")["responses"]
    return dict(response)


def edenai(name: str) -> dict[str, Any]:
    """An edenai capture's ``original_response`` as an AnnotateImageResponse."""
    original = load(f"edenai/{name}.json")["original_response"]
    if name == "landmark_detection_output":
        return {"landmarkAnnotations": original}
    if name.startswith("explicit_content_output"):
        return {"safeSearchAnnotation": original}
    return dict(original)


def bicycle() -> dict[str, Any]:
    return dict(load("ai4c-readme/bicycle_example.object_detect_google.wrapped.json")["data"][0])


def hand_made(name: str) -> dict[str, Any]:
    return dict(load(f"hand-made/{name}.json"))


def hand_made_response(name: str) -> httpx.Response:
    data = hand_made(name)
    return httpx.Response(data["status"], headers=data["headers"], json=data["body"])


def answer(*responses: dict[str, Any]) -> httpx.Response:
    """An HTTP 200 ``images:annotate`` answer carrying ``responses``."""
    return httpx.Response(200, json={"responses": list(responses)})


def drawn_image(size: tuple[int, int], fmt: str = "PNG", **save: Any) -> bytes:
    """A hand-drawn test image (a gradient) of ``size``, encoded as ``fmt``."""
    width, height = size
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def sent_body(route: Any, call: int = -1) -> dict[str, Any]:
    return dict(json.loads(route.calls[call].request.content))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def analyzer(respx_mock: Any, clock: ManualClock) -> Iterator[GoogleAnalyzer]:
    """An analyzer with an API key; every request it makes must be mocked."""
    with GoogleAnalyzer(api_key=KEY, clock=clock) as google:
        yield google
