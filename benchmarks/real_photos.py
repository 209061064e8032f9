"""The local model on real photos: how often it tags a photo that is none of its classes.

Development photos (none of them CIFAR-10 images), each with the class a
person labelling for CIFAR-10 would give it, or ``none``:

* ``../shared/data/stl10-labeled``: ~250 photos, one per fine label; which
  label counts as which class, and which are skipped as ambiguous, is written
  down with reasons in ``benchmarks/data/stl10_labels.json``;
* scikit-image's colour photos and the real photos Azure analysed
  (``../shared/fixtures/azure/images``), labelled in :data:`EXTRA_LABELS`.

For each open-set threshold on the top calibrated probability it reports the
share of non-class photos still given a class tag and the share of class
photos given the right one; it fits the shipped default by the rule written
before looking at the result: *maximise (class photos right) - (non-class
photos tagged)*. It also reports calibration on the real class photos and the
cost per image. Results go to ``docs/benchmarks/real-photos.md``; with
``--write-threshold`` the fitted threshold is saved in the model's sidecar.

    python benchmarks/real_photos.py --shared ../shared [--model M.tflite] [--write-threshold]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

import numpy as np
import skimage
from numpy.typing import NDArray
from PIL import Image

from visionkit.backends.local.classifier import ImageClassifier

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "benchmarks" / "data" / "stl10_labels.json"
DOC = ROOT / "docs" / "benchmarks" / "real-photos.md"

#: Photos outside STL-10, by path relative to their folder: what a person sees in them.
EXTRA_LABELS: dict[str, str] = {
    "skimage/chelsea.png": "cat",
    "skimage/astronaut.png": "none",
    "skimage/coffee.png": "none",
    "skimage/rocket.jpg": "none",
    "skimage/motorcycle_left.png": "none",
    "skimage/hubble_deep_field.jpg": "none",
    "skimage/ihc.png": "none",
    "skimage/retina.jpg": "none",
    "skimage/brick.png": "none",
    "skimage/grass.png": "none",
    "skimage/gravel.png": "none",
    "skimage/camera.png": "none",
    "azure/dotnet-sdk-testimages/dog.jpg": "dog",
    "azure/cognitive-services-sample-data-files/dog.jpg": "dog",
    "azure/dotnet-sdk-testimages/house.jpg": "none",
    "azure/dotnet-sdk-testimages/people.jpg": "none",
    "azure/dotnet-sdk-testimages/spaceneedle.jpg": "none",
    "azure/dotnet-sdk-testimages/satya.jpg": "none",
    "azure/dotnet-sdk-testimages/signage.jpg": "none",
    "azure/dotnet-sdk-testimages/MicrosoftRealMadrid.jpg": "none",
    "azure/azure-ai-vision-sdk/laptop-on-kitchen-table.jpg": "none",
    "azure/cognitive-services-sample-data-files/faces.jpg": "none",
    "azure/cognitive-services-sample-data-files/celebrities.jpg": "none",
    "azure/cognitive-services-sample-data-files/landmark.jpg": "none",
    "azure/cognitive-services-sample-data-files/house.jpg": "none",
    "azure/third-party/Shaki_waterfall.jpg": "none",
}


def development_photos(shared: Path) -> list[tuple[str, Path, str]]:
    """``(set, path, truth)`` for every development photo that is scored (skips left out)."""
    labels = json.loads(LABELS.read_text())
    photos: list[tuple[str, Path, str]] = []
    for path in sorted((shared / "data" / "stl10-labeled" / "examples").rglob("*.png")):
        fine = re.sub(r"^[a-z]+\d+-", "", path.stem)
        if fine in labels["skip_reasons"]:
            continue
        photos.append(("stl10", path, labels["classes"].get(fine, labels["default"])))
    folders = {
        "skimage": Path(skimage.data.__file__).parent,
        "azure": shared / "fixtures" / "azure" / "images",
    }
    for key, truth in EXTRA_LABELS.items():
        where, rel = key.split("/", 1)
        if (folders[where] / rel).is_file():
            photos.append((where, folders[where] / rel, truth))
    return photos


def rates(
    top: NDArray[np.float64], right: NDArray[np.bool_], is_class: NDArray[np.bool_], t: float
) -> tuple[float, float]:
    """(share of non-class photos tagged, share of class photos tagged with the right class)."""
    tagged = top >= t
    return float(np.mean(tagged[~is_class])), float(np.mean((right & tagged)[is_class]))


def fit_threshold(
    top: NDArray[np.float64], right: NDArray[np.bool_], is_class: NDArray[np.bool_]
) -> float:
    """The rule: maximise (class photos right) - (non-class photos tagged); ties -> lower t."""
    best_t, best = 0.0, -1.0
    for t in np.unique(top):
        nonclass, good = rates(top, right, is_class, float(t))
        if good - nonclass > best + 1e-12:
            best_t, best = float(t), good - nonclass
    return float(np.floor(best_t * 100) / 100)  # a round number at or below the fitted one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--model", type=Path, default=None, help="a .tflite; default: shipped")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write-threshold", action="store_true")
    parser.add_argument(
        "--cifar", type=Path, default=None, help="also score the CIFAR-10 test split at the default"
    )
    args = parser.parse_args()

    clf = ImageClassifier.load(args.model)
    photos = development_photos(args.shared)
    images = [Image.open(p).convert("RGB") for _, p, _ in photos]
    probs = clf.predict(images).astype(np.float64)
    timings = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for img in images[:50]:
            clf.predict([img])
        timings.append((time.perf_counter() - t0) / 50)
    names = np.array(clf.class_names)
    truth = np.array([t for _, _, t in photos])
    top = probs.max(1)
    right = names[probs.argmax(1)] == truth
    is_class = np.isin(truth, names)
    threshold = fit_threshold(top, right, is_class)

    lines = [
        "# The local model on real photos",
        "",
        f"Measured by `benchmarks/real_photos.py` on {time.strftime('%Y-%m-%d')} with "
        f"`{clf.version}`: {len(photos)} development photos, {int(is_class.sum())} showing "
        f"one of the model's classes and {int((~is_class).sum())} showing none of them "
        "(STL-10 look-alikes such as wolves, zebras, buses and helicopters, people, food, "
        "buildings, textures). Which photo counts as which class, and why: "
        "`benchmarks/data/stl10_labels.json` and `EXTRA_LABELS` in the script.",
        "",
        "The open-set score is the top calibrated probability (the model's own output, so "
        "every model has it). The threshold is fitted on these photos by one rule, "
        "*maximise (class photos right) - (non-class photos tagged)*, rounded down to "
        f"two decimals: **{threshold:.2f}**.",
        "",
        "| threshold | non-class photos given a class tag | class photos given the right class |",
        "| --- | --- | --- |",
    ]
    for t in sorted({0.0, 0.5, 0.8, 0.9, threshold, 0.95, 0.98, 0.99}):
        nonclass, good = rates(top, right, is_class, t)
        mark = " (default)" if t == threshold else (" (off)" if t == 0 else "")
        lines.append(f"| {t:.2f}{mark} | {nonclass:.1%} | {good:.1%} |")
    tagged_class = is_class & (top >= threshold)
    lines += [
        "",
        "By set, at the default: "
        + "; ".join(
            f"{name} {rates(top[s], right[s], is_class[s], threshold)[0]:.0%} of "
            f"{int((~is_class[s]).sum())} non-class tagged"
            for name in ("stl10", "skimage", "azure")
            if (s := np.array([p[0] == name for p in photos])).any()
        )
        + ".",
        "",
        "Calibration on the real class photos: among those given a class tag at the "
        f"default, the mean confidence is {np.mean(top[tagged_class]):.1%} and the share "
        f"right {np.mean(right[tagged_class]):.1%} ({int(tagged_class.sum())} photos, too "
        "few for a binned ECE). On all class photos with the open set off: mean confidence "
        f"{np.mean(top[is_class]):.1%}, right {np.mean(right[is_class]):.1%}.",
        "",
        f"Cost: {statistics.median(timings) * 1000:.1f} ms per photo for the model on one "
        f"photo already decoded (median of {args.repeats} runs over 50 photos); the "
        "open-set check itself is a comparison.",
        "",
        "**The targets of issue 12 are not met.** On these photos at most 5% of non-class "
        "photos tagged and at least 75% of class photos right cannot both hold with this "
        "score: see the table. Of the scores on the penultimate features (below, from "
        "`benchmarks/open_set_scores.py`), k-nearest-neighbour similarity keeps more class "
        "photos at 5% non-class tagged, but not 75%, and needs the features exported "
        "beside the probabilities, which the shipped `.tflite` does not do yet.",
        "",
    ]
    if args.cifar is not None:
        from visionkit.training.data import load_dataset

        test = load_dataset(args.cifar).test
        cprobs = clf.predict_arrays(test.images)
        ctop, cok = cprobs.max(1), cprobs.argmax(1) == test.labels
        kept = ctop >= threshold
        lines += [
            f"On the CIFAR-10 test split ({len(test)} images, read for this figure only): "
            f"accuracy {np.mean(cok):.2%} with the open set off; at the default threshold "
            f"{np.mean(kept):.1%} of the images get a class, {np.mean(~kept):.1%} are "
            f"abstained on, accuracy counting an abstention as wrong {np.mean(cok & kept):.2%}, "
            f"and {np.mean(cok[kept]):.2%} of the classes given are right. The issue's bar of "
            "88% at the defaults is not met: on CIFAR-10's 32x32 thumbnails the score that "
            "rejects foreign photos also rejects a third of the real ones.",
            "",
        ]
    DOC.parent.mkdir(parents=True, exist_ok=True)
    old = DOC.read_text() if DOC.exists() else ""
    keep = old[old.index("## Other open-set scores") :] if "## Other open-set scores" in old else ""
    DOC.write_text("\n".join(lines) + ("\n" + keep if keep else ""))
    print("\n".join(lines))
    if args.write_threshold:
        sidecar = clf.path.with_suffix(".json")
        meta = json.loads(sidecar.read_text())
        meta["open_set"] = {
            "score": "max_probability",
            "threshold": threshold,
            "fitted_on": (
                f"{len(photos)} real development photos (benchmarks/real_photos.py), rule: "
                "maximise class photos right minus non-class photos tagged"
            ),
        }
        sidecar.write_text(json.dumps(meta, indent=2) + "\n")
        print(f"wrote open_set.threshold {threshold} to {sidecar}")


if __name__ == "__main__":
    main()
