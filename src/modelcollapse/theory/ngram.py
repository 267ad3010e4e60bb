"""The lost tail of an n-gram model retrained on its own text: a branching-process law.

An n-gram model fitted by add-0 maximum likelihood is a categorical distribution over the
n-grams of its training text (the joint of a context and its next token), and drawing ``N``
tokens of text from it and counting them again is, n-gram by n-gram, a multinomial draw. Under
the fully synthetic *replace* recursion with sizes ``N_0`` (the real text), ``N_1, N_2, ...``,
an n-gram's count goes from ``c_t`` to ``c_{t+1} ~ Binomial(N_{t+1}, c_t / N_t)``, which for a
rare n-gram (``c_t << N_t``) is ``Poisson(c_t a_t)`` with ``a_t = N_{t+1} / N_t``. That is a
Galton-Watson branching process in a varying environment: each of the ``c_0`` real occurrences
of an n-gram has ``Poisson(a_0)`` descendants at generation 1, each of them ``Poisson(a_1)`` at
generation 2, and so on, independently. A lost n-gram (count 0) never returns under add-0
estimation.

Composing the offspring generating functions ``f_k(s) = exp(a_k (s - 1))`` gives the
probability that one real occurrence has no descendant at generation ``t``,

    ``q_t = f_0(f_1(... f_{t-1}(0)))``,

so an n-gram with ``c`` real occurrences is lost by generation ``t`` with probability ``q_t^c``
and, from the generation-0 counts alone:

- the expected number of surviving n-grams is ``sum_g (1 - q_t^{c_g})``;
- the expected real mass on lost n-grams is ``sum_g (c_g / N_0) q_t^{c_g}``;
- a word (a token) is lost when every n-gram that contains it is lost: with ``m_w`` the real
  occurrences of those n-grams, ``P(lost) = q_t^{m_w}`` (the branching lines of different
  n-grams are independent).

**Paper 1's condition, concretely.** Expanding ``1 - f_k(1 - x) = a_k x - a_k^2 x^2 / 2 + ...``
through the composition gives the survival probability of one occurrence,

    ``1 - q_t ~ 1 / (N_0 / N_t + (N_0 / 2) sum_{k=0}^{t-1} 1 / N_k)``,

which stays positive as ``t -> infinity`` exactly when ``sum 1/N_t`` converges: with a constant
or linearly growing size the whole tail is lost in the end, with superlinear growth a fixed
fraction of it survives, and the lost mass has a limit below one.

The Poisson step is an approximation of the exact binomial step (``O(c^2 / N)`` per step); the
exact per-n-gram binomial chain of a constant size is
:func:`modelcollapse.theory.discrete.cell_loss_probability`. Under *accumulate* the real text
stays in the pool and nothing is lost.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import fail
from ._common import full_sizes

__all__ = [
    "branching_extinction",
    "expected_lost_mass",
    "expected_surviving",
    "survival_approximation",
    "survival_limit",
]

#: Longest horizon of :func:`branching_extinction` (its cost grows as ``T^2``).
MAX_GENERATIONS = 20_000


def _log_extinction(n0: Any, n_synth: Any) -> np.ndarray:
    """``log q_t`` for ``t = 0..T`` (``-inf`` at ``t = 0``)."""
    sizes = full_sizes(n0, n_synth, minimum=1)
    horizon = len(sizes) - 1
    if horizon > MAX_GENERATIONS:
        raise fail(
            "n_synth",
            f"has {horizon:,} generations; the composition costs T^2 / 2 steps, so at most "
            f"{MAX_GENERATIONS:,} are allowed",
            f"{horizon:,} sizes",
        )
    growth = sizes[1:] / sizes[:-1]  # a_k = N_{k+1} / N_k, k = 0..T-1
    inner = np.zeros(horizon + 1)  # inner[t]: f_{k+1}(...f_{t-1}(0)) for the current k
    for k in range(horizon - 1, 0, -1):  # apply f_k to every horizon t > k, innermost first
        inner[k + 1 :] = np.exp(growth[k] * (inner[k + 1 :] - 1.0))
    log_q = np.empty(horizon + 1)
    log_q[0] = -np.inf
    log_q[1:] = growth[0] * (inner[1:] - 1.0)  # log f_0(s) = a_0 (s - 1), kept in logs
    return log_q


def branching_extinction(n0: int, n_synth: Any) -> np.ndarray:
    """``q_t``: the probability that one real occurrence has no descendant at generation ``t``.

    The composition ``f_0(f_1(... f_{t-1}(0)))`` of the Poisson offspring generating functions
    ``f_k(s) = exp(a_k (s - 1))``, ``a_k = N_{k+1} / N_k``, for ``t = 0..T`` (``q_0 = 0``). It
    rises to 1 exactly when ``sum 1/N_t`` diverges (see :func:`survival_approximation`). The cost
    is ``T^2 / 2`` vectorised steps (``T <= 20,000``).

    Parameters
    ----------
    n0 : int
        ``N_0``, the tokens (n-gram occurrences) of the real training text, at least 1.
    n_synth : array_like of int, shape (T,)
        ``N_1..N_T``, the synthetic tokens drawn at each generation of the replace recursion.

    Returns
    -------
    numpy.ndarray, shape (T + 1,)
        Non-decreasing in ``t``, in ``[0, 1)``.

    Examples
    --------
    >>> branching_extinction(100, [100, 100]).round(4).tolist()
    [0.0, 0.3679, 0.5315]
    >>> round(float(branching_extinction(100, [100] * 1000)[-1]), 4)  # constant: -> 1
    0.998
    """
    return np.exp(_log_extinction(n0, n_synth))


def _counts(name: str, counts: Any) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(counts, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise fail(name, "must be a non-empty 1-D array of counts", counts)
    if not np.all(np.isfinite(arr)) or np.any(arr < 1) or np.any(arr != np.round(arr)):
        raise fail(name, "must hold positive integer counts", counts)
    return arr


def _grouped(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct counts and how many n-grams have each (rows of the Zipf tail repeat)."""
    values, multiplicity = np.unique(counts, return_counts=True)
    return values, multiplicity.astype(float)


