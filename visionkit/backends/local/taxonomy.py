"""Broader tags derived from the CNN's classes, so local tags meet cloud vocabularies.

A CIFAR-10 model only knows ten classes; a cloud service answering "animal"
or "vehicle" is not disagreeing with a local "cat" or "truck". Each class
lists the broader or synonymous names it implies.

A derived tag is exactly as confident as the most probable class that
implies it. That is a lower bound on the model's probability of the broader
label (which would be the *sum* over its classes, computable from the
per-class probabilities in ``raw["probabilities"]``), so a
derived tag is never overconfident, and it never outranks the specific class
it came from: a cat photo's top tag is "cat", with "mammal" and "animal"
beside it, as a cloud service would answer.

Classes a user trains that are not listed here simply get no derived tags;
:func:`derived_confidences` takes another table for other label sets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

DERIVED_TAGS: Mapping[str, tuple[str, ...]] = {
    "airplane": ("aircraft", "vehicle"),
    "automobile": ("car", "land vehicle", "vehicle"),
    "bird": ("animal",),
    "cat": ("mammal", "animal"),
    "deer": ("mammal", "animal"),
    "dog": ("mammal", "animal"),
    "frog": ("amphibian", "animal"),
    "horse": ("mammal", "animal"),
    "ship": ("boat", "watercraft", "vehicle"),
    "truck": ("land vehicle", "vehicle"),
}


def derived_confidences(
    class_names: Sequence[str],
    probabilities: Sequence[float],
    taxonomy: Mapping[str, tuple[str, ...]] = DERIVED_TAGS,
) -> dict[str, float]:
    """Confidence of each derived tag: that of the most probable class implying it."""
    best: dict[str, float] = {}
    for name, p in zip(class_names, probabilities, strict=True):
        for derived in taxonomy.get(name, ()):
            if derived in class_names:
                continue  # a real class of the model wins over a derived name
            best[derived] = max(best.get(derived, 0.0), float(p))
    return best


__all__ = ["DERIVED_TAGS", "derived_confidences"]
