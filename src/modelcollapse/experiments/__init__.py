"""Registered reproductions of the papers' figures and tables.

>>> from modelcollapse.experiments import experiment_ids
>>> "xu2025-fig3" in experiment_ids()
True
"""

from .context import Context, Experiment, Outcome
from .registry import experiment_ids, get_experiment, register
from .runner import run_experiment
from .verdicts import Verdict

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
