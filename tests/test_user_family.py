"""A user's own family class, reached by ``package.module:ClassName`` from the command line
and from TOML files (the class lives in tests/userfamilies.py, nowhere in the package)."""

from __future__ import annotations

import json

import pytest
from userfamilies import Rayleigh

import modelcollapse as mc
from modelcollapse.cli import main
from modelcollapse.options import class_family, family_from_options

ARGS = [
    "--n0",
    "50",
    "--schedule",
    "50",
    "--generations",
    "5",
    "--replications",
    "200",
    "--seed",
    "3",
    "--engine",
    "sample",
    "--quiet",
]


def test_the_class_is_built_with_its_params():
    fam = class_family("userfamilies:Rayleigh", "s2=2.5")
    assert isinstance(fam, Rayleigh) and fam.s2 == 2.5
    assert mc.capabilities_of(fam).hooks == {"scale", "asymptotic_covariance", "project"}


def test_simulate_on_the_command_line_matches_python(capsys):
    code = main(
        [
            "simulate",
            "--family",
            "userfamilies:Rayleigh",
            "--params",
            "s2=2",
            "--format",
            "json",
            *ARGS,
        ]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["config"]["family"] == {"family": "rayleigh", "s2": 2.0}
    res = mc.simulate(
        Rayleigh(2.0), n0=50, schedule=50, generations=5, replications=200, seed=3, engine="sample"
    )
    final = [r for r in payload["summary"] if r["metric"] == "sigma2" and r["generation"] == 5]
    assert final[0]["mean"] == pytest.approx(res.values("sigma2")[:, -1].mean(), rel=1e-12)


def test_a_toml_run_reaches_the_class(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text(
        'family = "userfamilies:Rayleigh"\nparams = "s2=0.5"\nengine = "sample"\n'
        "n0 = 40\nschedule = 40\ngenerations = 3\nreplications = 100\nseed = 1\n"
    )
    assert main(["run", str(config), "--quiet"]) == 0, capsys.readouterr().err
    assert "rayleigh (s2=0.5)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("family", "params", "message"),
    [
        ("nosuchmodule:Model", None, "family: cannot import module nosuchmodule"),
        ("userfamilies:Missing", None, "family: module userfamilies has no Missing"),
        ("userfamilies:NotAFamily", None, "family: NotAFamily is not a family: it lacks name"),
        ("userfamilies:Rayleigh", "mu=2", "params: Rayleigh takes s2; not mu"),
        ("userfamilies:Rayleigh", "s2=-1", "params: Rayleigh(s2=-1) failed: s2 must be"),
        ("userfamilies:RayleighParams", None, "params: RayleighParams() failed"),
    ],
)
def test_bad_classes_get_one_line_errors(family, params, message):
    with pytest.raises(
        mc.InvalidArgumentError, match="^" + message.replace("(", r"\(").replace(")", r"\)")
    ):
        class_family(family, params)


def test_other_model_options_do_not_apply_to_a_class():
    with pytest.raises(mc.InvalidArgumentError, match="^mu: does not apply to a family class"):
        family_from_options({"family": "userfamilies:Rayleigh", "mu": 1.0})


def test_the_class_passes_the_conformance_suite():
    from modelcollapse.testing import check_family

    check_family(class_family("userfamilies:Rayleigh", "s2=1.5"), workers=False)


def test_an_installed_package_registers_a_family_by_name(monkeypatch, capsys):
    from importlib.metadata import EntryPoint

    import modelcollapse.cli._common as common

    points = [EntryPoint("rayleigh", "userfamilies:Rayleigh", "modelcollapse.families")]
    monkeypatch.setattr(
        "importlib.metadata.entry_points",
        lambda group=None: [p for p in points if p.group == group],
    )
    assert common.registered_families() == {"rayleigh": "userfamilies:Rayleigh"}
    fam = family_from_options({"family": "rayleigh", "params": "s2=3"})
    assert isinstance(fam, Rayleigh) and fam.s2 == 3.0
    code = main(["simulate", "--family", "rayleigh", "--params", "s2=3", *ARGS])
    assert code == 0 and "rayleigh (s2=3.0)" in capsys.readouterr().out
    assert main(["simulate", "--family", "unregistered", *ARGS]) == 2
    assert "invalid choice: 'unregistered'" in capsys.readouterr().err


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_theory_reaches_the_class(capsys):
    """``theory`` with a family class: C is the trace of its asymptotic covariance (s2^2 for
    the Rayleigh MLE, 4 at s2 = 2), against the theory functions (a property of the theory)."""
    from modelcollapse import theory

    law = ["--family", "userfamilies:Rayleigh", "--params", "s2=2", "--format", "json"]
    error = _json(capsys, ["theory", "limiting-error", "--n", "50", *law])
    assert error["C"] == 4.0 and error["d"] == 1 and error["family"] == "rayleigh (s2=2)"
    ratio = theory.limiting_ratio(theory.optimal_weight(1.0), 1.0)
    assert error["error_asymptotic"] == pytest.approx(4.0 * float(ratio) / 50, rel=1e-12)
    assert error["error_real_only"] == pytest.approx(4.0 / 50)
    table = _json(
        capsys,
        [
            "theory",
            "schedule",
            "--n0",
            "40",
            "--schedule",
            "linear:n=40",
            "--generations",
            "6",
            *law,
        ],
    )
    sizes = mc.parse_schedule("linear:n=40").sizes(6)
    assert table["values"][-1]["risk_inflation"] == pytest.approx(
        theory.risk_inflation(40, sizes)[-1]
    )
    assert table["values"][-1]["param_error_first_order"] == pytest.approx(
        4.0 * theory.risk_inflation(40, sizes)[-1] / 40
    )


def test_plan_reaches_the_class(capsys):
    law = ["--family", "userfamilies:Rayleigh", "--params", "s2=3", "--format", "json"]
    plan = _json(capsys, ["plan", "weight", "--n-real", "100", "--n-synth", "50", *law])
    assert plan["C"] == 9.0 and plan["parameters"] == {"s2": 3.0}
    sched = _json(
        capsys,
        [
            "plan",
            "schedule",
            "--n0",
            "100",
            "--generations",
            "10",
            "--budget",
            "3000",
            "--quiet",
            *law,
        ],
    )
    assert sched["target"]["family"] == "rayleigh" and sched["target"]["free_parameters"] == ["s2"]


@pytest.mark.parametrize(
    "command", [["theory", "schedule"], ["plan", "weight", "--n-real", "9", "--n-synth", "9"]]
)
def test_a_class_without_the_hook_a_command_needs_gets_one_line(capsys, command):
    code = main([*command, "--family", "userfamilies:RayleighSampleOnly"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(
        f"modelcollapse {command[0]}: error: --family: RayleighSampleOnly lacks "
        f"asymptotic_covariance(params), which '{command[0]}' needs"
    )


@pytest.mark.parametrize("backend", ["serial", "processes"])
def test_a_toml_sweep_reaches_the_class(tmp_path, backend):
    """A grid over the class's --params, in this process and in worker processes (which import
    the class by its path); each cell matches simulate on the class built by hand."""
    from modelcollapse.sweep import run_sweep

    config = tmp_path / "sweep.toml"
    config.write_text(
        'family = "userfamilies:Rayleigh"\nengine = "sample"\n'
        "n0 = 40\nschedule = 40\ngenerations = 3\nreplications = 100\nseed = 1\n"
        f'[sweep]\nout = "store"\nbackend = "{backend}"\nworkers = 2\n'
        '[sweep.grid]\nparams = ["s2=0.5", "s2=2"]\n'
    )
    outcome = run_sweep(config, progress=False)
    assert outcome.failed == []
    table = outcome.table
    for s2 in (0.5, 2.0):
        res = mc.simulate(
            Rayleigh(s2),
            n0=40,
            schedule=40,
            generations=3,
            replications=100,
            seed=1,
            engine="sample",
        )
        rows = table[(table["params"] == f"s2={s2:g}") & (table["metric"] == "sigma2")]
        final = rows[rows["generation"] == 3]["mean"].to_numpy()
        assert final == pytest.approx([res.values("sigma2")[:, -1].mean()], rel=1e-12)
