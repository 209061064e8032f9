"""visionkit.images: every input kind, every rejection, URL fetching and upload encoding."""

from __future__ import annotations

import base64
import io
import os
import struct
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import respx
from PIL import Image

from visionkit.errors import InvalidImageError
from visionkit.images import (
    DEFAULT_LIMITS,
    ImageLimits,
    LoadedImage,
    is_url,
    load_image,
    load_image_async,
)
from visionkit.results import ImageMetadata

skimage_data = pytest.importorskip("skimage.data")

URL = "https://images.example.com/cat.png"


@pytest.fixture(scope="module")
def chelsea() -> np.ndarray:
    return skimage_data.chelsea()


@pytest.fixture(scope="module")
def chelsea_bytes(chelsea_png: Path) -> bytes:
    return chelsea_png.read_bytes()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` but carries no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def _encode(img: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **options)
    return buffer.getvalue()


# -- every input kind ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: str(p), id="str-path"),
        pytest.param(lambda p: p, id="Path"),
        pytest.param(lambda p: p.read_bytes(), id="bytes"),
        pytest.param(lambda p: bytearray(p.read_bytes()), id="bytearray"),
        pytest.param(lambda p: memoryview(p.read_bytes()), id="memoryview"),
        pytest.param(lambda p: io.BytesIO(p.read_bytes()), id="BytesIO"),
    ],
)
def test_encoded_inputs_decode_to_the_same_rgb_pixels(make, chelsea_png, chelsea):
    loaded = load_image(make(chelsea_png))

    assert loaded.pixels.mode == "RGB"
    assert (loaded.width, loaded.height) == (451, 300)
    assert loaded.format == "PNG"
    assert loaded.data == chelsea_png.read_bytes()
    assert np.array_equal(np.asarray(loaded.pixels), chelsea)


def test_open_binary_file_is_read_and_named_by_its_path(chelsea_png, chelsea):
    with chelsea_png.open("rb") as file:
        loaded = load_image(file)
    assert loaded.source == str(chelsea_png)
    assert np.array_equal(np.asarray(loaded.pixels), chelsea)


def test_sources_describe_the_input(chelsea_png, chelsea_bytes, chelsea):
    assert load_image(str(chelsea_png)).source == str(chelsea_png)
    assert load_image(chelsea_bytes).source == f"<bytes: {len(chelsea_bytes)} bytes>"
    assert load_image(Image.fromarray(chelsea)).source == "<PIL.Image 451x300 RGB>"
    assert load_image(chelsea).source == "<ndarray 300x451x3 uint8>"


def test_tilde_in_a_path_is_expanded(tmp_path, monkeypatch, chelsea_bytes):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "cat.png").write_bytes(chelsea_bytes)
    loaded = load_image("~/cat.png")
    assert loaded.source == str(tmp_path / "cat.png")
    assert loaded.width == 451


def test_jpeg_photo_and_metadata(rocket_jpg):
    loaded = load_image(rocket_jpg)
    assert loaded.format == "JPEG"
    assert loaded.metadata() == ImageMetadata(width=640, height=427, format="JPEG")


def test_cifar10_jpeg(cifar10_dir):
    loaded = load_image(cifar10_dir / "test" / "cat" / "0000.jpg")
    assert (loaded.width, loaded.height, loaded.format) == (32, 32, "JPEG")
    assert loaded.pixels.mode == "RGB"


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "CMYK"])
def test_pillow_images_in_any_mode_become_rgb(mode):
    astronaut = Image.fromarray(skimage_data.astronaut())
    loaded = load_image(astronaut.convert(mode))

    assert loaded.pixels.mode == "RGB"
    assert loaded.pixels.size == (512, 512)
    assert (loaded.data, loaded.format) == (None, None)
    assert loaded.source == f"<PIL.Image 512x512 {mode}>"
    # Every conversion stays close to the photo, not just "some RGB image".
    drift = np.abs(np.asarray(loaded.pixels, float) - skimage_data.astronaut()).mean()
    assert drift < {"RGB": 0.0, "L": 40.0, "P": 20.0, "CMYK": 1.0}[mode] + 1e-9


def test_pillow_input_is_copied_not_aliased(chelsea):
    original = Image.fromarray(chelsea)
    loaded = load_image(original)
    original.paste((0, 0, 0), (0, 0, 50, 50))
    assert loaded.pixels.getpixel((10, 10)) != (0, 0, 0)


def test_transparency_is_composited_onto_white(chelsea):
    rgba = Image.fromarray(chelsea).convert("RGBA")
    alpha = Image.new("L", rgba.size, 255)
    alpha.paste(0, (0, 0, 200, 300))  # left part fully transparent
    rgba.putalpha(alpha)

    for given in (rgba, _encode(rgba, "PNG"), np.asarray(rgba)):
        pixels = np.asarray(load_image(given).pixels)
        assert (pixels[:, :200] == 255).all()
        assert np.array_equal(pixels[:, 200:], chelsea[:, 200:])


def test_palette_png_with_transparency_is_composited_onto_white(chelsea):
    palette = Image.fromarray(chelsea).convert("P", palette=Image.Palette.ADAPTIVE)
    index = palette.getpixel((0, 0))
    data = _encode(palette, "PNG", transparency=index)
    loaded = load_image(data)
    assert loaded.pixels.getpixel((0, 0)) == (255, 255, 255)


def test_16_bit_grey_is_scaled_not_clipped(tmp_path):
    camera = skimage_data.camera()
    wide = Image.fromarray(camera.astype(np.uint16) * 257)
    assert wide.mode == "I;16"
    path = tmp_path / "camera16.png"
    wide.save(path)

    for given in (wide, path):
        pixels = np.asarray(load_image(given).pixels)
        assert np.array_equal(pixels[..., 0], camera)  # clipping would make it all 255


@pytest.mark.parametrize(
    ("array", "mode_after"),
    [
        pytest.param(skimage_data.coffee(), "RGB", id="HxWx3"),
        pytest.param(
            np.dstack([skimage_data.coffee(), np.full((400, 600), 255, np.uint8)]),
            "RGB",
            id="HxWx4",
        ),
        pytest.param(skimage_data.camera(), "RGB", id="HxW"),
    ],
)
def test_numpy_arrays(array, mode_after):
    loaded = load_image(array)
    assert loaded.pixels.mode == mode_after
    assert (loaded.height, loaded.width) == array.shape[:2]
    pixels = np.asarray(loaded.pixels)
    expected = array[..., :3] if array.ndim == 3 else np.dstack([array] * 3)
    assert np.array_equal(pixels, expected)


def test_numpy_non_contiguous_view_is_accepted():
    coffee = skimage_data.coffee()
    view = coffee[::2, ::2]
    assert np.array_equal(np.asarray(load_image(view).pixels), view)


@pytest.mark.parametrize(
    "array",
    [
        pytest.param(skimage_data.coffee() / 255.0, id="float64"),
        pytest.param(skimage_data.camera() > 128, id="bool"),
        pytest.param(skimage_data.camera().astype(np.uint16), id="uint16"),
        pytest.param(np.zeros((8, 8, 2), np.uint8), id="HxWx2"),
        pytest.param(np.zeros((2, 8, 8, 3), np.uint8), id="batch"),
        pytest.param(np.zeros(8, np.uint8), id="1-D"),
    ],
)
def test_numpy_arrays_of_other_shapes_or_dtypes_are_refused(array):
    with pytest.raises(InvalidImageError) as info:
        load_image(array)
    message = str(info.value)
    assert str(array.shape) in message
    assert str(array.dtype) in message
    assert "HxWx3" in message
    assert "uint8" in message


def test_empty_numpy_array_is_refused():
    with pytest.raises(InvalidImageError, match="no pixels"):
        load_image(np.zeros((0, 10, 3), np.uint8))


# -- EXIF orientation and multi-frame files --------------------------------------------


def test_exif_orientation_6_rotates_width_height_and_pixels(chelsea):
    stored = Image.fromarray(chelsea.copy())
    stored.paste((255, 0, 0), (0, 0, 60, 60))  # red marker at the stored top-left
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    data = _encode(stored, "JPEG", quality=95, exif=exif.tobytes())

    loaded = load_image(data)

    assert (loaded.width, loaded.height) == (300, 451)
    assert loaded.metadata() == ImageMetadata(300, 451, "JPEG")
    # Rotated clockwise, the stored top-left corner ends up top-right.
    r, g, b = loaded.pixels.getpixel((300 - 30, 30))
    assert r > 200
    assert max(g, b) < 60
    # And the whole image matches the decoded JPEG turned by hand.
    with Image.open(io.BytesIO(data)) as raw:
        by_hand = raw.convert("RGB").transpose(Image.Transpose.ROTATE_270)
    assert np.array_equal(np.asarray(loaded.pixels), np.asarray(by_hand))


def test_multi_frame_gif_uses_the_first_frame(skimage_data_dir):
    path = skimage_data_dir / "no_time_for_that_tiny.gif"
    with Image.open(path) as gif:
        assert gif.n_frames > 1
        first = gif.convert("RGB")
    loaded = load_image(path)
    assert loaded.format == "GIF"
    assert np.array_equal(np.asarray(loaded.pixels), np.asarray(first))


def test_multi_page_tiff_uses_the_first_page(skimage_data_dir):
    path = skimage_data_dir / "multipage.tif"
    with Image.open(path) as tiff:
        first = tiff.convert("RGB")
    loaded = load_image(path)
    assert loaded.format == "TIFF"
    assert np.array_equal(np.asarray(loaded.pixels), np.asarray(first))


# -- rejections ---------------------------------------------------------------------------


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.jpg"
    with pytest.raises(InvalidImageError, match="No such file") as info:
        load_image(missing)
    assert info.value.source == str(missing)
    assert isinstance(info.value.__cause__, FileNotFoundError)


def test_base64_text_gets_the_missing_file_error_with_a_hint(chelsea_bytes):
    text = base64.b64encode(chelsea_bytes[:300]).decode()
    with pytest.raises(InvalidImageError, match="No such file") as info:
        load_image(text)
    assert "base64.b64decode" in str(info.value)
    assert len(info.value.source or "") < 200  # a huge string is not echoed whole


def test_a_whole_base64_image_gets_the_missing_file_error_too(chelsea_bytes):
    text = base64.b64encode(chelsea_bytes).decode()  # far longer than any path
    with pytest.raises(InvalidImageError, match="No such file") as info:
        load_image(text)
    assert "base64.b64decode" in str(info.value)
    assert len(str(info.value)) < 400


def test_raw_bytes_passed_as_text_get_the_missing_file_error_with_a_hint(chelsea_bytes):
    text = chelsea_bytes[:64].decode("latin-1")  # includes NUL bytes
    with pytest.raises(InvalidImageError, match="No such file") as info:
        load_image(text)
    assert "raw image bytes decoded as text" in str(info.value)


def test_data_uri_gets_a_hint(chelsea_bytes):
    uri = "data:image/png;base64," + base64.b64encode(chelsea_bytes[:100]).decode()
    with pytest.raises(InvalidImageError, match="data: URI"):
        load_image(uri)


def test_directory(tmp_path):
    with pytest.raises(InvalidImageError, match="is a directory"):
        load_image(tmp_path)


def test_permission_denied(tmp_path, chelsea_bytes, monkeypatch):
    path = tmp_path / "secret.png"
    path.write_bytes(chelsea_bytes)
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything: simulate what others get
        real_open = os.open

        def refuse(file: object, *args: object, **kwargs: object) -> int:
            if Path(os.fsdecode(file)) == path:  # type: ignore[arg-type]
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "open", refuse)
    try:
        with pytest.raises(InvalidImageError, match="Permission denied") as info:
            load_image(path)
        assert isinstance(info.value.__cause__, PermissionError)
    finally:
        path.chmod(0o600)


def test_zero_byte_file_and_input(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.touch()
    with pytest.raises(InvalidImageError, match=r"empty \(0 bytes\)"):
        load_image(empty)
    for given in (b"", bytearray(), io.BytesIO()):
        with pytest.raises(InvalidImageError, match=r"empty \(0 bytes\)"):
            load_image(given)


def test_text_file_is_not_an_image(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("shopping list: milk, eggs\n")
    with pytest.raises(InvalidImageError) as info:
        load_image(path)
    message = str(info.value)
    assert "not an image" in message
    assert "looks like text" in message
    assert "Accepted formats: BMP, GIF, JPEG, MPO, PNG, TIFF, WEBP" in message
    assert info.value.__cause__ is not None


def test_pdf_is_not_an_image(azure_fixtures_dir):
    pdf = azure_fixtures_dir / "images" / "dotnet-sdk-testimages" / "menu.pdf"
    with pytest.raises(InvalidImageError, match=r"not an image .*PDF"):
        load_image(pdf)


def test_truncated_jpeg(rocket_jpg):
    data = rocket_jpg.read_bytes()
    with pytest.raises(InvalidImageError, match="truncated or corrupt") as info:
        load_image(data[: len(data) // 2])
    assert isinstance(info.value.__cause__, OSError)


def test_truncated_lazy_pillow_image(rocket_jpg):
    data = rocket_jpg.read_bytes()
    with (
        Image.open(io.BytesIO(data[: len(data) // 2])) as lazy,
        pytest.raises(InvalidImageError, match="truncated or corrupt"),
    ):
        load_image(lazy)


def test_format_outside_allowed_formats(chelsea, chelsea_bytes):
    with pytest.raises(InvalidImageError, match="PNG image, which is not accepted"):
        load_image(chelsea_bytes, limits=ImageLimits(allowed_formats=frozenset({"JPEG"})))
    ppm = _encode(Image.fromarray(chelsea), "PPM")
    with pytest.raises(InvalidImageError, match="PPM image"):
        load_image(ppm)


def test_heic_photo_is_named_as_an_unaccepted_format():
    # The start of an iPhone photo: an ISO-BMFF "ftyp" box with the HEIC brand.
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
    with pytest.raises(InvalidImageError, match="is a HEIF image, which is not accepted"):
        load_image(heic)


def test_pixel_limit_is_checked_from_the_header_before_decoding():
    # The header says 2000x2000 but there are no pixels: decoding would fail as
    # "truncated", so a pixel-limit message proves nothing was decoded.
    header_only = _png_header_only(2000, 2000)
    with pytest.raises(InvalidImageError, match=r"4,000,000 pixels, over the limit of 1,000,000"):
        load_image(header_only, limits=ImageLimits(max_pixels=1_000_000))


def test_pixel_limit_on_a_real_photo(rocket_jpg):
    with pytest.raises(InvalidImageError, match="decompression bombs"):
        load_image(rocket_jpg, limits=ImageLimits(max_pixels=100_000))


def test_decompression_bomb_refused_by_pillow_itself():
    with pytest.raises(InvalidImageError, match="decompression bomb") as info:
        load_image(_png_header_only(100_000, 100_000))
    assert isinstance(info.value.__cause__, Image.DecompressionBombError)


def test_the_bomb_advice_lets_a_trusted_image_past_both_checks(monkeypatch):
    """The message says to raise both limits; with both raised, the size checks pass
    (this header-only PNG then fails as what it is: truncated)."""
    bomb = _png_header_only(14_000, 13_000)  # just over Pillow's error threshold
    with pytest.raises(InvalidImageError, match=r"PIL\.Image\.MAX_IMAGE_PIXELS"):
        load_image(bomb)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500_000_000)
    with pytest.raises(InvalidImageError, match="truncated or corrupt"):
        load_image(bomb, limits=ImageLimits(max_pixels=500_000_000))


@pytest.mark.parametrize("action", ["error", "ignore"])
def test_bomb_warning_range_is_refused_under_any_warning_filter(action):
    # 10000x10000 is over Pillow's warning threshold but under its error threshold.
    with warnings.catch_warnings():
        warnings.simplefilter(action, Image.DecompressionBombWarning)
        with pytest.raises(InvalidImageError, match="decompression bomb"):
            load_image(_png_header_only(10_000, 10_000))
    assert DEFAULT_LIMITS.max_pixels == Image.MAX_IMAGE_PIXELS  # never changed globally


def test_byte_limit_for_bytes_and_files(chelsea_png, chelsea_bytes):
    limits = ImageLimits(max_bytes=1000)
    for given in (chelsea_bytes, chelsea_png):
        with pytest.raises(InvalidImageError, match="larger than the limit of 1,000 bytes"):
            load_image(given, limits=limits)


def test_streams_are_read_only_up_to_the_limit(chelsea_bytes):
    requested: list[int | None] = []

    class CountingStream(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            requested.append(size)
            return super().read(size)

    stream = CountingStream(chelsea_bytes)
    with pytest.raises(InvalidImageError, match="larger than the limit"):
        load_image(stream, limits=ImageLimits(max_bytes=1000))
    assert requested == [1001]


def test_text_mode_stream(chelsea_png):
    with (
        chelsea_png.open("r", encoding="latin-1") as text,
        pytest.raises(InvalidImageError, match="text mode"),
    ):
        load_image(text)  # type: ignore[arg-type]


def test_unsupported_input_type():
    with pytest.raises(InvalidImageError, match="Cannot load an image from an object of type int"):
        load_image(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("url", ["ftp://example.com/cat.png", "file:///etc/passwd"])
def test_non_http_urls_are_refused(url):
    with respx.mock(assert_all_called=False), pytest.raises(InvalidImageError, match="only http"):
        load_image(url)


# -- URLs ---------------------------------------------------------------------------------


def test_is_url():
    assert is_url("https://a.b/c.png")
    assert is_url("HTTP://a.b/c.png")
    assert not is_url("ftp://a.b/c.png")
    assert not is_url("/tmp/http://x")
    assert not is_url(b"https://a.b/c.png")


@respx.mock
def test_url_download(chelsea_bytes, chelsea):
    route = respx.get(URL).mock(return_value=httpx.Response(200, content=chelsea_bytes))
    loaded = load_image(URL)
    assert route.called
    assert (loaded.url, loaded.source, loaded.format) == (URL, URL, "PNG")
    assert loaded.data == chelsea_bytes
    assert np.array_equal(np.asarray(loaded.pixels), chelsea)


@respx.mock
def test_url_credentials_are_stripped_from_the_source(chelsea_bytes):
    secret = "https://alice:hunter2@images.example.com/cat.png?sig=abc"
    respx.get("https://images.example.com/cat.png").mock(
        return_value=httpx.Response(200, content=chelsea_bytes)
    )
    loaded = load_image(secret)
    assert loaded.source == "https://images.example.com/cat.png?sig=REDACTED"
    assert loaded.url == secret


@respx.mock
def test_url_redirects_are_followed(chelsea_bytes):
    respx.get(URL).mock(
        return_value=httpx.Response(302, headers={"Location": "https://cdn.example.com/c.png"})
    )
    respx.get("https://cdn.example.com/c.png").mock(
        return_value=httpx.Response(200, content=chelsea_bytes)
    )
    assert load_image(URL).data == chelsea_bytes


@respx.mock
def test_url_redirect_loop_is_cut_off():
    respx.get(URL).mock(return_value=httpx.Response(302, headers={"Location": URL}))
    with pytest.raises(InvalidImageError, match="more than 5 redirects"):
        load_image(URL)


@respx.mock
def test_url_404():
    respx.get(URL).mock(return_value=httpx.Response(404))
    with pytest.raises(InvalidImageError, match="answered 404 Not Found") as info:
        load_image(URL)
    assert info.value.status == 404


@respx.mock
def test_url_timeout():
    respx.get(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(InvalidImageError, match="no answer within 10 s") as info:
        load_image(URL)
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


@respx.mock
def test_url_connection_error():
    respx.get(URL).mock(side_effect=httpx.ConnectError("Name or service not known"))
    with pytest.raises(InvalidImageError, match=r"Could not download .*Name or service"):
        load_image(URL)


@respx.mock
def test_url_download_is_stopped_at_the_limit_without_content_length():
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        for i in range(1000):
            sent.append(i)
            yield b"\xff" * 1024

    respx.get(URL).mock(return_value=httpx.Response(200, content=endless()))
    with pytest.raises(InvalidImageError, match="download was stopped"):
        load_image(URL, limits=ImageLimits(max_bytes=10_000))
    assert len(sent) < 20  # streaming stopped early, not after a full megabyte


@respx.mock
def test_url_declared_content_length_over_the_limit():
    respx.get(URL).mock(
        return_value=httpx.Response(200, headers={"Content-Length": "99999999"}, content=b"x")
    )
    with pytest.raises(InvalidImageError, match="99,999,999 bytes, over the limit"):
        load_image(URL, limits=ImageLimits(max_bytes=1000))


@respx.mock
def test_url_serving_html_is_not_an_image():
    respx.get(URL).mock(
        return_value=httpx.Response(200, content=b"<!DOCTYPE html><html>Sign in</html>")
    )
    with pytest.raises(InvalidImageError, match=r"not an image .*HTML page"):
        load_image(URL)


def test_url_with_a_caller_supplied_client(chelsea_bytes):
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=chelsea_bytes))
    with httpx.Client(transport=transport) as client:
        limits = ImageLimits(resolver=lambda host, port: ["93.184.216.34"])
        assert load_image(URL, http_client=client, limits=limits).format == "PNG"
        assert not client.is_closed  # the caller's client is left open


@respx.mock
async def test_async_url_download_and_errors(chelsea_bytes):
    respx.get(URL).mock(return_value=httpx.Response(200, content=chelsea_bytes))
    respx.get("https://images.example.com/gone.png").mock(return_value=httpx.Response(410))

    loaded = await load_image_async(URL)
    assert loaded.width == 451
    with pytest.raises(InvalidImageError, match="410 Gone"):
        await load_image_async("https://images.example.com/gone.png")


@respx.mock
async def test_async_download_is_stopped_at_the_limit():
    async def endless():
        for _ in range(1000):
            yield b"\xff" * 1024

    respx.get(URL).mock(return_value=httpx.Response(200, content=endless()))
    with pytest.raises(InvalidImageError, match="download was stopped"):
        await load_image_async(URL, limits=ImageLimits(max_bytes=10_000))


async def test_async_local_inputs(chelsea_png, chelsea):
    assert (await load_image_async(chelsea_png)).format == "PNG"
    assert (await load_image_async(chelsea)).data is None
    with pytest.raises(InvalidImageError, match="No such file"):
        await load_image_async(chelsea_png.with_name("missing.png"))


# -- encode() -----------------------------------------------------------------------------


def test_encode_sends_accepted_originals_untouched(rocket_jpg):
    loaded = load_image(rocket_jpg)
    assert loaded.encode() == (rocket_jpg.read_bytes(), "image/jpeg")


def test_encode_reencodes_unaccepted_formats_losslessly_as_png(chelsea):
    webp = _encode(Image.fromarray(chelsea), "WEBP", quality=80)
    loaded = load_image(webp)
    assert loaded.format == "WEBP"

    data, mime = loaded.encode(("JPEG", "PNG"))

    assert mime == "image/png"
    with Image.open(io.BytesIO(data)) as again:
        assert np.array_equal(np.asarray(again), np.asarray(loaded.pixels))
    assert loaded.encode(("WEBP",)) == (webp, "image/webp")


def test_encode_in_memory_images_as_png(chelsea):
    data, mime = load_image(chelsea).encode()
    assert mime == "image/png"
    assert data.startswith(b"\x89PNG")


def test_encode_falls_back_to_jpeg_when_png_is_too_big(chelsea):
    loaded = load_image(chelsea)
    png_size = len(loaded.encode()[0])

    data, mime = loaded.encode(max_bytes=png_size - 1)

    assert mime == "image/jpeg"
    assert len(data) < png_size
    with Image.open(io.BytesIO(data)) as again:
        assert again.size == (451, 300)


def test_encode_reencodes_an_original_over_max_bytes(chelsea_bytes):
    loaded = load_image(chelsea_bytes)
    data, mime = loaded.encode(max_bytes=len(chelsea_bytes) - 1)
    assert data != chelsea_bytes
    assert len(data) < len(chelsea_bytes)
    assert mime == ("image/png" if data.startswith(b"\x89PNG") else "image/jpeg")


def test_encode_refuses_when_nothing_fits(chelsea):
    with pytest.raises(InvalidImageError, match="too large to upload"):
        load_image(chelsea).encode(max_bytes=100)


def test_loaded_image_is_frozen(chelsea):
    loaded = load_image(chelsea)
    assert isinstance(loaded, LoadedImage)
    with pytest.raises(AttributeError):
        loaded.format = "PNG"  # type: ignore[misc]
