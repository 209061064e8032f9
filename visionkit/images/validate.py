"""The bounds every input is held to, checked before the work they would bound is done.

File and download sizes are checked before reading (and again while reading,
since a file can grow and a server can lie about its length); the pixel count is
read from the header, or from the array's shape, before any pixel is decoded or
copied. See ``docs/images.md`` for the memory budget these limits add up to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from visionkit.errors import InvalidImageError

Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> IP addresses``: how a URL's host is looked up (tests inject one)."""


@dataclass(frozen=True)
class ImageLimits:
    """Bounds that stop a hostile or accidental input from exhausting memory or time.

    Every field except ``resolver`` can also be set in the ``[images]`` table of
    the config file, with ``visionkit.configure(images={...})`` or with a
    ``VISIONKIT_IMAGES_<FIELD>`` environment variable (see ``docs/images.md``);
    an ``ImageLimits`` passed to :func:`~visionkit.images.load_image` replaces
    all of those.

    Attributes:
        max_pixels: Largest ``width * height`` accepted, read from the file header
            (or the array's shape) before any pixel is decoded or copied. The
            default is Pillow's own decompression-bomb threshold (about 89.5
            megapixels), big enough for any camera photo yet far below what a
            crafted 50 kB PNG claiming 100 000 x 100 000 pixels would allocate.
        max_side: Longest width or height accepted. 65,535 is the JPEG format's
            own maximum and beyond any camera or scanner; it also keeps extreme
            strips (89,000,000 x 1 pixels) away from resampling code that
            overflows on them.
        max_bytes: Largest encoded input accepted from a file, bytes, a stream or
            a download (after any ``Content-Encoding`` is undone); at most
            ``max_bytes + 1`` bytes are ever read. 50 MB is above any camera JPEG
            and above every cloud vision service's upload limit (Azure takes
            4-20 MB), so only mistakes hit it.
        max_scans: Most JPEG scans accepted. libjpeg decodes every scan of a
            progressive JPEG over the whole image, so a few hundred kilobytes of
            scans can take minutes ("scan bomb"); ordinary progressive files
            have about 10, and mozjpeg's optimised ones under 20.
        max_strips: Most TIFF strips or tiles accepted, counted in the header
            before Pillow builds one descriptor per strip (a million one-row
            strips cost gigabytes of descriptors for a 1 MB image).
        max_segments: Most JPEG marker segments, PNG chunks, GIF extension
            blocks and sub-blocks accepted before the image data starts (and
            tags in a TIFF's first page), counted before Pillow opens the file. Pillow
            reads each one in Python and keeps some (a JPEG's APP segments) as
            objects: a 45 MB JPEG of 12 million empty APP1 segments took 36 s
            and 1.7 GB just to open. Photos have under 30 (an ICC profile split
            over several APP2 segments included).
        url_timeout_s: Longest wait for any one step of a download (connecting,
            each read). Ten seconds lets a slow image host answer.
        url_deadline_s: Longest time for a whole download, from the first
            connection to the last byte, redirects included, so a server that
            drips one byte at a time cannot hold a batch for ever.
        max_redirects: Redirects followed before giving up; ``0`` refuses any
            redirect.
        allow_private: Let URLs reach loopback, private (10/8, 192.168/16, ...),
            link-local (169.254/16: cloud metadata services) and other
            non-public addresses. Off by default: applications pass URLs their
            users typed, and a URL must not become a way into their network. Even
            when on, a redirect from a public address to a non-public one is
            refused (unless its host is in ``allowed_hosts``).
        allowed_hosts: Host names (``"images.internal"``, exact, any case), IP
            addresses or networks (``"10.1.2.0/24"``) that URLs may reach
            whatever their address, e.g. ``("localhost",)`` for a development
            server.
        allowed_formats: Pillow format names accepted. The default is the set of
            common photo and web formats; exotic formats Pillow can also read
            (ICNS, PSD, EPS via Ghostscript, ...) are refused because their
            parsers are less exercised against hostile files.
        resolver: Looks up a URL's host; ``None`` uses the system's DNS
            (``socket.getaddrinfo``). Only settable from Python.
    """

    max_pixels: int = 89_478_485
    max_side: int = 65_535
    max_bytes: int = 50 * 1024 * 1024
    max_scans: int = 32
    max_strips: int = 100_000
    max_segments: int = 1_000
    url_timeout_s: float = 10.0
    url_deadline_s: float = 60.0
    max_redirects: int = 5
    allow_private: bool = False
    allowed_hosts: tuple[str, ...] = ()
    allowed_formats: frozenset[str] = frozenset(
        {"JPEG", "PNG", "GIF", "BMP", "WEBP", "TIFF", "MPO"}
    )
    resolver: Resolver | None = field(default=None, compare=False, repr=False)


DEFAULT_LIMITS = ImageLimits()


def check_size(size: int, source: str, limits: ImageLimits) -> None:
    """Refuse ``size`` encoded bytes over :attr:`ImageLimits.max_bytes`."""
    if size > limits.max_bytes:
        raise InvalidImageError(
            f"{source} is larger than the limit of {limits.max_bytes:,} bytes. "
            "Downscale or recompress it, or raise ImageLimits.max_bytes.",
            source=source,
        )


def check_dimensions(width: int, height: int, source: str, limits: ImageLimits) -> None:
    """Refuse a header's size over :attr:`ImageLimits.max_pixels`, or with no pixels."""
    if width * height > limits.max_pixels:
        raise InvalidImageError(
            f"{source} is {width}x{height} = {width * height:,} pixels, over the limit of "
            f"{limits.max_pixels:,} (a guard against decompression bombs). Downscale it, "
            "or raise ImageLimits.max_pixels if you trust it.",
            source=source,
        )
    if width == 0 or height == 0:
        raise InvalidImageError(f"{source} has no pixels ({width}x{height}).", source=source)
    if max(width, height) > limits.max_side:
        raise InvalidImageError(
            f"{source} is {width}x{height} pixels: a side longer than the limit of "
            f"{limits.max_side:,}. Crop or downscale it, or raise ImageLimits.max_side.",
            source=source,
        )


__all__ = ["DEFAULT_LIMITS", "ImageLimits", "Resolver", "check_dimensions", "check_size"]
