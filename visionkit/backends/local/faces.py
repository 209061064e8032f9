"""Faces for the local backend: OpenCV's Haar cascades, offline, no age or gender.

Nothing here is imported until an analysis asks for ``faces``: ``import
visionkit`` and every other local feature leave ``cv2`` unloaded
(``tests/test_import_graph.py``). The cascades are read once per process, on
first use, behind a lock; detection calls are serialised on a second lock,
since a ``cv2.CascadeClassifier`` keeps per-image state while it scans.

The detectors are the ones ``opencv-python-headless`` 4.x ships in
``cv2/data`` (OpenCV 5 no longer does, hence the ``<5`` pin of the ``faces``
extra): the frontal ``alt2`` cascade on the image, and the profile cascade,
which finds faces turned to one side only, on the image and on its mirror.

How a photo is searched (:func:`detect`):

1. a grey copy, its long side shrunk to at most :data:`DETECT_SIDE` pixels
   (never enlarged), histogram-equalised so dim and flat photos reach the
   cascades' contrast;
2. the frontal pass, and only when it finds nothing the two profile passes, each
   one ``detectMultiScale3`` with ``outputRejectLevels`` so each box comes with
   its last stage's sum (below). The profile passes step through window sizes
   more coarsely and start larger (:data:`PROFILE_SCALE_FACTOR`), so each costs
   about half the frontal pass, and a photo with a frontal face pays about half
   of what a photo without one does; the price of skipping them is that a face
   turned aside beside a frontal one is not looked for
   (:data:`PROFILE_ONLY_WITHOUT_FRONTAL`);
3. boxes of the mirror pass flipped back, then non-maximum suppression over
   all of them: frontal boxes first, then by score, and any box overlapping a
   kept one (:meth:`Candidate.same_face`) is dropped;
4. boxes scaled back to the pixels of the image as given (or to ``frame``, the
   full size of an image the decoder reduced): a
   :class:`~visionkit.images.LoadedImage` has EXIF orientation applied, so they
   land where the caller sees the face.

Confidence. A cascade is a chain of boosted stages; a window is a face when
every stage's sum of weak-classifier votes clears that stage's threshold, and
OpenCV reports the sum of the last stage (``levelWeights``). Its margin over
the last stage's threshold, ``m >= 0``, says how clearly the window passed;
``confidence = 1 - exp(-m / CONFIDENCE_SCALE[cascade])``. It is a monotone
ranking score in [0, 1], not a calibrated probability: true and false faces
overlap on it (``docs/local-faces.md`` gives the measured ranges), so no
threshold on it is applied.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from visionkit.errors import MissingDependencyError, ModelError
from visionkit.results import AnalysisResult, BoundingBox, Face, Tag

FRONTAL = "haarcascade_frontalface_alt2.xml"
PROFILE = "haarcascade_profileface.xml"

DETECT_SIDE = 312
"""Long side of the grey copy the cascades scan. A frontal face narrower than
``MIN_FACE / DETECT_SIDE`` (a 15.6th) of the photo's long side is not found: 256 px at
4000 x 3000, 128 px at 2000 x 1500, 41 px at 632 x 474 (400 px with 24 px faces, before,
stopped at a 16.7th: 240 px at 4000 x 3000). The scan's time grows with this side
squared. From 288 to 352 px (smallest face a sixteenth) the benchmark's totals hardly
moved (93-94 of 102 faces, 7-11 false faces on 469 photos), but single photos flip
with the grid of window positions: at 320 px coins.png gets a false face, at 300 px
satya.jpg's face is lost, and the cameraman's profile is found only at 304-320 px.
312 px is the size where every photo of tests/backends/local/test_faces.py comes out
right; docs/local-faces.md has the measured trade."""

MIN_FACE = 20
"""Smallest frontal face, in pixels of the grey copy: the cascade's own window."""