def expected_surviving(counts: Any, n_synth: Any, n0: int | None = None) -> np.ndarray:
    """Expected number of n-grams (or words) that survive to generation ``t``, ``t = 0..T``.

    ``sum_g (1 - q_t^{c_g})`` with ``q_t`` from :func:`branching_extinction`. For n-grams,
    ``counts`` are their real (generation-0) counts and ``N_0`` their sum; for words, ``counts``
    are ``m_w``, the real occurrences of the n-grams that contain each word (counting an n-gram
    once even where the word appears in it twice), and ``n0`` must be given as the n-gram total.

    Parameters
    ----------
    counts : array_like of int, shape (G,)
        Positive generation-0 counts, one per n-gram (or per word).
    n_synth : array_like of int, shape (T,)
        ``N_1..N_T``, synthetic tokens per generation (replace).
    n0 : int, optional
        ``N_0``; default ``counts.sum()`` (right for n-grams).

    Returns
    -------
    numpy.ndarray, shape (T + 1,)
        ``G`` at ``t = 0``, then non-increasing.

    Examples
    --------
    >>> expected_surviving([1, 1, 2], [4, 4]).round(4).tolist()
    [3.0, 2.1289, 1.6546]
    """
    c = _counts("counts", counts)
    total = int(c.sum()) if n0 is None else n0
    log_q = _log_extinction(total, n_synth)
    values, weight = _grouped(c)
    with np.errstate(invalid="ignore"):
        alive = -np.expm1(np.outer(log_q, values))  # 1 - q_t^c, exact for q_t near 1
    alive[0] = 1.0
    return alive @ weight


