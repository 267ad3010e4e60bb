"""The command line starts without the heavy imports it does not need (timings are measured by
benchmarks/bench_startup.py, never asserted here): ``--help`` and ``--version`` import neither
numpy nor the engine; ``theory`` and ``plan weight`` import numpy but not scipy, pandas or the
simulation engine."""

from __future__ import annotations

import subprocess
import sys

import pytest

_PROBE = """
import contextlib, io, sys
from modelcollapse.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    status = main(sys.argv[1:])
heavy = ("numpy", "scipy", "pandas", "matplotlib", "modelcollapse.engine", "modelcollapse.families")
print(status, *sorted(m for m in heavy if m in sys.modules))
"""


def _loaded(*argv: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], check=True, capture_output=True, text=True
    ).stdout.split()
    assert out[0] == "0", out
    return out[1:]


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["theory", "--help"]])
def test_help_and_version_import_nothing_heavy(argv):
    expected = ["numpy"] if argv[0] == "theory" else []
    assert _loaded(*argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["theory", "optimal-weight", "--k", "1"],
        ["theory", "collapse-probability", "--generations", "200"],
        ["theory", "moments", "--every", "50", "--format", "json"],
        ["theory", "schedule", "--schedule", "power:n0=100,s=0.5"],
        ["theory", "limiting-error", "--k", "1", "--family", "logistic", "--dim", "3"],
        ["plan", "weight", "--n-real", "100", "--n-synth", "300"],
    ],
)
def test_theory_and_plan_weight_need_numpy_alone(argv):
    assert _loaded(*argv) == ["numpy"]


def test_a_simulation_still_loads_the_engine():
    """The probe can see an import: a command that simulates loads the engine."""
    assert "modelcollapse.engine" in _loaded("simulate", "--generations", "2", "--quiet")
