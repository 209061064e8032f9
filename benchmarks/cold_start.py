"""Whole-process cold start of a one-image local analysis, as a CLI or serverless user pays it.

Each command runs as a fresh process, several times; we report the median wall
time and the peak resident memory of the child (from ``wait4``). The same run
measures the alternatives, so the ratios are comparable even when the machine
is busy:

* ``visionkit analyze IMAGE`` with the shipped LiteRT model (what users run);
* the same analysis forced through the ``.keras`` model (TensorFlow imported);
* ``import visionkit`` alone, and ``import tensorflow`` alone, for reference.

    python benchmarks/cold_start.py [--repeats 7] [--image examples/images/chelsea.png]

Writes ``docs/benchmarks/cold-start.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks" / "cold-start.md"
VENV_BIN = Path(sys.executable).parent


def run_once(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one fresh process running ``cmd``."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed: {proc.stderr.read().decode() if proc.stderr else ''}"
        )
    return elapsed, usage.ru_maxrss / 1024


def measure(cmd: list[str], repeats: int) -> tuple[float, float]:
    run_once(cmd)  # warm the page cache so every variant starts from the same disk state
    times, peaks = zip(*(run_once(cmd) for _ in range(repeats)), strict=True)
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--image", default=str(REPO / "examples" / "images" / "chelsea.png"))
    parser.add_argument(
        "--note", default="", help="conditions of this run, e.g. other load on the machine"
    )
    args = parser.parse_args()

    from visionkit.backends.local.classifier import DEFAULT_MODEL

    keras_model = REPO / "visionkit" / "models" / Path(DEFAULT_MODEL).with_suffix(".keras")
    cli = str(VENV_BIN / "visionkit")
    python = sys.executable
    variants = [
        (
            "`visionkit analyze IMAGE` (shipped LiteRT model)",
            [cli, "analyze", args.image, "--json"],
        ),
        (
            "`visionkit analyze IMAGE -o model=....keras` (TensorFlow)",
            [cli, "analyze", args.image, "--json", "-o", f"model={keras_model}"],
        ),
        ("`python -c 'import visionkit'`", [python, "-c", "import visionkit"]),
        ("`python -c 'import tensorflow'`", [python, "-c", "import tensorflow"]),
    ]
    rows = []
    for label, cmd in variants:
        median, peak = measure(cmd, args.repeats)
        rows.append((label, median, peak))
        print(f"{label}: {median:.2f} s, {peak:.0f} MiB", flush=True)
    base = rows[0][1]
    lines = [
        "# Cold start of a one-image local analysis",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `python benchmarks/cold_start.py "
        f"--repeats {args.repeats}` on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; image `{Path(args.image).name}`. Median wall time "
        "of a fresh process (after one warm-up run), peak resident memory of the child."
        + (f" {args.note}" if args.note else ""),
        "",
        "| command | median wall time | x the LiteRT CLI | peak memory |",
        "|---|---|---|---|",
    ]
    lines += [f"| {label} | {t:.2f} s | {t / base:.1f}x | {m:.0f} MiB |" for label, t, m in rows]
    lines += [
        "",
        "The CLI analyses with LiteRT and never imports TensorFlow; the `.keras` row is the "
        "same analysis through Keras, which is what every call would cost if inference ran on "
        "TensorFlow. Figures drift on shared machines; compare the ratios within one run.",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
