"""peers-discrete (Wright-Fisher collapse of the categorical family) at its quick scale."""

import json

import pandas as pd

from modelcollapse.experiments import get_experiment, run_experiment


def test_peers_discrete_quick_scale(tmp_path):
    target = run_experiment("peers-discrete", tmp_path, quick=True, progress=False)
    experiment = get_experiment("peers-discrete")
    assert target == tmp_path / "peers-discrete"
    for name in ("results.csv", "summary.md", "meta.json"):
        assert (target / name).exists(), name
    for png in ("peers-discrete-zipf.png", "peers-discrete-absorption.png"):
        assert (target / png).stat().st_size > 10_000
    table = pd.read_csv(target / "results.csv")
    panels = {
        "heterozygosity",
        "cells_lost",
        "cell_lost_at_T",
        "rare_gap",
        "absorption_time",
        "survival",
    }
    assert set(table.panel) == panels
    absorption = table[table.panel == "absorption_time"]
    assert absorption.n.tolist() == [10, 20, 50]
    assert (absorption.diffusion > absorption.exact).all()
    meta = json.loads((target / "meta.json").read_text())
    assert meta["replications"] == experiment.quick_replications and meta["quick"] is True
    assert len(meta["verdicts"]) == 9
    failed = [v["claim"] for v in meta["verdicts"] if v["holds"] is False]
    assert not failed, failed
    summary = (target / "summary.md").read_text()
    assert summary.startswith("# peers-discrete:") and "DISAGREES" not in summary
    assert "not absorbed by T" in summary
