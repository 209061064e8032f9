"""How far two backends read the same text: the numbers behind ``text_cer`` and ``text_lines``.

Pure functions over :class:`~visionkit.results.TextLine` tuples, with no verdicts
(those live with the other metrics in :mod:`visionkit.comparison.metrics`, as
:mod:`~visionkit.comparison.colordistance` does for colours). Two views, because
OCR engines disagree in two different ways:

- **what was read**: the character error rate of the whole text in reading
  order (:func:`text_distance`). Neither backend is ground truth, so the edit
  distance is divided by the longer of the two texts: the figure is symmetric
  (``local vs azure`` = ``azure vs local``), lies in [0, 1], and is at most the
  usual CER of either text against the other.
- **where it was read**: line agreement (:func:`line_agreement`), the share of
  the first backend's lines that a line of the second covers (polygon IoU at or
  above a threshold) or repeats word for word. Engines split lines differently
  (one engine's line is another's two), which the CER does not see and this does.

Normalisation (:func:`normalise`), the same for both views: Unicode NFKC (a
full-width A (U+FF21) or the ligature fi (U+FB01) is the letters it looks like), every run of
whitespace, line breaks included, one space, none at the ends. Case is kept for
the CER, as the usual CER does (a case error is a character error); the
word-for-word line match ignores it (:func:`same_words`), since it only asks
whether two lines are the same line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from visionkit.comparison.matching import greedy_one_to_one
from visionkit.results import Point, TextLine


def normalise(text: str) -> str:
    """``text`` in NFKC with every whitespace run one space and the ends stripped."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def reading_text(lines: Sequence[TextLine]) -> str:
    """The whole text in the backend's reading order (the order of ``lines``), normalised.

    Lines are joined by one space, as a reader moving to the next line would.
    """
    return normalise(" ".join(line.text for line in lines))


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions of single characters.

    The common prefix and suffix are cut first (they cost nothing); what is left
    goes through Hyyrö's bit-parallel form of the dynamic programme (2003, after
    Myers 1999), one column of the table a few integer operations on a Python
    int as wide as the shorter text: O(n x m / 64) word steps instead of
    O(n x m) Python steps, so two 3,000-character page reads compare in
    milliseconds rather than seconds. ``tests/comparison/test_text_metrics.py``
    checks it against the plain two-row programme on random texts.
    """
    start = 0
    while start < min(len(first), len(second)) and first[start] == second[start]:
        start += 1
    end_a, end_b = len(first), len(second)
    while end_a > start and end_b > start and first[end_a - 1] == second[end_b - 1]:
        end_a -= 1
        end_b -= 1
    a, b = first[start:end_a], second[start:end_b]
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    # Bit i of a vertical delta word is row i of the current column of the
    # table: "+1 from the row above" in up, "-1" in down; b is the pattern (rows).
    full = (1 << len(b)) - 1
    last = 1 << (len(b) - 1)
    matches: dict[str, int] = {}
    for i, char in enumerate(b):
        matches[char] = matches.get(char, 0) | (1 << i)
    up, down, distance = full, 0, len(b)
    for char in a:
        match = matches.get(char, 0)
        diagonal = ((((match & up) + up) ^ up) | match | down) & full
        right_up = (down | ~(diagonal | up)) & full
        right_down = diagonal & up
        if right_up & last:
            distance += 1
        elif right_down & last:
            distance -= 1
        right_up = ((right_up << 1) | 1) & full
        right_down = (right_down << 1) & full
        up = (right_down | ~(diagonal | right_up)) & full
        down = right_up & diagonal
    return distance


@dataclass(frozen=True, slots=True)
class TextDistance:
    """Edits between two reading-order texts and the rate they make (``rate`` in [0, 1])."""

    edits: int
    first_length: int
    second_length: int

    @property
    def rate(self) -> float:
        """Edits over the longer text's length; 0 when both texts are empty."""
        longest = max(self.first_length, self.second_length)
        return self.edits / longest if longest else 0.0


def text_distance(first: Sequence[TextLine], second: Sequence[TextLine]) -> TextDistance:
    """The character error rate between two backends' texts (module docstring)."""
    a, b = reading_text(first), reading_text(second)
    return TextDistance(edit_distance(a, b), len(a), len(b))


