"""Registered reproductions of the papers' figures and tables.

>>> from modelcollapse.experiments import experiment_ids
>>> "xu2025-fig3" in experiment_ids()
True
"""

from .registry import (
    Context,
    Experiment,
    Outcome,
    Verdict,
    experiment_ids,
    get_experiment,
    register,
    run_experiment,
)

__all__ = [
    "Context",
    "Experiment",
    "Outcome",
    "Verdict",
    "experiment_ids",
    "get_experiment",
    "register",
    "run_experiment",
]
