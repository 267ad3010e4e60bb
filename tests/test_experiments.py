"""Every registered experiment runs at its quick scale, writes its files, and its verdicts hold;
every verdict is a pure function of the stored table, and every simulated verdict fails when
its simulated inputs are perturbed beyond what it states it can detect."""

import json
import math

import pandas as pd
import pytest

import modelcollapse as mc
from modelcollapse.cli import main
from modelcollapse.experiments import experiment_ids, get_experiment, run_experiment
from modelcollapse.experiments.registry import judge_table
from modelcollapse.experiments.runner import configuration_hash, file_checksum
from modelcollapse.experiments.verdicts import KINDS, perturbed

_RUNS: dict = {}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """Each experiment run once at its quick scale for every test of this module."""

    def run(experiment_id):
        if experiment_id not in _RUNS:
            out = tmp_path_factory.mktemp("quick")
            _RUNS[experiment_id] = run_experiment(experiment_id, out, quick=True, progress=False)
        return _RUNS[experiment_id]

    return run


@pytest.mark.parametrize("experiment_id", experiment_ids())
def test_experiment_quick_scale(quick_run, experiment_id):
    target = quick_run(experiment_id)
    experiment = get_experiment(experiment_id)
    assert target.name == experiment_id
    table = pd.read_csv(target / "results.csv")
    assert len(table) > 0
    meta = json.loads((target / "meta.json").read_text())
    assert meta["id"] == experiment_id
    assert meta["replications"] == experiment.quick_replications
    assert meta["quick"] is True and meta["seed"] == 0
    assert meta["wall_time_s"] > 0 and meta["versions"]["numpy"]
    # The time spent drawing random numbers, in all processes: none for the theory alone.
    assert 0 <= meta["draw_time_s"] <= meta["wall_time_s"] * meta["workers"]
    assert (meta["draw_time_s"] > 0) == (experiment_id != "he2025-theory")
    summary = (target / "summary.md").read_text()
    assert summary.startswith(f"# {experiment_id}:")
    assert "## Simulation beside theory" in summary and "## Verdicts" in summary
    pngs = sorted(p.name for p in target.glob("*.png"))
    assert pngs, "every experiment draws at least one panel"
    for png in pngs:
        assert f"]({png})" in summary
        assert (target / png).stat().st_size > 10_000
    failed = [v["claim"] for v in meta["verdicts"] if v["holds"] is False]
    assert not failed, failed
    for v in meta["verdicts"]:
        assert v["kind"] in KINDS, v
        if v["kind"] == "theory":
            assert v["detectable"] is None and v["holds"] is not None, v
        else:
            assert v["detectable"] is not None, v
            assert v["inputs"], v
    assert meta["headline"] in summary
    assert meta["figure_problems"] == []  # a legend and both axis labels on every panel
    for png in pngs:
        assert (target / png).with_suffix(".svg").is_file()
    assert (target / "key.csv").is_file()
    assert "DISAGREES" not in summary


@pytest.mark.parametrize("experiment_id", experiment_ids())
def test_meta_records_the_configuration_and_every_file(quick_run, experiment_id):
    """What ``report`` checks before reusing a folder: the configuration hash, and the sha256
    of every other file; nothing else is left beside the folder."""
    target = quick_run(experiment_id)
    meta = json.loads((target / "meta.json").read_text())
    experiment = get_experiment(experiment_id)
    assert meta["configuration_hash"] == configuration_hash(
        experiment_id, 0, experiment.quick_replications, True
    )
    assert sorted(meta["files"]) == sorted(p.name for p in target.iterdir() if p.suffix != ".json")
    for name, checksum in meta["files"].items():
        assert file_checksum(target / name) == checksum, name
    assert [p.name for p in target.parent.iterdir()] == [experiment_id]


@pytest.mark.parametrize("experiment_id", experiment_ids())
def test_verdicts_are_a_function_of_the_stored_table(quick_run, experiment_id):
    target = quick_run(experiment_id)
    experiment = get_experiment(experiment_id)
    stored = json.loads((target / "meta.json").read_text())["verdicts"]
    again = judge_table(experiment, pd.read_csv(target / "results.csv"))
    assert [v.to_json() for v in again] == stored


@pytest.mark.parametrize("experiment_id", experiment_ids())
def test_verdicts_are_falsifiable(quick_run, experiment_id):
    """Each simulated verdict fails once its inputs move by twice its stated ``detectable``."""
    target = quick_run(experiment_id)
    experiment = get_experiment(experiment_id)
    table = pd.read_csv(target / "results.csv")
    verdicts = judge_table(experiment, table)
    unflipped = []
    for verdict in verdicts:
        if verdict.kind == "theory" or verdict.holds is None:
            continue
        assert math.isfinite(verdict.detectable), verdict.claim
        again = perturbed(experiment.judge, table, verdict)
        if again.holds is not False:
            unflipped.append((verdict.claim, verdict.detectable, again.evidence))
    assert not unflipped, unflipped


def test_same_seed_same_results(tmp_path):
    a = run_experiment("xu2025-fig3", tmp_path / "a", replications=200, progress=False)
    b = run_experiment("xu2025-fig3", tmp_path / "b", replications=200, progress=False)
    c = run_experiment("xu2025-fig3", tmp_path / "c", replications=200, seed=1, progress=False)
    first = pd.read_csv(a / "results.csv")
    pd.testing.assert_frame_equal(first, pd.read_csv(b / "results.csv"))
    assert not first.equals(pd.read_csv(c / "results.csv"))
    assert "custom scale" in (a / "summary.md").read_text()


def test_unknown_experiment():
    with pytest.raises(mc.InvalidArgumentError, match="^experiment: must be one of"):
        get_experiment("xu2025-fig99")


def test_cli_list_and_reproduce(tmp_path, capsys):
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    for experiment_id in experiment_ids():
        assert experiment_id in listed
    assert (
        main(
            [
                "reproduce",
                "xu2025-random-walk",
                "--out",
                str(tmp_path),
                "--replications",
                "100",
                "--quiet",
            ]
        )
        == 0
    )
    assert (tmp_path / "xu2025-random-walk" / "summary.md").exists()
    assert main(["reproduce", "nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "ID: must be one of" in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["reproduce", "xu2025-fig3", "--out", str(blocker)]) == 2
    assert "--out: must be a directory" in capsys.readouterr().err


def test_process_pool_gives_identical_results(tmp_path):
    one = run_experiment(
        "peers-discrete", tmp_path / "one", replications=200, quick=True, progress=False
    )
    two = run_experiment(
        "peers-discrete", tmp_path / "two", replications=200, quick=True, progress=False, workers=2
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(one / "results.csv"), pd.read_csv(two / "results.csv")
    )
    assert json.loads((two / "meta.json").read_text())["workers"] == 2