SCALE_FACTOR = 1.2
"""Step between the frontal window sizes tried (20, 24, 28.8, ... px). Each size is a
scan of the whole copy: on a 312 x 234 copy 1.2 tries 14 sizes where 1.1 tries 26,
and the frontal pass takes about 60% of the time."""

MIN_NEIGHBORS = 1
"""Overlapping raw hits a frontal box needs beyond its own (OpenCV drops groups of
``minNeighbors`` or fewer): 2 hits in all. At scale factor 1.2 a face gathers fewer
hits than at 1.1: with 2 neighbours satya.jpg's face was lost and 91 of 102 reference
faces found (89.2%); with 1, 94, for 9 false faces on 469 face-free photos (3 at 1.1
with 3 neighbours)."""

PROFILE_MIN_FACE = 30
"""Smallest profile face in the grey copy; with :data:`PROFILE_SCALE_FACTOR` the first
window tried is 31 px, a tenth of :data:`DETECT_SIDE` (a 12th before): the profile
scans cost most at the smallest windows, and faces turned aside are seldom tiny."""

PROFILE_SCALE_FACTOR = 1.25
"""Step between the profile window sizes tried (31, 39, 49, ... px). The profile pass
runs twice (image and mirror) on every photo without a frontal face, so it gets the
coarser step, under half the time of 1.1. Which sizes exist decides whether the
cameraman (the tests' one turned face) is found, not a trend: on the 312 px copy 1.1,
1.2 and 1.25 found him, 1.15 and 1.3 did not."""

PROFILE_MIN_NEIGHBORS = 2
"""Overlapping raw hits a profile box needs beyond its own: 3 in all. With 1 the
benchmark's false faces rose from 9 to 11; with 3 the cameraman was lost."""

PROFILE_ONLY_WITHOUT_FRONTAL = True
"""Run the two profile passes only on a photo where the frontal pass found no face.
On the benchmark it changed neither recall (frontal faces) nor false faces (face-free
photos run all three passes anyway) and, when the three passes cost about the same
(scale factor 1.1 for both cascades), cut a photo with people to a third."""

NMS_IOU = 0.3
"""Boxes overlapping a kept box at least this much are the same face."""

NMS_COVER = 0.6
"""...and so is a box this much of whose area lies inside a kept box (a profile box
drawn over part of a frontal one overlaps it at low IoU)."""

CONFIDENCE_SCALE = {FRONTAL: 1.0, PROFILE: 1.0}
"""Margin over the last stage's threshold at which confidence reaches 1 - 1/e."""

PERSON_TAGS = ("person", "face")
"""Tags a found face adds, at the best face's confidence."""


@dataclass(frozen=True, slots=True)
class _Cascade:
    name: str
    classifier: Any
    last_threshold: float


@dataclass(frozen=True, slots=True)
class Candidate:
    """A box one pass found, in the grey copy's pixels, before suppression."""

    x: float
    y: float
    width: float
    height: float
    margin: float
    cascade: str

    @property
    def frontal(self) -> bool:
        return self.cascade == FRONTAL

    def iou(self, other: Candidate) -> float:
        iw = min(self.x + self.width, other.x + other.width) - max(self.x, other.x)
        ih = min(self.y + self.height, other.y + other.height) - max(self.y, other.y)
        inter = max(iw, 0.0) * max(ih, 0.0)
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union > 0 else 0.0

    def same_face(self, other: Candidate) -> bool:
        """Whether two boxes overlap enough to be one face (:data:`NMS_IOU`, :data:`NMS_COVER`)."""
        iw = min(self.x + self.width, other.x + other.width) - max(self.x, other.x)
        ih = min(self.y + self.height, other.y + other.height) - max(self.y, other.y)
        inter = max(iw, 0.0) * max(ih, 0.0)
        smaller = min(self.width * self.height, other.width * other.height)
        return self.iou(other) >= NMS_IOU or (smaller > 0 and inter / smaller >= NMS_COVER)


