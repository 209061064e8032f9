"""The comparison as one self-contained HTML file.

Everything is inline: CSS in a ``<style>``, thumbnails as base64 JPEG data
URIs, boxes and the chart as SVG. No script, no font or stylesheet from the
network, so the file opens from disk, in a mail attachment or an air-gapped
machine, and looks the same in ten years. Every element a test or a script may
look for carries a ``data-`` attribute (``data-section``, ``data-image``,
``data-backend``, ``data-metric``, ``data-verdict``).

It is over the project's ~400-line guide because the report is one self-contained page
whose sections share escaping, colours and thumbnails; every text in it is escaped by
the helpers here.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING, Any

from visionkit.comparison.metrics import METRIC_DESCRIPTIONS, Agreement, ranked_concepts_all
from visionkit.comparison.settings import CompareSettings
from visionkit.results import AnalysisResult

if TYPE_CHECKING:
    from visionkit.comparison.comparison import Comparison, ImageComparison, MetricSummary

BACKEND_COLORS = ("#d9480f", "#1971c2", "#2b8a3e", "#9c36b5", "#e67700", "#0b7285")
"""Box and legend colour of each backend, in order (distinct for common colour blindness
in the first two: orange and blue)."""

_CSS = """
:root { --agree: #2b8a3e; --agree-bg: #ebfbee; --disagree: #c92a2a; --disagree-bg: #fff5f5;
        --nc: #868e96; --nc-bg: #f1f3f5; --line: #dee2e6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #212529;
       margin: 0 auto; max-width: 1200px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; }
