"""Train a registered architecture, calibrate it, save it with its model card.

The loop is a plain ``tf.function`` step rather than ``model.fit`` because the
``default`` recipe needs things ``fit`` has no hook for: a frozen whitening
kernel, a whitening bias frozen after a few epochs, a 64x learning rate on
BatchNorm shifts and lookahead over all weights. One loop serves all recipes
so ``tutorial`` and ``default`` are measured the same way.

The module is over the project's ~400-line guide because the loop, its
checkpointing and the finishing steps (calibration, open-set threshold,
card) share one run's state; the optimiser, the input pipeline, calibration
and the card already live in their own modules.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from visionkit.backends.local.views import DEFAULT_POLICY
from visionkit.errors import ConfigError
from visionkit.training.architectures import (
    WHITEN_LAYER,
    Architecture,
    build_model,
    get_architecture,
)
from visionkit.training.calibration import (
    expected_calibration_error,
    fit_temperature,
    softmax,
    view_average,
)
from visionkit.training.card import write_card
from visionkit.training.data import LabelledImages, load_dataset
from visionkit.training.evaluate import EvaluationReport, keras_logits_fn, score, view_logits

CHECKPOINTS_KEPT = 2
EPOCH_PROBE_IMAGES = 2000
#: Images held out of the training split for post-training choices (5,000 of
#: CIFAR-10's 50,000); smaller datasets hold out a tenth.
VALIDATION_IMAGES = 5000
VALIDATION_SHARE = 0.1


def validation_size(train_images: int) -> int:
    """How many training images a run holds out: 5,000, or a tenth of a smaller set."""
    return max(1, min(VALIDATION_IMAGES, round(VALIDATION_SHARE * train_images)))


@dataclass(frozen=True)
class TrainingResult:
    """Where the model and its card were written, and the headline test figures."""

    model_path: Path
    card_json: Path
    card_markdown: Path
    confusion_png: Path
    report: EvaluationReport
    temperature: float


def checkpoint_dir(out: Path) -> Path:
    """Per-epoch checkpoints live next to the model: ``model.keras`` -> ``model.checkpoints/``."""
    return out.with_name(f"{out.stem}.checkpoints")


def train(
    data: str | os.PathLike[str] | LabelledImages | None = None,
    arch: str = "default",
    *,
    epochs: int | None = None,
    out: str | os.PathLike[str] = "model.keras",
    seed: int = 0,
    batch_size: int | None = None,
    resume: bool = False,
    mixed_precision: bool | None = None,
    evaluate_each_epoch: bool = True,
    progress: Callable[[str], None] | None = None,
) -> TrainingResult:
    """Train ``arch`` on ``data`` and write ``out`` (.keras) plus its model card.

    ``data`` is a directory in any layout :func:`~visionkit.training.data.load_dataset`
    understands (default ``$VISIONKIT_CIFAR10_DIR``) or a loaded dataset. ``epochs``,
    ``batch_size`` and ``mixed_precision`` default to the architecture's recipe.
    A checkpoint is written after every epoch; ``resume=True`` continues from
    the newest one, which must come from the same data, architecture, recipe, seed and
    epoch count. A seeded, stratified validation split (:func:`validation_size`
    images) is held out of the training data; the per-epoch probe, the softmax
    temperature and every other post-training choice use it, so the test split is
    read once, for the figures on the card. (The temperature can change the
    predicted class, since the views' softmaxes are averaged after it.)
    """
    started = time.perf_counter()
    say = progress or _print_progress
    loaded = data if isinstance(data, LabelledImages) else load_dataset(data, seed=seed)
    dataset = loaded.with_validation(validation_size(len(loaded.train)), seed)
    assert dataset.validation is not None
    architecture = get_architecture(arch)
    recipe = architecture.recipe
    n_epochs = epochs if epochs is not None else recipe.epochs
    requested_batch = batch_size if batch_size is not None else recipe.batch_size
    mixed = recipe.mixed_precision if mixed_precision is None else mixed_precision
    if n_epochs < 1 or requested_batch < 1:
        raise ConfigError(
            f"epochs and batch_size must be positive, got {n_epochs}, {requested_batch}."
        )
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)

    import keras

    from visionkit.backends.local.keras_model import logits_model
    from visionkit.training.optim import Lookahead, coupled_decay, make_optimizer
    from visionkit.training.pipeline import AugmentedBatches

    keras.utils.set_random_seed(seed)
    pixels = dataset.train.images.reshape(-1, 3).astype(np.float64)
    mean, std = pixels.mean(axis=0), pixels.std(axis=0)
    model = build_model(
        architecture,
        dataset.class_names,
        mean.tolist(),
        std.tolist(),
        image_size=dataset.train.images.shape[1],
        mixed_precision=mixed,
    )
    architecture.initialise(model, dataset.train.images, np.random.default_rng(seed))
    net = logits_model(model)

    batches = AugmentedBatches(
        dataset.train, batch_size=requested_batch, translate=recipe.translate, seed=seed
    )
    total_steps = batches.steps_per_epoch * n_epochs
    optimizer = make_optimizer(recipe, total_steps, batches.batch_size)
    trainable = [v for v in model.trainable_variables if not _is_whiten(v, "kernel")]
    optimizer.build(trainable)
    lookahead = Lookahead(model.variables, total_steps) if recipe.lookahead else None
    steps = {
        frozen: _make_step(
            net,
            optimizer,
            [v for v in trainable if not (frozen and _is_whiten(v, "bias"))],
            model,
            recipe.bias_lr_scale,
            coupled_decay(recipe),
            recipe.label_smoothing,
            len(dataset.class_names),
        )
        for frozen in (False, True)
    }
    eval_logits = keras_logits_fn(model) if evaluate_each_epoch else None
    # A fixed sample of the validation split keeps the per-epoch check to seconds.
    probe = dataset.validation.sample(EPOCH_PROBE_IMAGES, seed)

    run_id = {
        "arch": architecture.name,
        "epochs": n_epochs,
        "seed": seed,
        "batch_size": batches.batch_size,
        "data_digest": dataset.digest,
        "train_images": len(dataset.train),
        "validation_images": len(dataset.validation),
        "mixed_precision": mixed,
        # A checkpoint from an older recipe (or an older reading of the same
        # numbers, like decay before it went through momentum) must not be mixed in.
        "recipe": _describe(recipe),
    }
    ckpt_dir = checkpoint_dir(out_path)
    history: list[dict[str, Any]] = []
    first_epoch = 0
    if resume:
        restored = _restore_checkpoint(ckpt_dir, run_id, model, optimizer, lookahead)
        if restored is not None:
            first_epoch, history = restored
            say(f"resumed from epoch {first_epoch} in {ckpt_dir}")
    say(
        f"training {architecture.name} on {len(dataset.train)} images "
        f"({len(dataset.class_names)} classes) for {n_epochs} epochs of "
        f"{batches.steps_per_epoch} steps, batch {batches.batch_size}, "
        f"{'mixed_bfloat16' if mixed else 'float32'}"
    )

    for epoch in range(first_epoch, n_epochs):
        t0 = time.perf_counter()
        frozen = recipe.whiten_bias_epochs is not None and epoch >= recipe.whiten_bias_epochs
        step_fn = steps[frozen]
        loss_sum, correct, seen = 0.0, 0, 0
        for x, y in batches.epoch(epoch):
            loss, hits = step_fn(x, y)
            loss_sum += float(loss) * int(y.shape[0])
            correct += int(hits)
            seen += int(y.shape[0])
            if lookahead is not None:
                lookahead.after_step(int(optimizer.iterations.numpy()))
        if lookahead is not None and epoch == n_epochs - 1:
            lookahead.finish()
        train_seconds = time.perf_counter() - t0
        row: dict[str, Any] = {
            "epoch": epoch + 1,
            "loss": loss_sum / seen,
            "train_accuracy": correct / seen,
            "seconds": train_seconds,
            "validation_accuracy": None,
        }
        if eval_logits is not None:
            logits = np.concatenate(
                [
                    np.asarray(eval_logits(probe.images[i : i + 1000].astype(np.float32)))
                    for i in range(0, len(probe), 1000)
                ]
            )
            row["validation_accuracy"] = float(np.mean(logits.argmax(1) == probe.labels))
        history.append(row)
        _save_checkpoint(ckpt_dir, run_id, epoch + 1, history, model, optimizer, lookahead)
        probed = row["validation_accuracy"]
        test = f", validation acc {probed:.4f}" if probed is not None else ""
        say(
            f"epoch {epoch + 1}/{n_epochs}: loss {row['loss']:.4f}, "
            f"train acc {row['train_accuracy']:.4f}{test}, {train_seconds:.1f} s"
        )

    final = build_model(
        architecture,
        dataset.class_names,
        mean.tolist(),
        std.tolist(),
        image_size=dataset.train.images.shape[1],
        mixed_precision=False,
    )
    final.set_weights(model.get_weights())
    return _finish(
        final,
        architecture,
        dataset,
        out_path,
        run_id,
        history,
        started,
        say,
        resumed_from=first_epoch,
    )


def _finish(
    model: Any,
    architecture: Architecture,
    dataset: LabelledImages,
    out_path: Path,
    run_id: dict[str, Any],
    history: list[dict[str, Any]],
    started: float,
    say: Callable[[str], None],
    *,
    resumed_from: int = 0,
) -> TrainingResult:
    """Calibrate for the test-time views, save, evaluate the float32 model, write its card."""
    from visionkit.backends.local.keras_model import head_of

    policy = DEFAULT_POLICY
    weights = policy.view_weights
    assert dataset.validation is not None
    logits_fn = keras_logits_fn(model)
    val_logits = view_logits(logits_fn, dataset.validation.images, policy)
    temperature = fit_temperature(val_logits, dataset.validation.labels, weights=weights)
    # The test split is read from here on only for the figures on the card.
    logits = view_logits(logits_fn, dataset.test.images, policy)
    labels = dataset.test.labels
    ece_before = expected_calibration_error(view_average(logits, 1.0, weights), labels)
    ece_after = expected_calibration_error(view_average(logits, temperature, weights), labels)
    head = head_of(model)
    head.set_temperature(temperature)
    head.set_views(policy)
    model.save(out_path)
    report = score(
        view_average(logits, temperature, weights),
        labels,
        dataset.class_names,
        single_view_probs=softmax(logits[0], temperature),
        model=out_path.name,
        data=dataset.source,
        views=policy.label,
    )
    say(str(report))
    train_seconds = sum(r["seconds"] for r in history)
    recipe = architecture.recipe
    card = {
        "model_file": out_path.name,
        "class_names": list(dataset.class_names),
        "input": {
            "shape": list(model.inputs[0].shape[1:]),
            "dtype": "float32",
            "range": [0, 255],
            "preprocessing": "RGB; short side resized to the input size (Lanczos), centre crop",
        },
        "architecture": {
            "name": architecture.name,
            "summary": architecture.summary,
            "parameters": int(model.count_params()),
        },
        "data": {
            "source": dataset.source,
            "layout": dataset.layout,
            "digest": dataset.digest,
            "digest_method": "sha256 over relative file names and sizes",
            "train_images": len(dataset.train),
            "validation_images": len(dataset.validation),
            "validation": "a seeded, stratified hold-out of the training data",
            "test": dataset.test_description,
        },
        "training": {
            "epochs": run_id["epochs"],
            "batch_size": run_id["batch_size"],
            "seed": run_id["seed"],
            "precision": "mixed_bfloat16" if run_id["mixed_precision"] else "float32",
            "recipe": asdict(recipe),
            "recipe_summary": _describe(recipe),
            "train_seconds": train_seconds,
            "seconds_per_epoch": train_seconds / max(1, len(history)),
            # With resume the earlier processes' load/save time is lost; say so.
            "total_seconds": time.perf_counter() - started,
            "resumed_from_epoch": resumed_from,
            "history": history,
        },
        "evaluation": {
            "images": report.n_images,
            "accuracy": report.single_view_accuracy,
            "accuracy_tta": report.accuracy,
            "views": policy.name,
            "views_label": policy.label,
            "per_class_accuracy": report.per_class_accuracy,
            "confusion_matrix": report.confusion.tolist(),
        },
        "calibration": {
            "temperature": temperature,
            "ece_before": ece_before,
            "ece_after": ece_after,
            "method": (
                f"one softmax temperature fitted (NLL of the probabilities {policy.label}) "
                f"on the validation split ({len(dataset.validation)} images held out of "
                f"training); ECE (15 bins) measured on the test split ({len(labels)} images)."
            ),
        },
        "machine": machine_info(),
    }
    json_path, md_path, png_path = write_card(card, out_path)
    say(f"saved {out_path}, card {json_path.name}, {md_path.name}, {png_path.name}")
    return TrainingResult(out_path, json_path, md_path, png_path, report, temperature)


def machine_info() -> dict[str, Any]:
    """CPU model, core count and library versions, for reproducibility notes."""
    import keras
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _describe(recipe: Any) -> str:
    parts = [f"{recipe.optimizer} lr {recipe.learning_rate:.4g}"]
    if recipe.momentum:
        parts.append(f"momentum {recipe.momentum}")
    if recipe.schedule == "triangle":
        parts.append(
            f"triangle schedule ({recipe.start_factor}->1 over {recipe.warmup_fraction:.0%}, "
            f"->{recipe.end_factor})"
        )
    if recipe.weight_decay:
        parts.append(f"weight decay {recipe.weight_decay:.3g}/step (coupled, through momentum)")
    if recipe.bias_lr_scale != 1:
        parts.append(f"{recipe.bias_lr_scale:g}x lr on BatchNorm biases")
    if recipe.label_smoothing:
        parts.append(f"label smoothing {recipe.label_smoothing}")
    if recipe.lookahead:
        parts.append("lookahead (every 5 steps)")
    if recipe.whiten_bias_epochs is not None:
        parts.append(f"whitening bias frozen after {recipe.whiten_bias_epochs} epochs")
    parts.append(f"augmentation: translate {recipe.translate} px (reflect) + horizontal flip")
    return "; ".join(parts)


def _is_whiten(variable: Any, kind: str) -> bool:
    return f"{WHITEN_LAYER}/{kind}" in variable.path


def _make_step(
    net: Any,
    optimizer: Any,
    variables: Sequence[Any],
    model: Any,
    bias_lr_scale: float,
    decay: float,
    label_smoothing: float,
    num_classes: int,
) -> Any:
    """Build one compiled training step over ``variables`` (the ones not frozen).

    ``decay`` is the coupled L2 coefficient (:func:`~visionkit.training.optim.coupled_decay`).
    """
    import keras
    import tensorflow as tf

    from visionkit.training.optim import adjust_gradients

    loss_fn = keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=label_smoothing
    )
    bn_shifts = {
        id(layer.beta)
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization) and layer.center
    }
    scales = [bias_lr_scale if id(v) in bn_shifts else 1.0 for v in variables]

    @tf.function  # type: ignore[untyped-decorator]
    def step(x: Any, y: Any) -> tuple[Any, Any]:
        with tf.GradientTape() as tape:
            logits = net(x, training=True)
            loss = loss_fn(tf.one_hot(y, num_classes), logits)
        grads = tape.gradient(loss, variables)
        optimizer.apply(adjust_gradients(grads, variables, scales, decay), variables)
        hits = tf.reduce_sum(
            tf.cast(tf.argmax(logits, axis=-1, output_type=tf.int32) == y, tf.int32)
        )
        return loss, hits

    return step


def _save_checkpoint(
    ckpt_dir: Path,
    run_id: dict[str, Any],
    epoch: int,
    history: list[dict[str, Any]],
    model: Any,
    optimizer: Any,
    lookahead: Any,
) -> None:
    """Write weights, optimiser slots and lookahead state for ``epoch`` atomically."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {}
    for prefix, values in (
        ("model", [np.asarray(v) for v in model.get_weights()]),
        ("optimizer", [np.asarray(v.numpy()) for v in optimizer.variables]),
        ("lookahead", lookahead.state() if lookahead is not None else []),
    ):
        for i, value in enumerate(values):
            arrays[f"{prefix}/{i:04d}"] = value
    arrays["meta"] = np.array(json.dumps({"run": run_id, "epoch": epoch, "history": history}))
    path = ckpt_dir / f"epoch-{epoch:03d}.npz"
    tmp = path.with_name(f"{path.name}.tmp")
    with tmp.open("wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)
    for old in sorted(ckpt_dir.glob("epoch-*.npz"))[:-CHECKPOINTS_KEPT]:
        old.unlink()


def _restore_checkpoint(
    ckpt_dir: Path, run_id: dict[str, Any], model: Any, optimizer: Any, lookahead: Any
) -> tuple[int, list[dict[str, Any]]] | None:
    """Load the newest checkpoint into the objects; ``None`` if there is none yet."""
    found = sorted(ckpt_dir.glob("epoch-*.npz"))
    if not found:
        return None
    with np.load(found[-1]) as z:
        meta = json.loads(str(z["meta"]))
        if meta["run"] != run_id:
            raise ConfigError(
                f"Checkpoint {found[-1]} is from a different run ({meta['run']}), not {run_id}. "
                f"Delete {ckpt_dir} or train with resume=False to start afresh."
            )

        def group(prefix: str) -> list[NDArray[Any]]:
            return [z[k] for k in sorted(z.files) if k.startswith(prefix + "/")]

        model.set_weights(group("model"))
        for variable, value in zip(optimizer.variables, group("optimizer"), strict=True):
            variable.assign(value)
        if lookahead is not None:
            lookahead.restore(group("lookahead"))
    return int(meta["epoch"]), list(meta["history"])


def _print_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


__all__ = ["TrainingResult", "checkpoint_dir", "machine_info", "train"]