_build_lock = threading.Lock()
_run_lock = threading.Lock()
_cascades: dict[str, _Cascade] | None = None


def cascades() -> dict[str, _Cascade]:
    """The process's two cascades, read on first use."""
    global _cascades
    with _build_lock:
        if _cascades is None:
            _cascades = _load()
        return _cascades


def _cv2() -> Any:
    try:
        import cv2
    except ImportError as exc:
        raise MissingDependencyError(
            "The local backend's 'faces' feature", module=exc.name or "cv2", extra="faces"
        ) from exc
    return cv2


def _load() -> dict[str, _Cascade]:
    cv2 = _cv2()
    folder = Path(getattr(getattr(cv2, "data", None), "haarcascades", "") or ".")
    loaded = {}
    for name in (FRONTAL, PROFILE):
        path = folder / name
        classifier = cv2.CascadeClassifier(str(path)) if path.is_file() else None
        if classifier is None or classifier.empty():
            raise ModelError(
                f"OpenCV {cv2.__version__} has no usable {name} under {folder}; visionkit finds "
                "faces with the Haar cascades opencv-python-headless 4.x ships (5.x dropped "
                "them). Install it with: pip install 'visionkit[faces]'"
            )
        loaded[name] = _Cascade(name, classifier, _last_stage_threshold(path))
    return loaded


def _last_stage_threshold(path: Path) -> float:
    """The threshold of a cascade file's last stage (both formats OpenCV writes)."""
    text = path.read_text(encoding="utf-8")
    for tag in ("stageThreshold", "stage_threshold"):
        at = text.rfind(f"<{tag}>")
        if at >= 0:
            start = at + len(tag) + 2
            return float(text[start : text.index("<", start)])
    raise ModelError(f"{path} names no stage threshold: not a cascade OpenCV wrote")


def grey_copy(pixels: Image.Image) -> tuple[np.ndarray, float]:
    """The equalised grey copy the cascades scan, and its scale from ``pixels``."""
    cv2 = _cv2()
    grey = pixels.convert("L")
    scale = min(1.0, DETECT_SIDE / max(grey.size))
    if scale < 1.0:
        size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
        grey = grey.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    return cv2.equalizeHist(np.asarray(grey)), scale


def candidates(grey: np.ndarray) -> list[Candidate]:
    """Every box the passes find in ``grey``, in its pixels: the frontal pass, then the
    profile passes (image and mirror) unless :data:`PROFILE_ONLY_WITHOUT_FRONTAL` and
    the frontal pass found a face."""
    found = cascades()
    with _run_lock:
        out = _scan(found[FRONTAL], grey, SCALE_FACTOR, MIN_NEIGHBORS, MIN_FACE)
        if not (out and PROFILE_ONLY_WITHOUT_FRONTAL):
            profile = (PROFILE_SCALE_FACTOR, PROFILE_MIN_NEIGHBORS, PROFILE_MIN_FACE)
            out += _scan(found[PROFILE], grey, *profile)
            out += _scan(found[PROFILE], grey, *profile, mirrored=True)
    return out


def _scan(
    cascade: _Cascade,
    grey: np.ndarray,
    scale_factor: float,
    min_neighbors: int,
    smallest: int,
    *,
    mirrored: bool = False,
) -> list[Candidate]:
    """One ``detectMultiScale3`` pass over ``grey`` (or its mirror, boxes flipped back):
    windows from ``smallest`` px up in steps of ``scale_factor``, a box kept where more
    than ``min_neighbors`` raw hits overlap."""
    width = grey.shape[1]
    image = np.ascontiguousarray(grey[:, ::-1]) if mirrored else grey
    boxes, _levels, weights = cascade.classifier.detectMultiScale3(
        image,
        scaleFactor=scale_factor,
        minNeighbors=min_neighbors,
        minSize=(smallest, smallest),
        outputRejectLevels=True,
    )
    out = []
    for (x, y, w, h), weight in zip(boxes, np.ravel(weights), strict=True):
        left = width - x - w if mirrored else x
        margin = max(float(weight) - cascade.last_threshold, 0.0)
        out.append(Candidate(float(left), float(y), float(w), float(h), margin, cascade.name))
    return out


