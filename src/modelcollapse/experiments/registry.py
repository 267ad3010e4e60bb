"""The registry of experiments: which are registered, in which order, and how one is judged.

Each experiment module registers its :class:`~modelcollapse.experiments.context.Experiment`
with :func:`register` when imported; :func:`experiment_ids` imports the modules of
:data:`EXPERIMENT_MODULES` and lists the ids in that order, :func:`get_experiment` finds one,
and :func:`judge_table` runs an experiment's ``judge`` on a table, checked.
"""

from __future__ import annotations

import importlib

import pandas as pd

from .._validation import fail
from .context import Experiment
from .verdicts import Verdict

__all__ = [
    "EXPERIMENT_MODULES",
    "experiment_ids",
    "get_experiment",
    "judge_table",
    "register",
]

#: The registered experiments by id, in registration order.
_REGISTRY: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to the registry (ids are unique)."""
    if experiment.id in _REGISTRY:
        raise ValueError(f"experiment id {experiment.id!r} is registered twice")
    _REGISTRY[experiment.id] = experiment
    return experiment


#: The experiment modules, in the order their experiments are listed and run by ``all``.
EXPERIMENT_MODULES = (
    "xu2025.fig3",
    "xu2025.random_walk",
    "xu2025.schedules",
    "xu2025.win_probability",
    "xu2025.bias",
    "xu2025.general_family",
    "he2025.theory_claims",
    "he2025.fig7",
    "he2025.fig8",
    "he2025.fig9",
    "he2025.fig10",
    "xu2025.adult",
    "peers.regression",
    "peers.bounds",
    "peers.discrete",
    "peers.strategies",
    "extensions.lm_tail",
)


def _load() -> None:
    # Importing a module registers its experiments.
    for module in EXPERIMENT_MODULES:
        importlib.import_module(f".{module}", __package__)


def experiment_ids() -> tuple[str, ...]:
    """Registered ids: those of :data:`EXPERIMENT_MODULES` in its order (whichever module was
    imported first), then any other registered experiment in registration order."""
    _load()
    rank = {f"{__package__}.{m}": i for i, m in enumerate(EXPERIMENT_MODULES)}
    order = sorted(
        enumerate(_REGISTRY.values()),
        key=lambda item: (rank.get(item[1].run.__module__, len(rank)), item[0]),
    )
    return tuple(experiment.id for _, experiment in order)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment registered as ``experiment_id``."""
    ids = experiment_ids()
    if experiment_id not in _REGISTRY:
        raise fail("experiment", f"must be one of {', '.join(ids)}", experiment_id)
    return _REGISTRY[experiment_id]


def judge_table(experiment: Experiment, table: pd.DataFrame) -> list[Verdict]:
    """``experiment.judge(table)``, checked: a list of verdicts with distinct claims."""
    verdicts = list(experiment.judge(table))
    claims = [v.claim for v in verdicts]
    if len(set(claims)) != len(claims):
        raise ValueError(f"{experiment.id}: two verdicts share a claim")
    if not all(isinstance(v, Verdict) for v in verdicts):
        raise TypeError(f"{experiment.id}: judge must return Verdict objects")
    return verdicts
