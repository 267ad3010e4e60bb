"""Saved results keep everything: values, generations, metrics, parameters, configuration and
provenance round-trip through Parquet exactly, and the family is rebuilt when it can be."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import modelcollapse as mc
from modelcollapse.provenance import source_hash

pytest.importorskip("pyarrow")

CASES = {
    "gaussian-fresh": lambda: mc.simulate(
        mc.Gaussian(mu=1.0, sigma2=2.0),
        n0=30,
        schedule=30,
        n_real=30,
        weight="optimal",
        generations=6,
        replications=300,
        seed=1,
    ),
    "mvgaussian-shrink": lambda: mc.simulate(
        mc.MultivariateGaussian([0.0, 1.0], [[1.0, 0.2], [0.2, 2.0]]),
        n0=30,
        schedule=30,
        generations=5,
        replications=200,
        seed=2,
        shrinkage=0.05,
        record=[0, 2, 5],
    ),
    "logistic-failures": lambda: mc.simulate(
        mc.LogisticRegression(beta=[3.0, -3.0]),
        n0=20,
        schedule=20,
        generations=5,
        replications=200,
        seed=3,
        engine="sample",
    ),
    "cdf-no-params": lambda: mc.simulate(
        mc.EmpiricalCDF(),
        n0=20,
        schedule=20,
        generations=3,
        replications=100,
        seed=4,
        engine="sample",
    ),
    "scipy": lambda: mc.simulate(
        mc.ScipyFamily("weibull_min", c=1.5, scale=2.0),
        n0=40,
        schedule=40,
        generations=3,
        replications=64,
        seed=5,
        engine="sample",
    ),
}


def _run(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mc.FitFailureWarning)
        return CASES[case]()


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_saved_result_loads_bit_for_bit(case, tmp_path):
    res = _run(case)
    path = res.save(tmp_path / "run.parquet")
    back = mc.load(path)
    if res.flat_params is None:
        assert back.flat_params is None
    else:
        assert np.array_equal(back.flat_params, res.flat_params, equal_nan=True)
    assert back.metric_names == res.metric_names
    for name in res.metric_names:
        assert np.array_equal(back.metrics[name], res.metrics[name], equal_nan=True), name
    for field in ("generations", "n_real", "n_synth", "weights"):
        assert np.array_equal(getattr(back, field), getattr(res, field)), field
    assert back.config == json.loads(json.dumps(res.config)) and back.eps == res.eps
    assert back.provenance["source_hash"] == source_hash()
    pd.testing.assert_frame_equal(back.to_frame(), res.to_frame())
    assert back.family.describe() == res.family.describe()


def test_the_family_is_rebuilt_and_the_run_can_be_repeated(tmp_path):
    res = _run("gaussian-fresh")
    back = mc.load(res.save(tmp_path / "run.parquet"))
    assert type(back.family) is mc.Gaussian
    again = back.rerun()
    assert np.array_equal(again.flat_params, res.flat_params)


def test_a_family_that_cannot_be_rebuilt_is_kept_as_its_description(tmp_path):
    table = mc.TableSource(mc.Gaussian(), np.random.default_rng(0).normal(size=50))
    res = mc.simulate(table, n0=20, schedule=20, generations=2, replications=50, seed=0)
    back = mc.load(res.save(tmp_path / "table.parquet"))
    assert isinstance(back.family, mc.storage.StoredFamily)
    assert back.family.describe() == res.family.describe()
    assert np.array_equal(back.values("sigma2"), res.values("sigma2"))


def test_the_file_is_plain_parquet_with_the_record_in_its_metadata(tmp_path):
    import pyarrow.parquet as pq

    res = _run("gaussian-fresh")
    path = res.save(tmp_path / "run.parquet")
    table = pq.read_table(path)
    assert table.column_names == [
        "replication",
        "generation",
        "param:mu",
        "param:sigma2",
        *(f"metric:{m}" for m in res.metric_names),
    ]
    record = json.loads(table.schema.metadata[b"modelcollapse"])
    assert record["format"] == "modelcollapse.result/1"
    assert record["family_class"] == "modelcollapse.families.gaussian:Gaussian"
    assert set(record["provenance"]) == {"version", "source_hash", "commit", "python", "platform"}
    assert list(tmp_path.iterdir()) == [path]  # written atomically, no temporary file left


def test_load_refuses_rows_out_of_order(tmp_path):
    import pyarrow.parquet as pq

    path = _run("gaussian-fresh").save(tmp_path / "run.parquet")
    table = pq.read_table(path)
    shuffled = table.take(np.random.default_rng(0).permutation(table.num_rows))
    pq.write_table(shuffled.replace_schema_metadata(table.schema.metadata), path)
    with pytest.raises(mc.InvalidArgumentError, match="^path: has its rows out of the order"):
        mc.load(path)


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda p: None, "^path: is not a file"),
        (lambda p: p.write_text("not parquet"), "^path: is not a Parquet file"),
        (lambda p: pd.DataFrame({"a": [1.0]}).to_parquet(p), "^path: is not a saved modelcollapse"),
    ],
)
def test_load_refuses_what_is_not_a_result(tmp_path, write, message):
    path = tmp_path / "x.parquet"
    write(path)
    with pytest.raises(mc.InvalidArgumentError, match=message):
        mc.load(path)


def test_to_xarray_holds_the_arrays_and_the_configuration():
    pytest.importorskip("xarray")
    res = _run("gaussian-fresh")
    ds = res.to_xarray()
    assert ds["sigma2"].dims == ("replication", "generation")
    assert np.array_equal(ds["generation"].values, res.generations)
    for name in res.metric_names:
        assert np.array_equal(ds[name].values, res.metrics[name]), name
    assert np.array_equal(ds["params"].sel(parameter="mu").values, res.values("mu"))
    assert json.loads(ds.attrs["config"]) == json.loads(json.dumps(res.config))
    assert ds.attrs["family"] == "gaussian" and ds.attrs["eps"] == res.eps


def test_to_xarray_without_parameters():
    pytest.importorskip("xarray")
    ds = _run("cdf-no-params").to_xarray()
    assert "params" not in ds and "parameter" not in ds.dims
