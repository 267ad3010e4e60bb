"""Paper 1 (Xu, He & Cheng, "A Probabilistic Perspective on Model Collapse"): one module per
registered reproduction.

- :mod:`.fig3`: Figure 3, collapse of the recursive Gaussian variance (``xu2025-fig3``);
- :mod:`.random_walk`: Figures 4-5, the random walk (``xu2025-random-walk``);
- :mod:`.schedules`: the schedules and the collapse dichotomy (``xu2025-schedules``);
- :mod:`.win_probability`: the win probability (``xu2025-win-probability``);
- :mod:`.bias`: biased estimators and shrinkage (``xu2025-bias``);
- :mod:`.general_family`: general parametric families (``xu2025-general-family``);
- :mod:`.fig3_verdicts`, :mod:`.schedules_verdicts`, :mod:`.bias_verdicts`,
  :mod:`.general_family_verdicts`: the verdicts of the four largest, which their modules
  import (each module stays under about 400 lines);
- :mod:`.common`: what they share (the paper, the estimators, the schedules of the dichotomy,
  comparisons and perturbations).

Each module holds its specification as data, ``compute`` (the tidy table), ``judge`` (the
verdicts, a pure function of that table), ``plot`` and ``run``, and registers its experiment.
Importing this package registers none of them; :func:`~..registry.experiment_ids` imports them.
"""

from .common import ESTIMATORS, PAPER, capped_horizon, paper_schedules

__all__ = ["ESTIMATORS", "PAPER", "capped_horizon", "paper_schedules"]
