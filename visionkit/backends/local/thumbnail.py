"""The local backend's area of interest and smart thumbnails, from the saliency map.

Both read the same map (:mod:`.saliency`): the area of interest is the box that
holds most of its mass, the thumbnail the window of the requested shape that
holds the most (:mod:`.crop_window`).

Faces, which the map does not know, are weighted in:

* for the area of interest, only when the caller asked for them in the same
  analysis (``features=["faces", "area_of_interest"]``): they are then found
  already and cost nothing more. The cascades cost some hundreds of ms a photo against
  a few milliseconds for the map, too much to add silently to a feature;
* for a smart thumbnail, whenever the ``faces`` extra is installed (option
  ``thumbnail_faces``, on by default): a thumbnail is made once and kept, and
  cutting a face in half is the failure people notice (on the astronaut the map
  alone puts a landscape crop on the helmet and the suit, below her face).
  Without the extra the map works alone. Figures: ``docs/benchmarks/thumbnails.md``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import replace

from PIL import Image

from visionkit.backends.local.crop_window import best_window
from visionkit.backends.local.saliency import area_of_interest, saliency_map
from visionkit.cropping import Thumbnail, centre_window, render
from visionkit.images import LoadedImage
from visionkit.results import BoundingBox, ImageMetadata


def interest_box(
    pixels: Image.Image, size: ImageMetadata, faces: Iterable[BoundingBox] = ()
) -> BoundingBox:
    """The area of interest of ``pixels``, in the pixels of the image ``size`` describes.

    ``pixels`` may be a reduced decode of that image (the map needs only 64 px);
    ``faces`` are in ``size``'s pixels, as the result reports them. The box is grown to
    hold every face whole: weighted in, a face can still lose its edge to the 80 % mass
    cut (the astronaut's forehead did), and a subject cut at the hairline is no subject.
    """
    faces = list(faces)
    sx, sy = pixels.width / size.width, pixels.height / size.height
    scaled = [BoundingBox.from_xyxy(f.x * sx, f.y * sy, f.x2 * sx, f.y2 * sy) for f in faces]
    weights = saliency_map(pixels, scaled)
    box = area_of_interest(weights, size.width, size.height)
    if not faces:
        return box
    return BoundingBox.from_xyxy(
        max(0, min([box.x, *(f.x for f in faces)])),
        max(0, min([box.y, *(f.y for f in faces)])),
        min(size.width, max([box.x2, *(f.x2 for f in faces)])),
        min(size.height, max([box.y2, *(f.y2 for f in faces)])),
    )


def decode_size(width: int, height: int) -> tuple[int, int]:
    """The ``reduce=`` for a ``width`` x ``height`` thumbnail: a JPEG may decode at reduced
    scale while its short side keeps twice the thumbnail's longer side, so that any crop
    of the requested shape still holds twice the pixels it is resized to (the decoder's
    1/2-1/8 scaling is a block average; Lanczos does the rest). A 12 MP photo then
    decodes in a fraction of the time of a full decode."""
    return (0, 2 * max(width, height))


def smart_thumbnail(
    loaded: LoadedImage, width: int, height: int, *, smart: bool, faces: bool = False
) -> Thumbnail:
    """A ``width`` x ``height`` thumbnail: the most salient window of that shape, or the centre.

    ``loaded`` may be a reduced decode (:func:`decode_size`); the crop is chosen and cut
    in its pixels and reported in the file's. ``faces``: weight in the faces found by
    the local detector, when its extra is installed (without it the map works alone,
    and ``raw`` says so).
    """
    aspect = width / height
    pixels = loaded.pixels
    size = loaded.metadata()
    file_size = (size.width, size.height)
    if not smart:  # the centre of the file, exactly; cut from the (maybe reduced) pixels
        crop = centre_window(size.width, size.height, aspect)
        cut = _scaled(crop, file_size, pixels.size)
        thumb = render(pixels, cut, width, height, backend="local", smart=False)
        return replace(thumb, crop=crop)
    found: tuple[BoundingBox, ...] = ()
    if faces and importlib.util.find_spec("cv2") is not None:
        from visionkit.backends.local.faces import detect

        found = tuple(face.box for face in detect(pixels)[0])
        raw: dict[str, object] = {
            "faces": [list(_scaled(box, pixels.size, file_size).xywh) for box in found]
        }
    else:
        raw = {"faces": None}  # not looked for
    crop = best_window(saliency_map(pixels, found), pixels.width, pixels.height, aspect)
    thumb = render(pixels, crop, width, height, backend="local", smart=True, raw=raw)
    return replace(thumb, crop=_scaled(crop, pixels.size, file_size))


def _scaled(box: BoundingBox, source: tuple[int, int], target: tuple[int, int]) -> BoundingBox:
    """``box`` from an image of size ``source`` to the same place in one of size ``target``."""
    if source == target:
        return box
    sx, sy = target[0] / source[0], target[1] / source[1]
    scaled = BoundingBox.from_xyxy(box.x * sx, box.y * sy, box.x2 * sx, box.y2 * sy)
    return scaled.clip(*target)


__all__ = ["decode_size", "interest_box", "smart_thumbnail"]