h3 { font-size: 15px; margin: 0 0 8px; word-break: break-all; } h4 { margin: 0 0 6px; }
.muted { color: #6c757d; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { font-weight: 600; background: #f8f9fa; }
td:first-child, td:nth-child(2) { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.agree { background: var(--agree-bg); } .disagree { background: var(--disagree-bg); }
.nc { background: var(--nc-bg); color: var(--nc); }
.verdict { font-weight: 600; white-space: nowrap; }
.agree .verdict { color: var(--agree); } .disagree .verdict { color: var(--disagree); }
.chart { max-width: 720px; }
article.image { border: 1px solid var(--line); border-radius: 8px; padding: 16px;
                margin: 16px 0; }
.row { display: flex; gap: 16px; flex-wrap: wrap; }
figure.thumb { margin: 0; flex: 0 0 auto; }
figure.thumb svg { display: block; border-radius: 4px; background: #f1f3f5; }
.legend span { display: inline-block; margin-right: 10px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
.backends { display: flex; gap: 16px; flex: 1 1 400px; flex-wrap: wrap; }
section.backend { flex: 1 1 240px; border-top: 4px solid; padding-top: 6px; }
ul.tags { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap;
          gap: 4px; }
ul.tags li { padding: 1px 6px; border-radius: 10px; font-size: 12px; background: var(--nc-bg); }
ul.tags li.shared { background: var(--agree-bg); color: var(--agree);
                    outline: 1px solid var(--agree); }
ul.tags li.unshared { background: var(--disagree-bg); color: var(--disagree); }
.swatch { display: inline-block; width: 12px; height: 12px; border: 1px solid #adb5bd;
          vertical-align: middle; margin-right: 3px; }
.error { color: var(--disagree); }
.replayed { color: #e67700; font-weight: 600; }
section.replayed { border: 2px solid #e67700; border-radius: 8px; padding: 8px 16px;
                   margin: 16px 0; background: #fff9db; }
table.metrics { margin-top: 12px; font-size: 13px; }
ol.text { margin: 4px 0; padding-left: 20px; font-size: 12px; }
"""


def render_html(comparison: Comparison, *, thumbnail_size: int = 360) -> str:
    """The whole report as one string."""
    title = f"visionkit comparison: {' vs '.join(comparison.backends)}"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    colors = {b: BACKEND_COLORS[i % len(BACKEND_COLORS)] for i, b in enumerate(comparison.backends)}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{escape(title)}</h1>",
        f'<p class="muted">{len(comparison.images)} image(s); backends '
        f"{escape(', '.join(comparison.backends))}; {len(comparison.failures)} failure(s); "
        f"generated {generated}.</p></header>",
        _replay_notice(comparison),
        _summary_section(comparison),
        _latency_section(comparison),
        _settings_section(comparison),
        '<section id="images" data-section="images"><h2>Images</h2>',
        *(_image_article(image, comparison, colors, thumbnail_size) for image in comparison.images),
        "</section>",
        _failures_section(comparison),
        '<footer class="muted"><p>Made by visionkit. Verdicts: agree, disagree, or not '
        "comparable when a backend did not return that feature; see docs/compare.md.</p>"
        "</footer></body></html>",
    ]
    return "\n".join(parts)


# -- top of the report ---------------------------------------------------------------------


def _verdict_class(agreement: Agreement) -> str:
    return {Agreement.AGREE: "agree", Agreement.DISAGREE: "disagree"}.get(agreement, "nc")


def _pct(value: float | None) -> str:
    return "&ndash;" if value is None else f"{value:.0%}"


def _text(value: str | None) -> str:
    return "&ndash;" if value is None else escape(value)


def _num(value: float | None) -> str:
    return "&ndash;" if value is None else f"{value:.2f}"


def replayed_sources(comparison: Comparison) -> dict[str, list[str]]:
    """Each backend some of whose results a cassette replayed, with the cassettes' names."""
    sources: dict[str, list[str]] = {}
    for image in comparison.images:
        for backend, result in image.results.items():
            if result.replayed_from is not None:
                names = sources.setdefault(backend, [])
                if result.replayed_from not in names:
                    names.append(result.replayed_from)
    return sources


def _replay_notice(comparison: Comparison) -> str:
    """A banner when any answer was replayed: a replay must never pass for the service."""
    sources = replayed_sources(comparison)
    if not sources:
        return ""
    items = "".join(
        f'<li data-backend="{escape(backend)}"><b>{escape(backend)}</b>: replayed from '
        f"{escape(', '.join(names))}</li>"
        for backend, names in sources.items()
    )
    return (
        '<section id="replayed" data-section="replayed" class="replayed">'
        "<h2>Replayed answers, not live ones</h2>"
        "<p>These backends' answers came from recorded cassettes, not from the service. "
        "A recording answers whatever image it was made with, so agreement figures that "
        "involve a replayed backend describe the recording, not the backend's opinion of "
        f"these images.</p><ul>{items}</ul></section>"
    )


def _pair_label(pair: str, replayed: Iterable[str]) -> str:
    marked = [b for b in replayed if b in pair.split(" vs ")]
    return f"{pair} ({', '.join(marked)} replayed)" if marked else pair


def _summary_section(comparison: Comparison) -> str:
    if not comparison.pairs:
        return (
            '<section id="summary" data-section="summary"><h2>Agreement</h2>'
            "<p>No agreement to show: it takes two backends, and only "
            f"{escape(', '.join(comparison.backends))} ran.</p></section>"
        )
    summary = comparison.summary()
    replayed = replayed_sources(comparison)
    rows = "".join(
        f'<tr data-pair="{escape(s.pair)}" data-metric="{escape(s.metric)}">'
        f"<td>{escape(_pair_label(s.pair, replayed))}</td><td>{escape(s.metric)}</td>"
        f'<td class="num">{_pct(s.agreement_rate)}</td><td class="num">{s.agreed}</td>'
        f'<td class="num">{s.disagreed}</td><td class="num">{s.not_comparable}</td>'
        f'<td class="num">{_num(s.mean_value)}</td>'
        f'<td class="muted">{escape(METRIC_DESCRIPTIONS[s.metric])}</td></tr>'
        for s in summary
    )
    return (
        '<section id="summary" data-section="summary"><h2>Agreement</h2>'
        f"{_chart(summary)}"
        "<table><thead><tr><th>pair</th><th>metric</th><th>agreement</th><th>agree</th>"
        "<th>disagree</th><th>not comparable</th><th>mean value</th><th>value means</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _chart(summary: Iterable[MetricSummary]) -> str:
    """Horizontal bars: the agreement rate of each metric, hatched grey when not comparable."""
    items = list(summary)
    label_w, bar_w, row_h = 230, 400, 22
    height = row_h * len(items) + 24
    bars = []
    for i, s in enumerate(items):
        y = 20 + i * row_h
        label = escape(f"{s.metric} ({s.pair})" if len({x.pair for x in items}) > 1 else s.metric)
        bars.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">{label}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 6}" '
            'fill="#f1f3f5"/>'
        )
        if s.agreement_rate is None:
            bars.append(
                f'<text x="{label_w + 6}" y="{y + 14}" font-size="11" fill="#868e96">'
                "not comparable</text>"
            )
            continue
        width = round(bar_w * s.agreement_rate, 1)
        bars.append(
            f'<rect data-metric="{escape(s.metric)}" x="{label_w}" y="{y + 3}" width="{width}" '
            f'height="{row_h - 6}" fill="#2b8a3e"><title>{escape(s.metric)}: '
            f"{s.agreed} of {s.comparable} comparable images agree</title></rect>"
            f'<text x="{label_w + bar_w + 6}" y="{y + 14}" font-size="12">'
            f"{_pct(s.agreement_rate)} of {s.comparable}</text>"
        )
    total_w = label_w + bar_w + 80
    axis = "".join(
        f'<text x="{label_w + bar_w * t / 4}" y="12" font-size="10" text-anchor="middle" '
        f'fill="#868e96">{t * 25}%</text>'
        for t in range(5)
    )
    return (
        f'<figure id="chart" data-section="chart" class="chart"><svg role="img" '
        f'viewBox="0 0 {total_w} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        f"<title>Agreement rate per metric</title>{axis}{''.join(bars)}</svg>"
        '<figcaption class="muted">Share of comparable images on which the backends agree.'
        "</figcaption></figure>"
    )


def _latency_section(comparison: Comparison) -> str:
    rows = "".join(
        f'<tr data-backend="{escape(s.backend)}"><td>{escape(s.backend)}</td>'
        f'<td class="num">{s.count}</td><td class="num">{s.failures}</td>'
        + "".join(f'<td class="num">{_ms(v)}</td>' for v in (s.mean_s, s.median_s, s.max_s))
        + "</tr>"
        for s in comparison.latency()
    )
    return (
        '<section id="latency" data-section="latency"><h2>Latency per backend</h2>'
        "<table><thead><tr><th>backend</th><th>analysed</th><th>failed</th><th>mean</th>"
        f"<th>median</th><th>slowest</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _ms(seconds: float | None) -> str:
    return "&ndash;" if seconds is None else f"{seconds * 1000:.0f} ms"


def _settings_section(comparison: Comparison) -> str:
    items = "".join(
        f"<li><code>{escape(k)}</code> = {escape(str(v))}</li>"
        for k, v in comparison.settings.public_dict().items()
    )
    features = (
        ", ".join(comparison.features)
        if comparison.features is not None
        else "everything each backend supports"
    )
    return (
        '<section id="settings" data-section="settings"><h2>Settings</h2>'
        f"<p>Features asked: {escape(features)}.</p><ul>{items}</ul></section>"
    )


# -- one image -----------------------------------------------------------------------------


def _image_article(
    image: ImageComparison, comparison: Comparison, colors: dict[str, str], size: int
) -> str:
    columns = "".join(
        _backend_column(image, backend, comparison, colors[backend])
        for backend in comparison.backends
    )
    metrics = "".join(
        f'<tr class="{_verdict_class(m.agreement)}" data-pair="{escape(p.label)}" '
        f'data-metric="{escape(m.name)}" data-verdict="{escape(m.agreement.value)}">'
        f"<td>{escape(p.label)}</td><td>{escape(m.name)}</td>"
        f'<td class="verdict">{escape(m.agreement.value)}</td>'
        f'<td class="num">{_num(m.value)}</td><td>{escape(m.detail)}</td></tr>'
        for p in image.pairs
        for m in p.metrics
    )
    table = (
        '<table class="metrics"><thead><tr><th>pair</th><th>metric</th><th>verdict</th>'
        f"<th>value</th><th>detail</th></tr></thead><tbody>{metrics}</tbody></table>"
        if metrics
        else '<p class="muted">No pair of backends both answered: nothing to compare.</p>'
    )
    return (
        f'<article class="image" data-image="{escape(image.image)}">'
        f"<h3>{escape(image.image)}</h3>"
        f'<div class="row">{_thumbnail(image, comparison.backends, colors, size)}'
        f'<div class="backends">{columns}</div></div>{table}</article>'
    )


def _thumbnail(
    image: ImageComparison, backends: Iterable[str], colors: dict[str, str], size: int
) -> str:
    """The image as a base64 JPEG inside an SVG in original pixel units, boxes on top."""
    encoded = _encode_thumbnail(image.source, size)
    width, height = _image_size(image, encoded)
    if width is None or height is None:
        return '<figure class="thumb"><p class="muted">(no preview)</p></figure>'
    scale = size / max(width, height)
    shown_w, shown_h = round(width * scale), round(height * scale)
    boxes = []
    for backend in backends:
        result = image.results.get(backend)
        for obj in (result.objects or ()) if result is not None else ():
            b = obj.box
            label = escape(f"{backend}: {obj.name} {obj.confidence:.0%}")
            boxes.append(
                f'<rect class="box" data-backend="{escape(backend)}" x="{b.x}" y="{b.y}" '
                f'width="{b.width}" height="{b.height}" fill="none" '
                f'stroke="{colors[backend]}" stroke-width="3" '
                f'vector-effect="non-scaling-stroke"><title>{label}</title></rect>'
            )
        for face in (result.faces or ()) if result is not None else ():
            b = face.box
            label = escape(
                f"{backend}: face"
                + (f" {face.confidence:.0%}" if face.confidence is not None else "")
            )
            boxes.append(
                f'<rect class="face" data-backend="{escape(backend)}" x="{b.x}" y="{b.y}" '
                f'width="{b.width}" height="{b.height}" fill="none" '
                f'stroke="{colors[backend]}" stroke-width="2" stroke-dasharray="6 3" '
                f'vector-effect="non-scaling-stroke"><title>{label}</title></rect>'
            )
    picture = (
        f'<image href="data:image/jpeg;base64,{encoded[0]}" x="0" y="0" width="{width}" '
        f'height="{height}" preserveAspectRatio="none"/>'
        if encoded is not None
        else f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">no preview</text>'
    )
    legend = "".join(
        f'<span><i style="background:{colors[b]}"></i>{escape(b)}</span>' for b in backends
    )
    return (
        f'<figure class="thumb"><svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{shown_w}" height="{shown_h}">'
        f"{picture}{''.join(boxes)}</svg>"
        f'<figcaption class="legend">{legend}</figcaption></figure>'
    )


def _encode_thumbnail(source: Any, size: int) -> tuple[str, int, int] | None:
    """``(base64 JPEG, original width, original height)``, or ``None`` if it cannot be read."""
    if source is None:
        return None
    from visionkit.errors import VisionKitError
    from visionkit.images import load_image

    try:
        loaded = load_image(source)
    except VisionKitError:
        return None
    pixels = loaded.pixels.copy()
    pixels.thumbnail((size, size))
    buffer = io.BytesIO()
    pixels.save(buffer, "JPEG", quality=80)
    return base64.b64encode(buffer.getvalue()).decode("ascii"), loaded.width, loaded.height


def _image_size(
    image: ImageComparison, encoded: tuple[str, int, int] | None
) -> tuple[int | None, int | None]:
    if encoded is not None:
        return encoded[1], encoded[2]
    for result in image.results.values():
        if result.metadata is not None:
            return result.metadata.width, result.metadata.height
    return None, None


def _backend_column(
    image: ImageComparison,
    backend: str,
    comparison: Comparison,
    color: str,
) -> str:
    result = image.results.get(backend)
    failure = image.failures.get(backend)
    head = (
        f'<section class="backend" data-backend="{escape(backend)}" style="border-color:{color}">'
    )
    if result is None:
        message = (
            f"{escape(failure.error_type)}: {escape(failure.message)}" if failure else "no result"
        )
        return f'{head}<h4>{escape(backend)}</h4><p class="error">{message}</p></section>'
    others = [image.results[b] for b in comparison.backends if b != backend and b in image.results]
    timing = f" · {_ms(result.elapsed_s)}" if result.elapsed_s is not None else ""
    body = [f'<h4>{escape(backend)} <span class="muted">{timing}</span></h4>']
    if result.replayed_from:
        body.append(
            f'<p class="replayed" data-replayed="{escape(result.replayed_from)}">replayed from '
            f"{escape(result.replayed_from)}, not a live answer</p>"
        )
    if result.fallback_reason:
        body.append(f'<p class="muted">fallback: {escape(result.fallback_reason)}</p>')
    if result.caption is not None:
        body.append(
            f'<p class="caption">“{escape(result.caption.text)}” '
            f'<span class="muted">{result.caption.confidence:.0%}</span></p>'
        )
    if result.tags is not None:
        body.append(_tags(result, others, comparison.settings))
    if result.objects is not None:
        names = ", ".join(f"{o.name} {o.confidence:.0%}" for o in result.objects) or "none"
        body.append(f'<p class="objects">objects: {escape(names)}</p>')
    if result.faces is not None:
        body.append(f'<p class="faces">faces: {len(result.faces) or "none"}</p>')
    if result.text is not None:
        lines = "".join(f"<li>{escape(line.text)}</li>" for line in result.text)
        body.append(f'<ol class="text">{lines}</ol>' if lines else '<p class="text">text: none</p>')
    if result.colors is not None:
        body.append(_colors(result))
    if result.adult is not None:
        scores = " · ".join(
            f"{kind} {'-' if value is None else f'{value:.2f}'}"
            for kind, value in result.adult.scores().items()
        )
        body.append(f'<p class="adult">{scores}</p>')
    return head + "".join(body) + "</section>"


def _tags(result: AnalysisResult, others: list[AnalysisResult], settings: CompareSettings) -> str:
    """Tags coloured as the tag metrics see them: shared (another backend states the same,
    a broader or a narrower concept), unshared, or neutral (no crosswalk counterpart, or
    below ``min_tag_confidence``)."""
    crosswalk, floor = settings.crosswalk, settings.min_tag_confidence
    stated = {c for other in others for c, p in ranked_concepts_all(other, crosswalk) if p >= floor}
    items = []
    for tag in sorted(result.tags or (), key=lambda t: -t.confidence):
        concept = crosswalk.concept(tag.name) or (crosswalk.concept(tag.hint) if tag.hint else None)
        if concept is None or not others:
            css, note = "", "no counterpart in the crosswalk"
        elif tag.confidence < floor:
            css, note = "", f"below min_tag_confidence {floor:g}"
        elif any(crosswalk.relation(concept, o).compatible for o in stated):
            css, note = "shared", "another backend says this, or a broader or narrower word"
        else:
            css, note = "unshared", "no other backend says this"
        items.append(
            f'<li class="{css}" title="{escape(note)}">{escape(tag.name)} {tag.confidence:.0%}</li>'
        )
    return f'<ul class="tags">{"".join(items) or "<li>none</li>"}</ul>'


def _colors(result: AnalysisResult) -> str:
    c = result.colors
    assert c is not None
    accent = (
        f'<span class="swatch" style="background:{escape(c.accent_color)}"></span>'
        f"{escape(c.accent_color)}"
        if c.accent_color
        else "&ndash;"
    )
    return (
        f'<p class="colors">foreground {_text(c.dominant_foreground)} · background '
        f"{_text(c.dominant_background)} · accent {accent}</p>"
    )


def _failures_section(comparison: Comparison) -> str:
    rows = "".join(
        f'<tr data-image="{escape(image)}" data-backend="{escape(f.backend)}">'
        f"<td>{escape(image)}</td><td>{escape(f.backend)}</td><td>{escape(f.error_type)}</td>"
        f"<td>{escape(f.message)}</td></tr>"
        for image, f in comparison.failures
    )
    body = (
        "<table><thead><tr><th>image</th><th>backend</th><th>error</th><th>message</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
        if rows
        else '<p class="muted">Every backend answered for every image.</p>'
    )
    return f'<section id="failures" data-section="failures"><h2>Failures</h2>{body}</section>'


__all__ = ["BACKEND_COLORS", "render_html"]
