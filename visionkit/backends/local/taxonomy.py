"""Broader tags derived from the CNN's classes, so local tags meet cloud vocabularies.

A CIFAR-10 model only knows ten classes; a cloud service answering "animal"
or "vehicle" is not disagreeing with a local "cat" or "truck". Each class
lists the broader or synonymous names it implies. A derived tag's confidence
is the *sum* of the probabilities of every class that implies it, which is
the model's own probability of that broader label (the classes are mutually
exclusive), so it stays calibrated when the class probabilities are.

Classes a user trains that are not listed here simply get no derived tags;
:data:`DERIVED_TAGS` can be extended (or passed as ``taxonomy=`` to the
analyzer) for other label sets.
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
    """Probability of each derived tag: the summed probability of the classes implying it."""
    totals: dict[str, float] = {}
    for name, p in zip(class_names, probabilities, strict=True):
        for derived in taxonomy.get(name, ()):
            if derived in class_names:
                continue  # a real class of the model wins over a derived name
            totals[derived] = totals.get(derived, 0.0) + float(p)
    return {k: min(v, 1.0) for k, v in totals.items()}


__all__ = ["DERIVED_TAGS", "derived_confidences"]
