"""An n-gram model's probabilities, its smoothings, held-out scoring and per-generation metrics.

A *model* is an array of counts of shape ``(R, G)`` over a corpus's universe
(:class:`~modelcollapse.lm.NGramCorpus`), one row per replication; the counts may be fractional
(weighted fits) and a row's sum is the model's token total ``N_t``. Everything here is batched
over the replications with numpy.

Next-token probabilities ``p(x | c)``, for a context ``c`` of ``n - 1`` tokens and a next token
``x``, come in three smoothings (:data:`SMOOTHINGS`). ``V`` is the number of tokens a model can
predict: the vocabulary less the start token ``<s>`` (the words and ``</s>``).

- ``"none"``: add-0 maximum likelihood, ``p(x | c) = count(c, x) / count(c)``, zero for an
  n-gram the model lacks. On held-out text a zero (an unknown n-gram, an unknown or emptied
  context, an out-of-vocabulary token) is replaced by a stated floor (:data:`FLOOR`, ``1e-6`` by
  default), so that the perplexity is finite; it is a floor on the perplexity's terms, not a
  distribution.
- ``"add-alpha"``: ``p(x | c) = (count(c, x) + alpha) / (count(c) + alpha V)``; ``1 / V`` in a
  context the model never saw (the same formula with zero counts).
- ``"kn"``: interpolated Kneser-Ney with one discount ``D`` (Chen & Goodman's interpolated
  version), recursively down to the unigram continuation distribution, interpolated with the
  uniform ``1 / V`` at the bottom. At the highest order ``k = n`` the counts are the model's
  counts; at a lower order ``k`` they are continuation counts, ``N1+(. s)``: the number of
  distinct ``(k + 1)``-token suffixes of the model's n-grams with positive count that end with
  the ``k``-gram ``s``. With ``c(h, x)`` those counts in the (shortened) context ``h``,
  ``T(h) = sum_x c(h, x)`` and ``h'`` the context without its first token,

      ``p_k(x | h) = [max(c(h, x) - D, 0) + gamma(h) p_{k-1}(x | h')] / T(h)``,
      ``gamma(h) = sum_x min(c(h, x), D)``, ``p_0(x) = 1 / V``,

  and ``p_k(x | h) = p_{k-1}(x | h')`` where ``T(h) = 0`` (a context the model lacks).
  ``gamma(h)`` is ``D N1+(h .)`` whenever the positive counts are at least ``D`` (always for
  integer counts and continuation counts); written as a sum of ``min(c, D)`` it keeps every
  distribution summing to one for fractional counts too. A model of order 1 is absolute
  discounting interpolated with the uniform distribution. Every token gets a positive
  probability.

An out-of-vocabulary token on held-out text is scored as a token the model has no count for:
the floor (``"none"``), ``alpha / (count(c) + alpha V)`` (``"add-alpha"``), or the
interpolated lower orders down to ``1 / V`` (``"kn"``), as for an unseen word of the vocabulary.

The metrics of a generation (each of shape ``(R,)``) are :func:`distinct_ngrams`,
:func:`vocabulary`, :func:`lost_mass`, :func:`perplexity` on held-out lines (:class:`HeldOut`),
:func:`kl` from the generation-0 model and :func:`context_error`, whose theory is
:func:`context_error_theory`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_choice, check_int, check_real, fail
from .corpus import NGramCorpus, _windows, tokenize

__all__ = [
    "FLOOR",
    "MIN_CONTEXT_COUNT",
    "SMOOTHINGS",
    "ContextError",
    "ContextErrorTheory",
    "HeldOut",
    "alive_ngrams",
    "conditional",
    "context_error",
    "context_error_path",
    "context_error_theory",
    "design_effect",
    "distinct_ngrams",
    "heldout_log_prob",
    "kl",
    "lost_mass",
    "perplexity",
    "probability",
    "tail_threshold",
    "vocabulary",
    "word_counts",
]

#: The smoothings of a model's next-token probabilities (see the module docstring).
SMOOTHINGS = ("none", "add-alpha", "kn")
#: The default probability given on held-out text to what an add-0 model gives zero.
FLOOR = 1e-6
#: The default least reference count of a context that :func:`context_error` keeps.
MIN_CONTEXT_COUNT = 100
#: Values per temporary array (replications times n-grams) in the probability computations:
#: larger models are computed a block of replications at a time.
_BLOCK = 1 << 23


# -- held-out text ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HeldOut:
    """Held-out lines as n-gram occurrences looked up in a corpus's universe.

    The lines are tokenized at the corpus's level and padded as the corpus pads its own (see
    :mod:`modelcollapse.lm.corpus`): one occurrence per predicted token (the words and
    ``</s>``), lines in order, empty lines skipped.

    Parameters
    ----------
    windows : numpy.ndarray of int64, shape (Q, n)
        The token ids of each occurrence, context first; ``-1`` for a token outside the
        corpus's vocabulary.
    ngram : numpy.ndarray of int64, shape (Q,)
        The occurrence's index in the universe, ``-1`` if the n-gram is not in it.
    context : numpy.ndarray of int64, shape (Q,)
        The index of its context among the universe's contexts, ``-1`` if not among them.
    known_token : numpy.ndarray of bool, shape (Q,)
        Whether the next token is in the corpus's vocabulary.
    tokens : int
        ``Q``, the held-out occurrences (tokens).

    Examples
    --------
    >>> from modelcollapse.lm import NGramCorpus
    >>> corpus = NGramCorpus(["the cat sat", "the dog sat"], order=2)
    >>> held = HeldOut.of(corpus, ["the cat ran", ""])
    >>> held.tokens, held.ngram.tolist(), held.context.tolist(), held.known_token.tolist()
    (4, [0, 1, -1, -1], [0, 1, 2, -1], [True, True, False, True])
    """

    windows: np.ndarray
    ngram: np.ndarray
    context: np.ndarray
    known_token: np.ndarray
    tokens: int

    @classmethod
    def of(cls, corpus: NGramCorpus, lines: Sequence[str] | Iterable[str]) -> HeldOut:
        """The held-out ``lines`` looked up in ``corpus``'s universe.

        Parameters
        ----------
        corpus : NGramCorpus
            The training pool, whose vocabulary, level, order and universe are used.
        lines : sequence of str
            Held-out lines; those without tokens are skipped, and at least one token is needed.

        Returns
        -------
        HeldOut

        Examples
        --------
        >>> from modelcollapse.lm import NGramCorpus
        >>> corpus = NGramCorpus(["a b", "b"], order=1)
        >>> HeldOut.of(corpus, ["b c"]).ngram.tolist()  # universe: </s>, a, b
        [2, -1, 0]
        """
        ids = {token: i for i, token in enumerate(corpus.vocabulary)}
        encoded = []
        for line in lines:
            if not isinstance(line, str):
                raise fail("lines", "must be strings, one line of text each", type(line).__name__)
            tokens = tokenize(line, corpus.level)
            if tokens:
                encoded.append([ids.get(token, -1) for token in tokens] + [1])
        if not encoded:
            raise fail("lines", "hold no tokens: the held-out text is empty", "0 tokens")
        windows, lengths = _windows(encoded, corpus.order)
        top = _levels(corpus, lowest=corpus.order)[0]
        ngram, context = _lookup(top, windows, len(corpus.vocabulary))
        return cls(windows, ngram, context, windows[:, -1] >= 0, int(lengths.sum()))


# -- the orders of a model ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Level:
    """The distinct ``k``-token suffixes of a universe's n-grams (``k = n``: the universe)."""

    order: int  # k
    codes: np.ndarray  # (G_k,) sorted codes
    context: np.ndarray  # (G_k,) context index
    context_codes: np.ndarray  # (C_k,) sorted codes of the contexts
    context_start: np.ndarray  # (C_k + 1,) the k-grams of context h: start[h] .. start[h+1]-1
    lower: np.ndarray | None  # (G_k,) index of the (k-1)-suffix at level k-1 (None at k = 1)


