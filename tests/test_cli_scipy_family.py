"""``--family scipy:NAME --params ... --fixed ...`` on the command line (issue 21): ``simulate``
and ``run`` build a :class:`modelcollapse.ScipyFamily`; ``theory`` and ``plan`` give paper 1's
general-family theory (risk inflation, collapse dichotomy, plug-in win probability with ``d``
free parameters) and paper 2's ``C = tr(I^-1)``; every bad input is one line naming its option.
"""

from __future__ import annotations

import json
import math
import shlex

import numpy as np
import pytest

from modelcollapse import theory
from modelcollapse.cli import main
from modelcollapse.cli._common import FamilyChoices
from modelcollapse.config import parse_config
from modelcollapse.options import family_from_options, parse_params

EULER = 0.5772156649015329
WEIBULL = ["--family", "scipy:weibull_min", "--params", "c=1.5,scale=2"]


def _weibull_information(k: float, lam: float) -> np.ndarray:
    """The closed-form Fisher information of Weibull(shape k, scale lam) per observation."""
    a = 1.0 - EULER
    return np.array([[(a * a + math.pi**2 / 6.0) / k**2, -a / lam], [-a / lam, k**2 / lam**2]])


def _json(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


# -- simulate and run ----------------------------------------------------------------------


def test_simulate_fits_the_scipy_law_with_its_first_order_error(capsys):
    """Generation 0's E|theta_hat - theta*|^2 is tr(I^-1)/n0 (the C of ``theory``), within its
    Monte Carlo error; the header shows the law with its fixed parameter."""
    argv = ["simulate", *WEIBULL, "--n0", "200", "--schedule", "200", "--generations", "1"]
    argv += ["--replications", "400", "--seed", "3", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("scipy:weibull_min (c=1.5, loc=0 fixed, scale=2), engine=sample")
    assert "E|theta-theta*|^2" in out and "P(fit failed)" in out
    payload = _json(capsys, [*argv, "--format", "json"])
    assert payload["config"]["family"]["params"] == {"c": 1.5, "loc": 0.0, "scale": 2.0}
    row = next(
        r for r in payload["summary"] if r["metric"] == "param_error" and r["generation"] == 0
    )
    c = float(np.trace(np.linalg.inv(_weibull_information(1.5, 2.0))))
    assert abs(row["mean"] - c / 200) < 4 * row["se"]
    failed = [r["mean"] for r in payload["summary"] if r["metric"] == "fit_failed"]
    assert failed == [0.0, 0.0]


def test_simulate_asymptotic_engine_with_fresh_real_data_and_weight(capsys):
    argv = ["simulate", *WEIBULL, "--fixed", "loc", "--engine", "asymptotic", "--n-real", "100"]
    argv += ["--weight", "optimal", "--generations", "3", "--replications", "64", "--seed", "0"]
    assert main([*argv, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "engine=asymptotic" in out and "w=0.618 (optimal)" in out


@pytest.mark.parametrize("regime", ["accumulate", "anchor:alpha=0.5"])
def test_simulate_a_discrete_law_under_the_regimes(capsys, regime):
    argv = ["simulate", "--family", "scipy:nbinom", "--params", "n=5,p=0.4", "--fixed", "loc"]
    argv += ["--regime", regime, "--n0", "60", "--schedule", "60", "--generations", "2"]
    payload = _json(capsys, [*argv, "--replications", "32", "--seed", "1", "--format", "json"])
    assert payload["config"]["family"]["family"] == "scipy:nbinom"
    assert payload["config"]["regime"].startswith(regime.split(":")[0])


def test_run_reads_the_same_options_from_a_toml_file(tmp_path, capsys):
    """A configuration file's ``family``, ``params`` and ``fixed`` (text, or a table and a list)
    give the same run as the command line."""
    common = "n0 = 50\ngenerations = 2\nreplications = 32\nseed = 5\nformat = 'json'\n"
    text = tmp_path / "text.toml"
    text.write_text('family = "scipy:weibull_min"\nparams = "c=1.5"\nfixed = "loc"\n' + common)
    table = tmp_path / "table.toml"
    table.write_text('family = "scipy:weibull_min"\nparams = {c = 1.5}\nfixed = ["loc"]\n' + common)
    cli = ["simulate", "--family", "scipy:weibull_min", "--params", "c=1.5", "--fixed", "loc"]
    cli += ["--n0", "50", "--generations", "2", "--replications", "32", "--seed", "5"]
    expected = _json(capsys, [*cli, "--format", "json", "--quiet"])["summary"]
    for path in (text, table):
        assert main(["run", str(path)]) == 0
        out = capsys.readouterr().out
        assert json.loads(out[out.index("{") :])["summary"] == expected
    assert parse_config(table.read_text()).base["params"] == "c=1.5"


def test_the_python_options_take_a_dictionary_of_parameters():
    family = family_from_options({"family": "scipy:gamma", "params": {"a": 2.0, "scale": 3.0}})
    assert family.param_labels == ("a", "scale") and family.fixed == ("loc",)
    assert parse_params(" a = 2, scale=3 ") == {"a": 2.0, "scale": 3.0}


def test_family_choices_list_both_forms():
    choices = FamilyChoices(("gaussian",))
    assert "scipy:lognorm" in choices and "gaussian" in choices and "gauss" not in choices
    assert list(choices) == ["gaussian", "scipy:NAME"]


# -- theory ----------------------------------------------------------------------------------


def test_theory_schedule_states_the_general_family_theory(capsys):
    argv = ["theory", "schedule", *WEIBULL, "--schedule", "constant:n=50", "--n0", "100"]
    argv += ["--generations", "40", "--every", "10"]
    payload = _json(capsys, [*argv, "--format", "json"])
    info = _weibull_information(1.5, 2.0)
    np.testing.assert_allclose(payload["fisher_information"], info, rtol=1e-6)
    assert payload["information_method"] == "quadrature"
    assert payload["free_parameters"] == ["c", "scale"] and payload["d"] == 2
    c = float(np.trace(np.linalg.inv(info)))
    assert payload["C"] == pytest.approx(c, rel=1e-6)
    assert payload["verdict"] == "collapses" and payload["sum_inv_n_limit"] == "inf"
    sizes = [50] * 40
    inflation = theory.risk_inflation(100, sizes)[::10]
    rows = payload["values"]
    np.testing.assert_allclose([r["risk_inflation"] for r in rows], inflation)
    np.testing.assert_allclose([r["param_error_first_order"] for r in rows], c * inflation / 100)
    np.testing.assert_allclose(
        [r["win_probability_plugin"] for r in rows],
        theory.win_probability_plugin(100, sizes, 2)[::10],
    )
    assert main(argv) == 0  # the table form
    out = capsys.readouterr().out
    assert "family: scipy:weibull_min (c=1.5, loc=0 fixed, scale=2)" in out
    assert "d: 2" in out and "verdict: collapses" in out


def test_theory_schedule_verdict_is_stable_when_sum_inverse_sizes_converges(capsys):
    argv = ["theory", "schedule", "--family", "scipy:poisson", "--params", "mu=3"]
    payload = _json(capsys, [*argv, "--schedule", "power:n0=100,s=1", "--format", "json"])
    assert payload["verdict"] == "stable" and payload["d"] == 1
    assert payload["C"] == pytest.approx(3.0, rel=1e-6)  # I = 1/mu, by summation
    assert payload["information_method"] == "summation"


def test_fixed_parameters_are_not_counted_in_d(capsys):
    argv = ["theory", "schedule", *WEIBULL, "--fixed", "scale", "--format", "json"]
    payload = _json(capsys, argv)
    assert payload["free_parameters"] == ["c"] and payload["d"] == 1
    assert payload["C"] == pytest.approx(1.0 / _weibull_information(1.5, 2.0)[0, 0], rel=1e-6)
    assert payload["family"] == "scipy:weibull_min (c=1.5, loc=0 fixed, scale=2 fixed)"


def test_theory_win_probability_uses_the_free_parameters(capsys):
    argv = ["theory", "win-probability", "--family", "scipy:t", "--params", "df=5,loc=0,scale=1"]
    payload = _json(capsys, [*argv, "--generations", "5", "--format", "json"])
    assert payload["d"] == 3
    expected = theory.win_probability_plugin(100, [100] * 5, 3)[-1]
    assert payload["values"][-1]["win_probability"] == pytest.approx(expected, rel=1e-8)


def test_theory_limiting_error_in_the_free_parameters_units(capsys):
    argv = ["theory", "limiting-error", "--family", "scipy:expon", "--params", "scale=2"]
    payload = _json(capsys, [*argv, "--k", "1", "--n", "50", "--format", "json"])
    r = float(theory.limiting_ratio(theory.optimal_weight(1.0), 1.0))
    assert payload["C"] == pytest.approx(4.0, rel=1e-6)  # I(scale) = 1/scale^2
    assert payload["error_asymptotic"] == pytest.approx(4.0 * r / 50, rel=1e-6)
    assert payload["error_real_only"] == pytest.approx(4.0 / 50, rel=1e-6)


# -- plan ------------------------------------------------------------------------------------


def test_plan_weight_with_a_scipy_law(capsys):
    argv = ["plan", "weight", "--n-real", "100", "--n-synth", "50", *WEIBULL]
    payload = _json(capsys, [*argv, "--format", "json"])
    c = float(np.trace(np.linalg.inv(_weibull_information(1.5, 2.0))))
    assert payload["family"] == "scipy:weibull_min"
    assert payload["C"] == pytest.approx(c, rel=1e-6)
    best = payload["choices"][0]
    assert best["limiting error C R / n_real"] == pytest.approx(c * best["R(w, k)"] / 100)
    assert main(argv) == 0
    assert "C = tr(I^-1) = 3.339" in capsys.readouterr().out


def test_plan_schedule_targets_the_win_probability_with_d_free_parameters(capsys):
    from scipy import stats
    from scipy.integrate import quad

    argv = ["plan", "schedule", "--n0", "100", "--generations", "50"]
    argv += ["--target-win-probability", "0.1", "--format", "json"]
    law = _json(capsys, [*argv, "--family", "scipy:t", "--params", "df=5,loc=0,scale=1"])
    assert law["target"]["dim"] == 3 and law["target"]["family"] == "scipy:t"
    assert law == {**_json(capsys, [*argv, "--dim", "3"]), "target": law["target"]}
    best = law["best"]
    assert best["win_probability"] >= 0.1
    r = best["inflation"] - 1.0
    chi = quad(lambda x: stats.chi(3).pdf(x) * stats.norm.cdf(-x * math.sqrt(r) / 2), 0, np.inf)
    assert best["win_probability"] == pytest.approx(chi[0], rel=1e-7)  # E_{R~chi_d} Phi
    one = _json(capsys, [*argv, "--family", "scipy:expon", "--params", "scale=1"])
    # one free parameter tolerates more inflation for the same Q_T: a cheaper schedule
    assert one["target"]["dim"] == 1 and one["best"]["inflation"] > best["inflation"]
    assert one["best"]["total_synthetic"] < best["total_synthetic"]


# -- bad inputs: one line, exit 2, the option named --------------------------------------------

_LAW = "--family scipy:weibull_min --params c=1.5,scale=2"
_PLAN = "plan schedule --n0 100 --generations 10 --max-inflation 2"
BAD = [
    ("simulate --family scipy:nosuchlaw --params c=1", "--family: scipy:NAME needs NAME"),
    ("simulate --family scipy: --params c=1", "--family: scipy:NAME needs NAME"),
    ("simulate --family gauss", "argument --family: invalid choice: 'gauss'"),
    ("simulate --family scipy:weibull_min --params c", "--params: must be NAME=VALUE pairs"),
    ("simulate --family scipy:weibull_min --params c=abc", "--params: c: must be a number"),
    ("simulate --family scipy:weibull_min --params c=1,c=2", "--params: c: is given twice"),
    (
        "simulate --family scipy:weibull_min --params c=1.5,shape=2",
        "--params: shape: is not a parameter of weibull_min",
    ),
    ("simulate --family scipy:weibull_min --params c=-1", "--params: c: must lie in (0, inf)"),
    ("simulate --family scipy:weibull_min", "--params: c: needs a true value"),
    (f"simulate {_LAW} --fixed shape", "--fixed: must name parameters of weibull_min"),
    ("simulate --family scipy:norm --params loc=0 --fixed loc", "--fixed: leaves no parameter"),
    ("simulate --family scipy:norm", "--params: leaves no parameter of norm to estimate"),
    ("simulate --family scipy:binom --params n=5,p=0.3", "--params: n: is integer-valued"),
    ("simulate --family gaussian --params c=1", "--params: applies to scipy:NAME families only"),
    ("simulate --family poisson --fixed loc", "--fixed: applies to scipy:NAME families only"),
    (f"simulate {_LAW} --dim 2", "--dim: does not apply to family scipy:weibull_min"),
    (f"simulate {_LAW} --engine exact", "--engine: must be one of sample, asymptotic"),
    (f"theory moments {_LAW}", "--family: moments is a closed form of the Gaussian recursion"),
    (f"theory collapse-probability {_LAW}", "--family: collapse-probability is a closed form"),
    (f"theory schedule {_LAW} --bias 1,1", "--bias: models the Gaussian variance estimator"),
    (f"theory schedule {_LAW} --variance mle", "--variance: chooses the Gaussian variance"),
    (f"theory schedule {_LAW} --sigma2 2", "--sigma2: give the true parameters"),
    (f"theory schedule {_LAW} --dim 3", "--dim: is set by --family scipy:weibull_min"),
    (f"theory win-probability {_LAW} --method exact", "--method: exact is the Gaussian mean's"),
    (f"theory win-probability {_LAW} --method independent", "--method: independent is the one"),
    ("theory schedule --params c=1", "--params: applies with --family scipy:NAME"),
    ("theory limiting-error --fixed loc", "--fixed: applies with --family scipy:NAME"),
    ("theory limiting-error --family scipy:nosuchlaw", "--family: scipy:NAME needs NAME"),
    ("theory limiting-error --family logi", "argument --family: invalid choice: 'logi'"),
    ("theory limiting-error --family scipy:expon --params scale=0", "--params: scale: must lie"),
    (f"plan weight --n-real 100 --n-synth 100 {_LAW} --dim 2", "--dim: give the true parameters"),
    ("plan weight --n-real 100 --n-synth 100 --fixed loc", "--fixed: applies with --family"),
    (
        "plan weight --n-real 10 --n-synth 10 --family scipy:expon --params scale=-1",
        "--params: scale: must lie in (0, inf)",
    ),
    (f"{_PLAN} {_LAW} --dim 3", "--dim: is set by --family scipy:weibull_min"),
    (f"{_PLAN} {_LAW} --bias 1,1", "--bias: models the Gaussian variance estimator"),
    (f"{_PLAN} --params c=1", "--params: applies with --family scipy:NAME"),
    (f"{_PLAN} --family logistic", "argument --family: invalid choice: 'logistic'"),
]


@pytest.mark.parametrize(("command", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_line_naming_the_option(tmp_path, monkeypatch, capsys, command, message):
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(command)
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"modelcollapse {argv[0]}"), lines[0]
    assert lines[0].split("error: ", 1)[1].startswith(message), lines[0]
    if "invalid choice" in message:
        assert "'scipy:NAME'" in lines[0]  # both forms are listed
    assert list(tmp_path.iterdir()) == []


def test_a_bad_parameter_in_a_toml_file_names_its_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('n0 = 20\nfamily = "scipy:lognorm"\nparams = {s = -0.5}\n')
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"modelcollapse run: error: {path}:3: key 'params': s: must lie in (0, inf) for "
        "scipy.stats lognorm (got -0.5)"
    )
    path.write_text('family = "scipy:lognorm"\nfixed = [1]\n')
    assert main(["run", str(path)]) == 2
    assert "key 'fixed': must be a non-empty list of parameter names" in capsys.readouterr().err
