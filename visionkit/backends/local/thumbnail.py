"""The local backend's area of interest and smart thumbnails, from the saliency map.

Both read the same map (:mod:`.saliency`): the area of interest is the box that
holds most of its mass, the thumbnail the window of the requested shape that
holds the most (:mod:`.crop_window`). Faces are weighted in when the caller
asked for them in the same analysis (``features=["faces", "area_of_interest"]``):
they are then already found and cost nothing more. They are not detected just
for the area of interest or a thumbnail, because the cascades cost about 0.35 s
a photo against about 3 ms for the map (``docs/benchmarks/thumbnails.md``).
"""

from __future__ import annotations

from collections.abc import Iterable

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
    ``faces`` are in ``size``'s pixels, as the result reports them.
    """
    sx, sy = pixels.width / size.width, pixels.height / size.height
    scaled = [BoundingBox.from_xyxy(f.x * sx, f.y * sy, f.x2 * sx, f.y2 * sy) for f in faces]
    weights = saliency_map(pixels, scaled)
    return area_of_interest(weights, size.width, size.height)


def smart_thumbnail(loaded: LoadedImage, width: int, height: int, *, smart: bool) -> Thumbnail:
    """A ``width`` x ``height`` thumbnail: the most salient window of that shape, or the centre."""
    aspect = width / height
    pixels = loaded.pixels
    if smart:
        crop = best_window(saliency_map(pixels), pixels.width, pixels.height, aspect)
    else:
        crop = centre_window(pixels.width, pixels.height, aspect)
    return render(pixels, crop, width, height, backend="local", smart=smart)


__all__ = ["interest_box", "smart_thumbnail"]
