"""The ``visionkit`` command.

Exit codes are part of the interface, so that scripts can rely on them:
0 everything worked, 1 some images failed (the others were still printed),
2 usage or configuration error.

Whatever came from a user or a service (file names, messages, option values)
is printed through :func:`rich.markup.escape` or with ``markup=False``: Rich
would read ``[red]`` in ``dog [red].jpg`` as a style and print ``dog .jpg``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from visionkit.errors import ConfigError, UnsupportedFeatureError, VisionKitError
from visionkit.exit_codes import EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE

# visionkit.backends.local.views.POLICIES, spelled out so that `--help` needs no
# NumPy (a test keeps the two equal).
VIEW_POLICIES = ("single", "flip", "flip+shift")

if TYPE_CHECKING:  # rich is imported by the commands that print, so `--help` never loads it
    from rich.console import Console


def _parse_option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip().replace("-", "_"), value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="visionkit",
        description="Image recognition with one typed result, locally or in the cloud.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("analyze", help="analyse images and print the results")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="paths or http(s) URLs")
    p.add_argument("-b", "--backend", help="backend name (default: from configuration, else local)")
    p.add_argument("-f", "--features", help="comma-separated features, e.g. tags,colors")
    p.add_argument("--json", action="store_true", help="print one JSON object per line")
    p.add_argument(
        "--raw", action="store_true", help="with --json: include the backend's raw response"
    )
    p.add_argument(
        "-o",
        "--option",
        action="append",
        type=_parse_option,
        default=[],
        metavar="KEY=VALUE",
        help="a backend option, e.g. -o top_k=5 (repeatable)",
    )
    p.add_argument("-r", "--recursive", action="store_true", help="walk folders recursively")
    p.add_argument("--out", metavar="FILE", help="write JSON lines here as images finish")
    p.add_argument("--resume", action="store_true", help="skip images already done in --out")
    p.add_argument("--concurrency", type=int, help="requests (cloud) or batches (local) at once")
    p.add_argument(
        "--rate",
        help="cloud call limit: 10/s, 20/min, or a preset: free (F0), standard (S1), google",
    )
    p.add_argument("--no-cache", action="store_true", help="neither read nor fill the cache")

    p = sub.add_parser("cache", help="show or clear the cache of cloud results")
    p.add_argument("cache_command", choices=["stats", "clear"], metavar="{stats,clear}")
    p.add_argument("-b", "--backend", help="with clear: only this backend's results")

    sub.add_parser(
        "backends", help="list backends, their capabilities and whether each is configured"
    )

    p = sub.add_parser(
        "config", help="show the resolved configuration and where each value came from"
    )
    p.add_argument("-b", "--backend", help="show only this backend's options")

    p = sub.add_parser("train", help="train a CNN on CIFAR-10 or a folder of labelled images")
    p.add_argument("--data", help="dataset folder (default: $VISIONKIT_CIFAR10_DIR)")
    p.add_argument(
        "--arch",
        default="default",
        help="architecture: default (= airbench94, the shipped model's), small or tutorial",
    )
    p.add_argument("--epochs", type=int, help="epochs (default: the architecture's recipe)")
    p.add_argument("--out", default="model.keras", help="where to write the .keras model")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")

    p = sub.add_parser(
        "evaluate", help="accuracy, per-class accuracy and confusion matrix of a model"
    )
    p.add_argument(
        "model", help="a .keras or .tflite model, or a shipped one by name: default, fast, ..."
    )
    p.add_argument("--data", help="dataset folder (default: $VISIONKIT_CIFAR10_DIR)")
    p.add_argument(
        "--views", choices=VIEW_POLICIES, help="a .tflite's view policy (default: its own)"
    )

    p = sub.add_parser(
        "export", help="export a .keras model to LiteRT (.tflite) for fast inference"
    )
    p.add_argument("model", help="the .keras model")
    p.add_argument("--out", help="the .tflite path (default: beside the model)")
    p.add_argument(
        "--data",
        help=(
            "dataset folder: calibrate every view policy on its validation split, "
            "calibrate int8, and check the export against Keras on its test images"
        ),
    )
    p.add_argument(
        "--quantize", choices=["float32", "int8"], default="float32", help="weight precision"
    )
    p.add_argument("--views", choices=VIEW_POLICIES, help="the default view policy")

    p = sub.add_parser("compare", help="run several backends on the same images and compare them")
    p.add_argument("images", nargs="+", metavar="IMAGES_OR_DIR", help="image files or folders")
    p.add_argument(
        "--backends", default="local,azure", help="comma-separated (default: %(default)s)"
    )
    p.add_argument("-f", "--features", help="comma-separated features (default: all of each)")
    p.add_argument(
        "-r", "--recursive", action="store_true", help="walk folders recursively (as analyze -r)"
    )
    p.add_argument("--report", metavar="HTML", help="write a self-contained HTML report here")
    p.add_argument("--csv", metavar="CSV", help="write one row per image and backend here")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.markup import escape

    out = Console()
    err = Console(stderr=True)
    if args.version:
        from visionkit.version import __version__

        out.print(f"visionkit {__version__}")
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    # Messages are printed with soft_wrap: one message, one line, so that piped into a
    # log or grep a message is never cut at rich's 80 columns in mid-sentence.
    try:
        handler = _COMMANDS[args.command]
        return handler(args, out, err)
    except (ConfigError, UnsupportedFeatureError) as exc:
        err.print(
            f"[red]configuration error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        return EXIT_USAGE
    except VisionKitError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return EXIT_SOME_FAILED
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


def _cmd_analyze(args: argparse.Namespace, out: Console, err: Console) -> int:
    from rich.markup import escape

    from visionkit.api import analyze, get_analyzer
    from visionkit.batch.command import run_batch, wants_batch
    from visionkit.config import resolve_fallback
    from visionkit.features import parse_features
    from visionkit.render import result_table

    if wants_batch(args):  # folders, --out, --resume, --concurrency, --rate
        return run_batch(args, out, err)

    features = parse_features(args.features) if args.features else None
    options = dict(args.option)
    try:  # fail once, before any image, on a bad feature
        get_analyzer(args.backend, **options).resolve_features(features)
    except ConfigError:
        if not resolve_fallback().value:
            raise  # with a fallback configured, a missing key is the fallback's cue
    failed = 0
    for image in args.images:
        try:
            cache = False if args.no_cache else None
            # analyze() applies the configured fallback, as it does in every other program.
            result = analyze(image, features, backend=args.backend, cache=cache, **options)
        except ConfigError:
            raise
        except VisionKitError as exc:
            failed += 1
            if args.json:
                print(
                    json.dumps(
                        {"input": image, "error": {"type": type(exc).__name__, "message": str(exc)}}
                    )
                )
            err.print(
                f"[red]{escape(image)}:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            continue
        if args.json:
            data: dict[str, Any] = {"input": image, **result.to_dict(include_raw=args.raw)}
            print(json.dumps(data, ensure_ascii=False), flush=True)
        else:
            out.print(result_table(result, title=image))
    if failed:
        err.print(f"{failed} of {len(args.images)} image(s) failed.")
    return EXIT_SOME_FAILED if failed else EXIT_OK


def _cmd_backends(args: argparse.Namespace, out: Console, err: Console) -> int:
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from visionkit.backends.registry import backend_names, get_backend_class
    from visionkit.config import (
        build_backend_options,
        resolve_backend_name,
        resolve_backend_options,
    )

    default = resolve_backend_name().value
    table = Table(show_header=True, header_style="bold")
    table.add_column("backend")
    table.add_column("capabilities")
    table.add_column("configured")
    for name in backend_names():
        try:
            cls = get_backend_class(name)
            options = build_backend_options(name, resolve_backend_options(name))
            problems = cls.configuration_problems(options)
            status = (
                "[green]yes[/green]"
                if not problems
                else "[yellow]no:[/yellow] " + escape("; ".join(problems))
            )
            caps = ", ".join(sorted(f.value for f in cls.capabilities))
        except ConfigError as exc:
            status, caps = f"[red]error:[/red] {escape(str(exc))}", "?"
        label = f"{name} (default)" if name == default else name
        table.add_row(Text(label), Text(caps), status)
    out.print(table)
    out.print(_extras_table())
    for line in _on_request_lines():
        out.print(line, markup=False)
    return EXIT_OK


def _extras_table() -> Any:
    """Each optional extra: what it is for, and installed or the pip line that installs it."""
    from rich.table import Table
    from rich.text import Text

    from visionkit.backends.extras import EXTRAS

    table = Table(title="optional extras", title_justify="left", header_style="bold")
    for column in ("extra", "backend", "for", "installed"):
        table.add_column(column)
    for extra in EXTRAS:
        missing = extra.missing()
        status = (
            Text("yes", style="green")
            if not missing
            else Text.assemble(("no", "yellow"), f" ({', '.join(missing)}): {extra.pip}")
        )
        table.add_row(Text(extra.name), Text(extra.backend), Text(extra.purpose), status)
    return table


def _on_request_lines() -> list[str]:
    """What the local backend computes by default, what only when asked, and why."""
    from visionkit.backends.extras import EXTRAS
    from visionkit.backends.local import LocalAnalyzer
    from visionkit.features import Feature

    on_request = LocalAnalyzer.ON_REQUEST
    by_default = LocalAnalyzer.capabilities - on_request - {Feature.OBJECTS}
    costs = {e.name: e.cost for e in EXTRAS if e.backend == "local" and e.cost}
    extra_of = {Feature.TEXT: "ocr", Feature.FACES: "faces"}
    # Not behind an extra, so its cost is stated here (docs/benchmarks/thumbnails.md).
    own_costs = {Feature.AREA_OF_INTEREST: "about 2 ms a photo, up to 10"}
    asked = "; ".join(
        f"{f.value} ({own_costs.get(f) or costs.get(extra_of.get(f, ''), 'costs more')})"
        for f in sorted(on_request, key=lambda f: f.value)
    )
    return [
        f"local computes by default: {', '.join(sorted(f.value for f in by_default))}.",
        f"local computes only when asked by name (features=[...]), for their cost: {asked}. "
        "objects only with -o regions=true (about 0.2 s a photo).",
    ]


def _cmd_config(args: argparse.Namespace, out: Console, err: Console) -> int:
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from visionkit.backends.registry import backend_names
    from visionkit.config import (
        describe_settings,
        find_config_file,
        resolve_backend_name,
        resolve_backend_options,
        resolve_fallback,
    )

    file = find_config_file()
    out.print(f"config file: {file.path if file else '(none found)'}", markup=False)
    backend = resolve_backend_name()
    out.print(f"backend: {escape(backend.value)}  [dim]({escape(backend.source)})[/dim]")
    fallback = resolve_fallback()
    chain = ", ".join(fallback.value) if fallback.value else "(none)"
    out.print(f"fallback: {escape(chain)}  [dim]({escape(fallback.source)})[/dim]")
    names = [args.backend] if args.backend else backend_names()
    for name in names:
        table = Table(
            title=Text(f"[{name}]"), title_justify="left", show_header=True, header_style="bold"
        )
        table.add_column("option")
        table.add_column("value")
        table.add_column("source", style="dim")
        for key, shown, source in describe_settings(name, resolve_backend_options(name)):
            table.add_row(Text(key), Text(shown), Text(source))
        out.print(table)
    return EXIT_OK


def _cmd_train(args: argparse.Namespace, out: Console, err: Console) -> int:
    from visionkit.training.train import train

    trained = train(
        data=args.data,
        arch=args.arch,
        epochs=args.epochs,
        out=Path(args.out),
        seed=args.seed,
        resume=args.resume,
    )
    out.print(str(trained.report), highlight=False, markup=False)
    out.print(f"wrote {trained.model_path}", markup=False)
    out.print(f"model card: {trained.card_markdown} (and {trained.card_json.name})", markup=False)
    out.print(f"confusion matrix: {trained.confusion_png}", markup=False)
    return EXIT_OK


def _cmd_evaluate(args: argparse.Namespace, out: Console, err: Console) -> int:
    from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn

    from visionkit.training.evaluate import evaluate

    columns = (*Progress.get_default_columns()[:2], MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("evaluating", total=None)
        report = evaluate(
            Path(args.model),
            args.data,
            views=args.views,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    out.print(str(report), highlight=False, markup=False)
    return EXIT_OK


def _cmd_export(args: argparse.Namespace, out: Console, err: Console) -> int:
    from visionkit.training.export import export_tflite

    exported = export_tflite(
        Path(args.model),
        Path(args.out) if args.out else None,
        check_data=args.data,
        quantize=args.quantize,
        views=args.views,
    )
    out.print(f"wrote {exported.tflite_path} and {exported.sidecar_path.name}", markup=False)
    if exported.checked_images:
        out.print(
            f"checked on {exported.checked_images} images: max |p_litert - p_keras| = "
            f"{exported.max_abs_diff:.2e}, same top class on {exported.argmax_agreement:.2%}",
            markup=False,
        )
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace, out: Console, err: Console) -> int:
    from rich.markup import escape
    from rich.progress import Progress

    from visionkit.batch.command import iter_images, no_images_error
    from visionkit.comparison import compare
    from visionkit.comparison.report_html import replayed_sources
    from visionkit.comparison.terminal import failure_lines, summary_tables

    # Folders mean what they mean to `analyze`: the top level, or everything with -r.
    images = list(iter_images(args.images, recursive=args.recursive))
    if not images:
        raise no_images_error(args.images, recursive=args.recursive)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("comparing", total=len(images))
        comparison = compare(
            images,
            backends,
            args.features,
            progress=lambda done, _: bar.update(task, completed=done),
        )
    if args.report:
        comparison.to_html(args.report)
        err.print(f"wrote {args.report}", markup=False)
    if args.csv:
        comparison.to_csv(args.csv)
        err.print(f"wrote {args.csv}", markup=False)
    if args.json:
        print(comparison.to_json())
    else:
        tables = summary_tables(comparison)
        if not comparison.pairs:
            out.print(
                f"No agreement to show: it takes two backends, and only "
                f"{', '.join(comparison.backends)} ran. Latency only.",
                markup=False,
                highlight=False,
            )
            tables = tables[1:]  # the agreement table would be empty
        for table in tables:
            out.print(table)
    for backend, sources in replayed_sources(comparison).items():
        err.print(
            f"[yellow]{escape(backend)} answers were replayed[/yellow] from "
            f"{escape(', '.join(sources))}, not asked of the service: agreement with "
            f"{escape(backend)} describes the recording.",
            markup=True,
            highlight=False,
            soft_wrap=True,
        )
    for line in failure_lines(comparison):
        err.print(f"[red]{escape(line)}[/red]", markup=True, highlight=False, soft_wrap=True)
    return EXIT_SOME_FAILED if comparison.failures else EXIT_OK


def _cmd_cache(args: argparse.Namespace, out: Console, err: Console) -> int:
    from visionkit.cache.command import run_cache_command

    return run_cache_command(args, out, err)


_COMMANDS = {
    "analyze": _cmd_analyze,
    "cache": _cmd_cache,
    "compare": _cmd_compare,
    "backends": _cmd_backends,
    "config": _cmd_config,
    "train": _cmd_train,
    "evaluate": _cmd_evaluate,
    "export": _cmd_export,
}


if __name__ == "__main__":
    sys.exit(main())
