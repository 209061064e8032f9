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
cost per image, and the region search (``local.regions``: boxes found on class
photos, false boxes on the others, composed scenes with a small cat in a
corner, cost), whose default window threshold it fits by its own rule.
Results go to ``docs/benchmarks/real-photos.md`` (``--doc`` for another page, as for
the other shipped files: ``real-photos-int8.md``, ``real-photos-fast.md``); with
``--write-threshold`` the fitted threshold is saved in the model's sidecar. Without
``--model`` it scores what ``default`` loads on this machine.

    python benchmarks/real_photos.py --shared ../shared [--model M.tflite] [--write-threshold]
        [--doc PAGE] [--variants OTHER.tflite ...] [--cifar DIR]
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
from visionkit.results import BoundingBox

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


def composed_scenes() -> list[tuple[Image.Image, BoundingBox]]:
    """A real cat photo pasted small into a corner of real photos of other things.

    The truth box is where it was pasted; the backgrounds are scikit-image's
    non-class photos, so any other find is a false one.
    """
    cat = Image.fromarray(skimage.data.chelsea()).crop((60, 0, 360, 300))  # type: ignore[no-untyped-call]
    scenes = []
    for name in ("coffee", "brick", "grass", "astronaut", "rocket", "camera"):
        background = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
        background = background.resize((640, 480))
        for fraction in (0.35, 0.5):
            side = int(480 * fraction)
            x, y = 640 - side - 10, 480 - side - 10
            scene = background.copy()
            scene.paste(cat.resize((side, side)), (x, y))
            scenes.append((scene, BoundingBox(x, y, side, side)))
    return scenes


def region_section(
    photos: list[tuple[str, Path, str]],
    images: list[Image.Image],
    model: Path | None,
    whole_tagged: NDArray[np.bool_],
) -> tuple[list[str], float]:
    """The region search (``local.regions``) on the development photos, and its threshold.

    Rule for the default: the lowest threshold at which at most 5% of the
    non-class photos get any box, the bar issue 12 sets for tags.
    """
    from visionkit.backends.local import LocalAnalyzer, regions

    analyzer = LocalAnalyzer(regions=True, **({"model": model} if model else {}))
    clf = analyzer.classifier
    per_photo = []
    for img in images:
        found = regions.windows(img.width, img.height)
        per_photo.append((found, clf.predict_arrays(regions.crops(img, found, clf.image_size))))
    is_class = [truth != "none" for _, _, truth in photos]

    def score(t: float) -> tuple[float, float, float]:
        boxed, right, n_boxes = [], [], 0
        for (found, probs), (_, _, truth), cls in zip(per_photo, photos, is_class, strict=True):
            objects = regions.finds(probs, found, clf.class_names, t)
            n_boxes += len(objects)
            if cls:
                right.append(any(o.name == truth for o in objects))
            else:
                boxed.append(bool(objects))
        return float(np.mean(boxed)), float(np.mean(right)), n_boxes / len(per_photo)

    grid = [round(0.95 + 0.001 * i, 3) for i in range(50)]
    chosen = next((t for t in grid if score(t)[0] <= 0.05), grid[-1])
    either = [
        bool(regions.finds(probs, found, clf.class_names, chosen)) or bool(tagged)
        for (found, probs), tagged, cls in zip(per_photo, whole_tagged, is_class, strict=True)
        if not cls
    ]
    scenes = composed_scenes()
    hits = 0
    at_default = LocalAnalyzer(
        regions=True, region_threshold=chosen, **({"model": model} if model else {})
    )
    for scene, truth_box in scenes:
        objects = at_default.analyze(scene, ["objects"]).objects or ()
        hits += any(o.name == "cat" and o.box.iou(truth_box) >= 0.5 for o in objects)
    sample = images[:20]
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        for img in sample:
            analyzer.analyze(img, ["objects"])
        timings.append((time.perf_counter() - t0) / len(sample))
    windows_per_photo = statistics.mean(len(f) for f, _ in per_photo)
    lines = [
        "## Region search (`local.regions`, off by default)",
        "",
        f"Windows at {', '.join(f'{s:.0%}' for s in regions.DEFAULT_SCALES)} of the short "
        f"side, {regions.OVERLAP:.0%} overlap ({windows_per_photo:.0f} windows per photo on "
        "average here), each classified like a photo; a window whose top calibrated "
        "probability clears the threshold is a find, and overlapping finds of a class merge.",
        "",
        "| window threshold | non-class photos given a box | class photos given a box of "
        "the right class | boxes per photo |",
        "| --- | --- | --- | --- |",
    ]
    for t in sorted({0.94, 0.97, 0.99, chosen, 0.999}):
        boxed, right, per = score(t)
        mark = " (default)" if t == chosen else ""
        lines.append(f"| {t:.3f}{mark} | {boxed:.1%} | {right:.1%} | {per:.2f} |")
    lines += [
        "",
        f"The default, **{chosen:.3f}**, is the lowest threshold at which at most 5% of the "
        "non-class photos get a box. Windows of backgrounds clear a threshold far more often "
        "than whole photos do, so finds add boxes but never tags: letting a find tag a photo "
        "the whole-image score abstained on would raise the share of non-class photos tagged "
        f"from {float(np.mean(whole_tagged[~np.array(is_class)])):.1%} to "
        f"{float(np.mean(either)):.1%} at the default.",
        "",
        f"Composed scenes (chelsea pasted at 35% and 50% of the height into a corner of six "
        f"non-class scikit-image photos): the cat is found with a box of IoU >= 0.5 in "
        f"{hits} of {len(scenes)}.",
        "",
        f"Cost: {statistics.median(timings) * 1000:.0f} ms per photo for the region search "
        f"alone (median of 3 runs over {len(sample)} decoded photos; about one model call "
        "per window), against the whole-photo figure above. That, and the table, is why it "
        "is opt-in. The development photos from STL-10 are 96x96 and centred on their "
        "object, which is the region search's worst case; on real scenes it has more to find.",
        "",
    ]
    return lines, chosen


