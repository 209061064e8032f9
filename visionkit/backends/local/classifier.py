"""Run the local CNN: photo in, calibrated class probabilities out, without TensorFlow.

Also the one place the model's input contract lives (:func:`fit_to_square`,
:func:`to_model_input`). Training, which decodes user folders of any size,
calls the same function as inference, so an image is squashed into the network
the same way in both: a skew between the two would cost accuracy silently.

Importing this module loads only NumPy and Pillow; LiteRT is imported when a
model is loaded, and TensorFlow only for the ``.keras`` fallback.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from visionkit.backends.local.views import LEGACY_POLICY, ViewPolicy, get_policy, view_average
from visionkit.errors import ModelError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable


def fit_to_square(img: Image.Image, size: int) -> Image.Image:
    """Return ``img`` as an RGB ``size`` x ``size`` image: short side scaled, centre cropped.

    Scaling keeps the aspect ratio because stretching a 4:3 photo into a square
    distorts shapes the CNN learnt from undistorted CIFAR images; cropping the
    centre keeps the part of the photo the subject is most likely in. Lanczos
    filtering is antialiased: going from a few megapixels down to 32 pixels
    with a nearest or bilinear filter would alias fine texture into noise the
    network never saw. ``reducing_gap`` lets Pillow first shrink by an integer
    factor in the JPEG decoder/box filter (fast) and finish with Lanczos
    (accurate), which keeps big photos cheap without visible loss at 32 px.
    """
    if size < 1:
        raise ValueError(f"size must be a positive number of pixels, got {size}")
    if img.mode != "RGB":
        img = img.convert("RGB")
    width, height = img.size
    if (width, height) == (size, size):
        return img
    scale = size / min(width, height)
    new_w = max(size, round(width * scale))
    new_h = max(size, round(height * scale))
    img = img.resize((new_w, new_h), Image.Resampling.LANCZOS, reducing_gap=3.0)
    left = (new_w - size) // 2
    top = (new_h - size) // 2
    return img.crop((left, top, left + size, top + size))


def to_model_input(img: Image.Image, size: int = 32) -> NDArray[np.float32]:
    """Return ``img`` as a ``(size, size, 3)`` float32 array of raw pixels in 0..255.

    The models normalise internally (their mean/std is part of the saved
    graph), so callers hand over plain pixel values and cannot get the
    normalisation wrong.
    """
    return np.asarray(fit_to_square(img, size), dtype=np.float32)


DEFAULT_MODEL = "cifar10-default.tflite"
DEFAULT_INT8_MODEL = "cifar10-default-int8.tflite"
# Models shipped inside the package, by the name `local.model` accepts for them.
# `default-int8` is the same network with 8-bit weights and activations (same
# test accuracy to 0.01 points, same top class on 99% of the test images);
# `fast` is the narrow net (`--arch small`), 3.6x fewer multiply-adds than the
# default, for CPUs where int8 does not pay. `default` is one of the
# first two, chosen per machine by :func:`default_model_file`.
SHIPPED_MODELS: dict[str, str] = {
    "default-float32": DEFAULT_MODEL,
    "default-int8": DEFAULT_INT8_MODEL,
    "fast": "cifar10-fast.tflite",
}
SHIPPED_NAMES = ("default", *SHIPPED_MODELS)


def default_model_file(cpu_flags: frozenset[str] | None = None) -> str:
    """The file ``default`` means on this machine: int8 where int8 was measured faster.

    On a CPU with VNNI dot-product instructions (AVX512-VNNI, AVX-VNNI) the int8
    file ran at 3.8x the float32 file's images/s (one core of an AMD EPYC with
    AVX512-VNNI); on plain AVX2 it ran at 0.66x, so there the float32 file answers
    (docs/benchmarks/local-model.md). ``local.model = "default-float32"`` or
    ``"default-int8"`` pins one, for results that must not depend on the machine.
    """
    flags = _cpu_flags() if cpu_flags is None else cpu_flags
    return DEFAULT_INT8_MODEL if flags & {"avx512_vnni", "avx_vnni"} else DEFAULT_MODEL


def shipped_file(name: str) -> str:
    """The file in ``visionkit/models`` that the shipped model ``name`` loads."""
    return default_model_file() if name == "default" else SHIPPED_MODELS[name]


def shipped_model(name: str) -> Traversable:
    """Where the shipped model ``name`` (one of :data:`SHIPPED_NAMES`) lies in the package."""
    return resources.files("visionkit") / "models" / shipped_file(name)


@functools.cache
def _cpu_flags() -> frozenset[str]:
    """The x86 feature flags Linux reports; empty elsewhere, which picks float32."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