def suppress(found: list[Candidate]) -> list[Candidate]:
    """Non-maximum suppression: frontal boxes first, then by margin; overlaps dropped."""
    kept: list[Candidate] = []
    for c in sorted(found, key=lambda c: (not c.frontal, -c.margin)):
        if not any(c.same_face(k) for k in kept):
            kept.append(c)
    return kept


def confidence(candidate: Candidate) -> float:
    """The documented map of a box's last-stage margin to [0, 1] (module docstring)."""
    return round(1.0 - math.exp(-candidate.margin / CONFIDENCE_SCALE[candidate.cascade]), 4)


def detect(
    pixels: Image.Image, frame: tuple[int, int] | None = None
) -> tuple[tuple[Face, ...], dict[str, Any]]:
    """The faces in ``pixels``, most confident first, and what ``raw["faces"]`` records
    (detector, the copy's size, boxes per pass).

    Boxes are in the pixels of ``frame`` (width, height), the image's full size
    when the decoder gave a reduced ``pixels``, else of ``pixels`` itself.
    """
    width, height = frame or pixels.size
    grey, scale = grey_copy(pixels)
    sx, sy = scale * pixels.width / width, scale * pixels.height / height
    found = candidates(grey)
    kept = suppress(found)
    faces = []
    for c in kept:
        box = BoundingBox.from_xyxy(
            max(c.x / sx, 0.0),
            max(c.y / sy, 0.0),
            min((c.x + c.width) / sx, width),
            min((c.y + c.height) / sy, height),
        )
        faces.append(Face(box=box, confidence=confidence(c)))
    faces.sort(key=lambda f: -(f.confidence or 0.0))
    record = {
        "detector": f"opencv {_cv2().__version__} haar {FRONTAL} + {PROFILE} (and mirrored) "
        "where no frontal face is found",
        "searched": [int(grey.shape[1]), int(grey.shape[0])],
        "candidates": {name: sum(c.cascade == name for c in found) for name in (FRONTAL, PROFILE)},
        "kept": len(kept),
    }
    return tuple(faces), record


def with_faces(
    result: AnalysisResult, pixels: Image.Image, frame: tuple[int, int] | None = None
) -> AnalysisResult:
    """``result`` with the ``faces`` of ``pixels`` (boxes in ``frame``, :func:`detect`)
    and its ``raw["faces"]`` record."""
    faces, record = detect(pixels, frame)
    return replace(result, faces=faces, raw={**(result.raw or {}), "faces": record})


def with_person_tags(
    tags: tuple[Tag, ...], faces: tuple[Face, ...], floor: float
) -> tuple[Tag, ...]:
    """``tags`` plus :data:`PERSON_TAGS` at the best face's confidence, most confident first.

    They are not classes of the model, so an open-set abstention ("none of the
    model's classes") stays true beside them. A tag of the same name the model
    already gave keeps the higher confidence; below ``floor`` nothing is added.
    """
    best = max((f.confidence or 0.0 for f in faces), default=None)
    if best is None or best < floor:
        return tags
    merged = {t.name: t for t in tags}
    for name in PERSON_TAGS:
        if name not in merged or merged[name].confidence < best:
            merged[name] = Tag(name, best)
    return tuple(sorted(merged.values(), key=lambda t: -t.confidence))


def reset() -> None:
    """Forget the cascades (tests)."""
    global _cascades
    with _build_lock:
        _cascades = None


__all__ = [
    "DETECT_SIDE",
    "FRONTAL",
    "PERSON_TAGS",
    "PROFILE",
    "detect",
    "reset",
    "with_faces",
    "with_person_tags",
]
