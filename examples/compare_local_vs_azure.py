"""Compare the local CNN with Azure on the same photos, and write an HTML report.

    python examples/compare_local_vs_azure.py [IMAGE_OR_DIR ...] [--report report.html]

Needs AZURE_VISION_ENDPOINT and AZURE_VISION_KEY to compare for real. Without
them it runs offline in demo mode (which needs pip install 'visionkit[testing]'):
Azure's column is then replayed from the cassette bundled with visionkit, which
is hand-made from Microsoft's published example answer for a photo of its own
(Satya Nadella on a bench), not of yours. The replayed answers are labelled as
such, in the output and in the report, and no agreement figure is printed: an
answer about another photo cannot agree or disagree with anything here.

With no image it compares the sample photos beside this script. The report goes
to --report, or to a new temporary folder (its path is printed), never into the
current directory unasked.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import visionkit
from visionkit.comparison.runner import collect_images
from visionkit.errors import MissingDependencyError

SAMPLES = Path(__file__).parent / "images"
DEMO_ENDPOINT = "https://example.cognitiveservices.azure.com"

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


def has_azure_key() -> bool:
    return bool(os.environ.get("AZURE_VISION_KEY") or os.environ.get("VISION_KEY"))


@contextlib.contextmanager
def replayed_azure(image_count: int) -> Iterator[None]:
    """Azure answered from the bundled cassette, once per image (demo mode only)."""
    from visionkit.testing import bundled_cassette, load_cassette, replay, write_cassette

    visionkit.configure(azure={"endpoint": DEMO_ENDPOINT, "key": "replayed"})
    name = "azure/analyze-all-features"
    answers = [i for _, i in load_cassette(bundled_cassette(name))]
    with tempfile.TemporaryDirectory() as tmp:
        # The bundled cassette answers one call; a comparison makes one per image.
        write_cassette(tmp, answers * image_count)
        with replay(tmp, label=f"bundled:{name} (Microsoft's example answer, another photo)"):
            yield


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", default=[str(SAMPLES)])
    parser.add_argument("--report", help="where to write the HTML report (default: a temp folder)")
    args = parser.parse_args()
    images = collect_images(args.images)
    live = has_azure_key()

    if live:
        comparison = visionkit.compare(images, backends=("local", "azure"), features=FEATURES)
    else:
        try:
            importlib.import_module("visionkit.testing.playback")  # needs the testing extra
        except MissingDependencyError:
            print(
                "No Azure key set, and the offline demo needs: pip install 'visionkit[testing]'",
                file=sys.stderr,
            )
            return 2
        with replayed_azure(len(images)):
            comparison = visionkit.compare(images, backends=("local", "azure"), features=FEATURES)
        print(
            "Demo mode (no AZURE_VISION_KEY): Azure's answers are replayed from a hand-made "
            "cassette about another photo; no agreement is computed from them."
        )

    print(f"{len(comparison.images)} image(s), backends {', '.join(comparison.backends)}")
    for entry in comparison.images:
        print(entry.image)
        for backend in comparison.backends:
            result = entry.results.get(backend)
            if result is not None:
                print(f"  {result.summary()}")
    for image, failure in comparison.failures:
        print(f"{image}: {failure.backend} failed: {failure.error_type}: {failure.message}")
    if live:
        top1 = next(s for s in comparison.summary() if s.metric == "top1")
        if top1.agreement_rate is not None:
            print(f"top-1 agreement: {top1.agreement_rate:.0%} of {top1.comparable} image(s)")
    # The temporary folder is made only now, so a run that stops early leaves none behind.
    report = (
        Path(args.report)
        if args.report
        else Path(tempfile.mkdtemp(prefix="visionkit-compare-")) / "compare-report.html"
    )
    comparison.to_html(report)
    print(f"report: {report.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
