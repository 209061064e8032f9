"""Analyse one image with the default (local, offline) backend and use the typed result.

    python examples/analyze_one_image.py [IMAGE]

With no argument it analyses the cat photo shipped beside this script.
"""

from __future__ import annotations

import sys
from pathlib import Path

from visionkit import Feature, VisionKitError, analyze


def main() -> int:
    image = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "images" / "chelsea.png"
    )
    try:
        result = analyze(image)
    except VisionKitError as exc:  # every deliberate visionkit error says what to do next
        print(f"could not analyse {image}: {exc}", file=sys.stderr)
        return 1

    print(result.summary())
    if result.top_tag is not None:
        print(f"top tag: {result.top_tag.name} ({result.top_tag.confidence:.1%})")
    for tag in result.tags_above(0.10):
        print(f"  {tag.name:<14} {tag.confidence:6.1%}")
    if result.colors is not None:
        print(
            f"colours: foreground {result.colors.dominant_foreground}, "
            f"background {result.colors.dominant_background}, accent {result.colors.accent_color}"
        )

    # Only what you ask for is computed; everything else stays None.
    colours_only = analyze(image, features=[Feature.COLORS])
    assert colours_only.tags is None and colours_only.colors is not None

    # Results are plain values: store them as JSON and read them back unchanged.
    assert type(result).from_json(result.to_json()) == result
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
