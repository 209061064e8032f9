"""One-to-one greedy matching, the rule every box- and line-matching metric uses.

Detection benchmarks match at a single threshold greedily, best pair first, each
item at most once (so three dogs never all match one dog). Objects, faces and text
lines differ only in what makes a pair a candidate and what "best" means, which is
the callers' part.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

K = TypeVar("K", bound=Any)


def greedy_one_to_one(candidates: Iterable[tuple[K, int, int]]) -> list[tuple[K, int, int]]:
    """The ``(key, i, j)`` candidates taken best first (lowest ``key``, then ``i``, ``j``),
    skipping any whose ``i`` or ``j`` is already taken, in the order they were taken."""
    used_a: set[int] = set()
    used_b: set[int] = set()
    taken = []
    for key, i, j in sorted(candidates, key=lambda c: (c[0], c[1], c[2])):
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        taken.append((key, i, j))
    return taken


__all__ = ["greedy_one_to_one"]
