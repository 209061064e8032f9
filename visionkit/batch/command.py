"""``visionkit analyze DIR --recursive --out results.jsonl``: a folder of photos, resumably.

Results are written as JSON lines the moment each image finishes and the file
is flushed after every line, so a crash or Ctrl-C loses at most the images in
flight; ``--resume`` then skips every input that already has a result line
(failed ones are tried again, and their new line comes after the old one: the
last line for an input is the one that counts). The records have the shape
``visionkit analyze --json`` prints.

The run's settings (backend, features, options, ``--raw``) are written beside
the output as ``<out>.run.json``; ``--resume`` compares them with the new
command's and refuses when they differ, since the old lines would otherwise
be kept as if the new settings had produced them. The options are recorded
twice: as typed (``-o``), and as the backend finally uses them, every layer
resolved (``visionkit.toml``, the environment, defaults; secrets left out, a
model file by its size and time, as the cache keys them), so that an edited
config file or a retrained model is caught too. The fallback chain and the
visionkit version are recorded as well: either can change who answers, or how.

The image list is walked twice, once to count (for the progress bar's ETA)
and once to analyse, rather than held in memory: a walk is cheap next to an
analysis, and a list of millions of paths is not.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from visionkit.errors import ConfigError
from visionkit.images import is_url

from .items import BatchItem, BatchStats

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".mpo"}
)
"""File names a folder walk picks up: the formats :mod:`visionkit.images` accepts."""

MAX_FAILURES_LISTED = 20


def wants_batch(args: argparse.Namespace) -> bool:
    """True when ``analyze`` was asked for a folder run rather than a few images."""
    flags = (args.out, args.recursive, args.resume, args.concurrency, args.rate)
    return any(f for f in flags) or any(
        not is_url(i) and Path(i).expanduser().is_dir() for i in args.images
    )


def iter_images(targets: Sequence[str], *, recursive: bool) -> Iterator[str]:
    """Every image named by ``targets``: URLs and files as given, folders walked in name order.

    Hidden files and folders (names starting with ``.``) are skipped, as
    every photo manager does: they hold thumbnails and metadata, not photos.
    """
    for target in targets:
        path = Path(target).expanduser()
        if is_url(target) or not path.is_dir():
            yield target
            continue
        if recursive:
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                yield from _images_in(Path(folder), files)
        else:
            yield from _images_in(path, (p.name for p in path.iterdir() if p.is_file()))


def _images_in(folder: Path, names: Iterator[str] | list[str]) -> Iterator[str]:
    for name in sorted(names):
        if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES:
            yield str(folder / name)


def no_images_error(targets: Sequence[str], *, recursive: bool) -> ConfigError:
    """The error for folders that hold no image where the walk looked, with the way out.

    A folder whose photos sit in sub-folders is the usual case (``2024/01/...``):
    without ``-r`` the walk reads only the top level, and a run that analysed
    nothing must say so rather than report "done 0" and succeed. ``analyze`` and
    ``compare`` both end here, so they agree on what a folder means.
    """
    folders = [t for t in targets if not is_url(t) and Path(t).expanduser().is_dir()]
    where = ", ".join(folders or targets)
    deeper = 0 if recursive else sum(1 for _ in iter_images(folders, recursive=True))
    hint = (
        f"; {deeper:,} image(s) are in sub-folders: add -r (--recursive) to include them"
        if deeper
        else f" (visionkit reads {', '.join(sorted(IMAGE_SUFFIXES))})"
    )
    return ConfigError(f"No images found in {where}{hint}.")


def run_settings(args: argparse.Namespace) -> dict[str, Any]:
    """What decides a result line's content: compared by ``--resume`` (see the module docstring)."""
    from visionkit.analyzers import backend_options
    from visionkit.cache.keys import options_fingerprint
    from visionkit.config import resolve_backend_name, resolve_fallback
    from visionkit.features import parse_features
    from visionkit.version import __version__

    features = parse_features(args.features) if args.features else None
    backend = resolve_backend_name(args.backend).value
    typed = dict(sorted(dict(args.option).items()))
    # JSON's own round trip, so a record read back compares equal to a fresh one.
    resolved = json.loads(
        json.dumps(options_fingerprint(backend_options(backend, typed)), default=str)
    )
    return {
        "backend": backend,
        "features": sorted(f.value for f in features) if features is not None else "all",
        "options": typed,
        "resolved_options": resolved,
        "fallback": list(resolve_fallback().value),
        "raw": bool(args.raw),
        "visionkit": __version__,
    }


def settings_path(out_path: Path) -> Path:
    return out_path.with_name(out_path.name + ".run.json")


