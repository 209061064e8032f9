"""Human-readable rendering of results for terminals (used by the CLI).

Kept apart from the result model so that the model has no dependency on
``rich`` and other front ends (HTML reports, notebooks) can render their own way.

Every cell and the title are :class:`~rich.text.Text`, never markup: tag names,
captions, file names and reasons come from users and services, and Rich would
read ``[red]`` in ``dog [red].jpg`` as a style and drop it.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from visionkit.results import AnalysisResult, ImageType

_CLIP_ART = {0: "not clip art", 1: "possibly clip art", 2: "clip art", 3: "clearly clip art"}


def describe_image_type(image_type: ImageType) -> str:
    """The two scores in words: "not clip art, not a line drawing" rather than "0/3, 0"."""
    clip_art = _CLIP_ART[image_type.clip_art]
    if image_type.clip_art:
        clip_art += f" ({image_type.clip_art}/3)"
    drawing = "a line drawing" if image_type.line_drawing else "not a line drawing"
    return f"{clip_art}, {drawing}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


class _Rows:
    """The table's ``add_row`` with every string taken literally (see the module docstring)."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def add_row(self, label: str, value: str | Text) -> None:
        self._table.add_row(Text(label), value if isinstance(value, Text) else Text(value))


def result_table(result: AnalysisResult, title: str | None = None) -> Table:
    """One table per image: a row for each feature that was requested."""
    rendered = Table(
        title=Text(title) if title is not None else None,
        show_header=True,
        header_style="bold",
        title_justify="left",
    )
    rendered.add_column("feature", style="cyan", no_wrap=True)
    rendered.add_column("result")
    table = _Rows(rendered)
    version = f" (model {result.model_version})" if result.model_version else ""
    timing = f", {result.elapsed_s * 1000:.0f} ms" if result.elapsed_s is not None else ""
    table.add_row("backend", f"{result.backend}{version}{timing}")
    if result.replayed_from:
        table.add_row(
            "replayed",
            Text(
                f"from {result.replayed_from}: a cassette's answer, not a live one", style="yellow"
            ),
        )
    if result.fallback_reason:
        table.add_row("fallback", Text(result.fallback_reason, style="yellow"))
    if result.abstention:
        table.add_row("classes", Text(result.abstention, style="yellow"))
    if result.metadata is not None:
        fmt = f" {result.metadata.format}" if result.metadata.format else ""
        table.add_row("image", f"{result.metadata.width}x{result.metadata.height}{fmt}")
    if result.captions is not None:
        table.add_row(
            "caption",
            "\n".join(f"{c.text} ({_pct(c.confidence)})" for c in result.captions) or "(none)",
        )
    if result.tags is not None:
        table.add_row(
            "tags",
            ", ".join(
                f"{t.name} {_pct(t.confidence)}"
                for t in sorted(result.tags, key=lambda t: -t.confidence)
            )
            or "(none)",
        )
    if result.objects is not None:
        table.add_row(
            "objects",
            "\n".join(
                f"{' > '.join(o.lineage)} {_pct(o.confidence)} at {o.box.xywh}"
                for o in result.objects
            )
            or "(none)",
        )
    if result.colors is not None:
        c = result.colors
        text = Text()
        text.append(f"foreground {c.dominant_foreground}, background {c.dominant_background}; ")
        text.append(f"dominant {', '.join(c.dominant_colors) or '-'}; accent ")
        if c.accent_color:
            text.append("■ ", style=c.accent_color)
            text.append(c.accent_color)
        if c.is_black_and_white:
            text.append("; black and white")
        table.add_row("colors", text)
    if result.image_type is not None:
        table.add_row("image type", describe_image_type(result.image_type))
    if result.adult is not None:
        a = result.adult
        table.add_row(
            "adult",
            f"adult {_pct(a.adult)}, racy {_pct(a.racy)}, gore {_pct(a.gore)}"
            + (
                f" (- = below {_pct(a.reporting_threshold)}, not reported)"
                if a.reporting_threshold is not None and None in a.scores().values()
                else ""
            )
            + (" [flagged]" if (a.is_adult or a.is_racy or a.is_gory) else ""),
        )
    for label, items in (
        ("faces", result.faces),
        ("brands", result.brands),
        ("categories", result.categories),
        ("celebrities", result.celebrities),
        ("landmarks", result.landmarks),
    ):
        if items is None:
            continue
        parts = []
        for item in items:
            name = getattr(item, "name", None) or getattr(item, "gender", None) or "face"
            conf = getattr(item, "confidence", None)
            box = getattr(item, "box", None)
            parts.append(
                f"{name}"
                + (f" {_pct(conf)}" if conf is not None else "")
                + (f" at {box.xywh}" if box is not None else "")
            )
        table.add_row(label, "\n".join(parts) or "(none)")
    if result.text is not None:
        table.add_row("text", "\n".join(line.text for line in result.text) or "(none)")
    if result.area_of_interest is not None:
        table.add_row("area of interest", f"{result.area_of_interest.xywh} (x, y, width, height)")
    return rendered


__all__ = ["describe_image_type", "result_table"]
