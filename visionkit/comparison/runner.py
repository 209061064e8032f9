"""Running several backends over the same images: :func:`compare`.

Each backend's images go through the batch engine (:func:`visionkit.analyze_many`,
the one place that bounds concurrency), one run per backend, side by side, so a
slow cloud never waits for the local model. The engine decides how a backend
works: a remote one (``Analyzer.is_remote()``) keeps several requests awaiting
the service on the event loop; a CPU-bound one (the local CNN) gets one batch
in flight, stacked into model calls, because two model invocations on two shared
cores only slow each other down. ``concurrency=`` overrides either. Results are
not cached: a comparison measures what each backend answers and how long it
takes now.

Every call is isolated: an exception becomes a
:class:`~visionkit.comparison.comparison.Failure` for that image and backend, and
the other results are kept. Only mistakes that would make every call fail the
same way (an unknown backend name, features no backend offers) raise before
any work starts.
"""

from __future__ import annotations

import os
import threading
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from visionkit.analyzers import get_analyzer
from visionkit.backends.base import Analyzer, FeaturesArg
from visionkit.backends.registry import get_backend_class
from visionkit.batch import analyze_many
from visionkit.comparison.comparison import Comparison, Failure, compare_image
from visionkit.comparison.settings import CompareSettings, configured_settings
from visionkit.errors import ConfigError
from visionkit.features import Feature, parse_features
from visionkit.images import ImageInput, is_url
from visionkit.results import AnalysisResult

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"})
"""Files taken from a directory: the formats :func:`visionkit.images.load_image` accepts."""

