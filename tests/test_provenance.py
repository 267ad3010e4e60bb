"""Provenance: a hash of the package source that changes with the code, the commit of a
checkout, and both in an experiment's meta.json (the report reuses only the same code)."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd

import modelcollapse.provenance as prov
from modelcollapse.experiments import registry, run_experiment
from modelcollapse.experiments.context import Experiment, Outcome
from modelcollapse.experiments.verdicts import Verdict


def _hash_of(folder, monkeypatch):
    monkeypatch.setattr(prov, "PACKAGE_DIR", folder)
    prov.source_hash.cache_clear()
    prov.commit.cache_clear()
    try:
        return prov.source_hash(), prov.commit()
    finally:
        prov.source_hash.cache_clear()
        prov.commit.cache_clear()


def test_the_source_hash_follows_the_code(tmp_path, monkeypatch):
    copy = tmp_path / "modelcollapse"
    shutil.copytree(prov.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    same, commit = _hash_of(copy, monkeypatch)
    assert same == prov.source_hash()  # the same files, wherever they are
    assert commit is None  # a copy outside any checkout: no commit
    (copy / "engine.py").write_text((copy / "engine.py").read_text() + "\n# an edit\n")
    edited, _ = _hash_of(copy, monkeypatch)
    assert edited != same
    (copy / "engine.py").rename(copy / "engine2.py")
    renamed, _ = _hash_of(copy, monkeypatch)
    assert renamed not in (same, edited)  # names count too
    (copy / "data" / "extra.txt").write_text("not source")
    assert _hash_of(copy, monkeypatch)[0] == renamed  # only the Python source counts


def test_a_checkout_has_a_commit():
    commit = prov.commit()
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}(-dirty)?", commit)


def test_provenance_lists_what_a_result_needs():
    record = prov.provenance()
    assert record["source_hash"] == prov.source_hash() and len(record["source_hash"]) == 64
    assert record["version"] and record["python"].count(".") == 2 and record["platform"]


def _tiny(ctx):
    table = pd.DataFrame({"value": [1.0]})
    return Outcome(table, {}, table)


def test_meta_json_records_the_source_hash_and_commit(tmp_path, monkeypatch):
    experiment = Experiment(
        "tiny-provenance",
        "provenance",
        "test",
        "none",
        2,
        2,
        _tiny,
        lambda table: [Verdict("a claim that holds", True, "(always)", kind="theory")],
    )
    monkeypatch.setitem(registry._REGISTRY, "tiny-provenance", experiment)
    folder = run_experiment("tiny-provenance", tmp_path, quick=True, progress=False)
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["source_hash"] == prov.source_hash()
    assert meta["commit"] == prov.commit()
