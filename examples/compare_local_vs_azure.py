"""Compare the local CNN with Azure on the same photos, and write an HTML report.

    python examples/compare_local_vs_azure.py [IMAGE_OR_DIR ...] [--report report.html]

With no image it compares the sample photos beside this script. With
AZURE_VISION_ENDPOINT and AZURE_VISION_KEY set it calls Azure; without a key it
replays the Azure answer bundled with visionkit (Azure's published v3.2 example
response, a photo of Satya Nadella; see visionkit/testing/cassettes/), so it
runs offline. Offline, the Azure column therefore describes that photo, not
yours: the run shows the comparison machinery, not Azure's opinion of your images.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import visionkit
from visionkit.comparison.runner import collect_images

SAMPLES = Path(__file__).parent / "images"

# Everything Analyze Image answers (OCR is a separate, slower call, and nothing
# local reads text). The local backend is asked for the part it can do.
FEATURES = [
    "tags",
    "caption",
    "objects",
    "colors",
    "adult",
    "image_type",
    "faces",
    "brands",
    "categories",
    "celebrities",
    "landmarks",
    "metadata",
]


@contextlib.contextmanager
def azure_or_replay(image_count: int) -> Iterator[None]:
    """Live Azure with a key; otherwise the bundled answer, once per image."""
    if os.environ.get("AZURE_VISION_KEY") or os.environ.get("VISION_KEY"):
        yield
        return
    from visionkit.testing import (  # needs visionkit[test]
        bundled_cassette,
        load_cassette,
        replay,
        write_cassette,
    )

    visionkit.configure(
        azure={"endpoint": "https://example.cognitiveservices.azure.com", "key": "replayed"}
    )
    recorded = [i for _, i in load_cassette(bundled_cassette("azure/analyze-all-features"))]
    with tempfile.TemporaryDirectory() as tmp:
        # The bundled cassette answers one call; a comparison makes one per image.
        write_cassette(tmp, recorded * image_count)
        with replay(tmp):
            yield


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", default=[str(SAMPLES)])
    parser.add_argument("--report", default="compare-report.html")
    args = parser.parse_args()

    images = collect_images(args.images)
    with azure_or_replay(len(images)):
        comparison = visionkit.compare(images, backends=("local", "azure"), features=FEATURES)

    print(comparison)
    for image, failure in comparison.failures:
        print(f"{image}: {failure.backend} failed: {failure.error_type}: {failure.message}")
    top1 = next(s for s in comparison.summary() if s.metric == "top1")
    if top1.agreement_rate is not None:
        print(f"top-1 agreement: {top1.agreement_rate:.0%} of {top1.comparable} image(s)")
    comparison.to_html(args.report)
    print(f"report: {Path(args.report).resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
