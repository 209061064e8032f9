"""Load labelled images as decoded uint8 arrays, from three layouts, cached on disk.

Layouts (detected from what is on disk, see :func:`load_dataset`):

* ``split-folders``: ``<root>/train/<class>/*.jpg`` and ``<root>/test/<class>/...``
  (the shared CIFAR-10 copy looks like this);
* ``cifar-python``: the official ``cifar-10-batches-py`` pickles;
* ``class-folders``: ``<root>/<class>/*`` with no split; a seeded, stratified
  share of each class is held out for evaluation.

Decoding 60,000 small JPEGs takes tens of seconds on two cores, so the decoded
arrays are cached as one ``.npz`` keyed by a digest of the file list (names and
sizes) and the target image size; a second run loads them in about a second.
Nothing here downloads anything. This module does not import TensorFlow.

It runs a little over the project's ~400-line guide: three layout readers,
the cache and the seeded hold-out are one job (labelled arrays from disk), and
each reader is short.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from visionkit.backends.local.classifier import fit_to_square
from visionkit.errors import ConfigError

DATA_DIR_ENV = "VISIONKIT_CIFAR10_DIR"
CACHE_DIR_ENV = "VISIONKIT_CACHE_DIR"
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
_CACHE_FORMAT = 1  # bump when the cached arrays' meaning changes


class DatasetError(ConfigError):
    """The training data is missing, empty, unreadable or laid out in a way we do not know."""


@dataclass(frozen=True)
class Split:
    """Images ``(N, H, W, 3)`` uint8 with their integer labels ``(N,)``."""

    images: NDArray[np.uint8]
    labels: NDArray[np.int64]

    def __post_init__(self) -> None:
        if self.images.ndim != 4 or self.images.shape[-1] != 3:
            raise ValueError(f"images must be (N, H, W, 3), got {self.images.shape}")
        if len(self.images) != len(self.labels):
            raise ValueError(f"{len(self.images)} images but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, indices: NDArray[np.int64]) -> Split:
        """Return the images at ``indices`` (in that order)."""
        return Split(self.images[indices], self.labels[indices])

    def sample(self, n: int, seed: int = 0) -> Split:
        """Return ``n`` images drawn without replacement (all of them if ``n >= len``)."""
        if n >= len(self):
            return self
        rng = np.random.default_rng(seed)
        return self.take(np.sort(rng.choice(len(self), size=n, replace=False)))


@dataclass(frozen=True)
class LabelledImages:
    """A training split, an evaluation split and what is needed to describe them.

    ``digest`` identifies the data (file names and sizes, or the batch files)
    so a model card can say exactly what a model was trained on.
    """

    train: Split
    test: Split
    class_names: tuple[str, ...]
    source: str
    layout: str
    digest: str
    test_description: str
    #: Held out of ``train`` for every choice made after training (temperature,
    #: open-set thresholds), so that ``test`` is read only for the reported figures.
    validation: Split | None = None

    def subset(self, train_size: int, test_size: int, seed: int = 0) -> LabelledImages:
        """Return a smaller copy (for smoke tests and quick checks), same classes."""
        return LabelledImages(
            train=self.train.sample(train_size, seed),
            test=self.test.sample(test_size, seed + 1),
            class_names=self.class_names,
            source=f"{self.source} (subset: {train_size} train, {test_size} test, seed {seed})",
            layout=self.layout,
            digest=self.digest,
            test_description=self.test_description,
            validation=self.validation,
        )

    def with_validation(self, size: int, seed: int = 0) -> LabelledImages:
        """Return a copy with a seeded, stratified ``size`` images moved from train to validation.

        Stratified so every class is in the validation split in its training
        proportion; a dataset that already has a validation split is returned as is.
        """
        if self.validation is not None:
            return self
        labels = self.train.labels
        n = len(labels)
        if not 0 < size < n:
            raise DatasetError(f"validation size must be between 1 and {n - 1}, got {size}.")
        held = stratified_holdout(labels, size / n, np.random.default_rng([seed, 7]))
        return LabelledImages(
            train=self.train.take(np.flatnonzero(~held)),
            test=self.test,
            class_names=self.class_names,
            source=self.source,
            layout=self.layout,
            digest=self.digest,
            test_description=self.test_description,
            validation=self.train.take(np.flatnonzero(held)),
        )


def stratified_holdout(
    labels: NDArray[np.int64], share: float, rng: np.random.Generator
) -> NDArray[np.bool_]:
    """A mask holding out ``share`` of each class (at least one, never all) drawn by ``rng``.

    Stratifying keeps a rare class represented on both sides; classes are visited
    in label order, so the same seed always holds out the same images.
    """
    held = np.zeros(len(labels), dtype=bool)
    for label in range(int(labels.max()) + 1 if len(labels) else 0):
        members = np.flatnonzero(labels == label)
        if len(members) == 0:
            continue
        k = min(len(members) - 1, max(1, round(share * len(members))))
        held[rng.choice(members, size=k, replace=False)] = True
    return held


def resolve_data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the data directory from ``path`` or ``$VISIONKIT_CIFAR10_DIR``."""
    if path is None:
        env = os.environ.get(DATA_DIR_ENV)
        if not env:
            raise DatasetError(
                "No training data given. Pass a data directory, or set "
                f"{DATA_DIR_ENV} to a folder with train/<class>/ and test/<class>/ images "
                "or the official cifar-10-batches-py files. visionkit never downloads data."
            )
        path = env
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DatasetError(f"Training data directory {root} does not exist or is not a folder.")
    return root


