"""The comparison for a terminal: rich tables with verdicts in colour (used by the CLI)."""

from __future__ import annotations

from rich.table import Table

from visionkit.comparison.comparison import Comparison


def summary_tables(comparison: Comparison) -> list[Table]:
    """The agreement summary, then latency per backend."""
    summary = Table(title="Agreement", title_justify="left", header_style="bold")
    for column in ("pair", "metric", "agreement", "agree/disagree/n.c.", "mean"):
        summary.add_column(
            column, justify="right" if column in ("agreement", "mean") else "left", no_wrap=True
        )
    summary.add_column("value means", style="dim", ratio=1)
    for metric, row in zip(comparison.summary(), comparison.summary_rows(), strict=True):
        rate = metric.agreement_rate
        style = (
            "dim"
            if rate is None
            else "green"
            if rate >= 0.75
            else "yellow"
            if rate >= 0.5
            else "red"
        )
        summary.add_row(row[0], row[1], f"[{style}]{row[2]}[/{style}]", *row[3:])
    latency = Table(title="Latency", title_justify="left", header_style="bold")
    for column in ("backend", "analysed", "failed", "mean", "median", "slowest"):
        latency.add_column(column, justify="left" if column == "backend" else "right")
    for s in comparison.latency():
        latency.add_row(
            s.backend,
            str(s.count),
            str(s.failures),
            *("-" if v is None else f"{v * 1000:.0f} ms" for v in (s.mean_s, s.median_s, s.max_s)),
        )
    return [summary, latency]


def failure_lines(comparison: Comparison) -> list[str]:
    """One line per distinct failure (backend, error, message), naming the image(s).

    A backend that cannot run at all (no key) fails the same way on every
    image; saying so once keeps the rest of the list readable.
    """
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for image, failure in comparison.failures:
        grouped.setdefault((failure.backend, failure.error_type, failure.message), []).append(image)
    lines = []
    for (backend, error_type, message), images in grouped.items():
        where = images[0] if len(images) == 1 else f"{len(images)} images ({images[0]}, ...)"
        lines.append(f"{backend} failed on {where}: {error_type}: {message}")
    return lines


__all__ = ["failure_lines", "summary_tables"]