def variant_table(paths: list[Path], images: list[Image.Image], truth: NDArray[np.str_]) -> str:
    """Each export and view policy of the same model, each at its own fitted threshold.

    Accuracy on CIFAR-10 hides what int8 weights and fewer views cost where the
    model is weakest: on real photos, with the open set on.
    """
    rows = [
        "| file | weights | views | fitted threshold | non-class photos tagged | "
        "class photos right | right - tagged |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for path in paths:
        weights = json.loads(path.with_suffix(".json").read_text()).get("quantization", "float32")
        base = ImageClassifier.load(path)
        for name in base.offered_views:
            model = base.with_views(name)
            probs = model.predict(images).astype(np.float64)
            names = np.array(model.class_names)
            top, right = probs.max(1), names[probs.argmax(1)] == truth
            is_class = np.isin(truth, names)
            t = fit_threshold(top, right, is_class)
            nonclass, good = rates(top, right, is_class, t)
            rows.append(
                f"| `{path.parent.name}/{path.name}` | {weights} | {name} | {t:.2f} | "
                f"{nonclass:.1%} | {good:.1%} | {good - nonclass:+.3f} |"
            )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--model", type=Path, default=None, help="a .tflite; default: shipped")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write-threshold", action="store_true")
    parser.add_argument(
        "--doc", type=Path, default=DOC, help=f"the page to write (default: {DOC.name})"
    )
    parser.add_argument(
        "--variants",
        type=Path,
        nargs="*",
        default=[],
        help="other exports of the same model (e.g. float32) to compare on these photos",
    )
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
    others = {}
    base_nonclass, base_good = rates(top, right, is_class, threshold)
    for name in clf.offered_views[1:]:
        other = clf.with_views(name)
        oprobs = other.predict(images).astype(np.float64)
        otop, oright = oprobs.max(1), names[oprobs.argmax(1)] == truth
        others[name] = fit_threshold(otop, oright, is_class)
        nonclass, good = rates(otop, oright, is_class, others[name])
        lines += [
            f"With the views `{name}` (`local.views`) the score moves, so its threshold is "
            f"fitted the same way: **{others[name]:.2f}**, at which {nonclass:.1%} of the "
            f"non-class photos get a class tag and {good:.1%} of the class photos the right "
            f"one (default views `{clf.views.name}`: {base_nonclass:.1%} and {base_good:.1%}).",
            "",
        ]
    if args.variants:
        lines += [
            "Every export and view policy of the model, each at its own threshold fitted "
            "by the same rule (`--variants`): what int8 weights and fewer views cost on "
            "real photos. One photo is 2.5 points of the class photos and 0.45 of the others.",
            "",
            variant_table([clf.path, *args.variants], images, truth),
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
    region_lines, region_threshold = region_section(photos, images, args.model, top >= threshold)
    lines += region_lines
    print(f"region threshold (rule): {region_threshold}")
    doc: Path = args.doc
    doc.parent.mkdir(parents=True, exist_ok=True)
    old = doc.read_text() if doc.exists() else ""
    keep = old[old.index("## Other open-set scores") :] if "## Other open-set scores" in old else ""
    doc.write_text("\n".join(lines) + ("\n" + keep if keep else ""))
    print("\n".join(lines))
    if args.write_threshold:
        sidecar = clf.path.with_suffix(".json")
        meta = json.loads(sidecar.read_text())
        meta["open_set"] = {
            "score": "max_probability",
            "threshold": threshold,
            "thresholds": {clf.views.name: threshold, **others},
            "fitted_on": (
                f"{len(photos)} real development photos (benchmarks/real_photos.py), rule: "
                "maximise class photos right minus non-class photos tagged"
            ),
        }
        sidecar.write_text(json.dumps(meta, indent=2) + "\n")
        print(f"wrote open_set.threshold {threshold} to {sidecar}")


if __name__ == "__main__":
    main()
