"""One piece of application code, three ways to choose the backend without touching it.

    python examples/switch_backends_by_config.py

The application function below never names a backend. What runs is decided by
configuration: a `visionkit.toml`, the environment (`VISIONKIT_BACKEND=azure`), or
`visionkit.configure()` in code, with call arguments above all of them.

Azure needs AZURE_VISION_ENDPOINT and AZURE_VISION_KEY. Without a key this script
replays the Azure answer bundled with visionkit (Azure's published v3.2 example
response, see visionkit/testing/cassettes/), so it runs offline too.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import visionkit

IMAGE = Path(__file__).parent / "images" / "dog.jpg"


def describe(image: Path) -> str:
    """Application code: knows nothing about backends."""
    return visionkit.analyze(image).summary()


@contextlib.contextmanager
def azure_or_replay() -> Iterator[None]:
    """Live Azure when a key is configured, otherwise the bundled recording.

    The recording is Azure's published example answer for another photo, so
    offline the Azure line describes that photo, not this dog: it shows the
    plumbing, not Azure's opinion of the image.
    """
    if os.environ.get("AZURE_VISION_KEY") or os.environ.get("VISION_KEY"):
        yield
        return
    from visionkit.testing import bundled_cassette, replay  # needs visionkit[testing]

    visionkit.configure(
        azure={
            "endpoint": "https://example.cognitiveservices.azure.com",
            "key": "replayed",
            "read_poll_interval_s": 0,
        }
    )
    with replay(bundled_cassette("azure/analyze-everything")):
        yield


def main() -> None:
    print("default (local):        ", describe(IMAGE))

    # 1. A config file in the working directory (or [tool.visionkit] in pyproject.toml).
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "visionkit.toml").write_text('backend = "local"\n\n[local]\ntop_k = 1\n')
        previous = Path.cwd()
        os.chdir(tmp)
        try:
            print("visionkit.toml, top_k=1:", describe(IMAGE))
        finally:
            os.chdir(previous)

    # 2. configure() in code, above the environment and files.
    with azure_or_replay():
        visionkit.configure(backend="azure")
        print("configure(backend=azure):", describe(IMAGE))

    # 3. A call argument beats everything else.
    print("backend= argument:      ", visionkit.analyze(IMAGE, backend="local").summary())
    visionkit.reset_configuration()


if __name__ == "__main__":
    main()
