"""Paper 2 (He, Xu & Cheng, "Golden Ratio Weighting Prevents Model Collapse"), one module per
registered experiment, and what they share.

Experiments:

* :mod:`.theory_claims`: ``he2025-theory``, the theory alone (R(w, k), w*(k), e_t).
* :mod:`.fig7`: ``he2025-fig7``, the fully synthetic recursion (its laws in
  :mod:`.fig7_laws`, its verdicts in :mod:`.fig7_verdicts`).
* :mod:`.fig8`, :mod:`.fig9`: ``he2025-fig8``, ``he2025-fig9``, the weight sweeps.
* :mod:`.fig10`: ``he2025-fig10``, the weight sweep on the Adult data.

Shared:

* :mod:`.common`: the paper's name, ``1/phi``, and :func:`law_verdict` (simulated values against
  an exact law, on the cells :func:`informative_cells` finds informative).
* :mod:`.wishart`: exact laws of the Gaussian recursion (:func:`wishart_trace_map`,
  :func:`mean_error_moments`, :func:`frobenius_error_moments`,
  :func:`log_det_change_moments`) and of the random-design regression
  (:func:`linear_random_error_moments`).
* :mod:`.categorical`: :func:`categorical_error_moments`.
* :mod:`.penalised`: :func:`penalised_logistic_first_order`.
* The weight sweeps of Figures 8-10: :mod:`.sweep_spec` (panels and scales as data),
  :mod:`.sweep` (one simulation per weight on common random numbers, in a process pool, and the
  figure), :mod:`.sweep_stats` (moments, shape fits, argmin sets, perturbations) and
  :mod:`.sweep_verdicts` (the verdicts and key table of a sweep).

The closed forms and :func:`law_verdict` are re-exported here (``from .he2025 import ...``);
paper 1 on the Adult data (:mod:`..xu2025.adult`) uses them too. Importing this package
registers no experiment: the registry imports the experiment modules.
"""

from .categorical import categorical_error_moments
from .common import INV_PHI, PAPER, informative_cells, law_verdict
from .penalised import penalised_logistic_first_order
from .wishart import (
    frobenius_error_moments,
    linear_random_error_moments,
    log_det_change_moments,
    mean_error_moments,
    wishart_trace_map,
)

__all__ = [
    "INV_PHI",
    "PAPER",
    "categorical_error_moments",
    "frobenius_error_moments",
    "informative_cells",
    "law_verdict",
    "linear_random_error_moments",
    "log_det_change_moments",
    "mean_error_moments",
    "penalised_logistic_first_order",
    "wishart_trace_map",
]
