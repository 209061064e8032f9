"""One piece of application code, three ways to choose the backend without touching it.

    python examples/switch_backends_by_config.py

The application function below never names a backend. What runs is decided by
configuration: a `visionkit.toml`, the environment (`VISIONKIT_BACKEND=azure`), or
`visionkit.configure()` in code, with call arguments above all of them.

Azure needs AZURE_VISION_ENDPOINT and AZURE_VISION_KEY. Without a key the Azure
step is a demo: with pip install 'visionkit[testing]' it replays the cassette
bundled with visionkit, hand-made from Microsoft's published example answer for
a photo of its own (so the line describes that photo, not this dog, and says it
was replayed); on the base install it prints what to install and goes on with
the local steps.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import visionkit
from visionkit.errors import MissingDependencyError

IMAGE = Path(__file__).parent / "images" / "dog.jpg"


def describe(image: Path) -> str:
    """Application code: knows nothing about backends."""
    return visionkit.analyze(image).summary()


@contextlib.contextmanager
def azure_or_replay() -> Iterator[None]:
    """Live Azure when a key is configured, otherwise the bundled cassette.

    The cassette is hand-made from Microsoft's published example answer for
    another photo, so offline the Azure line describes that photo, not this
    dog: it shows the plumbing, not Azure's opinion of the image. The result says so itself
    (``replayed_from``, shown in its summary).
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
    name = "azure/analyze-everything"
    with replay(
        bundled_cassette(name), label=f"bundled:{name} (Microsoft's example answer, another photo)"
    ):
        yield


def main() -> None:
    print("default (local):        ", describe(IMAGE))

    # 1. A config file in the working directory (or [tool.visionkit] in pyproject.toml).
    # top_k counts the model's classes: the broader tags derived from the one kept
    # ("mammal", "animal") still come with it; derived_tags = false leaves them out.
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "visionkit.toml").write_text('backend = "local"\n\n[local]\ntop_k = 1\n')
        previous = Path.cwd()
        os.chdir(tmp)
        try:
            print("visionkit.toml, top_k=1:", describe(IMAGE))
        finally:
            os.chdir(previous)

    # 2. configure() in code, above the environment and files.
    try:
        with azure_or_replay():
            visionkit.configure(backend="azure")
            print("configure(backend=azure):", describe(IMAGE))
    except MissingDependencyError:
        print(
            "configure(backend=azure): skipped, no Azure key; for the offline replay: "
            "pip install 'visionkit[testing]'"
        )
    visionkit.reset_configuration()

    # 3. A call argument beats everything else.
    print("backend= argument:      ", visionkit.analyze(IMAGE, backend="local").summary())
    visionkit.reset_configuration()


if __name__ == "__main__":
    main()
