"""Family options derived from constructors: the constraints tables, the generic describe(),
make_family's options and the command line's family options and choices."""

import argparse
import json

import numpy as np
import pytest
from conftest import FAMILY_CASES
from scipy import stats

import modelcollapse as mc
from modelcollapse.families import FAMILIES, FAMILY_NAMES, TABLE_FAMILY_NAMES, make_family
from modelcollapse.families.parameters import (
    Checked,
    Given,
    Integer,
    OneOf,
    Real,
    constructor_options,
    describe_options,
    jsonable,
)
from modelcollapse.options import add_simulate_arguments, family_options

#: Every family class: the registered ones and those the registry's factory functions build,
#: and the two general families (built from callables or a scipy distribution, not registered).
FAMILY_CLASSES = sorted(
    {f for f in FAMILIES.values() if isinstance(f, type)}
    | {mc.Gaussian, mc.MultivariateGaussian, mc.Categorical, mc.LogDensityFamily, mc.ScipyFamily},
    key=lambda cls: cls.__name__,
)

#: Families whose description does not rebuild them, and why.
NO_ROUND_TRIP = {
    # logpdf, sampler and score are callables, described by their names only.
    "logdensity-logistic",
    # the true parameters are **params, described together under "params".
    "scipy-weibull",
    # the table is described by its shape: provenance names the data, it does not copy it.
    "logistic-table",
}


@pytest.mark.parametrize("cls", FAMILY_CLASSES, ids=lambda cls: cls.__name__)
def test_constraints_table_is_keyed_by_the_constructor_options(cls):
    assert tuple(cls.parameters) == constructor_options(cls)


def test_registry_names_and_order():
    assert FAMILY_NAMES == (
        "gaussian",
        "exponential",
        "poisson",
        "bernoulli",
        "categorical",
        "gamma",
        "linear-fixed",
        "linear-random",
        "logistic",
        "poisson-regression",
        "cdf",
    )
    assert TABLE_FAMILY_NAMES == ("logistic-table",)
    for name, factory in FAMILIES.items():
        if isinstance(factory, type):
            assert factory.name == name


@pytest.mark.parametrize("case", sorted(set(FAMILY_CASES) - NO_ROUND_TRIP))
def test_description_round_trips(case):
    fam = FAMILY_CASES[case]()
    desc = fam.describe()
    json.dumps(desc)
    assert desc == describe_options(fam)
    assert list(desc) == ["family", *constructor_options(type(fam))]
    again = type(fam)(**{k: v for k, v in desc.items() if k != "family"})
    assert again.describe() == desc


@pytest.mark.parametrize(
    "make",
    [
        lambda: mc.Gaussian(bias=(0.5, 1.0)),
        lambda: mc.MultivariateGaussian([0.0, 1.0], np.eye(2), bias=[-0.5, 2.0]),
        lambda: make_family("categorical", k=3),
        lambda: mc.LinearRegressionFixed([[1.0, 0.0], [0.0, 1.0], [1.0, 2.0]], beta=[1.0, 2.0]),
        lambda: mc.PoissonRegression(beta=1.0, dim=3, clip=None),
        lambda: make_family("gaussian", dim=3, sigma2=2.0),
    ],
)
def test_more_descriptions_round_trip(make):
    fam = make()
    desc = fam.describe()
    json.dumps(desc)
    assert type(fam)(**{k: v for k, v in desc.items() if k != "family"}).describe() == desc


