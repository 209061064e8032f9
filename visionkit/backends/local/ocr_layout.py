"""From RapidOCR's answer to visionkit's ``text`` result: pure functions, no model.

The shape is the one the Azure Read mapping produces
(:func:`visionkit.backends.azure.mapping.text_lines`), so local and cloud
text compare line by line: one :class:`~visionkit.results.TextLine` per
detected line, in reading order (RapidOCR sorts its boxes top to bottom, then
left to right), each with its four-point polygon and its
:class:`~visionkit.results.Word`\\ s, every point in pixels of the analysed
image (clipped to it), every confidence in [0, 1].

Where the numbers come from:

* a line's polygon is the detector's quadrilateral (it follows rotated text);
  its confidence is the recogniser's mean character probability, which
  RapidOCR reports per line. Azure's v3.2 Read has no line confidence; here
  there is one, so the junk filter can use it.
* a word's polygon is RapidOCR's own word box (``return_word_box=True``): the
  recogniser's CTC output says in which column of the line's crop each
  character was read, RapidOCR groups the characters into words (at spaces
  for Latin script, one per character for CJK), spans each word's columns and
  maps that strip back through the crop's rotation onto the image. The word's
  confidence is the mean probability of its characters. These boxes are
  measured, not guessed; only when RapidOCR gives none for a line, or words
  that do not spell the line, are they *derived* (:func:`split_line`): the
  line's polygon cut along its length in proportion to each word's share of
  the line's characters, with the line's confidence. ``raw["ocr"]`` says how
  many lines needed that.

The junk filter (:func:`is_junk`) is the rule measured on photos without text
(``docs/local-ocr.md``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from visionkit.results import Point, TextLine, Word

JUNK_MAX_CHARS = 4
"""Lines with at most this many letters or digits are junk below :data:`JUNK_MIN_CONFIDENCE`."""
JUNK_MIN_CONFIDENCE = 0.99
"""See :data:`JUNK_MAX_CHARS`; longer lines are kept at any confidence RapidOCR keeps (0.5).

Measured on the development photos (``docs/local-ocr.md``): on 468 photos without
text RapidOCR "read" 69 lines, every one of 1 to 4 letters or digits (single digits
and letters, lone CJK characters, often boxed over the whole frame), the most
confident at 0.982; the short text it read on real signs, shirts and a go-kart
(``3``, ``11``, ``520``, ``WEST``, ``Micr``, ``make``) came at 0.9987 or more. What
the rule loses: short, faint real text, such as a camera's date stamp (``05/18``
at 0.949) or a ``(c) 2007`` watermark (0.981) on 96 px photos."""


_WORD_CHAR = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True, slots=True)
class RawWord:
    """One word as RapidOCR reported it."""

    text: str
    score: float
    polygon: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class RawLine:
    """One line as RapidOCR reported it; ``words`` is ``None`` when it gave none."""

    text: str
    score: float
    polygon: tuple[Point, ...]
    words: tuple[RawWord, ...] | None


def _points(box: Any) -> tuple[Point, ...]:
    return tuple((float(x), float(y)) for x, y in box)


def raw_lines(output: Any) -> list[RawLine]:
    """The lines of a ``RapidOCROutput`` (read by attribute: ``boxes``, ``txts``,
    ``scores``, ``word_results``), each paired with its words when RapidOCR's word
    list lines up with its lines."""
    texts = getattr(output, "txts", None)
    if not texts:
        return []
    boxes = output.boxes
    scores = output.scores
    word_results = getattr(output, "word_results", None) or ()
    aligned = len(word_results) == len(texts)
    lines = []
    for i, text in enumerate(texts):
        words: tuple[RawWord, ...] | None = None
        if aligned and word_results[i]:
            words = tuple(
                RawWord(str(w_text), float(w_score), _points(w_box))
                for w_text, w_score, w_box in word_results[i]
                if w_box is not None
            )
        lines.append(RawLine(str(text), float(scores[i]), _points(boxes[i]), words))
    return lines


def is_junk(line: RawLine) -> bool:
    """True for what OCR "reads" in photos without text, by the measured rule:
    no letter or digit at all, or at most :data:`JUNK_MAX_CHARS` of them read
    below :data:`JUNK_MIN_CONFIDENCE`."""
    chars = len(_WORD_CHAR.findall(line.text))
    if chars == 0:
        return True
    return chars <= JUNK_MAX_CHARS and line.score < JUNK_MIN_CONFIDENCE


def _unit(value: float) -> float:
    return min(max(float(value), 0.0), 1.0)


def _clip(points: Sequence[Point], width: int, height: int) -> tuple[Point, ...]:
    return tuple(
        (round(min(max(x, 0.0), float(width)), 1), round(min(max(y, 0.0), float(height)), 1))
        for x, y in points
    )


def split_line(polygon: Sequence[Point], text: str, score: float) -> tuple[RawWord, ...]:
    """Words for a line RapidOCR gave no word boxes for: the line's quadrilateral
    (top-left, top-right, bottom-right, bottom-left) cut along its length in
    proportion to character offsets, each word with the line's ``score``."""
    if len(polygon) != 4:
        return tuple(RawWord(w, score, tuple(polygon)) for w in text.split())
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = polygon
    total = max(len(text), 1)

    def at(t: float) -> tuple[Point, Point]:
        top = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
        bottom = (x3 + (x2 - x3) * t, y3 + (y2 - y3) * t)
        return top, bottom

    words = []
    for match in re.finditer(r"\S+", text):
        (tl, bl), (tr, br) = at(match.start() / total), at(match.end() / total)
        words.append(RawWord(match.group(), score, (tl, tr, br, bl)))
    return tuple(words)


def _spells(words: Sequence[RawWord], text: str) -> bool:
    return "".join(w.text for w in words).replace(" ", "") == text.replace(" ", "")


def to_text_line(line: RawLine, width: int, height: int) -> tuple[TextLine, bool]:
    """``line`` as a :class:`TextLine` in a ``width`` x ``height`` image; the flag is
    True when its words had to be derived (:func:`split_line`)."""
    words = line.words
    derived = not words or not _spells(words, line.text)
    if derived:
        words = split_line(line.polygon, line.text, line.score)
    assert words is not None
    return (
        TextLine(
            text=line.text,
            polygon=_clip(line.polygon, width, height),
            confidence=_unit(line.score),
            words=tuple(
                Word(w.text, _clip(w.polygon, width, height), _unit(w.score)) for w in words
            ),
        ),
        derived,
    )


def read_lines(output: Any, width: int, height: int) -> tuple[TextLine, ...]:
    """RapidOCR's ``output`` on a ``width`` x ``height`` image as text lines, junk dropped."""
    return convert(raw_lines(output), width, height)[0]


def convert(
    lines: Sequence[RawLine], width: int, height: int
) -> tuple[tuple[TextLine, ...], dict[str, int]]:
    """The kept lines, and counts for ``raw``: lines read, dropped as junk, words derived."""
    kept = []
    dropped = derived = 0
    for line in lines:
        if is_junk(line):
            dropped += 1
            continue
        text_line, was_derived = to_text_line(line, width, height)
        derived += was_derived
        kept.append(text_line)
    return tuple(kept), {
        "lines_read": len(lines),
        "junk_dropped": dropped,
        "words_derived": derived,
    }


__all__ = [
    "JUNK_MAX_CHARS",
    "JUNK_MIN_CONFIDENCE",
    "RawLine",
    "RawWord",
    "convert",
    "is_junk",
    "raw_lines",
    "read_lines",
    "split_line",
    "to_text_line",
]
