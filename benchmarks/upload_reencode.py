"""What re-encoding a JPEG as JPEG instead of trying PNG first saves before an upload.

A JPEG that a cloud backend cannot send as it is (EXIF-rotated, too small for Azure,
too large for a byte limit) is re-encoded from its decoded pixels. With
``UploadLimits.keep_jpeg`` it is saved as JPEG (quality 90) straight away; without it,
PNG is tried first and JPEG only where PNG does not fit. Both ways run here on the
same real photos, each backend's limits with ``keep_jpeg`` on and off, in one
process, medians of ``--runs``:

- scikit-image's astronaut enlarged to 12 MP (4000x3000, Lanczos) and saved as a JPEG
  whose EXIF tag rotates it (orientation 6): every backend must re-encode it;
- CIFAR-10 test JPEGs (32x32), which Azure must scale up to 50x50 (AWS and Google
  refuse or send them as they are, so only Azure's row is timed).

    python benchmarks/upload_reencode.py [--runs 5]

Writes ``docs/benchmarks/uploads.md``.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import time
from dataclasses import replace
from pathlib import Path

from PIL import Image

from visionkit.backends.aws.upload import LIMITS as AWS
from visionkit.backends.azure.preflight import ANALYZE_LIMITS as AZURE
from visionkit.backends.google.upload import LIMITS as GOOGLE
from visionkit.backends.http.preflight import UploadLimits, prepare_upload
from visionkit.images import LoadedImage, load_image

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks" / "uploads.md"
CIFAR = REPO.parent / "shared" / "data" / "cifar10" / "test"


def rotated_12mp() -> LoadedImage:
    import skimage.data

    photo = skimage.data.astronaut()  # type: ignore[no-untyped-call]
    big = Image.fromarray(photo).resize((4000, 3000), Image.Resampling.LANCZOS)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=90, exif=exif)
    return load_image(buffer.getvalue())


def cifar_jpegs(n: int) -> list[LoadedImage]:
    paths = sorted(CIFAR.rglob("*.jpg"))[:: max(1, 10_000 // n)][:n]
    return [load_image(p) for p in paths]


def timed(images: list[LoadedImage], limits: UploadLimits, runs: int) -> tuple[float, str, int]:
    """Median ms per image over ``runs``, the MIME type sent and the mean bytes."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        uploads = [prepare_upload(image, limits, resize_to_fit=True) for image in images]
        times.append((time.perf_counter() - started) / len(images))
    mime = ", ".join(sorted({u.mime for u in uploads}))
    return 1000 * statistics.median(times), mime, sum(len(u.data) for u in uploads) // len(uploads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cifar", type=int, default=200)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    cases = [
        (
            "12 MP JPEG, EXIF-rotated",
            [rotated_12mp()],
            (("Azure", AZURE), ("AWS", AWS), ("Google", GOOGLE)),
        ),
        (f"CIFAR-10 JPEGs, 32x32 ({args.cifar})", cifar_jpegs(args.cifar), (("Azure", AZURE),)),
    ]
    load = os.getloadavg()
    lines = [
        "# Re-encoding JPEGs before an upload: as JPEG, or PNG first",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `python benchmarks/upload_reencode.py "
        f"--runs {args.runs}` on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}. "
        "Milliseconds per image for the whole preflight (scale, rotate, encode), median of "
        f"{args.runs} runs; both ways in the same run.",
        "",
        "| images | backend | as JPEG (shipped) | PNG first | PNG first / JPEG "
        "| sent as JPEG | sent PNG first |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, images, backends in cases:
        for name, limits in backends:
            jpeg = timed(images, replace(limits, keep_jpeg=True), args.runs)
            png = timed(images, replace(limits, keep_jpeg=False), args.runs)
            lines.append(
                f"| {label} | {name} | {jpeg[0]:.2f} ms | {png[0]:.2f} ms "
                f"| {png[0] / jpeg[0]:.1f}x | {jpeg[1]}, {jpeg[2]:,} B | {png[1]}, {png[2]:,} B |"
            )
            print(lines[-1], flush=True)
    lines += [
        "",
        "A JPEG's pixels carry JPEG's losses already, so sending them as PNG keeps nothing "
        "worth its cost; where PNG would not fit the byte limit, trying it first costs a "
        "whole PNG encode for nothing. Other formats (PNG, GIF, BMP, in-memory pixels) are "
        "still re-encoded as PNG first, which keeps screenshots and drawings exact.",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
