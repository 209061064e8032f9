"""The comparison for a terminal: rich tables with verdicts in colour (used by the CLI)."""

from __future__ import annotations

from rich.table import Table

from visionkit.compare.comparison import Comparison


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


__all__ = ["summary_tables"]
