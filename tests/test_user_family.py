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
