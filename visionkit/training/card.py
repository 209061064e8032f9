"""Write a model card: JSON for machines, Markdown for people, a confusion-matrix PNG.

The card is the evidence behind a shipped model: what it was trained on
(source and digest), how (architecture, epochs, machine, wall time) and how
well it does (accuracy with and without test-time augmentation, per class, calibration).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from visionkit.backends.local.views import FLIP


def card_paths(model_path: Path) -> tuple[Path, Path, Path]:
    """Return the card's JSON, Markdown and confusion-PNG paths next to ``model_path``."""
    stem = model_path.with_suffix("")
    return (
        stem.with_name(f"{stem.name}.card.json"),
        stem.with_name(f"{stem.name}.card.md"),
        stem.with_name(f"{stem.name}.confusion.png"),
    )


def plot_confusion(
    confusion: NDArray[np.int64], class_names: Sequence[str], path: Path, title: str
) -> None:
    """Save the confusion matrix (rows: true class, columns: predicted) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; must precede pyplot
    import matplotlib.pyplot as plt

    k = len(class_names)
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * k, 0.75 + 0.7 * k), dpi=100)
    ax.imshow(confusion, cmap="Blues")
    ax.set_xticks(range(k), class_names, rotation=45, ha="right")
    ax.set_yticks(range(k), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    threshold = confusion.max() / 2
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                str(confusion[i, j]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if confusion[i, j] > threshold else "black",
            )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_card(card: dict[str, Any], model_path: Path) -> tuple[Path, Path, Path]:
    """Write ``card`` as JSON and Markdown plus the confusion PNG; return the three paths."""
    json_path, md_path, png_path = card_paths(model_path)
    ev = card["evaluation"]
    plot_confusion(
        np.asarray(ev["confusion_matrix"], np.int64),
        card["class_names"],
        png_path,
        f"{model_path.name}: {ev['accuracy_tta']:.2%} ({_views_label(ev)})",
    )
    card = {**card, "confusion_png": png_path.name}
    json_path.write_text(json.dumps(card, indent=2) + "\n")
    md_path.write_text(render_markdown(card))
    return json_path, md_path, png_path


def _total(training: dict[str, Any]) -> str:
    resumed = int(training.get("resumed_from_epoch", 0))
    if not resumed:
        return f"{training['total_seconds']:.0f} s in total"
    return f"resumed after epoch {resumed}; the last process took {training['total_seconds']:.0f} s"


def _views_label(evaluation: dict[str, Any]) -> str:
    # Cards written before test-time views were recorded were all flip-averaged.
    return str(evaluation.get("views_label", FLIP.label))


def render_markdown(card: dict[str, Any]) -> str:
    """Render a card dictionary (as written by :func:`write_card`) as Markdown."""
    ev, cal, tr, data, machine = (
        card["evaluation"],
        card["calibration"],
        card["training"],
        card["data"],
        card["machine"],
    )
    lines = [
        f"# Model card: {card['model_file']}",
        "",
        f"{card['architecture']['summary']} (`{card['architecture']['name']}`), "
        f"{card['architecture']['parameters']:,} parameters, trained by visionkit "
        f"{card.get('visionkit_version', '')}".rstrip()
        + ".",
        "",
        "## Results",
        "",
        f"Measured on {data['test']} with the saved float32 model.",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| test accuracy, {_views_label(ev)} (as shipped) | {ev['accuracy_tta']:.2%} |",
        f"| test accuracy, single view | {ev['accuracy']:.2%} |",
        f"| calibration temperature | {cal['temperature']:.3f} |",
        f"| ECE before calibration | {cal['ece_before']:.2%} |",
        f"| ECE after calibration | {cal['ece_after']:.2%} |",
        "",
        f"Calibration: {cal['method']}",
        "",
        f"| class | accuracy ({_views_label(ev)}) |",
        "| --- | --- |",
    ]
    lines += [f"| {n} | {a:.2%} |" for n, a in ev["per_class_accuracy"].items()]
    lines += [
        "",
        f"![confusion matrix]({card['confusion_png']})",
        "",
        "## Training",
        "",
        f"- Data: `{data['source']}` ({data['layout']}), {data['train_images']:,} training "
        f"images, sha256 `{data['digest']}` ({data['digest_method']})",
        f"- Classes: {', '.join(card['class_names'])}",
        f"- Epochs: {tr['epochs']}, batch size {tr['batch_size']}, seed {tr['seed']}, "
        f"precision {tr['precision']}",
        f"- Recipe: {tr['recipe_summary']}",
        f"- Wall time: {tr['train_seconds']:.0f} s training "
        f"({tr['seconds_per_epoch']:.1f} s/epoch), " + _total(tr),
        f"- Machine: {machine['cpu']}, {machine['cores']} cores; TensorFlow "
        f"{machine['tensorflow']}, Keras {machine['keras']}, Python {machine['python']}",
        "",
        "Per-epoch probe: single view, training weights, on a fixed sample of up to "
        "2,000 validation images (older cards: evaluation images).",
        "",
        "| epoch | train loss | train acc | probe acc | s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in tr["history"]:
        probed = row.get("validation_accuracy", row.get("test_accuracy"))
        test = f"{probed:.2%}" if probed is not None else "-"
        lines.append(
            f"| {row['epoch']} | {row['loss']:.4f} | {row['train_accuracy']:.2%} | {test} | "
            f"{row['seconds']:.1f} |"
        )
    return "\n".join(lines) + "\n"