def cache_dir() -> Path:
    """Return where decoded datasets are cached (``$VISIONKIT_CACHE_DIR`` or ~/.cache)."""
    base = os.environ.get(CACHE_DIR_ENV)
    if base:
        return Path(base).expanduser() / "datasets"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return root / "visionkit" / "datasets"


def load_dataset(
    path: str | os.PathLike[str] | None = None,
    *,
    image_size: int = 32,
    validation_share: float = 0.1,
    seed: int = 0,
    use_cache: bool = True,
    cache: Path | None = None,
) -> LabelledImages:
    """Load a labelled dataset from ``path`` (or ``$VISIONKIT_CIFAR10_DIR``), any layout.

    Images whose size differs from ``image_size`` are fitted to a square with
    the same function inference uses, so a model trained on large photos sees
    them at test time exactly as it saw them in training. ``validation_share``
    and ``seed`` only matter for the ``class-folders`` layout.
    """
    root = resolve_data_dir(path)
    batches = _find_cifar_batches(root)
    if batches is not None:
        return load_cifar_batches(batches, use_cache=use_cache, cache=cache)
    if (root / "train").is_dir() and (root / "test").is_dir():
        return load_split_folders(root, image_size=image_size, use_cache=use_cache, cache=cache)
    return load_class_folders(
        root,
        image_size=image_size,
        validation_share=validation_share,
        seed=seed,
        use_cache=use_cache,
        cache=cache,
    )


def load_split_folders(
    root: Path, *, image_size: int = 32, use_cache: bool = True, cache: Path | None = None
) -> LabelledImages:
    """Load ``<root>/train/<class>/*`` and ``<root>/test/<class>/*``.

    Class indices follow sorted folder names (which for CIFAR-10 is the standard
    order), and both splits must have the same classes.
    """
    train_files, classes = _list_class_folders(root / "train")
    test_files, test_classes = _list_class_folders(root / "test")
    if test_classes != classes:
        raise DatasetError(
            f"{root}/train and {root}/test have different class folders: "
            f"{sorted(set(classes) ^ set(test_classes))} appear in only one of them."
        )
    digest = _digest_files(root, [p for p, _ in train_files + test_files])

    def decode() -> tuple[Split, Split]:
        return (
            _decode_split(train_files, image_size),
            _decode_split(test_files, image_size),
        )

    train, test = _cached(
        f"split-{digest[:20]}-{image_size}", decode, use_cache=use_cache, cache=cache
    )
    return LabelledImages(
        train=train,
        test=test,
        class_names=classes,
        source=str(root),
        layout="split-folders",
        digest=digest,
        test_description=f"the test/ folder ({len(test)} images)",
    )


def load_class_folders(
    root: Path,
    *,
    image_size: int = 32,
    validation_share: float = 0.1,
    seed: int = 0,
    use_cache: bool = True,
    cache: Path | None = None,
) -> LabelledImages:
    """Load ``<root>/<class>/*`` and hold out a stratified share of each class.

    Stratifying keeps a rare class represented in the held-out share; seeding
    makes the split the same on every run, so a resumed or repeated training
    run is evaluated on the same images.
    """
    if not 0.0 < validation_share < 1.0:
        raise DatasetError(f"validation_share must be between 0 and 1, got {validation_share}.")
    files, classes = _list_class_folders(root)
    digest = _digest_files(root, [p for p, _ in files])
    labels = np.array([label for _, label in files], dtype=np.int64)
    counts = np.bincount(labels, minlength=len(classes))
    for label in np.flatnonzero(counts < 2):
        raise DatasetError(
            f"Class folder {root / classes[label]} has {counts[label]} image(s); "
            "each class needs at least 2 (one to train on, one to evaluate)."
        )
    held_out = stratified_holdout(labels, validation_share, np.random.default_rng(seed))

    def decode() -> tuple[Split, Split]:
        everything = _decode_split(files, image_size)
        return (
            everything.take(np.flatnonzero(~held_out)),
            everything.take(np.flatnonzero(held_out)),
        )

    train, test = _cached(
        f"folders-{digest[:20]}-{image_size}-{validation_share}-{seed}",
        decode,
        use_cache=use_cache,
        cache=cache,
    )
    return LabelledImages(
        train=train,
        test=test,
        class_names=classes,
        source=str(root),
        layout="class-folders",
        digest=digest,
        test_description=(
            f"a held-out {validation_share:.0%} of each class, seed {seed} ({len(test)} images)"
        ),
    )


