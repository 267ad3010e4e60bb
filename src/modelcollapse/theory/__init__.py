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
- :mod:`modelcollapse.theory.ngram`: the lost tail of an n-gram model retrained on its own text
  (a branching process in a varying environment).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and IDEs; at run time names load on first use
    from . import discrete, ngram, paper1, paper2, peers
    from .discrete import (
        absorption_time,
        absorption_time_diffusion,
        cell_loss_probability,
        expected_cells_lost,
        fixation_time_diffusion,
        heterozygosity,
    )
    from .ngram import (
        branching_extinction,
        expected_lost_mass,
        expected_surviving,
        survival_approximation,
        survival_limit,
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

#: Public name -> the submodule that defines it (scipy.special, used by paper 1, discrete and
#: peers, loads only when a name from them is first used: ``theory optimal-weight`` needs numpy
#: alone).
_LAZY = {
    "discrete": "discrete",
    "ngram": "ngram",
    "paper1": "paper1",
    "paper2": "paper2",
    "peers": "peers",
    "absorption_time": "discrete",
    "absorption_time_diffusion": "discrete",
    "cell_loss_probability": "discrete",
    "expected_cells_lost": "discrete",
    "fixation_time_diffusion": "discrete",
    "heterozygosity": "discrete",
    "branching_extinction": "ngram",
    "expected_lost_mass": "ngram",
    "expected_surviving": "ngram",
    "survival_approximation": "ngram",
    "survival_limit": "ngram",
    "collapse_probability": "paper1",
    "collapse_verdict": "paper1",
    "gaussian_expected_kl": "paper1",
    "gaussian_log_variance_moments": "paper1",
    "gaussian_mean_error_moments": "paper1",
    "gaussian_mean_variance": "paper1",
    "gaussian_variance_moments": "paper1",
    "harmonic_limit": "paper1",
    "harmonic_sum": "paper1",
    "risk_inflation": "paper1",
    "win_probability_exact": "paper1",
    "win_probability_independent": "paper1",
    "win_probability_plugin": "paper1",
    "CONSTANT_MODELS": "paper2",
    "GOLDEN": "paper2",
    "effective_k": "paper2",
    "error_trajectory": "paper2",
    "exact_error_path": "paper2",
    "exact_limiting_error": "paper2",
    "exact_optimal_weight": "paper2",
    "fully_synthetic_error": "paper2",
    "gaussian_covariance_error": "paper2",
    "gaussian_mean_error": "paper2",
    "glm_information": "paper2",
    "greedy_weights": "paper2",
    "limiting_ratio": "paper2",
    "model_constant": "paper2",
    "naive_weight": "paper2",
    "optimal_weight": "paper2",
    "weighted_error_recursion": "paper2",
    "AnchorMoments": "peers",
    "accumulate_error": "peers",
    "accumulate_gaussian_moments": "peers",
    "accumulate_variance_ratio": "peers",
    "anchor_limit": "peers",
    "anchor_moments": "peers",
    "markov_sigma_bound": "peers",
    "replace_error": "peers",
    "suresh_bound": "peers",
}

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
    "branching_extinction",
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
    "expected_lost_mass",
    "expected_surviving",
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
    "ngram",
    "optimal_weight",
    "paper1",
    "paper2",
    "peers",
    "replace_error",
    "risk_inflation",
    "suresh_bound",
    "survival_approximation",
    "survival_limit",
    "weighted_error_recursion",
    "win_probability_exact",
    "win_probability_independent",
    "win_probability_plugin",
]


def __getattr__(name: str) -> Any:
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = importlib.import_module("." + module, __name__)
    if module != name:
        value = getattr(value, name)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