NETWORK_WORKERS = 4
"""Default concurrency of a backend with real async I/O: enough to hide latency, polite to
a service's rate limit."""

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` each time every backend has finished with an image."""


def collect_images(inputs: Iterable[ImageInput]) -> list[ImageInput]:
    """The inputs with each directory replaced by its image files, sorted, recursively."""
    out: list[ImageInput] = []
    for item in inputs:
        if isinstance(item, str | os.PathLike) and not is_url(item) and Path(item).is_dir():
            out.extend(
                sorted(
                    p
                    for p in Path(item).rglob("*")
                    if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                )
            )
        else:
            out.append(item)
    return out


def image_label(image: ImageInput, index: int) -> str:
    """How an input is named in tables and reports: its path or URL, else its kind and position."""
    if isinstance(image, str | os.PathLike):
        return os.fspath(image)
    return f"<{type(image).__name__} #{index + 1}>"


def _as_list(images: ImageInput | Iterable[ImageInput]) -> list[ImageInput]:
    if isinstance(images, str | os.PathLike | bytes | bytearray | memoryview):
        return collect_images([images])
    if isinstance(images, list | tuple) or (
        isinstance(images, Iterable)
        and not hasattr(images, "read")
        and not hasattr(images, "shape")
    ):
        return collect_images(typing.cast(Iterable[ImageInput], images))
    return [typing.cast(ImageInput, images)]  # a stream, a PIL image or an array: one image


def _shareable(image: ImageInput) -> ImageInput:
    """The input in a form every backend can read, concurrently: a stream becomes its bytes.

    A binary stream can be read once; handed to two backends at the same time,
    one would see the image and the other whatever the first left of it.
    """
    if hasattr(image, "read") and not isinstance(image, str | os.PathLike):
        data = image.read()
        if isinstance(data, bytes | bytearray):
            return bytes(data)
    return image


def _resolve_backends(
    backends: Sequence[str | Analyzer],
) -> tuple[list[str], dict[str, Analyzer | Failure]]:
    """Names in order, and each backend's analyzer, or the failure that stopped building it.

    An unknown name raises; a backend that cannot be built (no key configured)
    becomes a failure on every image, so the other backends still run.
    """
    names: list[str] = []
    analyzers: dict[str, Analyzer | Failure] = {}
    for backend in backends:
        if isinstance(backend, Analyzer):
            name = backend.name
            built: Analyzer | Failure = backend
        else:
            name = backend
            get_backend_class(name)  # an unknown name is a usage error: raise now
            try:
                built = get_analyzer(name)
            except ConfigError as exc:
                built = Failure.from_exception(name, exc)
        if name in analyzers:
            raise ConfigError(
                f"Backend {name!r} is listed twice; each compared backend needs its own name."
            )
        names.append(name)
        analyzers[name] = built
    if len(names) < 1:
        raise ConfigError("compare() needs at least one backend, e.g. ('local', 'azure').")
    return names, analyzers


def _features_for(
    analyzer: Analyzer, wanted: frozenset[Feature] | None
) -> frozenset[Feature] | None:
    """What to ask one backend: the requested features it offers (``None``: all it offers)."""
    if wanted is None:
        return None
    offered = wanted & analyzer.supported_features
    if not offered:
        raise ConfigError(
            f"The {analyzer.name!r} backend offers none of the requested features "
            f"({', '.join(sorted(f.value for f in wanted))}); it offers "
            f"{', '.join(sorted(f.value for f in analyzer.supported_features))}. Add one of those "
            f"or leave {analyzer.name!r} out of the comparison."
        )
    return offered


def _workers(analyzer: Analyzer, concurrency: Mapping[str, int]) -> int:
    if analyzer.name in concurrency:
        return max(1, int(concurrency[analyzer.name]))
    return NETWORK_WORKERS if analyzer.is_remote() else 1


def compare(
    images: ImageInput | Iterable[ImageInput],
    backends: Sequence[str | Analyzer] = ("local", "azure"),
    features: FeaturesArg = None,
    *,
    settings: CompareSettings | None = None,
    concurrency: Mapping[str, int] | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Run every backend on every image and measure how far they agree.

    ``images``: one input or many; directories are searched for images.
    ``backends``: names (configured as for :func:`visionkit.analyze`) or
    :class:`~visionkit.Analyzer` instances. ``features``: asked of each backend
    as far as it offers them; ``None`` asks each for everything it supports.
    ``settings``: thresholds and crosswalk (default: the ``[compare]``
    configuration). Per-image errors are kept in the result, never raised.
    """
    given = _as_list(images)
    labels = [image_label(image, i) for i, image in enumerate(given)]
    inputs = [_shareable(image) for image in given]
    names, analyzers = _resolve_backends(backends)
    wanted = parse_features(features)
    plan = {
        name: _features_for(a, wanted) for name, a in analyzers.items() if isinstance(a, Analyzer)
    }
    settings = settings if settings is not None else configured_settings()

    results: list[dict[str, AnalysisResult]] = [{} for _ in inputs]
    failures: list[dict[str, Failure]] = [{} for _ in inputs]
    remaining = [len(names)] * len(inputs)
    done = 0
    lock = threading.Lock()

    def finished(index: int, backend: str, outcome: AnalysisResult | Failure) -> None:
        nonlocal done
        with lock:
            if isinstance(outcome, Failure):
                failures[index][backend] = outcome
            else:
                results[index][backend] = outcome
            remaining[index] -= 1
            if remaining[index] == 0:
                done += 1
                if progress is not None:
                    progress(done, len(inputs))

    runs = []
    for name in names:
        analyzer = analyzers[name]
        if isinstance(analyzer, Failure):
            for index in range(len(inputs)):
                finished(index, name, analyzer)
            continue
        runs.append(
            threading.Thread(
                target=_run_backend,
                args=(
                    analyzer,
                    inputs,
                    plan[name],
                    _workers(analyzer, concurrency or {}),
                    finished,
                ),
                name=f"compare-{name}",
            )
        )
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()

    feature_names = sorted(f.value for f in wanted) if wanted is not None else None
    return Comparison(
        backends=tuple(names),
        images=tuple(
            compare_image(labels[i], results[i], failures[i], names, settings, source=image)
            for i, image in enumerate(inputs)
        ),
        settings=settings,
        features=tuple(feature_names) if feature_names is not None else None,
    )


def _run_backend(
    analyzer: Analyzer,
    images: Sequence[ImageInput],
    features: frozenset[Feature] | None,
    concurrency: int,
    finished: Callable[[int, str, AnalysisResult | Failure], None],
) -> None:
    """All images through one backend; every image ends as a result or a failure.

    A failed image is its own failure and the run goes on. An error that stops
    the engine (a rejected key, a quota) becomes the failure of every image
    not yet finished, so the other backends' results are kept either way.
    """
    pending = set(range(len(images)))
    try:
        with analyze_many(
            images,
            features,
            analyzer=analyzer,
            concurrency=concurrency,
            ordered=False,
            cache=False,
        ) as run:
            for item in run:
                pending.discard(item.index)
                if item.result is not None:
                    finished(item.index, analyzer.name, item.result)
                else:
                    assert item.error is not None
                    finished(
                        item.index, analyzer.name, Failure.from_exception(analyzer.name, item.error)
                    )
    except Exception as exc:  # whatever stopped this backend must not lose the others
        failure = Failure.from_exception(analyzer.name, exc)
        for index in sorted(pending):
            finished(index, analyzer.name, failure)


__all__ = [
    "IMAGE_SUFFIXES",
    "NETWORK_WORKERS",
    "Progress",
    "collect_images",
    "compare",
    "image_label",
]
