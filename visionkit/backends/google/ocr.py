"""Google's OCR answer as lines of words: from ``fullTextAnnotation``, else ``textAnnotations``.

``fullTextAnnotation`` nests pages, blocks, paragraphs, words and symbols, and
marks where a word ends with the symbol's ``detectedBreak``; lines are rebuilt
from those breaks (``LINE_BREAK``, ``EOL_SURE_SPACE`` and ``HYPHEN`` end a
line, ``SPACE`` and ``SURE_SPACE`` put a space after the word). Without it,
``textAnnotations[0]`` holds the whole text with newlines and the entries after
it are the words in reading order, which are dealt out to the lines by length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from visionkit.backends.google.reading import (
    Size,
    clamp_polygon,
    dropped,
    get,
    list_of,
    text_of,
    unit,
    vertices,
)
from visionkit.results import BoundingBox, Point, TextLine, Word

_LINE_ENDS = frozenset({"LINE_BREAK", "EOL_SURE_SPACE", "HYPHEN"})
_SPACES = frozenset({"SPACE", "SURE_SPACE"})


def _box_polygon(points: Iterable[Point]) -> tuple[Point, ...]:
    box = BoundingBox.from_polygon(tuple(points))
    x1, y1, x2, y2 = (float(v) for v in box.xyxy)
    return ((x1, y1), (x2, y1), (x2, y2), (x1, y2))


def _line(words: list[Word], texts: list[str]) -> TextLine:
    points = [p for w in words for p in w.polygon]
    return TextLine("".join(texts).strip(), _box_polygon(points), words=tuple(words))


def _document_lines(full: Any, size: Size | None) -> tuple[TextLine, ...]:
    """Lines rebuilt from ``fullTextAnnotation`` words and their ``detectedBreak``s."""
    lines: list[TextLine] = []
    for page in list_of(full, "pages"):
        for block in list_of(page, "blocks"):
            for paragraph in list_of(block, "paragraphs"):
                words: list[Word] = []
                texts: list[str] = []
                for word in list_of(paragraph, "words"):
                    symbols = list_of(word, "symbols")
                    pieces = (get(symbol, "text") for symbol in symbols)
                    word_text = "".join(p for p in pieces if isinstance(p, str))
                    points = vertices(get(word, "boundingBox"))
                    if not word_text or points is None:
                        dropped("word", word)
                        continue
                    kind = get(get(get(symbols[-1], "property"), "detectedBreak"), "type")
                    confidence = unit(get(word, "confidence"))
                    words.append(Word(word_text, clamp_polygon(points, size), confidence))
                    texts.append(word_text + (" " if kind in _SPACES else ""))
                    if kind in _LINE_ENDS:
                        lines.append(_line(words, texts))
                        words, texts = [], []
                if words:
                    lines.append(_line(words, texts))
    return tuple(line for line in lines if line.text)


def _annotation_lines(response: Mapping[str, Any], size: Size | None) -> tuple[TextLine, ...]:
    """Lines from ``textAnnotations``: ``[0]``'s text split on newlines, words in order."""
    annotations = list_of(response, "textAnnotations")
    if not annotations:
        return ()
    whole = get(annotations[0], "description")
    whole_poly = vertices(get(annotations[0], "boundingPoly")) or ((0.0, 0.0),)
    words = []
    for item in annotations[1:]:
        word_text = text_of(get(item, "description"))
        points = vertices(get(item, "boundingPoly"))
        if word_text is None or points is None:
            dropped("word", item)
            continue
        words.append(Word(word_text, clamp_polygon(points, size)))
    lines = []
    queue = iter(words)
    pending = next(queue, None)
    for raw_line in (whole if isinstance(whole, str) else "").split("\n"):
        line_text = raw_line.strip()
        if not line_text:
            continue
        need, taken = len(line_text.replace(" ", "")), []
        while pending is not None and need > 0:
            taken.append(pending)
            need -= len(pending.text)
            pending = next(queue, None)
        corners = [p for w in taken for p in w.polygon] or list(clamp_polygon(whole_poly, size))
        lines.append(TextLine(line_text, _box_polygon(corners), words=tuple(taken)))
    return tuple(lines)


def text_lines(response: Mapping[str, Any], size: Size | None) -> tuple[TextLine, ...]:
    """Lines with word polygons: from ``fullTextAnnotation`` when present, else
    ``textAnnotations``. Google gives no line confidence (``None``); document
    text gives word confidences. The detected language has no field (raw keeps it)."""
    full = get(response, "fullTextAnnotation")
    if full is not None:
        lines = _document_lines(full, size)
        if lines:
            return lines
    return _annotation_lines(response, size)


__all__ = ["text_lines"]