def test_descriptions_keep_arguments_as_given_or_normalised():
    drawn = mc.LinearRegressionFixed(beta=[1.0, 2.0], n=5, seed=1)
    assert drawn.design is None and drawn.design_.shape == (5, 2)
    assert drawn.describe()["design"] is None and drawn.describe()["n"] == 5
    given = mc.LinearRegressionFixed(drawn.design_, beta=[1.0, 2.0])
    assert given.describe()["n"] is None and given.describe()["seed"] is None
    assert mc.Gaussian().describe()["bias"] is None
    assert mc.Gaussian(bias=(1, 2)).describe()["bias"] == [1.0, 2.0]
    assert mc.LogisticRegression(cov=2.0).describe()["cov"] == [[2.0, 0.0], [0.0, 2.0]]
    assert mc.ScipyFamily("weibull_min", c=1.5).describe() == {
        "family": "scipy:weibull_min",
        "dist": "weibull_min",
        "fixed": ["loc", "scale"],
        "params": {"c": 1.5, "loc": 0.0, "scale": 1.0},
    }


def test_make_family_takes_the_constructor_options():
    with pytest.raises(
        mc.InvalidArgumentError,
        match=r"^options: the linear-fixed family takes design, beta, dim, n, sigma2, cov, "
        r"seed \(got 'mu'\)",
    ):
        make_family("linear-fixed", mu=1.0)
    categorical = "^options: the categorical family takes p, k "
    with pytest.raises(mc.InvalidArgumentError, match=categorical):
        make_family("categorical", q=1.0)
    with pytest.raises(mc.InvalidArgumentError, match="^options: the logistic-table family needs"):
        make_family("logistic-table", columns=["a"])
    assert isinstance(make_family("categorical"), mc.Categorical)
    assert make_family("categorical").k == 2


def test_command_line_family_options_and_choices():
    assert family_options("gaussian") == ("dim", "mu", "sigma2", "variance", "combine", "bias")
    assert family_options("linear-fixed") == ("beta", "dim", "design_rows", "sigma2", "cov")
    assert family_options("categorical") == ("p", "k")
    assert family_options("cdf") == ()
    parser = argparse.ArgumentParser()
    add_simulate_arguments(parser)
    choices = {a.dest: a.choices for a in parser._actions}
    assert choices["variance"] == mc.Gaussian.parameters["variance"].values == ("unbiased", "mle")
    assert choices["combine"] == mc.Gaussian.parameters["combine"].values
    assert choices["estimator"] == mc.ExponentialDistribution.parameters["estimator"].values
    assert choices["penalty"] == mc.LogisticRegression.parameters["penalty"].values


def test_constraints_check_with_the_package_messages():
    assert Real(0.0, low_open=True).check("lam", 2) == 2.0
    with pytest.raises(mc.InvalidArgumentError, match=r"^lam: must lie in \(0, inf\] \(got 0\)"):
        Real(0.0, low_open=True).check("lam", 0)
    assert Real(optional=True).check("clip", None) is None
    with pytest.raises(mc.InvalidArgumentError, match="^seed: must be an integer >= 0"):
        Integer(0).check("seed", -1)
    assert Integer(1, optional=True).check("dim", None) is None
    with pytest.raises(mc.InvalidArgumentError, match="^penalty: must be one of none, l1"):
        OneOf("none", "l1").check("penalty", "l2")
    assert OneOf("a", "b").values == ("a", "b")
    marker = object()
    assert Given("anything").check("x", marker) is marker
    assert Checked(lambda name, value: value * 2, "doubled").check("x", 2) == 4


def test_jsonable():
    assert jsonable(np.float64(1.5)) == 1.5 and isinstance(jsonable(np.int64(3)), int)
    assert jsonable((1, np.array([2.0, 3.0]))) == [1, [2.0, 3.0]]
    assert jsonable({"a": (1.0, 2.0)}) == {"a": [1.0, 2.0]}
    assert jsonable(stats.gamma(2.0, scale=0.5)) == {
        "name": "gamma",
        "args": [2.0],
        "kwds": {"scale": 0.5},
    }
    assert jsonable(stats.weibull_min) == "weibull_min"
    assert jsonable(len) == "builtins.len"
    with pytest.raises(TypeError):
        jsonable(object())


def test_a_table_is_described_by_its_shape():
    desc = FAMILY_CASES["logistic-table"]().describe()
    assert desc["x"].startswith("array of shape (") and desc["y"].startswith("array of shape (")
