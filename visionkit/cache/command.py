"""``visionkit cache stats|clear``: what the result cache holds, and emptying it."""

from __future__ import annotations

import argparse
import datetime as dt

from rich.console import Console
from rich.table import Table
from rich.text import Text

from visionkit.cache.defaults import default_cache


def run_cache_command(args: argparse.Namespace, out: Console, err: Console) -> int:
    """Show or clear the default cache; returns the exit code."""
    from visionkit.exit_codes import EXIT_OK, EXIT_SOME_FAILED

    cache = default_cache()
    if args.cache_command == "clear":
        deleted = cache.clear(args.backend)
        what = f"{args.backend} " if args.backend else ""
        out.print(
            f"deleted {deleted:,} {what}cached result(s) from {cache.path}",
            highlight=False,
            markup=False,
        )
        return EXIT_OK if cache.enabled else EXIT_SOME_FAILED
    stats = cache.stats()
    table = Table(show_header=False, box=None)
    table.add_row("file", Text(str(stats.path)))
    table.add_row("entries", f"{stats.entries:,}")
    for backend, count in sorted(stats.by_backend.items()):
        table.add_row(Text(f"  {backend}"), f"{count:,}")
    table.add_row("size", f"{stats.bytes / 1e6:,.1f} MB of {stats.max_bytes / 1e6:,.0f} MB")
    table.add_row("max age", f"{stats.max_age_s / 86400:g} days")
    if stats.oldest is not None:
        oldest = dt.datetime.fromtimestamp(stats.oldest, tz=dt.UTC)
        table.add_row("oldest entry", oldest.strftime("%Y-%m-%d %H:%M UTC"))
    table.add_row("usable", "yes" if stats.enabled else "[red]no[/red] (see the warning above)")
    out.print(table)
    return EXIT_OK if stats.enabled else EXIT_SOME_FAILED


__all__ = ["run_cache_command"]