_BATCH = 256


class _Runner(Protocol):
    def __call__(self, batch: NDArray[np.float32]) -> NDArray[np.float32]: ...


class ImageClassifier:
    """A trained visionkit CNN: images in, calibrated class probabilities out.

    ``.tflite`` files run on LiteRT, which starts in ~0.1 s and ~50 MB; a
    ``.keras`` file needs TensorFlow (seconds and ~600 MB to import), so that
    path is a fallback for models fresh out of training. Both compute the
    same thing: the softmax at the calibrated temperature, averaged over the
    model's test-time views (``views``; built into the exported graph).

    One instance may be shared by a thread pool: each thread gets its own
    LiteRT interpreter (interpreters are not thread-safe, and one per thread
    avoids serialising on a lock); the Keras fallback serialises calls.
    """

    def __init__(
        self,
        runner: _Runner,
        *,
        class_names: Sequence[str],
        image_size: int,
        path: Path,
        version: str,
        views: ViewPolicy = LEGACY_POLICY,
        open_set_threshold: float | None = None,
        temperatures: dict[str, float] | None = None,
        open_set_thresholds: dict[str, float] | None = None,
    ) -> None:
        self._runner = runner
        self.views = views
        # Format-2 files: the runner returns logits, and the views, the policy's
        # temperature and the softmax average are applied here, for any policy in
        # ``temperatures``. Format 1 and Keras (``None``): the runner computes the
        # calibrated probabilities of its own policy itself.
        self._temperatures = dict(temperatures or {})
        #: The temperature applied here; ``None`` when the runner applies its own.
        self.temperature = self._temperatures.get(views.name)
        # The open-set score is the top calibrated probability, which moves with the
        # views, so a threshold is fitted per policy where the sidecar has one
        # (``open_set.thresholds``); a policy without its own takes ``threshold``.
        self._open_set_thresholds = dict(open_set_thresholds or {})
        self._open_set_fallback = open_set_threshold
        #: The model's own "none of my classes" threshold on its top calibrated
        #: probability for these views (saved beside it; ``None`` for models saved
        #: without one).
        self.open_set_threshold = self._open_set_thresholds.get(views.name, open_set_threshold)
        self.class_names: tuple[str, ...] = tuple(class_names)
        self.image_size = image_size
        self.path = path
        self.version = version

    @classmethod
    def load(
        cls, path: str | os.PathLike[str] | None = None, *, views: str | None = None
    ) -> ImageClassifier:
        """Load a ``.tflite`` (with its sidecar JSON) or ``.keras`` model; ``None`` = shipped.

        ``path`` may also name a shipped model (``"default"``, ``"default-float32"``,
        ``"default-int8"``, ``"fast"``); a real file path never collides with one, as it
        needs a suffix.

        ``views`` picks the test-time view policy (``"single"``, ``"flip"``, ``"flip+shift"``);
        ``None`` takes the model's default. Only models exported with a temperature
        for that policy offer it (format-2 ``.tflite`` files have one per policy).

        Raises :class:`~visionkit.errors.ModelError` naming the file and the
        fix when it is missing, not a model, not shaped like an image classifier,
        or not calibrated for ``views``.
        """
        loaded = cls._load_file(path)
        if views is not None and views != loaded.views.name:
            loaded = loaded.with_views(views)
        return loaded

    @property
    def offered_views(self) -> tuple[str, ...]:
        """The view policies this model is calibrated for, its default first."""
        others = tuple(n for n in self._temperatures if n != self.views.name)
        if self.temperature is None:
            return (self.views.name,)
        return (self.views.name, *others)

    def with_views(self, name: str) -> ImageClassifier:
        """This model predicting over the views ``name`` at that policy's temperature."""
        if name not in self.offered_views:
            raise ModelError(
                f"{self.path.name} is calibrated for the views {', '.join(self.offered_views)}, "
                f"not {name!r}. Choose one of those, or re-export the model with "
                "`visionkit export --data DIR` to calibrate every policy."
            )
        twin = copy.copy(self)
        twin.views = get_policy(name)
        twin.temperature = self._temperatures[name]
        twin.open_set_threshold = self._open_set_thresholds.get(name, self._open_set_fallback)
        return twin

    @classmethod
    def _load_file(cls, path: str | os.PathLike[str] | None) -> ImageClassifier:
        key = "default" if path is None else os.fspath(path)
        if key in SHIPPED_NAMES:
            with resources.as_file(shipped_model(key)) as file:
                return cls._load_tflite(Path(file))
        p = Path(key).expanduser()
        if not p.is_file():
            raise ModelError(
                f"Model file {p} does not exist. Pass the path of a .tflite (with its .json "
                "sidecar) or .keras model, the name of a shipped model "
                f"({', '.join(SHIPPED_NAMES)}), or leave it unset for the default one."
            )
        if p.suffix == ".keras":
            return cls._load_keras(p)
        if p.suffix == ".tflite":
            return cls._load_tflite(p)
        raise ModelError(
            f"{p} is neither a .tflite nor a .keras file. Export a trained model with "
            "visionkit.training.export.export_tflite()."
        )

    def predict(self, images: Sequence[Image.Image]) -> NDArray[np.float32]:
        """Return ``(len(images), num_classes)`` calibrated probabilities, one row per image."""
        if not images:
            return np.zeros((0, len(self.class_names)), np.float32)
        batch = np.stack([to_model_input(img, self.image_size) for img in images])
        return self.predict_arrays(batch)

    def predict_arrays(
        self, pixels: NDArray[np.generic], batch_size: int = _BATCH
    ) -> NDArray[np.float32]:
        """Like :meth:`predict` for pixels already at the model size, ``(N, H, W, 3)`` in 0..255."""
        expected = (self.image_size, self.image_size, 3)
        if pixels.ndim != 4 or pixels.shape[1:] != expected:
            raise ValueError(f"expected pixels of shape (N, {', '.join(map(str, expected))})")
        if len(pixels) == 0:
            return np.zeros((0, len(self.class_names)), np.float32)
        if self.temperature is None:
            return np.concatenate(
                [
                    self._runner(np.ascontiguousarray(pixels[i : i + batch_size], np.float32))
                    for i in range(0, len(pixels), batch_size)
                ]
            )
        # Every view of a chunk goes through the network as one stacked batch: one
        # call per chunk instead of one per view keeps the interpreter's threads busy.
        per_chunk = max(1, batch_size // self.views.count)
        out = []
        for i in range(0, len(pixels), per_chunk):
            chunk = np.asarray(pixels[i : i + per_chunk], np.float32)
            stacked = np.concatenate(self.views.views(chunk))
            logits = self._runner(stacked).reshape(self.views.count, len(chunk), -1)
            out.append(view_average(logits, self.temperature, self.views.view_weights))
        return np.concatenate(out).astype(np.float32)

    @classmethod
    def _load_tflite(cls, path: Path) -> ImageClassifier:
        sidecar = path.with_suffix(".json")
        try:
            meta = json.loads(sidecar.read_text())
            class_names = [str(n) for n in meta["class_names"]]
            views = get_policy(str(meta.get("views", LEGACY_POLICY.name)))
            fmt = int(meta.get("format", 1))
            temperatures: dict[str, float] = {}
            if fmt >= 2:
                temperatures = {str(k): float(v) for k, v in meta["temperatures"].items()}
                for name, value in temperatures.items():
                    get_policy(name)
                    if not value > 0:
                        raise ValueError(f"temperature for {name!r} is {value}, not positive")
                if views.name not in temperatures:
                    raise ValueError(f"no temperature for its default views {views.name!r}")
            open_set = meta.get("open_set") or {}
            threshold = float(open_set["threshold"]) if "threshold" in open_set else None
            per_policy = {str(k): float(v) for k, v in open_set.get("thresholds", {}).items()}
            for limit in (threshold, *per_policy.values()):
                if limit is not None and not 0.0 <= limit <= 1.0:
                    raise ValueError(f"open-set threshold {limit} is not in [0, 1]")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(
                f"{sidecar} (the class names of {path.name}) is missing or unreadable: {exc}. "
                "Re-export the model with visionkit.training.export.export_tflite(), which "
                "writes both files."
            ) from exc
        runner = _LiteRTRunner(path)
        shape = runner.input_shape
        if len(shape) != 4 or shape[3] != 3 or shape[1] != shape[2]:
            raise ModelError(
                f"{path} takes input of shape {shape}, not square RGB images (N, S, S, 3). "
                "It is not a visionkit image classifier; export one with export_tflite()."
            )
        if runner.num_outputs != len(class_names):
            raise ModelError(
                f"{path} outputs {runner.num_outputs} values but {sidecar.name} lists "
                f"{len(class_names)} classes. Re-export the model so the two match."
            )
        digest = str(meta.get("tflite_sha256", ""))[:12]
        return cls(
            runner,
            class_names=class_names,
            image_size=int(shape[1]),
            path=path,
            version=f"{path.stem}@{digest}" if digest else path.stem,
            views=views,
            open_set_threshold=threshold,
            temperatures=temperatures or None,
            open_set_thresholds=per_policy or None,
        )

    @classmethod
    def _load_keras(cls, path: Path) -> ImageClassifier:
        from visionkit.backends.local.keras_model import head_of, load_keras_model

        model = load_keras_model(path)
        try:
            head = head_of(model)
        except TypeError as exc:
            raise ModelError(f"{path}: {exc}. Train it with visionkit.training.train().") from exc
        shape = tuple(model.inputs[0].shape)
        if len(shape) != 4 or shape[3] != 3 or shape[1] != shape[2]:
            raise ModelError(f"{path} takes input of shape {shape}, not square RGB images.")
        return cls(
            _KerasRunner(model, head.views),
            class_names=head.class_names,
            image_size=int(shape[1]),
            path=path,
            version=path.stem,
            views=head.views,
        )


DELEGATE_NOTICE = b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
"""What LiteRT's C++ logger writes to stderr when an interpreter first allocates its tensors."""

_stderr_lock = threading.Lock()


@contextlib.contextmanager
def _without_delegate_notice() -> Iterator[None]:
    """Run the block with LiteRT's XNNPACK notice held back from stderr, and nothing else.

    The notice is an INFO line that says nothing to a user, printed once per
    interpreter. ai-edge-litert (2.3.0, checked) offers no supported way to
    quiet it: its Python package has no log-level setting (LiteRT issue #7420,
    open), its minimal logger ignores ``TF_CPP_MIN_LOG_LEVEL`` (tried 1, 2 and 3),
    and the one interpreter option that avoids it,
    ``OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES``, runs without XNNPACK:
    1.81 s against 0.49 s per batch of 32 on the shipped model, measured on the
    2-core build machine. So file descriptor 2 is pointed at a temporary file for
    the block, and everything written there except that one line is written back:
    a real LiteRT error, or another thread's output, arrives late but whole.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to protect
        yield
        return
    with _stderr_lock, tempfile.TemporaryFile() as held:
        sys.stderr.flush()
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = [
                line
                for line in held.read().splitlines(keepends=True)
                if line.rstrip(b"\r\n") != DELEGATE_NOTICE
            ]
            if kept:
                os.write(2, b"".join(kept))


class _LiteRTRunner:
    """A pool of LiteRT interpreters, one per concurrent caller, each resized to its last batch.

    An interpreter is not thread-safe, so each call borrows one; a pool rather than
    one per thread, because the batch engine's threads live only as long as one
    ``analyze_many`` call, and a thread-local interpreter (tens of milliseconds to
    build, megabytes of packed weights) died with its thread and was built again
    by the next call.
    """

    def __init__(self, path: Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter_cls = Interpreter
        self._path = path
        self._model = path.read_bytes()
        self._idle: list[tuple[Any, int]] = []  # (interpreter, batch size it is allocated for)
        self._pool_lock = threading.Lock()
        interpreter, batch = self._new()  # fail now, on the caller's thread, if the file is bad
        detail = interpreter.get_input_details()[0]
        self.input_shape = tuple(int(d) for d in detail["shape"])
        self.num_outputs = int(interpreter.get_output_details()[0]["shape"][-1])
        self._idle.append((interpreter, batch))

    def _new(self) -> tuple[Any, int]:
        try:
            with _without_delegate_notice():
                interpreter = self._interpreter_cls(model_content=self._model)
                interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"{self._path} is not a valid LiteRT model "
                f"({exc}). Re-export it with visionkit.training.export.export_tflite()."
            ) from exc
        return interpreter, int(interpreter.get_input_details()[0]["shape"][0])

    def __call__(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        with self._pool_lock:
            borrowed = self._idle.pop() if self._idle else None
        interpreter, size = borrowed if borrowed is not None else self._new()
        try:
            index = interpreter.get_input_details()[0]["index"]
            if size != len(batch):
                interpreter.resize_tensor_input(index, batch.shape)
                interpreter.allocate_tensors()
                size = len(batch)
            interpreter.set_tensor(index, batch)
            interpreter.invoke()
            output = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
            return np.array(output, dtype=np.float32)  # a copy: the buffer is reused next call
        finally:
            with self._pool_lock:
                self._idle.append((interpreter, size))


class _KerasRunner:
    """The ``.keras`` fallback: the saved model plus the same view averaging as the export."""

    def __init__(self, model: Any, views: ViewPolicy) -> None:
        self._model = model
        self._views = views
        self._lock = threading.Lock()

    def __call__(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        with self._lock:
            probs = [np.asarray(self._model(v, training=False)) for v in self._views.views(batch)]
        return self._views.combine(np.stack(probs))
