import json
import subprocess
import sys

import pandas as pd
import pytest

from modelcollapse.cli import main

BASE = [
    "simulate",
    "--n0",
    "20",
    "--schedule",
    "constant:n=20",
    "--generations",
    "10",
    "--replications",
    "200",
    "--seed",
    "3",
]


def test_table_output(capsys):
    assert main(BASE) == 0
    out = capsys.readouterr().out
    assert "engine=exact" in out and "seed=3" in out
    assert "P(sigma2<=0.05)" in out and "median KL" in out
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[-1].split()[0] == "10"


def test_json_output_matches_the_python_api(capsys):
    assert main([*BASE, "--format", "json", "--variance", "mle"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["config"]["family"]["variance"] == "mle"
    assert payload["config"]["seed"]["entropy"] == 3
    rows = pd.DataFrame(payload["summary"])
    import modelcollapse as mc

    res = mc.simulate(
        mc.Gaussian(variance="mle"), n0=20, schedule=20, generations=10, replications=200, seed=3
    )
    expected = res.summary()
    pd.testing.assert_frame_equal(rows[expected.columns], expected, check_dtype=False)


def test_json_encodes_infinities_as_strings(capsys):
    args = [
        "simulate",
        "--n0",
        "3",
        "--schedule",
        "3",
        "--generations",
        "3000",
        "--replications",
        "5",
        "--seed",
        "1",
        "--variance",
        "mle",
        "--record",
        "final",
        "--format",
        "json",
    ]
    assert main(args) == 0
    payload = json.loads(capsys.readouterr().out)
    kl = next(r for r in payload["summary"] if r["metric"] == "kl")
    assert kl["mean"] == "inf"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_out_writes_the_tidy_table(tmp_path, capsys, suffix):
    target = tmp_path / f"run{suffix}"
    assert main([*BASE, "--out", str(target), "--dim", "2"]) == 0
    frame = pd.read_csv(target) if suffix == ".csv" else pd.read_parquet(target)
    assert len(frame) == 200 * 11
    assert {"replication", "generation", "mu[0]", "cov[0,1]", "kl"} <= set(frame.columns)
    assert not list(tmp_path.glob("*.part"))
    if suffix == ".parquet":  # the configuration and provenance travel with the table
        from modelcollapse.provenance import source_hash

        assert frame.attrs["config"]["replications"] == 200
        assert frame.attrs["config"]["family"]["family"] == "gaussian"
        assert frame.attrs["provenance"]["source_hash"] == source_hash()


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--schedule", "pow:n=3"], "--schedule: unknown schedule kind 'pow'"),
        (["--schedule", "constant:n=1"], "--schedule: constant:n=1 gives 1 at generation t=1"),
        (["--n0", "1"], "--n0: must be an integer >= 2 (got 1)"),
        (["--generations", "-2"], "--generations: must be an integer >= 0 (got -2)"),
        (["--generations", "x"], "argument --generations: invalid int value: 'x'"),
        (["--family", "weibull"], "argument --family: invalid choice: 'weibull'"),
        (["--family", "cdf", "--dim", "2"], "--dim: does not apply to family cdf"),
        (["--family", "logistic", "--beta", "a,b"], "--beta: must be a comma list"),
        (["--family", "poisson", "--dim", "2"], "--dim: does not apply to family poisson"),
        (["--family", "bernoulli", "--p", "0.2,0.8"], "--p: must be one probability"),
        (["--family", "categorical", "--p", "0.5,x"], "--p: must be a number or a comma list"),
        (["--family", "categorical", "--p", "0.5,0.6"], "--p:"),
        (["--weight", "1.5", "--n-real", "10"], "--weight: must be a number in [0, 1]"),
        (["--weight", "0.5"], "--weight: applies only with fresh real data"),
        (["--sigma2", "-1"], "--sigma2: must lie in (0, inf]"),
        (["--dim", "0"], "--dim: must be an integer >= 1"),
        (["--record", "a,b"], "--record: must be auto, all, final"),
        (["--out", "/nonexistent-dir/x.csv"], "--out: the directory '/nonexistent-dir'"),
        (["--out", "x.txt"], "--out: the file must end in .csv or .parquet"),
    ],
)
def test_user_errors_exit_2_with_one_line(capsys, extra, fragment):
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main([*BASE, *extra]))
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert fragment in lines[0]
    assert "Traceback" not in captured.err


def test_console_script_help_and_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "modelcollapse", "simulate", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for option in (
        "--schedule",
        "--n-real",
        "--weight",
        "--engine",
        "--variance",
        "--format",
        "--out",
        "--replications",
        "--seed",
        "--eps",
        "--record",
        "--combine",
    ):
        assert option in out


@pytest.mark.parametrize(
    ("extra", "header"),
    [
        (["--family", "poisson", "--lam", "3"], "poisson (lam=3.0)"),
        (["--family", "categorical", "--p", "0.5,0.3,0.2"], "categorical (p=[0.5, 0.3, 0.2]"),
        (["--family", "bernoulli", "--p", "0.3"], "bernoulli (p=0.3)"),
        (
            ["--family", "exponential", "--rate", "2", "--engine", "asymptotic"],
            "engine=asymptotic (asymptotic normal)",
        ),
        (["--family", "gamma", "--shape", "2", "--engine", "sample"], "gamma (shape=2.0"),
        (["--family", "gamma", "--shape", "2"], "engine=sample"),
        (["--family", "logistic", "--n-real", "20", "--weight", "optimal"], "logistic ("),
        (
            ["--family", "poisson-regression", "--beta", "0.5,0.5", "--clip", "10"],
            "poisson-regression (",
        ),
        (["--family", "linear-random", "--dim", "3", "--synthetic-cov", "2"], "linear-random ("),
        (["--family", "linear-fixed", "--design-rows", "20"], "linear-fixed ("),
        (["--family", "cdf", "--n-real", "20", "--weight", "0.6"], "cdf ("),
    ],
)
def test_other_families_from_the_command_line(capsys, extra, header):
    assert main([*BASE, *extra]) == 0
    out = capsys.readouterr().out
    assert header in out.splitlines()[0]
