"""``s3://bucket/key`` inputs: Rekognition reads the object itself (``Image.S3Object``).

Nothing is downloaded, so nothing is paid twice in transfer, but nothing is
measured either: Rekognition returns boxes as ratios of an image size it
never states, so the features that need the size in pixels (objects, faces,
text, celebrities, metadata) cannot be answered for an S3 object. Asked for by
name they are a :class:`~visionkit.errors.ConfigError` before any call;
"everything" (``features=None``) leaves them out. The bucket must be in the
analyzer's region, and the credentials must be allowed to read it (AWS answers
``InvalidS3ObjectException`` or ``AccessDenied`` otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from visionkit.errors import ConfigError, InvalidImageError
from visionkit.features import Feature

NEEDS_SIZE = frozenset(
    {Feature.OBJECTS, Feature.FACES, Feature.TEXT, Feature.CELEBRITIES, Feature.METADATA}
)
"""Features whose answer needs the image's size in pixels, which an S3 object lacks."""


@dataclass(frozen=True, slots=True)
class S3Object:
    """An image Rekognition reads from S3: its bucket and key."""

    bucket: str
    name: str

    @property
    def source(self) -> str:
        """How messages name it: the ``s3://`` URI."""
        return f"s3://{self.bucket}/{self.name}"

    def image_field(self) -> dict[str, Any]:
        """The request's ``Image`` value."""
        return {"S3Object": {"Bucket": self.bucket, "Name": self.name}}


def is_s3(image: object) -> bool:
    return isinstance(image, str) and image.startswith("s3://")


def parse_s3_uri(uri: str) -> S3Object:
    """``s3://bucket/key`` as an :class:`S3Object`; a URI without both is an error."""
    bucket, _, name = uri[5:].partition("/")
    if not bucket or not name:
        raise InvalidImageError(
            f"{uri!r} names no object: write s3://<bucket>/<key>, e.g. "
            f"s3://my-bucket/photos/cat.jpg.",
            source=uri,
            backend="aws",
        )
    return S3Object(bucket, name)


def check_features(obj: S3Object, features: Iterable[Feature]) -> None:
    """Refuse, before any call, the features an S3 object cannot be answered for."""
    needs_size = sorted(f.value for f in NEEDS_SIZE.intersection(features))
    if needs_size:
        raise ConfigError(
            f"{', '.join(needs_size)} need the size of the image in pixels, which Rekognition "
            f"does not return and visionkit cannot measure for {obj.source} without reading "
            f"it. Leave them out of features, or pass the image itself (bytes or a path).",
            backend="aws",
        )


__all__ = ["NEEDS_SIZE", "S3Object", "check_features", "is_s3", "parse_s3_uri"]