def check_resumable(out_path: Path, settings: dict[str, Any]) -> None:
    """Refuse to resume a run that was made with other settings (or whose settings are unknown)."""
    recorded_path = settings_path(out_path)
    if not recorded_path.exists():
        raise ConfigError(
            f"{out_path} has no record of the settings it was made with ({recorded_path.name} "
            f"is missing), so --resume cannot tell whether its results match this command. "
            f"Start afresh with another --out, or recreate {recorded_path.name} by hand."
        )
    try:
        recorded = json.loads(recorded_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{recorded_path} cannot be read ({exc}); start afresh.") from exc
    if recorded != settings:
        if isinstance(recorded, dict):
            changed = [
                line
                for key, value in settings.items()
                if recorded.get(key) != value
                for line in _differences(key, recorded.get(key), value)
            ]
        else:
            changed = [f"{recorded_path.name} is not a settings record"]
        raise ConfigError(
            f"--resume would mix results made with other settings into {out_path}: "
            f"{'; '.join(changed)}. Resume with the original settings, or choose another --out."
        )


def _differences(key: str, then: Any, now: Any) -> list[str]:
    """``key: then, now`` lines; two tables give one line per changed entry, not both tables."""
    if isinstance(then, dict) and isinstance(now, dict):
        return [
            f"{key}.{name}: {then.get(name)!r} then, {now.get(name)!r} now"
            for name in sorted({*then, *now})
            if then.get(name) != now.get(name)
        ]
    return [f"{key}: {then!r} then, {now!r} now"]


def finished_inputs(path: Path) -> set[str]:
    """Inputs with a result line in ``path`` (a previous run's output); errors do not count.

    A last line cut short by a crash is ignored: its image is simply done again.
    """
    done: set[str] = set()
    if not path.exists():
        return done
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "error" not in record and "input" in record:
                done.add(str(record["input"]))
    return done


class _RateColumn(ProgressColumn):
    """Images per second since the run started: the figure the closing summary prints.

    Not rich's own speed, which averages the last samples only: a local run
    finishes a whole stacked batch in one instant, and a rate measured over that
    burst read "1653 img/s" in a run whose summary then said 4.9.
    """

    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        if not elapsed or not task.completed:
            return Text("- img/s", style="progress.data.speed")
        return Text(f"{task.completed / elapsed:.1f} img/s", style="progress.data.speed")


def run_batch(args: argparse.Namespace, out: Console, err: Console) -> int:
    """The ``analyze`` command for folders and long lists; returns the exit code."""
    from visionkit.exit_codes import EXIT_OK, EXIT_SOME_FAILED
    from visionkit.features import parse_features

    from .runner import analyze_many  # httpx; `analyze` of a few files only asks wants_batch()

    out_path = Path(args.out).expanduser() if args.out else None
    if out_path is not None and out_path.exists() and not args.resume:
        raise ConfigError(
            f"{out_path} already exists. Pass --resume to continue that run, or choose "
            f"another --out (or delete the file) to start afresh."
        )
    if args.resume and out_path is None:
        raise ConfigError("--resume continues the run written to --out FILE; give --out.")
    settings = run_settings(args)
    if out_path is not None and args.resume and out_path.exists():
        check_resumable(out_path, settings)
    skip = finished_inputs(out_path) if (out_path is not None and args.resume) else set()
    features = parse_features(args.features) if args.features else None

    def todo() -> Iterator[str]:
        return (i for i in iter_images(args.images, recursive=args.recursive) if i not in skip)

    total = sum(1 for _ in todo())
    if total == 0 and not skip:
        raise no_images_error(args.images, recursive=args.recursive)
    if skip:
        err.print(
            f"Resuming: {len(skip):,} image(s) already have results in {out_path}.", markup=False
        )
    run = analyze_many(
        todo(),
        features,
        backend=args.backend,
        concurrency=args.concurrency,
        rate=args.rate,
        cache=False if args.no_cache else None,
        **dict(args.option),
    )
    started = time.perf_counter()
    sink = _open_sink(out_path)
    if out_path is not None:
        settings_path(out_path).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    try:
        with progress, run:
            task = progress.add_task("analysing", total=total)
            for item in run:
                _emit(item, sink, out, args)
                progress.advance(task)
    finally:
        if sink is not None:
            sink.close()
    _summary(run.stats, time.perf_counter() - started, err, out_path)
    return EXIT_SOME_FAILED if run.stats.failed else EXIT_OK


def _open_sink(path: Path | None) -> IO[str] | None:
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    sink = path.open("a", encoding="utf-8")
    if sink.tell() > 0:
        with path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":  # a line cut short by a crash: start on a fresh line
                sink.write("\n")
    return sink


def _emit(item: BatchItem, sink: IO[str] | None, out: Console, args: argparse.Namespace) -> None:
    record: dict[str, Any] = item.to_dict(include_raw=args.raw)
    if sink is not None:
        sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        sink.flush()
    elif args.json:
        print(json.dumps(record, ensure_ascii=False), flush=True)
    elif item.result is not None:
        # soft_wrap: one entry per line even when piped, where rich would wrap at 80 columns.
        out.print(
            f"{item.label}: {item.result.summary()}", highlight=False, markup=False, soft_wrap=True
        )


def _summary(stats: BatchStats, elapsed: float, err: Console, out_path: Path | None) -> None:
    rate = stats.total / elapsed if elapsed > 0 else 0.0
    minutes, seconds = divmod(elapsed, 60)
    took = f"{int(minutes)}m{seconds:04.1f}s" if minutes else f"{seconds:.1f}s"
    err.print(
        f"done {stats.done:,}, failed {stats.failed:,}, cached {stats.cached:,} "
        f"in {took} ({rate:.1f} images/s); cost: {stats.requests:,} calls"
        + (f", {stats.throttled:,} throttled (429)" if stats.throttled else ""),
        highlight=False,
    )
    if out_path is not None:
        err.print(f"results: {out_path}", highlight=False, markup=False)
    if stats.failures:
        err.print(f"[red]{stats.failed:,} image(s) failed:[/red]")
        for label, message in stats.failures[:MAX_FAILURES_LISTED]:
            err.print(f"  {label}: {message}", highlight=False, markup=False, soft_wrap=True)
        if stats.failed > MAX_FAILURES_LISTED:
            rest = stats.failed - MAX_FAILURES_LISTED
            where = f"; all are in {out_path}" if out_path else ""
            err.print(f"  ... and {rest:,} more{where}", highlight=False, markup=False)


__all__ = [
    "IMAGE_SUFFIXES",
    "finished_inputs",
    "iter_images",
    "no_images_error",
    "run_batch",
    "wants_batch",
]
