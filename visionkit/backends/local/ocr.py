"""Text (OCR) for the local backend: RapidOCR's PP-OCR models run by ONNX Runtime.

Nothing here is imported until an analysis asks for ``text``: ``import
visionkit`` and every other local feature leave ``rapidocr`` and
``onnxruntime`` unloaded (``tests/test_import_graph.py``). The engine is built
once per process, on first use, behind a lock, and shared by every
:class:`~visionkit.backends.local.LocalAnalyzer`; building it loads three ONNX
models (about 1 s). Calls are serialised on a second lock: RapidOCR's
``__call__`` writes its settings object in place, so two threads in one engine
could see each other's settings, and ONNX Runtime already spreads one image
over every core.

Offline by construction: the engine is given the paths of the three models
the pinned wheel ships (``rapidocr==3.10.0``: PP-OCRv6 small detector and
recogniser, the v2.0 mobile angle classifier). Given a path, RapidOCR opens
that file and never looks for a download; without one it checks a
download list and fetches whatever it cannot find under the right checksum.
A missing file is a :class:`~visionkit.errors.ModelError` here, never a
download attempt.

The conversion of RapidOCR's answer into :class:`~visionkit.results.TextLine`
values, and the filter for what OCR "reads" on photos without text, are pure
functions in :mod:`.ocr_layout`.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from visionkit.backends.local.ocr_layout import RawLine, convert, raw_lines
from visionkit.errors import MissingDependencyError, ModelError
from visionkit.results import AnalysisResult, TextLine

RAPIDOCR_VERSION = "3.10.0"
"""The rapidocr release the ``ocr`` extra pins: its wheel carries the model files below."""

MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}
"""The models RapidOCR's default settings choose, as the pinned wheel ships them
(``rapidocr/models/``); the recogniser carries its character list inside."""

CLS_THRESHOLD = 0.99
"""How sure the angle classifier must be before a line is read upside down (RapidOCR: 0.9)."""

_build_lock = threading.Lock()
_run_lock = threading.Lock()
_engine: Any = None


def engine() -> Any:
    """The process's one RapidOCR engine, built on first use."""
    global _engine
    with _build_lock:
        if _engine is None:
            _engine = _build()
        return _engine


def _build() -> Any:
    try:
        import onnxruntime  # noqa: F401  (RapidOCR imports it only when a model loads)
        import rapidocr
    except ImportError as exc:
        raise MissingDependencyError(
            "The local backend's 'text' feature (OCR)",
            module=exc.name or "rapidocr",
            extra="ocr",
        ) from exc
    models = Path(rapidocr.__file__).resolve().parent / "models"
    missing = [name for name in MODEL_FILES.values() if not (models / name).is_file()]
    if missing:
        raise ModelError(
            f"rapidocr {_installed_version()} has no {', '.join(missing)} under {models}; "
            f"visionkit reads text with the models rapidocr=={RAPIDOCR_VERSION} ships and never "
            "downloads any. Install it with: pip install 'visionkit[ocr]'"
        )
    # The angle classifier turns a line over when it is this sure the line is upside
    # down: at RapidOCR's 0.9 it turned a plain upright line of scikit-image's page over
    # and read it as garbage; at 0.99 that line reads, no other measured upright image
    # changes, and fewer upside-down lines are turned back (docs/local-ocr.md).
    params: dict[str, Any] = {"Global.log_level": "error", "Cls.cls_thresh": CLS_THRESHOLD}
    params.update({f"{task}.model_path": str(models / name) for task, name in MODEL_FILES.items()})
    try:
        return rapidocr.RapidOCR(params=params)
    except Exception as exc:  # a corrupt model file, an ONNX Runtime that cannot load it
        raise ModelError(f"RapidOCR could not load its models from {models}: {exc}") from exc


def _installed_version() -> str:
    try:
        return version("rapidocr")
    except PackageNotFoundError:
        return "(version unknown)"


def read_raw(pixels: Image.Image) -> list[RawLine]:
    """Every line RapidOCR reads in ``pixels`` (RGB), before the junk filter.

    RapidOCR reads a NumPy array as OpenCV does, in BGR order, hence the flip.
    """
    ocr = engine()
    bgr = np.ascontiguousarray(np.asarray(pixels.convert("RGB"))[:, :, ::-1])
    with _run_lock:
        output = ocr(bgr, return_word_box=True)
    return raw_lines(output)


def read_text(pixels: Image.Image) -> tuple[tuple[TextLine, ...], dict[str, Any]]:
    """The lines of text in ``pixels``, in its pixel coordinates, junk dropped, and
    what ``raw["ocr"]`` records (engine, models, lines read, dropped, words derived).

    ``pixels`` is the decoded image at full resolution, EXIF orientation
    applied (:class:`~visionkit.images.LoadedImage`), so polygons land on the
    pixels the caller sees.
    """
    raw = read_raw(pixels)
    lines, counts = convert(raw, pixels.width, pixels.height)
    return lines, {
        "engine": f"rapidocr {_installed_version()}",
        "models": list(MODEL_FILES.values()),
        **counts,
    }


def with_text(result: AnalysisResult, pixels: Image.Image) -> AnalysisResult:
    """``result`` with the ``text`` of ``pixels`` and its ``raw["ocr"]`` record."""
    lines, record = read_text(pixels)
    return replace(result, text=lines, raw={**(result.raw or {}), "ocr": record})


def reset() -> None:
    """Forget the engine (tests; frees its memory once no analysis holds it)."""
    global _engine
    with _build_lock:
        _engine = None


__all__ = [
    "CLS_THRESHOLD",
    "MODEL_FILES",
    "RAPIDOCR_VERSION",
    "engine",
    "read_raw",
    "read_text",
    "reset",
    "with_text",
]