# -- polygons ------------------------------------------------------------------------------


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: Sequence[Point]) -> list[tuple[float, float]]:
    """The convex hull, counter-clockwise (Andrew's monotone chain); fewer than 3 points stay.

    Line polygons are quadrilaterals, convex in practice; taking the hull makes
    the clipping below correct for any polygon a backend sends.
    """
    pts = sorted({(float(x), float(y)) for x, y in points})
    if len(pts) < 3:
        return pts
    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def polygon_area(polygon: Sequence[tuple[float, float]]) -> float:
    """Area by the shoelace formula (absolute, so either winding)."""
    total = 0.0
    for i, (x1, y1) in enumerate(polygon):
        x2, y2 = polygon[(i + 1) % len(polygon)]
        total += x1 * y2 - x2 * y1
    return abs(total) / 2


def _clip(
    subject: list[tuple[float, float]], clipper: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: ``subject`` cut to the convex, counter-clockwise ``clipper``."""
    out = subject
    for i, edge_start in enumerate(clipper):
        edge_end = clipper[(i + 1) % len(clipper)]
        points, out = out, []
        if not points:
            break
        for j, current in enumerate(points):
            before = points[j - 1]
            inside_now = _cross(edge_start, edge_end, current) >= 0
            inside_before = _cross(edge_start, edge_end, before) >= 0
            if inside_now != inside_before:
                out.append(_crossing(before, current, edge_start, edge_end))
            if inside_now:
                out.append(current)
    return out


def _crossing(
    p: tuple[float, float], q: tuple[float, float], a: tuple[float, float], b: tuple[float, float]
) -> tuple[float, float]:
    """Where segment ``p``-``q`` crosses the line through ``a`` and ``b``."""
    dp, dq = _cross(a, b, p), _cross(a, b, q)
    t = dp / (dp - dq)
    return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))


def polygon_iou(first: Sequence[Point], second: Sequence[Point]) -> float:
    """Intersection over union of two polygons (each taken as its convex hull)."""
    a, b = convex_hull(first), convex_hull(second)
    if len(a) < 3 or len(b) < 3:
        return 0.0
    area_a, area_b = polygon_area(a), polygon_area(b)
    overlap = _clip(a, b)
    inter = polygon_area(overlap) if len(overlap) >= 3 else 0.0
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


# -- lines ---------------------------------------------------------------------------------


def same_words(first: TextLine, second: TextLine) -> bool:
    """Whether two lines say the same thing: normalised, case ignored, and not empty."""
    a, b = normalise(first.text).casefold(), normalise(second.text).casefold()
    return bool(a) and a == b


@dataclass(frozen=True, slots=True)
class LineMatch:
    """A line of each side taken to be the same line, and why (``iou``, ``same_text``)."""

    first: TextLine
    second: TextLine
    iou: float
    same_text: bool


def match_lines(
    first: Sequence[TextLine], second: Sequence[TextLine], iou_threshold: float
) -> list[LineMatch]:
    """One-to-one greedy matching: a line of each side at most once.

    A pair qualifies by polygon IoU >= ``iou_threshold`` or by the same words;
    pairs that have both go first, then by IoU, so that two engines reading one
    sign twice do not pair the first reading with the second.
    """
    candidates = []
    for i, la in enumerate(first):
        for j, lb in enumerate(second):
            iou = polygon_iou(la.polygon, lb.polygon)
            same = same_words(la, lb)
            if iou >= iou_threshold or same:
                candidates.append(((-(iou >= iou_threshold and same), -iou), i, j))
    return [
        LineMatch(first[i], second[j], -key[1], same_words(first[i], second[j]))
        for key, i, j in greedy_one_to_one(candidates)
    ]


@dataclass(frozen=True, slots=True)
class LineAgreement:
    """How many of each side's lines the other side matched."""

    matches: tuple[LineMatch, ...]
    first_lines: int
    second_lines: int

    @property
    def share(self) -> float:
        """Share of the first side's lines matched; 1 when neither has a line, 0 when only
        the second has some (they are all unmatched)."""
        if self.first_lines:
            return len(self.matches) / self.first_lines
        return 0.0 if self.second_lines else 1.0


def line_agreement(
    first: Sequence[TextLine], second: Sequence[TextLine], iou_threshold: float
) -> LineAgreement:
    """Line agreement between two backends' lines (module docstring)."""
    matches = match_lines(first, second, iou_threshold)
    return LineAgreement(tuple(matches), len(first), len(second))


__all__ = [
    "LineAgreement",
    "LineMatch",
    "TextDistance",
    "convex_hull",
    "edit_distance",
    "line_agreement",
    "match_lines",
    "normalise",
    "polygon_area",
    "polygon_iou",
    "reading_text",
    "same_words",
    "text_distance",
]
