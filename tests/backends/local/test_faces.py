"""Local faces (OpenCV Haar cascades) on real photos, tags, laziness and the missing extra.

The faces are real: scikit-image's astronaut (no published box; the reference is drawn by
eye), and ``satya.jpg``, which this repository holds with Azure's published celebrity
``faceRectangle``. No synthetic face is drawn. Tests that run the cascades skip, with the
reason, when the ``faces`` extra is not installed; the error for a missing extra and the
laziness checks run everywhere.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from visionkit import analyze
from visionkit.backends.local import LocalAnalyzer, faces
from visionkit.errors import MissingDependencyError
from visionkit.features import Feature
from visionkit.results import BoundingBox, Face, Tag

REPO = Path(__file__).resolve().parents[3]
SATYA = REPO / "tests" / "backends" / "azure" / "fixtures" / "images" / "satya.jpg"
#: Azure v2.1 celebrities on satya.jpg (AnalyzeCelebritiesDomainTest): left 211, top 50, 55 x 55.
SATYA_AZURE = BoundingBox(211, 50, 55, 55)
#: By eye on the 512x512 astronaut, forehead to chin: scikit-image publishes no box.
ASTRONAUT_BY_EYE = BoundingBox(176, 78, 94, 104)

needs_cv2 = pytest.mark.skipif(
    importlib.util.find_spec("cv2") is None,
    reason="the 'faces' extra is not installed: pip install 'visionkit[faces]'",
)


def iou(a: BoundingBox, b: BoundingBox) -> float:
    iw = min(a.x2, b.x2) - max(a.x, b.x)
    ih = min(a.y2, b.y2) - max(a.y, b.y)
    inter = max(iw, 0) * max(ih, 0)
    return inter / (a.width * a.height + b.width * b.height - inter)


@pytest.fixture(scope="module")
def astronaut_png(skimage_data_dir: Path) -> Path:
    return skimage_data_dir / "astronaut.png"


# -- what runs without OpenCV ----------------------------------------------------------


def test_faces_are_supported_but_not_a_default_feature():
    analyzer = LocalAnalyzer()
    assert Feature.FACES in analyzer.supported_features
    assert Feature.FACES not in analyzer.resolve_features(None)
    assert analyzer.resolve_features(["faces"]) == {Feature.FACES}


def test_a_missing_extra_names_the_pip_command(monkeypatch, chelsea_png):
    faces.reset()
    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 -> ImportError
    try:
        with pytest.raises(MissingDependencyError, match=r"pip install 'visionkit\[faces\]'") as e:
            analyze(chelsea_png, backend="local", features=["faces"])
        assert e.value.extra == "faces"
    finally:
        faces.reset()


def test_import_and_a_default_local_analysis_load_no_cv2(chelsea_png):
    probe = (
        "import json, sys, visionkit\n"
        f"r = visionkit.analyze({str(chelsea_png)!r}, backend='local')\n"
        "assert r.faces is None\n"
        "print(json.dumps(sorted(m for m in ('cv2', 'visionkit.backends.local.faces') "
        "if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_person_tags_keep_the_best_face_and_the_higher_confidence():
    found = (Face(BoundingBox(0, 0, 9, 9), 0.4), Face(BoundingBox(20, 0, 9, 9), 0.8))
    tags = faces.with_person_tags((Tag("cat", 0.9), Tag("person", 0.95)), found, 0.05)
    assert [(t.name, t.confidence) for t in tags] == [("person", 0.95), ("cat", 0.9), ("face", 0.8)]
    assert faces.with_person_tags((), found, 0.9) == ()  # below the floor: nothing added
    assert faces.with_person_tags((Tag("cat", 0.9),), (), 0.05) == (Tag("cat", 0.9),)


# -- the cascades on real photos ---------------------------------------------------------


@needs_cv2
def test_the_astronaut_has_one_face_where_it_is(astronaut_png):
    result = analyze(astronaut_png, backend="local", features=["faces"])
    (face,) = result.faces
    assert isinstance(face, Face) and face.age is None and face.gender is None
    assert iou(face.box, ASTRONAUT_BY_EYE) >= 0.5
    assert face.confidence is not None and 0.0 < face.confidence <= 1.0
    assert result.tags is None  # tags not asked for: no person tag either
    assert result.raw["faces"]["kept"] == 1
    # A frontal face was found, so the profile passes did not run.
    assert result.raw["faces"]["candidates"][faces.PROFILE] == 0


@needs_cv2
def test_satya_matches_azures_published_box():
    (face,) = analyze(SATYA, backend="local", features=["faces"]).faces
    assert iou(face.box, SATYA_AZURE) >= 0.5


@needs_cv2
@pytest.mark.parametrize("name", ["chelsea.png", "coffee.png", "rocket.jpg", "coins.png"])
def test_face_free_photos_have_no_faces(skimage_data_dir, name):
    assert analyze(skimage_data_dir / name, backend="local", features=["faces"]).faces == ()


@needs_cv2
def test_a_face_adds_person_and_face_tags_beside_the_abstention(astronaut_png):
    result = analyze(astronaut_png, backend="local", features=["faces", "tags"])
    names = [t.name for t in result.tags]
    assert {"person", "face"} <= set(names)
    assert result.tags[names.index("person")].confidence == result.faces[0].confidence
    # The CNN's verdict on its own classes is unchanged by the faces.
    alone = analyze(astronaut_png, backend="local", features=["tags"])
    assert result.abstention == alone.abstention
    assert [t for t in result.tags if t.name not in faces.PERSON_TAGS] == list(alone.tags)


@needs_cv2
def test_batches_add_the_same_faces_and_tags(astronaut_png, chelsea_png):
    analyzer = LocalAnalyzer()
    one = analyzer.analyze(astronaut_png, ["faces", "tags"])
    both = analyzer.analyze_batch([astronaut_png, chelsea_png], ["faces", "tags"])
    assert both[0].faces == one.faces and both[0].tags == one.tags
    assert both[1].faces == () and "person" not in [t.name for t in both[1].tags]


@needs_cv2
def test_an_exif_rotated_jpeg_gives_boxes_in_oriented_pixels(astronaut_png, tmp_path):
    upright = Image.open(astronaut_png).convert("RGB")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what the camera wrote
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=95, exif=exif)
    path = tmp_path / "rotated.jpg"
    path.write_bytes(buffer.getvalue())
    (face,) = analyze(path, backend="local", features=["faces"]).faces
    assert iou(face.box, ASTRONAUT_BY_EYE) >= 0.5  # found upright, where the viewer sees it


@needs_cv2
def test_a_profile_face_is_found_by_the_mirrored_pass(skimage_data_dir):
    """The cameraman looks right: only the profile cascade, on the mirror, finds him."""
    result = analyze(skimage_data_dir / "camera.png", backend="local", features=["faces"])
    (face,) = result.faces
    assert result.raw["faces"]["candidates"][faces.FRONTAL] == 0
    # By eye, his face spans about x 190-262, y 120-190 of the 512x512 photo.
    assert iou(face.box, BoundingBox(190, 120, 72, 70)) >= 0.5


@needs_cv2
def test_a_large_jpeg_is_decoded_reduced_and_its_boxes_are_in_full_size_pixels(
    astronaut_png, tmp_path
):
    """A 2048 px photo is decoded at 1/2 (the detector needs 2 x DETECT_SIDE px), and the
    face lands where it is in the 2048 px image, as it does from the full-size pixels."""
    big = Image.open(astronaut_png).convert("RGB").resize((2048, 2048), Image.Resampling.BICUBIC)
    path = tmp_path / "astronaut-4x.jpg"
    big.save(path, quality=95)
    analyzer = LocalAnalyzer()
    assert analyzer._decode_size(frozenset({Feature.FACES})) == (2 * faces.DETECT_SIDE, 1)
    assert analyzer._decode_size(frozenset({Feature.FACES, Feature.TEXT})) is None
    result = analyze(path, backend="local", features=["faces", "metadata"])
    assert result.raw["faces"]["searched"] == [faces.DETECT_SIDE, faces.DETECT_SIDE]
    assert (result.metadata.width, result.metadata.height) == (2048, 2048)
    face = result.faces[0]
    # From the full-size pixels: the same face first (a grey copy made from other pixels
    # may also tip a borderline window over: here, one weak box at 0.52 beside the face).
    full = faces.detect(Image.open(path).convert("RGB"))[0][0]
    assert iou(face.box, full.box) >= 0.9
    by_eye = ASTRONAUT_BY_EYE
    scaled = BoundingBox(by_eye.x * 4, by_eye.y * 4, by_eye.width * 4, by_eye.height * 4)
    assert iou(face.box, scaled) >= 0.5
