"""Whole-process cold start of ``import visionkit``, ``visionkit --help`` and a local analysis.

Each command runs as a fresh process, several times; we report the median wall
time (with the fastest and slowest run) and the peak resident memory of the
child (from ``wait4``). Three commands have targets (issue 18, "Cold start"):

* ``python -c 'import visionkit'``: at most 0.15 s;
* ``visionkit --help``: at most 0.3 s;
* ``visionkit analyze IMAGE --backend local``: as close to 0.5 s as it goes.

Two reference rows show the floor under them: the interpreter alone, and the
libraries a local analysis cannot do without (NumPy, Pillow, the LiteRT
interpreter). A second table, with fewer runs since each takes seconds, puts the
local analysis next to the same analysis through the ``.keras`` model
(TensorFlow imported) and ``import tensorflow`` alone; ``--tf-repeats 0`` skips it.

    python benchmarks/cold_start.py [--repeats 9] [--tf-repeats 3] [--image IMAGE] [--out PAGE]

Writes ``docs/benchmarks/cold-start.md``, including the load average before and
after the run: on a shared machine the figures move with it.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks" / "cold-start.md"
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Timing:
    median: float
    fastest: float
    slowest: float
    peak_mib: float


def child_env() -> dict[str, str]:
    """The children import visionkit from this checkout, whatever is installed or on the path.

    ``python -c`` puts the working directory first on ``sys.path`` and a console script
    its own folder, so without this the two rows could time different copies.
    """
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run_once(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one fresh process running ``cmd``."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env(), cwd=REPO
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed: {proc.stderr.read().decode() if proc.stderr else ''}"
        )
    return elapsed, usage.ru_maxrss / 1024


def measure(cmd: list[str], repeats: int) -> Timing:
    run_once(cmd)  # warm the page cache so every variant starts from the same disk state
    times, peaks = zip(*(run_once(cmd) for _ in range(repeats)), strict=True)
    return Timing(statistics.median(times), min(times), max(times), max(peaks))


def load_average() -> str:
    try:
        return " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="runs per command (after warm-up)")
    parser.add_argument(
        "--tf-repeats", type=int, default=3, help="runs per TensorFlow command; 0 skips them"
    )
    parser.add_argument("--image", default=str(REPO / "examples" / "images" / "chelsea.png"))
    parser.add_argument(
        "--note", default="", help="conditions of this run, e.g. other load on the machine"
    )
    parser.add_argument("--out", type=Path, default=OUT, help="the page to write")
    args = parser.parse_args()

    cli = str(VENV_BIN / "visionkit")
    python = sys.executable
    # Asked of a child: importing the classifier here (NumPy, Pillow) would grow this process,
    # and a child's peak RSS from wait4 counts what it was before exec, a copy of this one.
    default_model = subprocess.run(
        [
            python,
            "-c",
            "from visionkit.backends.local.classifier import DEFAULT_MODEL as m; print(m)",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=child_env(),
        cwd=REPO,
    ).stdout.strip()
    keras_model = REPO / "visionkit" / "models" / Path(default_model).with_suffix(".keras")
    image = str(Path(args.image).resolve())
    local = [cli, "analyze", image, "--backend", "local"]
    targets = [
        ("`python -c 'import visionkit'`", [python, "-c", "import visionkit"], "0.15 s"),
        ("`visionkit --help`", [cli, "--help"], "0.3 s"),
        ("`visionkit analyze IMAGE --backend local`", local, "0.5 s"),
        ("`python -c pass` (the interpreter alone)", [python, "-c", "pass"], "-"),
        (
            "`import numpy, PIL.Image, ai_edge_litert.interpreter` (what the analysis must load)",
            [python, "-c", "import numpy, PIL.Image, ai_edge_litert.interpreter"],
            "-",
        ),
    ]
    tensorflow = [
        ("`visionkit analyze IMAGE --json` (shipped LiteRT model)", [*local, "--json"]),
        (
            "`visionkit analyze IMAGE --json -o model=....keras` (TensorFlow)",
            [*local, "--json", "-o", f"model={keras_model}"],
        ),
        ("`python -c 'import tensorflow'`", [python, "-c", "import tensorflow"]),
    ]

    load_before = load_average()
    rows = []
    for label, cmd, target in targets:
        timing = measure(cmd, args.repeats)
        rows.append((label, target, timing))
        print(f"{label}: {timing.median:.3f} s (target {target})", flush=True)
    tf_rows = []
    for label, cmd in tensorflow if args.tf_repeats > 0 else []:
        timing = measure(cmd, args.tf_repeats)
        tf_rows.append((label, timing))
        print(f"{label}: {timing.median:.2f} s", flush=True)
    load_after = load_average()

    lines = [
        "# Cold start: `import visionkit`, `visionkit --help` and a local analysis",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `python benchmarks/cold_start.py "
        f"--repeats {args.repeats} --tf-repeats {args.tf_repeats}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; image "
        f"`{Path(args.image).name}`. Each command ran as a fresh process, once to warm the "
        f"page cache and then {args.repeats} times; the table gives the median wall time, the "
        "fastest and slowest run, and the peak resident memory of the child. Load average "
        f"(1 / 5 / 15 min) {load_before} before the run and {load_after} after it."
        + (f" {args.note}" if args.note else ""),
        "",
        "| command | target | median wall time | fastest | slowest | peak memory |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {label} | {target} | {t.median:.3f} s | {t.fastest:.3f} s | {t.slowest:.3f} s "
        f"| {t.peak_mib:.0f} MiB |"
        for label, target, t in rows
    ]
    lines += [
        "",
        "`import visionkit` imports only `visionkit.version`: every public name is imported "
        "on first use (PEP 562), and no HTTP client, terminal library, cloud SDK or ML "
        "runtime is loaded until a command needs it (`tests/test_cold_imports.py`). "
        "`visionkit --help` is answered by argparse before Rich is imported. A local "
        "analysis still loads NumPy, Pillow and LiteRT (the second reference row), builds "
        "the interpreter, decodes the image and runs the model and the pixel analyses; "
        "httpx, asyncio, the batch runner and the entry-point scan are left out of it.",
        "",
    ]
    if tf_rows:
        base = tf_rows[0][1].median
        lines += [
            "## Against TensorFlow",
            "",
            f"The same run, {args.tf_repeats} times per command (each takes seconds): the "
            "local analysis through the shipped LiteRT model, through the `.keras` model "
            "(TensorFlow imported), and `import tensorflow` alone.",
            "",
            "| command | median wall time | x the LiteRT CLI | peak memory |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {label} | {t.median:.2f} s | {t.median / base:.1f}x | {t.peak_mib:.0f} MiB |"
            for label, t in tf_rows
        ]
        lines += [
            "",
            "The CLI analyses with LiteRT and never imports TensorFlow; the `.keras` row is "
            "the same analysis through Keras, which is what every call would cost if inference "
            "ran on TensorFlow. Figures drift on shared machines; compare the ratios within "
            "one run.",
            "",
        ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