def _levels(corpus: NGramCorpus, lowest: int = 1) -> list[_Level]:
    """Levels ``k = lowest..n``, lowest first (``lower`` is None at ``k = lowest``)."""
    size = len(corpus.vocabulary)
    codes = [corpus.universe]
    lowers: list[np.ndarray | None] = []
    for k in range(corpus.order - 1, lowest - 1, -1):
        suffix, inverse = np.unique(codes[-1] % size**k, return_inverse=True)
        lowers.append(inverse.astype(np.int64).ravel())
        codes.append(suffix)
    lowers.append(None)
    levels = []
    for k, level_codes, lower in zip(
        range(corpus.order, lowest - 1, -1), codes, lowers, strict=True
    ):
        context_codes, context = np.unique(level_codes // size, return_inverse=True)
        context = context.astype(np.int64).ravel()
        start = np.searchsorted(context, np.arange(context_codes.size + 1)).astype(np.int64)
        levels.append(_Level(k, level_codes, context, context_codes, start, lower))
    return levels[::-1]


def _find(sorted_codes: np.ndarray, codes: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Index of each code in ``sorted_codes``, ``-1`` where absent or not ``valid``."""
    index = np.searchsorted(sorted_codes, codes)
    found = valid & (index < sorted_codes.size)
    found[found] = sorted_codes[index[found]] == codes[found]
    return np.where(found, index, -1)


def _lookup(level: _Level, windows: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The k-gram and context indices at ``level`` (``k`` its order) of the windows' last ``k``
    tokens; ``-1`` where absent (a token ``-1`` is outside the vocabulary)."""
    k = level.order
    tail = windows[:, windows.shape[1] - k :]
    code = np.zeros(tail.shape[0], dtype=np.int64)
    for column in range(k):
        code = code * size + np.maximum(tail[:, column], 0)
    context_ok = np.all(tail[:, :-1] >= 0, axis=1)
    context = _find(level.context_codes, code // size, context_ok)
    ngram = _find(level.codes, code, context_ok & (tail[:, -1] >= 0))
    return ngram, context


def _universe_windows(corpus: NGramCorpus) -> np.ndarray:
    """The universe's n-grams as token ids, shape ``(G, n)``, context first."""
    size = len(corpus.vocabulary)
    value = corpus.universe.copy()
    columns = []
    for _ in range(corpus.order):
        value, token = np.divmod(value, size)
        columns.append(token)
    return np.stack(columns[::-1], axis=1)


# -- arguments ----------------------------------------------------------------------------------


def _model(counts: Any, universe: int) -> np.ndarray:
    arr = np.asarray(counts, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != universe:
        raise fail(
            "counts", f"must have shape (R, {universe}), one model per replication", arr.shape
        )
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise fail("counts", "must hold finite non-negative counts", "negative or non-finite")
    return arr


def _reference(reference: Any, universe: int | None) -> np.ndarray:
    arr = np.asarray(reference, dtype=float)
    if arr.ndim != 1 or arr.shape[0] != (arr.size if universe is None else universe):
        shape = "G" if universe is None else universe
        raise fail("reference", f"must have shape ({shape},), one count per n-gram", arr.shape)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or not arr.sum() > 0:
        raise fail("reference", "must hold finite non-negative counts, not all zero", "bad counts")
    return arr


def _alive(alive: Any, universe: int) -> np.ndarray:
    arr = np.asarray(alive)
    if arr.ndim != 2 or arr.shape[1] != universe or arr.dtype != bool:
        raise fail("alive", f"must be a boolean array of shape (R, {universe})", arr.shape)
    return arr


def _options(smoothing: Any, alpha: Any, discount: Any) -> tuple[str, float, float]:
    name = check_choice("smoothing", smoothing, SMOOTHINGS)
    a = check_real("alpha", alpha, lower=0.0, lower_open=True, upper_open=True)
    d = check_real("discount", discount, lower=0.0, upper=1.0, lower_open=True, upper_open=True)
    return name, a, d


def _predictable(corpus: NGramCorpus) -> int:
    """``V``: the tokens a model can predict (the vocabulary less ``<s>``)."""
    return len(corpus.vocabulary) - 1


# -- probabilities ------------------------------------------------------------------------------


def _sums(values: np.ndarray, level: _Level) -> np.ndarray:
    """Per-context sums of ``values`` (R, G_k) at ``level``: shape (R, C_k)."""
    return np.add.reduceat(values, level.context_start[:-1], axis=1)


def _continuation(alive: np.ndarray, lower: np.ndarray, size: int) -> np.ndarray:
    """``N1+(. s)``: per replication, the alive k-grams (R, G_k) whose suffix is each ``s``."""
    from scipy import sparse

    ones = np.ones(lower.size)
    member = sparse.csr_matrix((ones, (lower, np.arange(lower.size))), shape=(size, lower.size))
    return np.ascontiguousarray(np.asarray(member @ alive.T.astype(float)).T)


def _gather(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``table[:, index]``, zero where ``index`` is ``-1``."""
    return np.where(index >= 0, table[:, np.maximum(index, 0)], 0.0)


def _evaluate(
    corpus: NGramCorpus,
    model: np.ndarray,
    windows: np.ndarray,
    smoothing: str,
    alpha: float,
    d: float,
) -> np.ndarray:
    """``p(x | c)`` (R, Q) of each window, unfloored (see :func:`probability`), computed for a
    block of replications at a time so that the temporaries stay near :data:`_BLOCK` values."""
    levels = _levels(corpus, lowest=1 if smoothing == "kn" else corpus.order)
    size = len(corpus.vocabulary)
    found = [_lookup(level, windows, size) for level in levels]  # k = n only, or 1..n
    replications, width = model.shape[0], max(model.shape[1], windows.shape[0])
    step = max(1, _BLOCK // width)
    out = np.empty((replications, windows.shape[0]))
    for first in range(0, replications, step):
        block = model[first : first + step]
        if smoothing == "kn":
            out[first : first + step] = _kneser_ney(corpus, levels, found, block, d)
            continue
        ngram, context = found[0]
        total = _gather(_sums(block, levels[0]), context)
        count = _gather(block, ngram)
        if smoothing == "add-alpha":
            out[first : first + step] = (count + alpha) / (total + alpha * _predictable(corpus))
        else:
            seen = total > 0
            out[first : first + step] = np.where(seen, count / np.where(seen, total, 1.0), 0.0)
    return out


def _kneser_ney(
    corpus: NGramCorpus,
    levels: list[_Level],
    found: list[tuple[np.ndarray, np.ndarray]],
    model: np.ndarray,
    d: float,
) -> np.ndarray:
    """Interpolated Kneser-Ney ``p(x | c)`` (R, Q) of the windows looked up in ``found``."""
    counts = [model]  # the counts of each level, highest first
    for k in range(corpus.order, 1, -1):
        lower = levels[k - 1].lower
        assert lower is not None
        counts.append(_continuation(counts[-1] > 0, lower, levels[k - 2].codes.size))
    p = np.full((model.shape[0], found[0][0].size), 1.0 / _predictable(corpus))
    for level, c, (ngram, context) in zip(levels, counts[::-1], found, strict=True):  # k = 1..n
        total = _gather(_sums(c, level), context)
        gamma = _gather(_sums(np.minimum(c, d), level), context)
        seen = total > 0
        mass = np.maximum(_gather(c, ngram) - d, 0.0) + gamma * p
        p = np.where(seen, mass / np.where(seen, total, 1.0), p)
    return p


def probability(
    corpus: NGramCorpus,
    counts: Any,
    windows: Any,
    smoothing: str = "none",
    alpha: float = 1.0,
    discount: float = 0.75,
) -> np.ndarray:
    """``p(x | c)`` of any n-grams (context and next token) under each replication's model.

    The smoothings are those of the module docstring; ``"none"`` gives zero (no floor) for an
    n-gram the model lacks or a context it has no count in. An n-gram need not be in the
    universe, and a token id ``-1`` stands for a token outside the vocabulary.

    Parameters
    ----------
    corpus : NGramCorpus
        The universe of the models.
    counts : array_like, shape (R, G)
        Each replication's model as non-negative (possibly fractional) counts.
    windows : array_like of int, shape (Q, n)
        The n-grams as token ids, context first (ids of ``corpus.vocabulary``, or ``-1``); the
        next token should be one a model can predict (not ``<s>``, id 0).
    smoothing : {"none", "add-alpha", "kn"}
        See the module docstring.
    alpha : float
        The pseudo-count of ``"add-alpha"``, positive.
    discount : float
        ``D`` of ``"kn"``, in ``(0, 1)``.

    Returns
    -------
    numpy.ndarray, shape (R, Q)

    Examples
    --------
    >>> from modelcollapse.lm import NGramCorpus
    >>> corpus = NGramCorpus(["a b", "b"], order=2)  # vocabulary <s>, </s>, a, b: V = 3
    >>> model = corpus.counts[None, :]
    >>> probability(corpus, model, [[0, 2], [0, 1]]).tolist()  # a and </s> after <s>
    [[0.5, 0.0]]
    >>> probability(corpus, model, [[0, 1]], smoothing="add-alpha").tolist()
    [[0.2]]
    >>> probability(corpus, model, [[-1, 1]], smoothing="add-alpha").round(4).tolist()
    [[0.3333]]
    """
    model = _model(counts, corpus.distinct_ngrams)
    name, a, d = _options(smoothing, alpha, discount)
    arr = np.asarray(windows)
    size = len(corpus.vocabulary)
    if arr.ndim != 2 or arr.shape[1] != corpus.order or not np.issubdtype(arr.dtype, np.integer):
        raise fail("windows", f"must be token ids of shape (Q, {corpus.order})", arr.shape)
    if np.any((arr < -1) | (arr >= size)):
        raise fail("windows", f"must hold token ids from -1 to {size - 1}", "an id out of range")
    return _evaluate(corpus, model, arr.astype(np.int64), name, a, d)


def conditional(
    corpus: NGramCorpus,
    counts: Any,
    smoothing: str = "none",
    alpha: float = 1.0,
    discount: float = 0.75,
) -> np.ndarray:
    """``p(x | c)`` of every n-gram of the universe under each replication's model.

    :func:`probability` of the universe's n-grams: with ``"none"``, ``counts[g]`` over its
    context's total, zero where that total is zero (no floor: the floor is only for held-out
    scoring).

    Parameters
    ----------
    corpus : NGramCorpus
        The universe of the models.
    counts : array_like, shape (R, G)
        Each replication's model as non-negative (possibly fractional) counts.
    smoothing : {"none", "add-alpha", "kn"}
        See the module docstring.
    alpha : float
        The pseudo-count of ``"add-alpha"``, positive.
    discount : float
        ``D`` of ``"kn"``, in ``(0, 1)``.

    Returns
    -------
    numpy.ndarray, shape (R, G)

    Examples
    --------
    >>> from modelcollapse.lm import NGramCorpus
    >>> corpus = NGramCorpus(["a b", "b"], order=2)
    >>> [corpus.ngram_text(u) for u in corpus.universe]
    [('<s>', 'a'), ('<s>', 'b'), ('a', 'b'), ('b', '</s>')]
    >>> conditional(corpus, [[1, 1, 1, 2]]).tolist()
    [[0.5, 0.5, 1.0, 1.0]]
    >>> conditional(corpus, [[1, 1, 1, 2]], smoothing="kn").round(4).tolist()
    [[0.3125, 0.5, 0.625, 0.7188]]
    """
    model = _model(counts, corpus.distinct_ngrams)
    name, a, d = _options(smoothing, alpha, discount)
    return _evaluate(corpus, model, _universe_windows(corpus), name, a, d)


def heldout_log_prob(
    corpus: NGramCorpus,
    counts: Any,
    heldout: HeldOut,
    smoothing: str = "none",
    alpha: float = 1.0,
    discount: float = 0.75,
    floor: float = FLOOR,
) -> np.ndarray:
    """The mean log-probability (nats) per held-out token under each replication's model.

    Each held-out occurrence is scored by :func:`probability`; with ``"none"`` a zero (an
    unknown n-gram or context, an emptied context, an out-of-vocabulary token) counts as
    ``floor`` (stated: default :data:`FLOOR`, ``1e-6``), so the result is at least
    ``log(floor)``. The smoothed models give every token a positive probability and ignore
    ``floor``.

    Parameters
    ----------
    corpus : NGramCorpus
        The universe of the models.
    counts : array_like, shape (R, G)
        Each replication's model as non-negative (possibly fractional) counts.
    heldout : HeldOut
        Held-out lines, ``HeldOut.of(corpus, lines)``.
    smoothing : {"none", "add-alpha", "kn"}
        See the module docstring.
    alpha : float
        The pseudo-count of ``"add-alpha"``, positive.
    discount : float
        ``D`` of ``"kn"``, in ``(0, 1)``.
    floor : float
        The probability given to a zero of ``"none"``, in ``(0, 1)``.

    Returns
    -------
    numpy.ndarray, shape (R,)

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.lm import NGramCorpus
    >>> corpus = NGramCorpus(["a b", "b"], order=1)
    >>> held = HeldOut.of(corpus, ["b c"])  # b, an unknown token and </s>
    >>> np.exp(heldout_log_prob(corpus, corpus.counts[None, :], held)).round(4).tolist()
    [0.0054]
    """
    model = _model(counts, corpus.distinct_ngrams)
    name, a, d = _options(smoothing, alpha, discount)
    low = check_real("floor", floor, lower=0.0, upper=1.0, lower_open=True, upper_open=True)
    if (
        not isinstance(heldout, HeldOut)
        or heldout.windows.shape[1] != corpus.order
        or heldout.windows.max() >= len(corpus.vocabulary)
    ):
        raise fail("heldout", "must be HeldOut.of(corpus, lines) for this corpus", heldout)
    p = _evaluate(corpus, model, heldout.windows, name, a, d)
    if name == "none":
        p = np.where(p > 0, p, low)
    return np.log(p).mean(axis=1)


def perplexity(
    corpus: NGramCorpus,
    counts: Any,
    heldout: HeldOut,
    smoothing: str = "none",
    alpha: float = 1.0,
    discount: float = 0.75,
    floor: float = FLOOR,
) -> np.ndarray:
    """Held-out perplexity, ``exp(-mean log p)`` of :func:`heldout_log_prob`.

    With ``"none"`` it is at most ``1 / floor`` (the stated floor, default ``1e-6``).

    Parameters
    ----------
    corpus : NGramCorpus
        The universe of the models.
    counts : array_like, shape (R, G)
        Each replication's model as non-negative (possibly fractional) counts.
    heldout : HeldOut
        Held-out lines, ``HeldOut.of(corpus, lines)``.
    smoothing : {"none", "add-alpha", "kn"}
        See the module docstring.
    alpha : float
        The pseudo-count of ``"add-alpha"``, positive.
    discount : float
        ``D`` of ``"kn"``, in ``(0, 1)``.
    floor : float
        The probability given to a zero of ``"none"``, in ``(0, 1)``.

    Returns
    -------
    numpy.ndarray, shape (R,)

    Examples
    --------
    >>> from modelcollapse.lm import NGramCorpus
    >>> corpus = NGramCorpus(["a b", "b"], order=1)  # unigrams: </s> 2/5, a 1/5, b 2/5
    >>> held = HeldOut.of(corpus, ["a"])
    >>> perplexity(corpus, corpus.counts[None, :], held).round(4).tolist()
    [3.5355]
    """
    log_p = heldout_log_prob(corpus, counts, heldout, smoothing, alpha, discount, floor)
    return np.exp(-log_p)


# -- metrics ------------------------------------------------------------------------------------


def tail_threshold(corpus: NGramCorpus) -> float:
    """The default probability threshold of a smoothed model's tail: ``1 / N_0``.

    A smoothed model gives every n-gram a positive probability, so its tail is counted against
    a stated threshold: an n-gram is alive when its conditional probability is at least this.
    ``1 / N_0`` (``N_0`` the corpus's tokens) is the least add-0 probability an n-gram of the
    real text has (one occurrence in a context of at most ``N_0``).

    Parameters
    ----------
    corpus : NGramCorpus
        The real (generation-0) text.

    Returns
    -------
    float

    Examples
    --------
    >>> from modelcollapse.lm import NGramCorpus
    >>> tail_threshold(NGramCorpus(["the cat sat", "the dog sat"], order=2))
    0.125
    """
    return 1.0 / corpus.tokens


def alive_ngrams(values: Any, threshold: float | None = None) -> np.ndarray:
    """Which n-grams a model still has: a positive count, or a probability at a threshold.

    Parameters
    ----------
    values : array_like, shape (R, G)
        Counts of add-0 models (``threshold=None``), or the conditional probabilities of
        smoothed models (:func:`conditional`).
    threshold : float, optional
        For probabilities: an n-gram is alive when ``p(x | c) >= threshold`` (for instance
        :func:`tail_threshold`, ``1 / N_0``). Without it, alive means a count above zero.

    Returns
    -------
    numpy.ndarray of bool, shape (R, G)

    Examples
    --------
    >>> alive_ngrams([[2, 0, 1]]).tolist()
    [[True, False, True]]
    >>> alive_ngrams([[0.5, 0.01, 0.2]], threshold=0.1).tolist()
    [[True, False, True]]
    """
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2:
        raise fail("values", "must have shape (R, G), one model per replication", arr.shape)
    if threshold is None:
        return arr > 0
    return arr >= check_real("threshold", threshold, lower=0.0, upper=1.0, lower_open=True)


def distinct_ngrams(values: Any, threshold: float | None = None) -> np.ndarray:
    """The n-grams each model still has (see :func:`alive_ngrams`).

    Parameters
    ----------
    values : array_like, shape (R, G)
        Counts of add-0 models, or conditional probabilities of smoothed models.
    threshold : float, optional
        The probability threshold for smoothed models (stated; e.g. :func:`tail_threshold`).

    Returns
    -------
    numpy.ndarray of int64, shape (R,)

    Examples
    --------
    >>> distinct_ngrams([[2, 0, 1], [0, 0, 3]]).tolist()
    [2, 1]
    """
    return alive_ngrams(values, threshold).sum(axis=1).astype(np.int64)


def vocabulary(corpus: NGramCorpus, alive: Any) -> np.ndarray:
    """The words each model can still produce: tokens predicted by at least one alive n-gram.

    A token counts when it is the next token of an alive n-gram: text drawn from the model can
    contain it. (A word left only in the context of an n-gram that no alive n-gram leads to,
    which independent n-gram draws can leave behind, is not produced.) ``<s>`` and ``</s>`` are
    not words and are not counted, so the corpus's own vocabulary is
    ``len(corpus.vocabulary) - 2``. Under the replace recursion a word's occurrences form one
    branching process, so its survival is that of its pool count
    (:func:`modelcollapse.theory.expected_surviving` on the words' counts).

    Parameters
    ----------
    corpus : NGramCorpus
        The universe of the models.
    alive : array_like of bool, shape (R, G)
        The alive n-grams (:func:`alive_ngrams`).

    Returns
    -------
    numpy.ndarray of int64, shape (R,)

    Examples
    --------
    >>> from modelcollapse.lm import NGramCorpus
    >>> corpus = NGramCorpus(["the cat sat", "the dog sat"], order=2)
    >>> vocabulary(corpus, corpus.counts[None, :] > 0).tolist()
    [4]
    >>> dog = [corpus.ngram_text(u)[1] == "dog" for u in corpus.universe]  # (the, dog) lost
    >>> vocabulary(corpus, ~np.array([dog])).tolist()  # dog only in (dog, sat): not produced
    [3]
    """
    mask = _alive(alive, corpus.distinct_ngrams)
    size = len(corpus.vocabulary)
    rows, cols = np.nonzero(mask)
    produced = np.zeros((mask.shape[0], size), dtype=bool)
    produced[rows, corpus.next_token[cols]] = True
    return produced[:, 2:].sum(axis=1).astype(np.int64)


def word_counts(corpus: NGramCorpus) -> np.ndarray:
    """The pool count of each word (the tokens other than ``<s>`` and ``</s>``), in the order
    of ``corpus.vocabulary[2:]``: what :func:`vocabulary`'s branching law starts from.

    Parameters
    ----------
    corpus : NGramCorpus
        The pool.

    Returns
    -------
    numpy.ndarray of int64, shape (V - 2,)

    Examples
    --------
    >>> from modelcollapse.lm import NGramCorpus
    >>> word_counts(NGramCorpus(["the cat sat", "the dog sat"], order=2)).tolist()
    [2, 1, 2, 1]
    """
    size = len(corpus.vocabulary)
    counts = np.bincount(corpus.next_token, weights=corpus.counts, minlength=size)
    return counts[2:].astype(np.int64)


def lost_mass(reference: Any, alive: Any) -> np.ndarray:
    """The reference's share of tokens on the n-grams a model has lost.

    ``sum_g reference[g] [g not alive] / sum_g reference[g]``: with the real (generation-0)
    counts, the fraction of the real text's tokens whose n-gram the model no longer has.

    Parameters
    ----------
    reference : array_like, shape (G,)
        The reference counts (the real text's: ``corpus.counts``).
    alive : array_like of bool, shape (R, G)
        The alive n-grams (:func:`alive_ngrams`).

    Returns
    -------
    numpy.ndarray, shape (R,)

    Examples
    --------
    >>> lost_mass([3, 1, 4], [[True, False, True], [False, True, True]]).tolist()
    [0.125, 0.375]
    """
    ref = _reference(reference, None)
    mask = _alive(alive, ref.size)
    return (~mask).astype(float) @ ref / ref.sum()


def kl(
    corpus: NGramCorpus,
    reference: Any,
    counts: Any,
    smoothing: str = "none",
    alpha: float = 1.0,
    discount: float = 0.75,
) -> np.ndarray:
    """``KL(reference model || model)`` in nats, weighted by the reference's context frequencies.

    ``sum_c pi_c sum_x p_ref(x | c) log(p_ref(x | c) / p(x | c))``, with ``p_ref`` the add-0
    model of ``reference``, ``pi_c`` its share of tokens in context ``c`` and ``p`` the model's
    :func:`conditional` with the given smoothing. Infinite when an add-0 model has lost an
    n-gram the reference has (or a whole context).

    Parameters
    ----------
    corpus : NGramCorpus
        The universe of the models.
    reference : array_like, shape (G,)
        The reference counts (the generation-0 model's: ``corpus.counts``).
    counts : array_like, shape (R, G)
        Each replication's model.
    smoothing : {"none", "add-alpha", "kn"}
        The smoothing of the model (the reference is add-0).
    alpha : float
        The pseudo-count of ``"add-alpha"``, positive.
    discount : float
        ``D`` of ``"kn"``, in ``(0, 1)``.

    Returns
    -------
    numpy.ndarray, shape (R,)
        Non-negative, ``inf`` where an add-0 model lost a reference n-gram.

    Examples
    --------
    >>> from modelcollapse.lm import NGramCorpus
    >>> corpus = NGramCorpus(["a b", "b"], order=2)  # (<s> a) (<s> b) (a b) (b </s>)
    >>> kl(corpus, [1, 1, 1, 2], [[1, 1, 1, 2], [1, 0, 1, 2], [1, 3, 1, 2]]).round(4).tolist()
    [0.0, inf, 0.0575]
    """
    ref = _reference(reference, corpus.distinct_ngrams)
    p = conditional(corpus, counts, smoothing, alpha, discount)
    p_ref = conditional(corpus, ref[None, :])[0]
    keep = ref > 0
    with np.errstate(divide="ignore"):
        log_ratio = np.log(p_ref[keep]) - np.log(p[:, keep])
    return log_ratio @ (ref[keep] / ref.sum())


# -- per-context error --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ContextError:
    """The result of :func:`context_error`.

    Parameters
    ----------
    error : numpy.ndarray, shape (R,)
        The mean over the kept contexts of ``sum_x (p(x | c) - p_ref(x | c))^2``.
    per_context : numpy.ndarray, shape (R, K)
        Each kept context's squared error.
    contexts : numpy.ndarray of int64, shape (K,)
        The kept contexts (indices of ``corpus.context``).
    reference_counts : numpy.ndarray, shape (K,)
        Their reference counts.

    Examples
    --------
    >>> import numpy as np
    >>> out = ContextError(np.zeros(1), np.zeros((1, 1)), np.array([0]), np.array([120.0]))
    >>> out.contexts.tolist(), out.reference_counts.tolist()
    ([0], [120.0])
    """

    error: np.ndarray
    per_context: np.ndarray
    contexts: np.ndarray
    reference_counts: np.ndarray


def _context_totals(corpus: NGramCorpus, values: np.ndarray) -> np.ndarray:
    """Per-context sums over the last axis of ``values`` (..., G): shape (..., C)."""
    start = np.searchsorted(corpus.context, np.arange(corpus.contexts))
    return np.add.reduceat(values, start, axis=-1)


def _kept(corpus: NGramCorpus, ref: np.ndarray, min_count: Any) -> tuple[np.ndarray, np.ndarray]:
    """The contexts whose reference count is at least ``min_count``, and all contexts' counts."""
    least = check_real("min_count", min_count, lower=0.0, lower_open=True, upper_open=True)
    totals = _context_totals(corpus, ref)
    kept = np.flatnonzero(totals >= least).astype(np.int64)
    if kept.size == 0:
        raise fail(
            "min_count",
            f"leaves no context (the largest reference count is {totals.max():g})",
            min_count,
        )
    return kept, totals


def context_error(
    corpus: NGramCorpus, reference: Any, counts: Any, min_count: float = MIN_CONTEXT_COUNT
) -> ContextError:
    """The per-context mean squared error of add-0 models against a reference model.

    For each context ``c`` whose reference count is at least ``min_count`` (default
    :data:`MIN_CONTEXT_COUNT`, 100), ``sum_x (p(x | c) - p_ref(x | c))^2`` over the universe's
    next tokens (add-0 probabilities, zero outside the universe for both), then the mean over
    those contexts (each counting once). A context a model has no count in has ``p = 0``, so
    its error is ``sum_x p_ref(x | c)^2``. Its theory is :func:`context_error_theory`.

    Parameters
    ----------
    corpus : NGramCorpus
        The universe of the models.
    reference : array_like, shape (G,)
        The reference counts (the pool's, ``corpus.counts``).
    counts : array_like, shape (R, G)
        Each replication's model.
    min_count : float
        The least reference count of a kept context, positive.

    Returns
    -------
    ContextError

    Examples
    --------
    >>> from modelcollapse.lm import NGramCorpus
    >>> corpus = NGramCorpus(["a b", "b"], order=2)  # (<s> a) (<s> b) (a b) (b </s>)
    >>> out = context_error(corpus, [1, 1, 1, 2], [[1, 3, 1, 2]], min_count=2)
    >>> out.error.tolist(), out.contexts.tolist(), out.reference_counts.tolist()
    ([0.0625], [0, 2], [2.0, 2.0])
    """
    ref = _reference(reference, corpus.distinct_ngrams)
    model = _model(counts, corpus.distinct_ngrams)
    kept, totals = _kept(corpus, ref, min_count)
    p = conditional(corpus, model)
    p_ref = conditional(corpus, ref[None, :])[0]
    per_context = _context_totals(corpus, (p - p_ref) ** 2)[:, kept]
    return ContextError(per_context.mean(axis=1), per_context, kept, totals[kept])


def context_error_path(
    corpus: NGramCorpus,
    reference: Any,
    w: float,
    n: int,
    m: int,
    generations: int,
    n0: int | None = None,
    min_count: float = MIN_CONTEXT_COUNT,
    design_effect: float = 1.0,
) -> np.ndarray:
    """The expected per-context error at every generation ``t = 0..T``, mean over the kept
    contexts (:func:`context_error_theory` is its limit).

    Per context, with ``C_c = 1 - sum_x p_c(x)^2`` and the sizes of
    :func:`context_error_theory`, paper 2's categorical recursion is exact in expectation:

        ``e_0 = C_c / n0_c``,
        ``e_t = w^2 C_c / n_c + (1 - w)^2 [e_{t-1} (1 - 1/m_c) + C_c / m_c]``,

    since drawing ``m_c`` tokens from ``p_{t-1}`` adds ``(C_c - e_{t-1}) / m_c`` to its error
    ``e_{t-1}``. It approaches the limit geometrically, at the rate ``(1 - w)^2 (1 - 1/m_c)``.

    Parameters
    ----------
    corpus : NGramCorpus
        The universe.
    reference : array_like, shape (G,)
        The reference counts.
    w : float
        The weight on the real data, in ``[0, 1]``.
    n, m : int
        Real and synthetic tokens per generation.
    generations : int
        ``T``, at least 0.
    n0 : int, optional
        Real tokens of generation 0 (default ``n``).
    min_count : float
        The least reference count of a kept context.
    design_effect : float
        ``D``: every size is divided by it.

    Returns
    -------
    numpy.ndarray, shape (T + 1,)

    Examples
    --------
    >>> from modelcollapse.lm import NGramCorpus
    >>> corpus = NGramCorpus(["a b", "b"], order=2)
    >>> path = context_error_path(corpus, [1, 1, 1, 2], 0.5, 500, 500, 50, min_count=2)
    >>> limit = context_error_theory(corpus, [1, 1, 1, 2], 0.5, 500, 500, min_count=2).error
    >>> round(float(path[0]), 6), bool(abs(path[-1] - limit) < 1e-12)  # C/n0 in one of 2
    (0.00125, True)
    """
    theory = context_error_theory(corpus, reference, w, n, m, min_count, design_effect)
    horizon = check_int("generations", generations, minimum=0)
    first = check_int("n0", n if n0 is None else n0, minimum=1)
    weight = float(w)
    ref = _reference(reference, corpus.distinct_ngrams)
    p_ref = conditional(corpus, ref[None, :])[0]
    spread = _context_totals(corpus, p_ref * (1.0 - p_ref))[theory.contexts]
    start = first * theory.real / n  # n0_c: the real sizes scaled from n to n0
    error = spread / start
    path = [float(error.mean())]
    keep = (1.0 - weight) ** 2
    for _ in range(horizon):
        error = weight**2 * spread / theory.real + keep * (
            error * (1.0 - 1.0 / theory.synthetic) + spread / theory.synthetic
        )
        path.append(float(error.mean()))
    return np.array(path)


@dataclass(frozen=True, eq=False)
class DesignEffect:
    """The result of :func:`design_effect`.

    Parameters
    ----------
    overall : float
        ``D`` for the mean per-context error: the contexts' ``D_c`` weighted by their
        first-order error ``C_c / pi_c``.
    per_context : numpy.ndarray, shape (K,)
        ``D_c`` of each kept context.
    contexts : numpy.ndarray of int64, shape (K,)
        The kept contexts (as in :func:`context_error`).

    Examples
    --------
    >>> out = DesignEffect(1.0, np.ones(1), np.array([0]))
    >>> out.overall
    1.0
    """

    overall: float
    per_context: np.ndarray
    contexts: np.ndarray


def design_effect(corpus: NGramCorpus, min_count: float = MIN_CONTEXT_COUNT) -> DesignEffect:
    """How much drawing whole lines inflates the variance of each context's frequencies, against
    drawing the same number of independent tokens.

    A fit to lines drawn with replacement estimates ``p_c(x)`` by the ratio of the lines'
    counts ``y_ic(x) / n_ic`` summed over the lines; by the delta method its variance is ``D_c``
    times the multinomial ``p_c(x) (1 - p_c(x)) / m_c`` at the same expected context count
    ``m_c``, with

        ``D_c = sum_i sum_x (y_ic(x) - p_c(x) n_ic)^2 / (N_c (1 - sum_x p_c(x)^2))``

    over the pool's lines ``i`` (``N_c`` the pool's count of context ``c``). ``D_c = 1`` when
    every line holds the context at most once; repeated contexts within a line (a word used
    twice in a verse, followed alike) raise it. The overall ``D`` weights ``D_c`` by the
    context's first-order error ``C_c / pi_c`` (``C_c = 1 - sum_x p_c(x)^2``), as the mean
    error of :func:`context_error` does; :func:`context_error_theory` takes it as
    ``design_effect``, and paper 2's optimal weight for real lines becomes ``w*(k / D)``.

    Parameters
    ----------
    corpus : NGramCorpus
        The pool, with its lines.
    min_count : float
        The least pool count of a kept context (default :data:`MIN_CONTEXT_COUNT`).

    Returns
    -------
    DesignEffect

    Examples
    --------
    >>> from modelcollapse.lm import NGramCorpus
    >>> corpus = NGramCorpus(["a b"] * 100 + ["a c"] * 100, order=2)
    >>> round(design_effect(corpus, min_count=100).overall, 6)  # one context use per line
    1.0
    >>> corpus = NGramCorpus(["a b a b"] * 100 + ["a c a c"] * 100, order=2)
    >>> round(float(design_effect(corpus, min_count=100).per_context[1]), 6)  # context "a"
    2.0
    """
    from scipy import sparse

    ref = corpus.counts.astype(float)
    kept, totals = _kept(corpus, ref, min_count)
    p = conditional(corpus, ref[None, :])[0]
    lines: Any = corpus.line_counts.astype(float)  # sparse (L, G)
    size = corpus.contexts
    to_context = sparse.csr_matrix(
        (np.ones(corpus.distinct_ngrams), (np.arange(corpus.distinct_ngrams), corpus.context)),
        shape=(corpus.distinct_ngrams, size),
    )
    n_ic: Any = lines @ to_context  # (L, C): each line's count of each context
    squares = np.bincount(
        corpus.context, np.asarray(lines.multiply(lines).sum(axis=0)).ravel(), minlength=size
    )
    cross = np.asarray(n_ic.multiply((lines @ sparse.diags(p)) @ to_context).sum(axis=0)).ravel()
    n_squares = np.asarray(n_ic.multiply(n_ic).sum(axis=0)).ravel()
    purity = np.bincount(corpus.context, p * p, minlength=size)  # sum_x p_c(x)^2
    spread = totals * (1.0 - purity)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = (squares - 2.0 * cross + n_squares * purity) / spread
    per_kept = per[kept]
    weight = (1.0 - purity[kept]) / totals[kept]  # C_c / pi_c, up to a constant
    usable = np.isfinite(per_kept) & (weight > 0)
    overall = float(np.sum(per_kept[usable] * weight[usable]) / np.sum(weight[usable]))
    return DesignEffect(overall, np.where(np.isfinite(per_kept), per_kept, 1.0), kept)


@dataclass(frozen=True, eq=False)
class ContextErrorTheory:
    """The result of :func:`context_error_theory`.

    Parameters
    ----------
    error : float
        The mean over the kept contexts of their limiting errors.
    per_context : numpy.ndarray, shape (K,)
        Each kept context's limiting error.
    contexts : numpy.ndarray of int64, shape (K,)
        The kept contexts (indices of ``corpus.context``), as in :func:`context_error`.
    real, synthetic : numpy.ndarray, shape (K,)
        Their sample sizes ``n_c / D`` and ``m_c / D``.

    Examples
    --------
    >>> import numpy as np
    >>> out = ContextErrorTheory(0.01, np.array([0.01]), np.array([0]), np.array([50.0]),
    ...                          np.array([50.0]))
    >>> out.error
    0.01
    """

    error: float
    per_context: np.ndarray
    contexts: np.ndarray
    real: np.ndarray
    synthetic: np.ndarray


def context_error_theory(
    corpus: NGramCorpus,
    reference: Any,
    w: float,
    n: int,
    m: int,
    min_count: float = MIN_CONTEXT_COUNT,
    design_effect: float = 1.0,
) -> ContextErrorTheory:
    """Paper 2's categorical limiting error applied per context, for :func:`context_error`.

    Each generation fits ``p_t = w p_real + (1 - w) p_synth`` in every context, ``p_real`` the
    frequencies of ``n_c = n pi_c`` real tokens and ``p_synth`` those of ``m_c = m pi_c`` tokens
    drawn from ``p_{t-1}`` (``pi_c`` the reference's share of tokens in context ``c``, sizes
    divided by the design effect ``D`` when the draws are not independent). Per context this is
    paper 2's categorical recursion, whose exact limiting error (summed over the cells) is

        ``C_c [w^2 / n_c + (1 - w)^2 / m_c] / [1 - (1 - w)^2 (1 - 1 / m_c)]``,
        ``C_c = sum_x p_c(x) (1 - p_c(x)) = 1 - sum_x p_c(x)^2``,

    that is ``K_c`` times :func:`modelcollapse.theory.exact_limiting_error` ``("categorical",
    w, n_c, m_c, p=p_c)`` (which averages over the ``K_c`` cells), evaluated here at the real
    sizes ``n_c, m_c`` (not rounded). To first order it is ``C_c R(w, n_c / m_c) / n_c``
    (:func:`modelcollapse.theory.limiting_ratio`). The contexts kept are those of
    :func:`context_error` with the same ``min_count``.

    Parameters
    ----------
    corpus : NGramCorpus
        The universe.
    reference : array_like, shape (G,)
        The reference counts: ``p_c`` and ``pi_c``.
    w : float
        The weight on the real data, in ``[0, 1]``.
    n, m : int
        Real and synthetic tokens per generation (at least 1).
    min_count : float
        The least reference count of a kept context, positive (default 100).
    design_effect : float
        ``D >= 1`` in practice, positive: the sizes are ``n_c / D`` and ``m_c / D``.

    Returns
    -------
    ContextErrorTheory

    Examples
    --------
    >>> from modelcollapse.lm import NGramCorpus
    >>> corpus = NGramCorpus(["a b", "b"], order=2)  # (<s> a) (<s> b) (a b) (b </s>)
    >>> out = context_error_theory(corpus, [1, 1, 1, 2], 1.0, 500, 500, min_count=2)
    >>> out.per_context.tolist(), out.real.tolist()  # 0.5 / 200 in <s>; nothing to err in b
    ([0.0025, 0.0], [200.0, 200.0])
    """
    ref = _reference(reference, corpus.distinct_ngrams)
    weight = check_real("w", w, lower=0.0, upper=1.0)
    n_real = check_int("n", n, minimum=1)
    n_synth = check_int("m", m, minimum=1)
    effect = check_real("design_effect", design_effect, lower=0.0, lower_open=True, upper_open=True)
    kept, totals = _kept(corpus, ref, min_count)
    p_ref = conditional(corpus, ref[None, :])[0]
    spread = _context_totals(corpus, p_ref * (1.0 - p_ref))[kept]
    share = totals[kept] / ref.sum()
    real = n_real * share / effect
    synth = n_synth * share / effect
    keep = (1.0 - weight) ** 2
    per_context = spread * (weight**2 / real + keep / synth) / (1.0 - keep * (1.0 - 1.0 / synth))
    return ContextErrorTheory(float(per_context.mean()), per_context, kept, real, synth)
