"""Closed forms of the two papers, as pure vectorised functions.

The theory layer knows nothing about simulation; it uses the same parameter names (``n0``,
``n_synth``, ``n_real``, ``w``, ``variance``) so that a simulation and its prediction line up.

- :mod:`modelcollapse.theory.paper1`: fully synthetic recursion (Xu, He & Cheng).
- :mod:`modelcollapse.theory.paper2`: fresh real data plus weighted synthetic data (He, Xu &
  Cheng).
- :mod:`modelcollapse.theory.peers`: the related regimes (accumulate, anchor) and the
  collapse-probability bounds.
- :mod:`modelcollapse.theory.discrete`: categorical collapse (Wright-Fisher): heterozygosity,
  lost cells, absorption times.
"""

from . import discrete, paper1, paper2, peers
from .discrete import (
    absorption_time,
    absorption_time_diffusion,
    cell_loss_probability,
    expected_cells_lost,
    fixation_time_diffusion,
    heterozygosity,
)
from .paper1 import (
    collapse_probability,
    collapse_verdict,
    gaussian_expected_kl,
    gaussian_log_variance_moments,
    gaussian_mean_error_moments,
    gaussian_mean_variance,
    gaussian_variance_moments,
    harmonic_limit,
    harmonic_sum,
    risk_inflation,
    win_probability_exact,
    win_probability_independent,
    win_probability_plugin,
)
from .paper2 import (
    CONSTANT_MODELS,
    GOLDEN,
    effective_k,
    error_trajectory,
    exact_error_path,
    exact_limiting_error,
    exact_optimal_weight,
    fully_synthetic_error,
    gaussian_covariance_error,
    gaussian_mean_error,
    glm_information,
    greedy_weights,
    limiting_ratio,
    model_constant,
    naive_weight,
    optimal_weight,
    weighted_error_recursion,
)
from .peers import (
    AnchorMoments,
    accumulate_error,
    accumulate_gaussian_moments,
    accumulate_variance_ratio,
    anchor_limit,
    anchor_moments,
    markov_sigma_bound,
    replace_error,
    suresh_bound,
)

__all__ = [
    "CONSTANT_MODELS",
    "GOLDEN",
    "AnchorMoments",
    "absorption_time",
    "absorption_time_diffusion",
    "accumulate_error",
    "accumulate_gaussian_moments",
    "accumulate_variance_ratio",
    "anchor_limit",
    "anchor_moments",
    "cell_loss_probability",
    "collapse_probability",
    "collapse_verdict",
    "discrete",
    "effective_k",
    "error_trajectory",
    "exact_error_path",
    "exact_limiting_error",
    "exact_optimal_weight",
    "expected_cells_lost",
    "fixation_time_diffusion",
    "fully_synthetic_error",
    "gaussian_covariance_error",
    "gaussian_expected_kl",
    "gaussian_log_variance_moments",
    "gaussian_mean_error",
    "gaussian_mean_error_moments",
    "gaussian_mean_variance",
    "gaussian_variance_moments",
    "glm_information",
    "greedy_weights",
    "harmonic_limit",
    "harmonic_sum",
    "heterozygosity",
    "limiting_ratio",
    "markov_sigma_bound",
    "model_constant",
    "naive_weight",
    "optimal_weight",
    "paper1",
    "paper2",
    "peers",
    "replace_error",
    "risk_inflation",
    "suresh_bound",
    "weighted_error_recursion",
    "win_probability_exact",
    "win_probability_independent",
    "win_probability_plugin",
]