def load_cifar_batches(
    batch_dir: Path, *, use_cache: bool = True, cache: Path | None = None
) -> LabelledImages:
    """Load the official CIFAR-10 python batches (``data_batch_1..5``, ``test_batch``).

    These files are pickles: only load copies you trust, as unpickling can run code.
    """
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
    missing = [n for n in names if not (batch_dir / n).is_file()]
    if missing:
        raise DatasetError(f"{batch_dir} is missing CIFAR-10 batch files: {', '.join(missing)}.")
    digest = _digest_files(batch_dir, [batch_dir / n for n in names])

    def decode() -> tuple[Split, Split]:
        train = [_read_cifar_batch(batch_dir / f"data_batch_{i}") for i in range(1, 6)]
        return (
            Split(
                np.concatenate([s.images for s in train]),
                np.concatenate([s.labels for s in train]),
            ),
            _read_cifar_batch(batch_dir / "test_batch"),
        )

    train, test = _cached(f"cifar-{digest[:20]}", decode, use_cache=use_cache, cache=cache)
    label_names = _unpickle(batch_dir / "batches.meta").get(b"label_names")
    if not isinstance(label_names, list) or not all(isinstance(n, bytes) for n in label_names):
        raise DatasetError(f"{batch_dir / 'batches.meta'} has no b'label_names' list.")
    classes = tuple(n.decode() for n in label_names)
    return LabelledImages(
        train=train,
        test=test,
        class_names=classes,
        source=str(batch_dir),
        layout="cifar-python",
        digest=digest,
        test_description=f"test_batch ({len(test)} images)",
    )


def _find_cifar_batches(root: Path) -> Path | None:
    for candidate in (root, root / "cifar-10-batches-py"):
        if (candidate / "data_batch_1").is_file():
            return candidate
    return None


def _unpickle(path: Path) -> dict[bytes, object]:
    try:
        with path.open("rb") as f:
            data = pickle.load(f, encoding="bytes")
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        raise DatasetError(f"{path} is not a readable CIFAR-10 python batch: {exc}") from exc
    if not isinstance(data, dict):
        raise DatasetError(f"{path} does not hold a CIFAR-10 batch dictionary.")
    return data


def _read_cifar_batch(path: Path) -> Split:
    batch = _unpickle(path)
    try:
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except KeyError as exc:
        raise DatasetError(f"{path} lacks the b'data' or b'labels' entry.") from exc
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise DatasetError(f"{path}: b'data' should be (N, 3072), got {data.shape}.")
    # Rows are stored channel-first (1024 red, 1024 green, 1024 blue values).
    return Split(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), labels)


def _list_class_folders(root: Path) -> tuple[list[tuple[Path, int]], tuple[str, ...]]:
    if not root.is_dir():
        raise DatasetError(f"{root} does not exist or is not a folder.")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(class_dirs) < 2:
        raise DatasetError(
            f"{root} should contain one sub-folder of images per class (at least two); "
            f"found {len(class_dirs)}."
        )
    files: list[tuple[Path, int]] = []
    for label, class_dir in enumerate(class_dirs):
        images = sorted(
            p for p in class_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not images:
            raise DatasetError(
                f"Class folder {class_dir} has no images ({', '.join(sorted(IMAGE_SUFFIXES))})."
            )
        files.extend((p, label) for p in images)
    return files, tuple(p.name for p in class_dirs)


def _digest_files(root: Path, files: Sequence[Path]) -> str:
    """Hash relative names and sizes: cheap, and changes when any file is added or replaced."""
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(f"{p.relative_to(root).as_posix()}\t{p.stat().st_size}\n".encode())
    return h.hexdigest()


def _decode_one(path: Path, size: int) -> NDArray[np.uint8]:
    try:
        with Image.open(path) as img:
            img.draft("RGB", (size, size))  # lets libjpeg decode big photos at a reduced scale
            return np.asarray(fit_to_square(img, size), dtype=np.uint8)
    except (OSError, UnidentifiedImageError) as exc:
        raise DatasetError(f"Cannot decode training image {path}: {exc}") from exc


def _decode_split(files: Sequence[tuple[Path, int]], size: int) -> Split:
    """Decode with a thread pool: Pillow releases the GIL while decoding."""
    workers = min(8, (os.cpu_count() or 1) * 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        arrays = list(
            pool.map(lambda p: _decode_one(p, size), [p for p, _ in files], chunksize=256)
        )
    images = np.stack(arrays) if arrays else np.zeros((0, size, size, 3), np.uint8)
    return Split(images, np.array([label for _, label in files], dtype=np.int64))


def _cached(
    key: str,
    decode: Callable[[], tuple[Split, Split]],
    *,
    use_cache: bool,
    cache: Path | None,
) -> tuple[Split, Split]:
    path = (cache or cache_dir()) / f"v{_CACHE_FORMAT}-{key}.npz"
    if use_cache and path.is_file():
        try:
            with np.load(path) as z:
                return (
                    Split(z["train_x"], z["train_y"]),
                    Split(z["test_x"], z["test_y"]),
                )
        except (OSError, KeyError, ValueError):
            pass  # a truncated or foreign cache file: decode again and overwrite it
    train, test = decode()
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            np.savez(
                f,
                train_x=train.images,
                train_y=train.labels,
                test_x=test.images,
                test_y=test.labels,
            )
        os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
    return train, test
