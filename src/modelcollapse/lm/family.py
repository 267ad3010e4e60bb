"""An n-gram language model as a family of :func:`modelcollapse.simulate`.

:class:`NGramModel` makes the recursion of the other families run on text: generation 0 fits
the real text (``n0`` tokens of whole lines of the training pool, or the whole pool), each later
generation draws ``n_synth`` tokens of text from the previous model and refits it, with the
regimes, schedules and weights of :func:`~modelcollapse.simulate` (fresh real text is whole
lines too). The model's parameters are its n-gram counts over the pool's universe
(:mod:`modelcollapse.lm.corpus`), one row per replication; an add-0 fit to weighted sources is
``sum_j w_j counts_j / N_j`` scaled to the tokens of the training set.

Its two engines are the text engines of :mod:`modelcollapse.lm.engines`: ``"sequence"`` (text
generated token by token, in whole sentences) and ``"counts"`` (every n-gram's count drawn at
once, an approximation of the sequence engine checked against it).

Its metrics are measured against the training pool (the generation-0 model when ``n0`` is the
whole pool): ``distinct_ngrams``, ``vocabulary``, ``lost_mass``, ``kl``, ``context_error``
(where a context has at least ``MIN_CONTEXT_COUNT`` pool tokens) and, with held-out lines,
``perplexity`` (:mod:`modelcollapse.lm.model`). A smoothed model
(``smoothing="add-alpha"`` or ``"kn"``) counts an n-gram as kept while its probability is at
least ``1 / N_0`` (the smallest add-0 probability of a pool n-gram), which it states in
:meth:`NGramModel.describe`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_int, check_real, fail
from ..families.capabilities import Capabilities
from ..random import ReplicationRandom
from .corpus import NGramCorpus
from .engines import Transitions, draw_counts, draw_lines, draw_sequence
from .model import (
    FLOOR,
    MIN_CONTEXT_COUNT,
    HeldOut,
    _options,
    alive_ngrams,
    conditional,
    tail_threshold,
)
from .model import context_error as _context_error
from .model import kl as _kl
from .model import lost_mass as _lost_mass
from .model import perplexity as _perplexity
from .model import vocabulary as _vocabulary

__all__ = ["NGramModel", "NGramParams", "NGramStats", "read_text", "split_holdout"]

#: Largest held-out fraction.
MAX_HOLDOUT = 0.5


@dataclass(frozen=True)
class NGramParams:
    """A model: n-gram counts over the universe, shape ``(..., G)`` (fractional after a
    weighted fit; a row's sum is the tokens it was fitted to)."""

    counts: np.ndarray


@dataclass(frozen=True)
class PoolParams(NGramParams):
    """The truth: the training pool's counts. Drawing from it draws whole lines of the pool."""

    from_text = True


@dataclass(frozen=True)
class NGramStats:
    """The n-gram counts of drawn text, ``(R, G)``, and its tokens, ``(R,)``."""

    counts: np.ndarray
    tokens: np.ndarray


def read_text(text: Any) -> tuple[list[str], str]:
    """The lines of ``text`` and a label for them.

    Parameters
    ----------
    text : None, str, path or sequence of str
        None or ``"web"``: the shipped corpus (:func:`modelcollapse.data.load_text`); another
        string or a path: a UTF-8 plain-text file, one sentence or document per line; a
        sequence of strings: the lines themselves.

    Returns
    -------
    lines : list of str
    label : str
        ``"web"``, the file's path, or ``"N lines (sha256 XXXXXXXXXXXX)"``.

    Examples
    --------
    >>> lines, label = read_text(["a b", "c"])
    >>> len(lines), label.startswith("2 lines (sha256 ")
    (2, True)
    """
    from ..data import TEXTS, load_text

    if text is None or (isinstance(text, str) and text in TEXTS):
        name = "web" if text is None else text
        return list(load_text(name)), name
    if isinstance(text, (str, Path)):
        path = Path(text).expanduser()
        if not path.is_file():
            raise fail("text", "is not a file", str(text))
        raw = path.read_bytes()
        if b"\x00" in raw[:65536]:
            raise fail("text", "is a binary file, not UTF-8 plain text", str(text))
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            reason = f"is not UTF-8 text ({err.reason} at byte {err.start})"
            raise fail("text", reason, str(text)) from None
        return decoded.splitlines(), str(path)
    if isinstance(text, Sequence) and all(isinstance(line, str) for line in text):
        digest = hashlib.sha256("\n".join(text).encode("utf-8")).hexdigest()[:12]
        return list(text), f"{len(text)} lines (sha256 {digest})"
    raise fail("text", "must be a file, the name of a shipped text or a list of lines", text)


def split_holdout(lines: Sequence[str], holdout: float) -> tuple[list[str], list[str]]:
    """Training and held-out lines: every line ``i`` with ``floor((i + 1) f) > floor(i f)`` is
    held out, ``f`` the fraction, so the held-out lines are spread evenly through the text
    (deterministic: no seed).

    Parameters
    ----------
    lines : sequence of str
        The text's lines.
    holdout : float
        The fraction held out, in ``[0, 0.5]``.

    Returns
    -------
    train, held : list of str

    Examples
    --------
    >>> split_holdout(["a", "b", "c", "d"], 0.25)
    (['a', 'b', 'c'], ['d'])
    """
    f = check_real("holdout", holdout, lower=0.0, upper=MAX_HOLDOUT)
    index = np.arange(len(lines))
    held = np.floor((index + 1) * f) > np.floor(index * f)
    train = [line for line, h in zip(lines, held, strict=True) if not h]
    return train, [line for line, h in zip(lines, held, strict=True) if h]


class NGramModel:
    """An n-gram language model retrained on its own text (see :mod:`modelcollapse.lm.family`).

    Parameters
    ----------
    text : None, str, path or sequence of str
        The text (:func:`read_text`): the shipped corpus by default.
    order : int
        ``n``, 1 to 3.
    level : {"word", "char"}
        Tokens: lower-case words and punctuation marks, or characters.
    holdout : float
        Fraction of lines held out for the perplexity, in ``[0, 0.5]``; 0 trains on every
        line and drops the ``perplexity`` metric.
    smoothing : {"none", "add-alpha", "kn"}
        Of the probabilities the metrics read (:mod:`modelcollapse.lm.model`); drawing text
        always uses the add-0 model, whose lost n-grams never return.
    alpha : float
        Add-alpha's pseudo-count (``smoothing="add-alpha"``).
    discount : float
        Kneser-Ney's discount, in ``(0, 1)`` (``smoothing="kn"``).
    floor : float
        The probability given on held-out text to what an add-0 model gives zero.
    chains : int, optional
        Chains per replication of the sequence engine (its default: ``n // 300`` in
        ``[1, 1024]``).
    min_context_count : float
        The least pool count of a context that the ``context_error`` metric keeps (default
        :data:`~modelcollapse.lm.model.MIN_CONTEXT_COUNT`, 100).

    Examples
    --------
    >>> import modelcollapse as mc
    >>> lines = ["the cat sat on the mat", "the dog sat on the log", "a cat saw a dog"] * 20
    >>> fam = NGramModel(lines, order=2, holdout=0)
    >>> res = mc.simulate(fam, n0=fam.tokens, schedule=fam.tokens, generations=3,
    ...                   replications=20, seed=0, engine="counts")
    >>> int(res.values("distinct_ngrams")[0, 0]) == fam.corpus.distinct_ngrams
    True
    """

    name = "ngram"
    min_sample_size = 1
    param_labels: tuple[str, ...] = ()
    engines = ("sequence", "counts")

    def __init__(
        self,
        text: Any = None,
        order: int = 2,
        level: str = "word",
        holdout: float = 0.05,
        smoothing: str = "none",
        alpha: float = 1.0,
        discount: float = 0.75,
        floor: float = FLOOR,
        chains: int | None = None,
        min_context_count: float = MIN_CONTEXT_COUNT,
    ) -> None:
        lines, self.text = read_text(text)
        self.holdout = check_real("holdout", holdout, lower=0.0, upper=MAX_HOLDOUT)
        self.smoothing, self.alpha, self.discount = _options(smoothing, alpha, discount)
        self.floor = check_real("floor", floor, lower=0.0, upper=1.0, lower_open=True)
        self.chains = None if chains is None else check_int("chains", chains, minimum=1)
        self.min_context_count = check_real(
            "min_context_count", min_context_count, lower=0.0, lower_open=True
        )
        train, held = split_holdout(lines, self.holdout)
        if not any(line.strip() for line in train):
            raise fail("text", "holds no tokens to train on (an empty text)", self.text)
        self.corpus = NGramCorpus(train, order=order, level=level)
        if self.corpus.tokens < self.corpus.order:
            raise fail(
                "text",
                f"has {self.corpus.tokens} tokens, fewer than the order {order} needs",
                self.text,
            )
        self.level, self.order = self.corpus.level, self.corpus.order
        self.heldout = HeldOut.of(self.corpus, held) if held else None
        if self.heldout is not None and self.heldout.tokens == 0:
            self.heldout = None
        self.transitions = Transitions.of(self.corpus)
        self.reference = self.corpus.counts.astype(float)
        hooks = {"kl", "distinct_ngrams", "vocabulary", "lost_mass", "memory_model"}
        if self.heldout is not None:
            hooks.add("perplexity")
        by_context = np.bincount(self.corpus.context, weights=self.corpus.counts)
        if by_context.max() >= self.min_context_count:  # a context frequent enough
            hooks.add("context_error")
        self.capabilities = Capabilities(
            engines=self.engines, hooks=frozenset(hooks), record_params=False
        )
        self.threshold = None if self.smoothing == "none" else tail_threshold(self.corpus)

    # -- description ------------------------------------------------------------------------
    @property
    def tokens(self) -> int:
        """Tokens of the training pool (its n-gram occurrences)."""
        return self.corpus.tokens

    def describe(self) -> dict[str, Any]:
        """The family's options as a JSON-serialisable dict.

        Returns
        -------
        dict
            ``family``, ``text``, ``order``, ``level``, ``holdout``, ``smoothing`` (with
            ``alpha``, ``discount`` or the kept-n-gram threshold where they apply), ``floor``
            and the pool's ``tokens`` and ``distinct_ngrams``.

        Examples
        --------
        >>> NGramModel(["a b", "b c"], holdout=0).describe()["distinct_ngrams"]
        6
        """
        out: dict[str, Any] = {
            "family": self.name,
            "text": self.text,
            "order": self.order,
            "level": self.level,
            "holdout": self.holdout,
            "smoothing": self.smoothing,
        }
        if self.smoothing == "add-alpha":
            out["alpha"] = self.alpha
        if self.smoothing == "kn":
            out["discount"] = self.discount
        if self.threshold is not None:
            out["kept_threshold"] = self.threshold
        out.update(
            floor=self.floor, tokens=self.tokens, distinct_ngrams=self.corpus.distinct_ngrams
        )
        if self.chains is not None:
            out["chains"] = self.chains
        if self.min_context_count != MIN_CONTEXT_COUNT:
            out["min_context_count"] = self.min_context_count
        return out

    def __repr__(self) -> str:
        return (
            f"NGramModel(text={self.text!r}, order={self.order}, level={self.level!r}, "
            f"holdout={self.holdout:g}, smoothing={self.smoothing!r})"
        )

    # -- the protocol -----------------------------------------------------------------------
    def truth(self) -> PoolParams:
        """The training pool's counts, shape ``(G,)``.

        Returns
        -------
        PoolParams

        Examples
        --------
        >>> NGramModel(["a b"], holdout=0).truth().counts.tolist()
        [1.0, 1.0, 1.0]
        """
        return PoolParams(self.reference)

    def broadcast(self, params: NGramParams, size: int) -> NGramParams:
        """``params`` repeated over a leading replication axis of length ``size`` (a view).

        Parameters
        ----------
        params : NGramParams
            Without a replication axis.
        size : int
            ``R``.

        Returns
        -------
        NGramParams
            Of the same type (the truth stays the truth), counts ``(size, G)``.

        Examples
        --------
        >>> fam = NGramModel(["a b"], holdout=0)
        >>> fam.broadcast(fam.truth(), 4).counts.shape
        (4, 3)
        """
        counts = np.broadcast_to(params.counts, (int(size), params.counts.shape[-1]))
        return type(params)(counts)

    def draw(self, params: NGramParams, n: int, rng: ReplicationRandom, engine: str) -> NGramStats:
        """The n-gram counts of ``n`` tokens of text per replication.

        From the truth: whole lines of the pool (the whole pool when ``n`` is its size; more
        than its size is an error). From a model: the ``engine``'s text.

        Parameters
        ----------
        params : NGramParams
            The truth or a model, with a leading replication axis.
        n : int
            Tokens per replication.
        rng : ReplicationRandom
            The replications' random stream.
        engine : {"sequence", "counts"}
            The text engine for a model.

        Returns
        -------
        NGramStats

        Examples
        --------
        >>> import numpy as np
        >>> fam = NGramModel(["a b", "b c"], holdout=0)
        >>> rng = ReplicationRandom(np.random.SeedSequence(0), 0, 2)
        >>> fam.draw(fam.broadcast(fam.truth(), 2), fam.tokens, rng, "counts").tokens.tolist()
        [6.0, 6.0]
        """
        n = check_int("n", n, minimum=1)
        size = params.counts.shape[0]
        if getattr(params, "from_text", False):
            if n > self.tokens:
                raise fail(
                    "n0",
                    f"real text (n0, n_real) asks for more tokens than the training text has "
                    f"({self.tokens:,}): real lines are drawn from it, never invented",
                    n,
                )
            if n == self.tokens:
                counts = np.broadcast_to(self.reference, (size, self.reference.size)).copy()
            else:
                counts = draw_lines(self.corpus, n, rng)
        elif engine == "counts":
            counts = draw_counts(params.counts, n, rng)
        elif engine == "sequence":
            counts = draw_sequence(
                self.corpus, params.counts, n, rng, self.chains, self.transitions
            ).counts
        else:
            raise fail("engine", f"must be one of {', '.join(self.engines)}", engine)
        return NGramStats(counts, counts.sum(axis=1))

    def sample(self, params: NGramParams, n: int, rng: ReplicationRandom) -> np.ndarray:
        """Raw points: the universe indices of ``n`` n-gram occurrences per replication, drawn
        by the sequence engine (or whole lines of the truth), in universe order (a multiset:
        the order of the text is not kept).

        Parameters
        ----------
        params : NGramParams
            The truth or a model, with a leading replication axis.
        n : int
            Tokens per replication (from the truth: exactly ``n`` of the lines' tokens).
        rng : ReplicationRandom
            The replications' random stream.

        Returns
        -------
        numpy.ndarray of int64, shape (R, n)

        Examples
        --------
        >>> import numpy as np
        >>> fam = NGramModel(["a b", "b c"], holdout=0)
        >>> rng = ReplicationRandom(np.random.SeedSequence(0), 0, 1)
        >>> fam.sample(fam.broadcast(fam.truth(), 1), 6, rng).tolist()
        [[0, 1, 2, 3, 4, 5]]
        """
        n = check_int("n", n, minimum=1)
        counts = self.draw(params, n, rng, "sequence").counts.astype(np.int64)
        size, universe = counts.shape
        points = np.repeat(np.tile(np.arange(universe), size), counts.ravel())
        starts = np.concatenate([[0], np.cumsum(counts.sum(axis=1))[:-1]])
        return points[starts[:, None] + np.arange(n)]  # the first n (lines may pass n)

    def statistics(self, data: Any) -> NGramStats:
        """The counts of raw points (universe indices of shape ``(R, n)``).

        Parameters
        ----------
        data : array_like of int, shape (R, n)

        Returns
        -------
        NGramStats

        Examples
        --------
        >>> NGramModel(["a b"], holdout=0).statistics([[0, 0, 2]]).counts.tolist()
        [[2.0, 0.0, 1.0]]
        """
        arr = np.asarray(data)
        universe = self.corpus.distinct_ngrams
        if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.integer):
            raise fail("data", "must be integer n-gram indices of shape (R, n)", arr.shape)
        if arr.size and (arr.min() < 0 or arr.max() >= universe):
            raise fail("data", f"must hold n-gram indices in [0, {universe})", "out of range")
        rows = np.repeat(np.arange(arr.shape[0]), arr.shape[1])
        counts = np.zeros((arr.shape[0], universe))
        np.add.at(counts, (rows, arr.ravel()), 1.0)
        return NGramStats(counts, counts.sum(axis=1))

    def pool(self, a: NGramStats, b: NGramStats) -> NGramStats:
        """The statistics of the union of two texts.

        Parameters
        ----------
        a, b : NGramStats

        Returns
        -------
        NGramStats

        Examples
        --------
        >>> s = NGramStats(np.ones((1, 3)), np.array([3.0]))
        >>> NGramModel(["a b"], holdout=0).pool(s, s).tokens.tolist()
        [6.0]
        """
        return NGramStats(a.counts + b.counts, a.tokens + b.tokens)

    def fit(self, sources: Sequence[NGramStats], weights: Sequence[float]) -> NGramParams:
        """The add-0 fit to weighted texts: ``sum_j w_j counts_j / N_j``, scaled to the tokens
        of the training set ``sum_j N_j`` (one source: its own counts).

        Parameters
        ----------
        sources : sequence of NGramStats
        weights : sequence of float
            Summing to one.

        Returns
        -------
        NGramParams

        Examples
        --------
        >>> fam = NGramModel(["a b"], holdout=0)
        >>> a = NGramStats(np.array([[2.0, 0.0, 2.0]]), np.array([4.0]))
        >>> b = NGramStats(np.array([[0.0, 4.0, 0.0]]), np.array([4.0]))
        >>> fam.fit([a, b], [0.5, 0.5]).counts.tolist()
        [[2.0, 4.0, 2.0]]
        """
        used = [(s, float(w)) for s, w in zip(sources, weights, strict=True) if w > 0.0]
        if len(used) == 1:
            return NGramParams(used[0][0].counts)
        total = np.sum([s.tokens for s, _ in used], axis=0)
        freq = np.sum([w * s.counts / s.tokens[:, None] for s, w in used], axis=0)
        return NGramParams(freq * total[:, None])

    def flatten(self, params: NGramParams) -> np.ndarray:
        """The counts, ``(..., G)``.

        Parameters
        ----------
        params : NGramParams

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> fam = NGramModel(["a b"], holdout=0)
        >>> fam.flatten(fam.truth()).shape
        (3,)
        """
        return np.asarray(params.counts, dtype=float)

    def unflatten(self, flat: np.ndarray) -> NGramParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Counts ``(..., G)``.

        Returns
        -------
        NGramParams

        Examples
        --------
        >>> NGramModel(["a b"], holdout=0).unflatten(np.ones(3)).counts.tolist()
        [1.0, 1.0, 1.0]
        """
        return NGramParams(np.asarray(flat, dtype=float))

    # -- metric hooks -----------------------------------------------------------------------
    def _alive(self, params: NGramParams) -> np.ndarray:
        if self.threshold is None:
            return alive_ngrams(params.counts)
        probs = conditional(self.corpus, params.counts, self.smoothing, self.alpha, self.discount)
        return alive_ngrams(probs, self.threshold)

    def distinct_ngrams(self, params: NGramParams) -> np.ndarray:
        """n-grams the model keeps (a count, or a probability at the stated threshold).

        Parameters
        ----------
        params : NGramParams
            Models ``(R, G)``.

        Returns
        -------
        numpy.ndarray, shape (R,)

        Examples
        --------
        >>> fam = NGramModel(["a b"], holdout=0)
        >>> fam.distinct_ngrams(fam.broadcast(fam.truth(), 1)).tolist()
        [3.0]
        """
        return self._alive(params).sum(axis=1).astype(float)

    def vocabulary(self, params: NGramParams) -> np.ndarray:
        """Tokens (not ``<s>`` or ``</s>``) in at least one kept n-gram.

        Parameters
        ----------
        params : NGramParams
            Models ``(R, G)``.

        Returns
        -------
        numpy.ndarray, shape (R,)

        Examples
        --------
        >>> fam = NGramModel(["a b"], holdout=0)
        >>> fam.vocabulary(fam.broadcast(fam.truth(), 1)).tolist()
        [2.0]
        """
        return _vocabulary(self.corpus, self._alive(params)).astype(float)

    def lost_mass(self, params: NGramParams) -> np.ndarray:
        """The pool's token mass on the n-grams the model has lost.

        Parameters
        ----------
        params : NGramParams
            Models ``(R, G)``.

        Returns
        -------
        numpy.ndarray, shape (R,)

        Examples
        --------
        >>> fam = NGramModel(["a b"], holdout=0)
        >>> fam.lost_mass(NGramParams(np.array([[1.0, 0.0, 1.0]]))).round(4).tolist()
        [0.3333]
        """
        return _lost_mass(self.reference, self._alive(params))

    def kl(self, truth: NGramParams, params: NGramParams) -> np.ndarray:
        """``KL(pool || model)`` in nats over the contexts (inf for a lost add-0 n-gram).

        Parameters
        ----------
        truth : NGramParams
            The truth (unused: the pool is the family's).
        params : NGramParams
            Models ``(R, G)``.

        Returns
        -------
        numpy.ndarray, shape (R,)

        Examples
        --------
        >>> fam = NGramModel(["a b", "a c"], holdout=0)
        >>> fam.kl(fam.truth(), fam.broadcast(fam.truth(), 1)).tolist()
        [0.0]
        """
        return _kl(
            self.corpus, self.reference, params.counts, self.smoothing, self.alpha, self.discount
        )

    def context_error(self, params: NGramParams) -> np.ndarray:
        """Mean over the frequent contexts (pool count at least :attr:`min_context_count`) of
        ``sum_x (p(x|c) - p*(x|c))^2``.

        Parameters
        ----------
        params : NGramParams
            Models ``(R, G)``.

        Returns
        -------
        numpy.ndarray, shape (R,)

        Examples
        --------
        >>> fam = NGramModel(["a b"] * 200, holdout=0)
        >>> fam.context_error(fam.broadcast(fam.truth(), 1)).tolist()
        [0.0]
        """
        return _context_error(
            self.corpus, self.reference, params.counts, self.min_context_count
        ).error

    def perplexity(self, params: NGramParams) -> np.ndarray:
        """Held-out perplexity (its terms floored at :attr:`floor` for an add-0 model).

        Parameters
        ----------
        params : NGramParams
            Models ``(R, G)``.

        Returns
        -------
        numpy.ndarray, shape (R,)

        Examples
        --------
        >>> fam = NGramModel(["a b"] * 4, holdout=0.25)  # held out: "a b", certain
        >>> fam.perplexity(fam.broadcast(fam.truth(), 1)).round(4).tolist()
        [1.0]
        """
        if self.heldout is None:
            raise fail("perplexity", "needs held-out lines: holdout must be above 0", 0)
        return _perplexity(
            self.corpus,
            params.counts,
            self.heldout,
            self.smoothing,
            self.alpha,
            self.discount,
            self.floor,
        )

    def memory_model(self, metrics: Sequence[str]) -> tuple[str, int, str, Any]:
        """What sizes a replication: the pool's distinct n-grams (a few arrays of them) and the
        tokens of a draw (the sequence engine keeps two numbers per token).

        Parameters
        ----------
        metrics : sequence of str
            The metrics computed (unused).

        Returns
        -------
        tuple
            ``(option, value, unit, extra)`` as the engine's memory estimate reads it.

        Examples
        --------
        >>> NGramModel(["a b"], holdout=0).memory_model(())[:3]
        ('n0', 3, 'tokens per replication and generation')
        """
        universe = float(self.corpus.distinct_ngrams)

        def extra(tokens: int) -> tuple[float, float]:
            return 10.0 * universe + 2.0 * float(tokens), 0.0

        return "n0", self.tokens, "tokens per replication and generation", extra
