"""Local text (OCR): RapidOCR on real photos, the junk filter, laziness and the missing extra.

The photos with text are real: ``achtung.jpg`` (in this repository, with Azure's
published OCR answer "ACHTUNG"), the whiteboard photo of the Azure fixtures (Azure's
published Read answer, handwriting) and scikit-image's ``page``. No synthetic text
image is drawn. Tests that run the model skip, with the reason, when the ``ocr``
extra is not installed; the pure conversion and the error for a missing extra run
everywhere.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from visionkit import analyze
from visionkit.backends.local import LocalAnalyzer, ocr
from visionkit.backends.local.ocr_layout import (
    JUNK_MIN_CONFIDENCE,
    RawLine,
    RawWord,
    convert,
    is_junk,
    raw_lines,
    split_line,
)
from visionkit.errors import MissingDependencyError
from visionkit.features import Feature
from visionkit.results import BoundingBox

REPO = Path(__file__).resolve().parents[3]
ACHTUNG = REPO / "tests" / "backends" / "azure" / "fixtures" / "images" / "achtung.jpg"
#: Azure v2.1 OCR on achtung.jpg (OcrImageTest): one word, box "115,223,562,131" (x, y, w, h).
ACHTUNG_AZURE = BoundingBox(115, 223, 562, 131)

needs_rapidocr = pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("rapidocr", "onnxruntime")),
    reason="the 'ocr' extra is not installed: pip install 'visionkit[ocr]'",
)


def _centre_distance(a: BoundingBox, b: BoundingBox) -> float:
    (ax, ay), (bx, by) = a.center, b.center
    return float(np.hypot(ax - bx, ay - by))


def _text(path: Path | Image.Image):
    return analyze(path, backend="local", features=["text"])


# -- what runs without the model -------------------------------------------------------


def test_text_is_supported_but_not_a_default_feature():
    analyzer = LocalAnalyzer()
    assert Feature.TEXT in analyzer.supported_features
    assert Feature.TEXT not in analyzer.resolve_features(None)
    assert analyzer.resolve_features(["text"]) == {Feature.TEXT}


def test_a_missing_extra_names_the_pip_command(monkeypatch, chelsea_png):
    ocr.reset()
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # import rapidocr -> ImportError
    try:
        with pytest.raises(MissingDependencyError, match=r"pip install 'visionkit\[ocr\]'") as e:
            _text(chelsea_png)
        assert e.value.extra == "ocr"
    finally:
        ocr.reset()


def test_a_missing_onnxruntime_names_the_same_pip_command(monkeypatch, chelsea_png):
    ocr.reset()
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # rapidocr there, its runtime not
    try:
        with pytest.raises(MissingDependencyError, match=r"pip install 'visionkit\[ocr\]'") as e:
            _text(chelsea_png)
        assert (e.value.module, e.value.extra) == ("onnxruntime", "ocr")
    finally:
        ocr.reset()


def test_import_and_a_default_local_analysis_load_no_ocr_library(chelsea_png):
    probe = (
        "import json, sys, visionkit\n"
        f"visionkit.analyze({str(chelsea_png)!r}, backend='local')\n"
        "print(json.dumps(sorted(m for m in ('rapidocr', 'onnxruntime', 'cv2') "
        "if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_junk_rule_on_short_lines():
    def line(text: str, score: float) -> RawLine:
        return RawLine(text, score, ((0, 0), (10, 0), (10, 5), (0, 5)), None)

    assert is_junk(line("X", 0.949))  # seen on a text-free photo of an aardvark
    assert is_junk(line("0000", 0.799))
    assert is_junk(line("--", 1.0))  # no letter or digit at all
    assert not is_junk(line("3", 0.9998))  # a go-kart's race number
    assert not is_junk(line("WEST", JUNK_MIN_CONFIDENCE))
    assert not is_junk(line("davpog", 0.6))  # five or more characters: RapidOCR's own 0.5 rules


def test_rapidocr_output_maps_to_clipped_lines_with_words():
    output = SimpleNamespace(
        txts=("Two words", "X"),
        scores=(0.93, 0.5),
        boxes=np.array([[[-4, 10], [104, 10], [104, 30], [-4, 30]],
                        [[0, 0], [5, 0], [5, 5], [0, 5]]]),
        word_results=(
            (("Two", 0.9, [[0, 10], [40, 10], [40, 30], [0, 30]]),
             ("words", 1.2, [[50, 10], [104, 10], [104, 30], [50, 30]])),
            (("X", 0.5, [[0, 0], [5, 0], [5, 5], [0, 5]]),),
        ),
    )  # fmt: skip
    lines, counts = convert(raw_lines(output), width=100, height=50)
    assert counts == {"lines_read": 2, "junk_dropped": 1, "words_derived": 0}
    (line,) = lines
    assert line.text == "Two words" and line.confidence == 0.93
    assert line.polygon == ((0.0, 10.0), (100.0, 10.0), (100.0, 30.0), (0.0, 30.0))
    assert [w.text for w in line.words] == ["Two", "words"]
    assert [w.confidence for w in line.words] == [0.9, 1.0]  # clamped into [0, 1]
    assert line.words[1].box == BoundingBox(50, 10, 50, 20)


def test_words_are_split_from_the_line_only_when_rapidocr_gives_none():
    polygon = ((0.0, 0.0), (90.0, 0.0), (90.0, 10.0), (0.0, 10.0))
    words = split_line(polygon, "ab cdefg", 0.8)
    assert [w.text for w in words] == ["ab", "cdefg"]
    assert words[0].polygon == ((0.0, 0.0), (22.5, 0.0), (22.5, 10.0), (0.0, 10.0))
    assert words[1].polygon[0] == (33.75, 0.0) and words[1].polygon[1] == (90.0, 0.0)
    mismatched = RawLine("ab cdefg", 0.8, polygon, (RawWord("abX", 0.9, polygon),))
    lines, counts = convert([mismatched], 100, 100)
    assert counts["words_derived"] == 1
    assert [w.text for w in lines[0].words] == ["ab", "cdefg"]


# -- the model on real photos ----------------------------------------------------------


@needs_rapidocr
def test_achtung_reads_the_word_azure_published_where_azure_found_it():
    result = _text(ACHTUNG)
    (line,) = result.text
    assert line.text == "ACHTUNG"
    assert 0.9 <= line.confidence <= 1.0
    (word,) = line.words
    assert word.text == "ACHTUNG" and 0.9 <= word.confidence <= 1.0
    # The sign is tilted: the polygon follows it, so compare centres, not boxes.
    assert _centre_distance(line.box, ACHTUNG_AZURE) < 15
    assert len(line.polygon) == 4
    assert result.raw["ocr"]["engine"].startswith("rapidocr ")


@needs_rapidocr
def test_whiteboard_lines_and_words_agree_with_azure_read(azure_fixtures_dir):
    record = (
        azure_fixtures_dir
        / "pairs/dotnet-sdk-sessionrecords-2019/VisionBatchReadFileTests"
        / "BatchReadFileInStreamTest.json"
    )
    body = json.loads(json.loads(record.read_text(encoding="utf-8"))["Entries"][-1]["ResponseBody"])
    azure_lines = body["recognitionResults"][0]["lines"]
    result = _text(azure_fixtures_dir / "images/dotnet-sdk-testimages/whiteboard.jpg")
    assert [line.text.lower() for line in result.text] == [
        line["text"].lower() for line in azure_lines
    ]
    for local, theirs in zip(result.text, azure_lines, strict=True):
        assert [w.text.lower() for w in local.words] == [w["text"] for w in theirs["words"]]
        for word, azure_word in zip(local.words, theirs["words"], strict=True):
            flat = azure_word["boundingBox"]
            box = BoundingBox.from_polygon(tuple(zip(flat[0::2], flat[1::2], strict=True)))
            # Local word boxes take the height of their (tilted) line; Azure's hug the ink.
            # So: Azure's word centre lies inside ours, and the two span the same columns.
            cx, cy = box.center
            assert word.box.x <= cx <= word.box.x2 and word.box.y <= cy <= word.box.y2
            overlap = min(word.box.x2, box.x2) - max(word.box.x, box.x)
            span = max(word.box.x2, box.x2) - min(word.box.x, box.x)
            assert overlap / span > 0.6, (word.text, word.box, box)
            assert 0.0 <= word.confidence <= 1.0


@needs_rapidocr
def test_page_reads_its_heading_first(skimage_data_dir):
    result = _text(skimage_data_dir / "page.png")
    assert result.text[0].text == "Region-based segmentation"
    assert len(result.text) == 7
    # RapidOCR's angle classifier at its own 0.9 turns this upright line over (ocr.CLS_THRESHOLD)
    assert result.text[4].text == "the markers are found at the two extreme parts of the"


@pytest.mark.parametrize("name", ["astronaut.png", "coffee.png", "chelsea.png", "camera.png"])
@needs_rapidocr
def test_no_text_on_text_free_photos(skimage_data_dir, name):
    result = _text(skimage_data_dir / name)
    assert result.text == ()
    assert result.raw["ocr"]["junk_dropped"] == result.raw["ocr"]["lines_read"]


@needs_rapidocr
def test_polygons_are_in_the_pixels_after_exif_orientation(tmp_path):
    upright = Image.open(ACHTUNG).convert("RGB")
    # Store the photo turned 90 degrees with an EXIF tag saying "turn it back" (6).
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = tmp_path / "achtung-exif6.jpg"
    upright.transpose(Image.Transpose.ROTATE_90).save(stored, quality=95, exif=exif)
    turned = _text(stored)
    (expected,) = _text(upright).text
    (line,) = turned.text
    assert line.text == "ACHTUNG"
    assert _centre_distance(line.box, expected.box) < 8
    assert line.box.iou(expected.box) > 0.85


@needs_rapidocr
def test_a_large_photo_is_read_at_full_size():
    small = Image.open(ACHTUNG).convert("RGB")
    large = small.resize((small.width * 3, small.height * 3), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    large.save(buffer, format="JPEG", quality=92)
    (line,) = _text(buffer.getvalue()).text
    (reference,) = _text(small).text
    assert line.text == "ACHTUNG"
    # The detector draws a slightly different quadrilateral at another scale, so check
    # where the line is and how big, in the large photo's pixels (a reduced decode fails).
    cx, cy = reference.box.center
    assert _centre_distance(line.box, BoundingBox(round(cx * 3), round(cy * 3), 0, 0)) < 40
    assert 2.4 < line.box.width / reference.box.width < 3.8


@needs_rapidocr
def test_threads_share_one_engine_safely():
    pixels = Image.open(ACHTUNG).convert("RGB")
    found: list[tuple[str, ...]] = []

    def read() -> None:
        lines, _ = ocr.read_text(pixels)
        found.append(tuple(line.text for line in lines))

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == [("ACHTUNG",)] * 3
    assert ocr.engine() is ocr.engine()


@needs_rapidocr
def test_ocr_never_opens_a_socket():
    """The pinned wheel's models load by path: with every connection refused it still reads."""
    probe = (
        "import json, socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError('network disabled by the test')\n"
        "socket.socket.connect = refuse\n"
        "socket.socket.connect_ex = refuse\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "import visionkit\n"
        f"r = visionkit.analyze({str(ACHTUNG)!r}, backend='local', features=['text'])\n"
        "print(json.dumps([line.text for line in r.text]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["ACHTUNG"]