def expected_lost_mass(counts: Any, n_synth: Any, n0: int | None = None) -> np.ndarray:
    """Expected real (generation-0) probability mass on the n-grams lost by generation ``t``.

    ``sum_g (c_g / N_0) q_t^{c_g}`` with ``N_0 = sum_g c_g``: the fraction of the real text's
    tokens whose n-gram the model can no longer produce. See :func:`expected_surviving`.

    Parameters
    ----------
    counts : array_like of int, shape (G,)
        Positive generation-0 counts of the n-grams.
    n_synth : array_like of int, shape (T,)
        ``N_1..N_T``, synthetic tokens per generation (replace).
    n0 : int, optional
        ``N_0`` for the sizes' ratios; default ``counts.sum()``.

    Returns
    -------
    numpy.ndarray, shape (T + 1,)
        0 at ``t = 0``, then non-decreasing, below 1.

    Examples
    --------
    >>> expected_lost_mass([1, 1, 2], [4, 4]).round(4).tolist()
    [0.0, 0.2516, 0.407]
    """
    c = _counts("counts", counts)
    total = int(c.sum()) if n0 is None else n0
    log_q = _log_extinction(total, n_synth)
    values, weight = _grouped(c)
    lost = np.exp(np.outer(log_q, values))  # q_t^c (0 at t = 0)
    return lost @ (weight * values) / c.sum()


def survival_approximation(n0: int, n_synth: Any) -> np.ndarray:
    """The second-order approximation of ``1 - q_t``, the survival of one real occurrence.

    ``1 / (N_0 / N_t + (N_0 / 2) sum_{k=0}^{t-1} 1 / N_k)`` (``1`` at ``t = 0``). It shows that
    survival stays positive exactly when ``sum 1/N_t`` converges (and ``N_t -> infinity``),
    paper 1's condition. Where the sum diverges its relative error vanishes as ``t`` grows (a
    constant size gives ``2 / t``, Kolmogorov's rate for a critical process); where it converges
    the limit is only approximate (within about 10% for ``t^1.5`` growth from ``N_0 = 100``),
    since the first steps are not small: :func:`branching_extinction` is exact.

    Parameters
    ----------
    n0 : int
        ``N_0``, real tokens, at least 1.
    n_synth : array_like of int, shape (T,)
        ``N_1..N_T``.

    Returns
    -------
    numpy.ndarray, shape (T + 1,)

    Examples
    --------
    >>> survival_approximation(100, [100, 100]).round(4).tolist()
    [1.0, 0.6667, 0.5]
    """
    sizes = full_sizes(n0, n_synth, minimum=1)
    partial = np.concatenate([[0.0], np.cumsum(1.0 / sizes[:-1])])  # sum_{k<t} 1/N_k
    return 1.0 / (sizes[0] / sizes + 0.5 * sizes[0] * partial)


def survival_limit(n0: int, harmonic: float | None) -> float | None:
    """``lim_t (1 - q_t)`` by :func:`survival_approximation`: ``2 / (N_0 sum_{k>=0} 1/N_k)``.

    Zero exactly when ``sum 1/N_t`` diverges; otherwise an approximation of the exact limit (see
    :func:`survival_approximation`), capped at 1.

    Parameters
    ----------
    n0 : int
        ``N_0``, real tokens, at least 1.
    harmonic : float or None
        ``sum_{t>=1} 1/N_t`` of the schedule
        (:func:`modelcollapse.theory.harmonic_limit`); ``inf`` when it diverges, ``None`` when
        unknown.

    Returns
    -------
    float or None
        0 when the sum diverges (every n-gram is lost in the end), positive when it converges,
        None when unknown.

    Examples
    --------
    >>> survival_limit(100, float("inf"))
    0.0
    >>> round(survival_limit(100, 0.03), 4)
    0.5
    """
    if harmonic is None:
        return None
    total = float(harmonic)
    if not total >= 0:
        raise fail("harmonic", "must be a sum of inverse sizes, >= 0 or inf", harmonic)
    if np.isinf(total):
        return 0.0
    return float(min(1.0, 2.0 / (n0 * (1.0 / n0 + total))))
