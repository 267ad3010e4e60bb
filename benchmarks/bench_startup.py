"""Start-up time of the command line: how long a command takes when its work is trivial.

Each command runs in a fresh interpreter (``subprocess``, the installed ``modelcollapse``
module through ``python -m modelcollapse``); the table gives the median and the minimum wall time
of several runs, beside ``python -c pass`` (the interpreter alone) and ``import numpy`` (the
floor of any command that computes). A second table gives the modules that cost most to import
for each command, from ``python -X importtime``.
Writes its section of BENCHMARKS.md.

    python benchmarks/bench_startup.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from bench_engine import machine, publish

START, END = "<!-- bench_startup:start -->", "<!-- bench_startup:end -->"

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
    "python -c 'import modelcollapse'": [sys.executable, "-c", "import modelcollapse"],
    "modelcollapse --version": ["--version"],
    "modelcollapse --help": ["--help"],
    "modelcollapse simulate --help": ["simulate", "--help"],
    "modelcollapse theory optimal-weight --k 1": ["theory", "optimal-weight", "--k", "1"],
    "modelcollapse theory collapse-probability": [
        "theory",
        "collapse-probability",
        "--n0",
        "100",
        "--generations",
        "1000",
    ],
    "modelcollapse theory moments --every 50": ["theory", "moments", "--every", "50"],
    "modelcollapse theory schedule --schedule power:n0=100,s=0.5": [
        "theory",
        "schedule",
        "--schedule",
        "power:n0=100,s=0.5",
        "--generations",
        "1000",
    ],
    "modelcollapse theory limiting-error --family logistic --dim 5": [
        "theory",
        "limiting-error",
        "--k",
        "1",
        "--family",
        "logistic",
        "--dim",
        "5",
    ],
    "modelcollapse plan weight --n-real 1000 --n-synth 5000": [
        "plan",
        "weight",
        "--n-real",
        "1000",
        "--n-synth",
        "5000",
    ],
    "modelcollapse simulate (R = 100, T = 10)": [
        "simulate",
        "--replications",
        "100",
        "--generations",
        "10",
        "--quiet",
    ],
}


def _argv(args: list[str]) -> list[str]:
    return args if args[0] == sys.executable else [sys.executable, "-m", "modelcollapse", *args]


def wall(args: list[str], repeat: int) -> tuple[float, float]:
    """Median and minimum wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(_argv(args), check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


#: The packages whose import dominates a start-up.
HEAVY = (
    "numpy",
    "scipy.special",
    "scipy.stats",
    "scipy.optimize",
    "pandas",
    "matplotlib",
    "modelcollapse.engine",
)


def importtime(args: list[str]) -> dict[str, int | None]:
    """Cumulative import time (microseconds) of each :data:`HEAVY` package for a command, None
    where the command does not import it."""
    argv = _argv(args)
    argv[1:1] = ["-X", "importtime"]
    err = subprocess.run(argv, check=True, capture_output=True, text=True).stderr
    out: dict[str, int | None] = dict.fromkeys(HEAVY)
    for line in err.splitlines():
        if line.startswith("import time:") and "cumulative" not in line:
            _, cumulative, name = line[len("import time:") :].split("|")
            if name.strip() in out and out[name.strip()] is None:
                out[name.strip()] = int(cumulative)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs per command, not 15")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    repeat = 3 if args.quick else 15
    lines = [
        START,
        "## Start-up of the command line",
        "",
        f"{machine()}; `python benchmarks/bench_startup.py`: each command in a fresh "
        f"interpreter, {repeat} runs, wall time in seconds (median, minimum). Target: under "
        "0.3 s for `--help`, `--version`, every `theory` command and `plan weight`.",
        "",
        "How: `modelcollapse` builds only the parser of the command it runs (the others are "
        "listed by name and help line), the package and `modelcollapse.theory` load their names "
        "on first use (PEP 562), the theory layer computes its few special functions (digamma, "
        "trigamma, log-gamma, zeta) with numpy rather than import `scipy.special` (0.23 s), and "
        "`theory` and `plan weight` print their tables without pandas (0.33 s). Before these "
        "changes every command, `--version` included, took about 1.1 s on this machine.",
        "",
        "| command | median (s) | min (s) |",
        "|---|---:|---:|",
    ]
    for name, command in COMMANDS.items():
        median, low = wall(command, repeat)
        lines.append(f"| `{name}` | {median:.3f} | {low:.3f} |")
    lines += [
        "",
        "What each command pays for: the cumulative import time (ms, `python -X importtime`, one "
        "run) of the packages that dominate a start-up; a dash where the command does not import "
        "it.",
        "",
        "| command | " + " | ".join(f"`{m}`" for m in HEAVY) + " |",
        "|---|" + "---:|" * len(HEAVY),
    ]
    for name, command in COMMANDS.items():
        if command[0] == sys.executable:
            continue
        cost = importtime(command)
        cells = ["-" if cost[m] is None else f"{cost[m] / 1000:.0f}" for m in HEAVY]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    lines.append(END)
    publish(START, END, "\n".join(lines), write=not args.no_write)


if __name__ == "__main__":
    main()
