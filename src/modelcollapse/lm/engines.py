"""Drawing text from an n-gram model, as n-gram counts batched over replications.

A model is a count vector over its corpus's universe (:class:`~modelcollapse.lm.NGramCorpus`),
one row per replication: ``p(next | context)`` is an n-gram's count over its context's total
(add-0 maximum likelihood). Three draws, each returning the n-gram counts of ``n`` tokens per
replication, shape ``(R, G)``:

- :func:`draw_lines`, real text: whole lines of the pool, drawn uniformly with replacement until
  ``n`` tokens are reached (the last line may pass ``n``; the counts keep every token drawn).
- :func:`draw_sequence`, the ``sequence`` engine: text generated token by token, as whole
  sentences. Each replication runs ``chains`` chains side by side for a fixed number of steps;
  a chain starts every sentence at the start context (``<s> ... <s>``, never at the end token),
  draws the next token from its context's counts, moves to the next context, and starts a new
  sentence after ``</s>``. The text is then the chains' sentences taken round by round (every
  chain's first sentence, then every chain's second, ...) up to exactly ``n`` tokens: a
  sentence is taken for its place in that order, never for its length, and only the last one
  taken is cut short. A chain that reaches a context without any count (possible only in a
  model fitted by the ``counts`` engine, whose context totals need not match the flow into the
  context) ends its sentence there and starts the next one in the same step;
  :func:`draw_sequence` reports how often.
- :func:`draw_counts`, the ``counts`` engine: every n-gram's count drawn at once, as a
  multinomial of ``n`` trials over the model's n-gram frequencies, that is each context's
  next-token counts drawn with the context totals carried over from the model's own counts. It
  costs ``O(G)`` per replication whatever ``n``, and it is an approximation of the ``sequence``
  engine: generated text visits contexts in proportion to the flow into them, which equals the
  model's context totals only while those stay consistent (they do for a model fitted to whole
  sentences).

Randomness comes from a :class:`~modelcollapse.random.ReplicationRandom`, so a replication's
draws do not depend on how the replications are chunked.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .._validation import check_int, fail
from ..random import ReplicationRandom
from .corpus import NGramCorpus

__all__ = ["SequenceDraw", "Transitions", "draw_counts", "draw_lines", "draw_sequence"]


class Transitions(NamedTuple):
    """Where a chain goes: the n-grams of each context and the context after each n-gram.

    Attributes
    ----------
    context_start : numpy.ndarray of int64, shape (C + 1,)
        The n-grams of context ``h`` are ``context_start[h] .. context_start[h + 1] - 1``.
    successor : numpy.ndarray of int64, shape (G,)
        The context after each n-gram (the start context after ``</s>``).
    start : int
        The start context ``<s> ... <s>``.
    """

    context_start: np.ndarray
    successor: np.ndarray
    start: int

    @classmethod
    def of(cls, corpus: NGramCorpus) -> Transitions:
        """The transitions of ``corpus``'s universe.

        Parameters
        ----------
        corpus : NGramCorpus
            The training pool.

        Returns
        -------
        Transitions

        Examples
        --------
        >>> from modelcollapse.lm import NGramCorpus
        >>> corpus = NGramCorpus(["a b", "b"], order=2)
        >>> [corpus.ngram_text(u) for u in corpus.universe]
        [('<s>', 'a'), ('<s>', 'b'), ('a', 'b'), ('b', '</s>')]
        >>> Transitions.of(corpus).successor.tolist()  # contexts: <s> 0, a 1, b 2
        [1, 2, 2, 0]
        """
        size = len(corpus.vocabulary)
        width = size ** (corpus.order - 1)  # codes of contexts are below V^(n-1)
        codes = np.unique(corpus.universe // size)
        starts = np.searchsorted(corpus.universe // size, codes, side="left")
        context_start = np.append(starts, corpus.universe.size).astype(np.int64)
        after = corpus.universe % width if corpus.order > 1 else np.zeros_like(corpus.universe)
        after = np.where(corpus.next_token == 1, 0, after)  # after </s>: the start context
        successor = np.searchsorted(codes, after)
        found = successor < codes.size
        found[found] = codes[successor[found]] == after[found]
        if not np.all(found):  # every context a pool's chain reaches has a next token there
            raise AssertionError("the corpus's universe is not closed under its transitions")
        start = int(np.searchsorted(codes, 0))
        return cls(context_start, successor.astype(np.int64), start)


class SequenceDraw(NamedTuple):
    """The result of :func:`draw_sequence`.

    Attributes
    ----------
    counts : numpy.ndarray, shape (R, G)
        n-gram counts of the generated text, ``n`` tokens per replication.
    sentences : numpy.ndarray of int64, shape (R,)
        Sentences started (including those cut short at the end).
    dead_ends : numpy.ndarray of int64, shape (R,)
        Chains that reached a context without counts and started a new sentence instead.
    """

    counts: np.ndarray
    sentences: np.ndarray
    dead_ends: np.ndarray


def _model_counts(counts: Any, universe: int) -> np.ndarray:
    arr = np.asarray(counts)
    if arr.ndim != 2 or arr.shape[1] != universe:
        raise fail(
            "counts", f"must have shape (R, {universe}), one model per replication", arr.shape
        )
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise fail("counts", "must hold finite non-negative counts", "negative or not finite")
    return np.ascontiguousarray(arr, dtype=float)  # a broadcast truth becomes one array


def draw_counts(counts: Any, n: int, rng: ReplicationRandom) -> np.ndarray:
    """The ``counts`` engine: each replication's n-gram counts of ``n`` tokens drawn at once.

    A multinomial of ``n`` trials over the model's n-gram frequencies ``counts / counts.sum()``
    (see the module docstring for what it approximates).

    Parameters
    ----------
    counts : array_like, shape (R, G)
        The model of each replication, as non-negative counts (each row with a positive
        total).
    n : int
        Tokens to draw per replication, at least 1.
    rng : ReplicationRandom
        The replications' random stream (``R = rng.size``).

    Returns
    -------
    numpy.ndarray of float, shape (R, G)

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.random import ReplicationRandom
    >>> rng = ReplicationRandom(np.random.SeedSequence(0), 0, 2)
    >>> draw_counts([[3, 1, 0], [0, 2, 2]], 8, rng).sum(axis=1).tolist()
    [8.0, 8.0]
    """
    arr = np.asarray(counts)
    model = _model_counts(arr, arr.shape[-1] if arr.ndim == 2 else -1)
    n = check_int("n", n, minimum=1)
    if model.shape[0] != rng.size:
        raise fail("counts", f"must have one row per replication of rng ({rng.size})", model.shape)
    totals = model.sum(axis=1, keepdims=True)
    if np.any(totals == 0):
        raise fail("counts", "has a replication whose model has no counts left", "a zero row")
    return rng.multinomial(n, model / totals)


def draw_lines(corpus: NGramCorpus, n: int, rng: ReplicationRandom) -> np.ndarray:
    """Real text: whole lines of the pool, with replacement, until ``n`` tokens per replication.

    Parameters
    ----------
    corpus : NGramCorpus
        The pool.
    n : int
        Tokens to reach, at least 1; the last line drawn may pass it.
    rng : ReplicationRandom
        The replications' random stream.

    Returns
    -------
    numpy.ndarray of float, shape (R, G)
        The lines' n-gram counts, at least ``n`` tokens per replication.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.lm import NGramCorpus
    >>> from modelcollapse.random import ReplicationRandom
    >>> corpus = NGramCorpus(["a b c", "d"], order=1)
    >>> counts = draw_lines(corpus, 5, ReplicationRandom(np.random.SeedSequence(1), 0, 3))
    >>> bool(np.all(counts.sum(axis=1) >= 5))
    True
    """
    from scipy import sparse

    n = check_int("n", n, minimum=1)
    size, lines = rng.size, corpus.lines
    lengths = corpus.line_tokens
    # Enough lines for n tokens in almost every replication, then more rounds for the rest.
    per_round = max(1, int(np.ceil(1.2 * n / lengths.mean())) + 4)
    chosen: list[np.ndarray] = []
    reached = np.zeros(size, dtype=np.int64)
    while True:
        draws = np.minimum((rng.uniform((per_round,)) * lines).astype(np.int64), lines - 1)
        tokens = reached[:, None] + np.cumsum(lengths[draws], axis=1)
        keep = (tokens - lengths[draws]) < n  # a line is kept while n is not yet reached
        chosen.append(np.where(keep, draws, -1))
        reached = np.where(keep.any(axis=1), np.max(np.where(keep, tokens, 0), axis=1), reached)
        if np.all(reached >= n):
            break
    picks = np.concatenate(chosen, axis=1)
    rows, cols = np.nonzero(picks >= 0)
    indicator = sparse.csr_matrix(
        (np.ones(rows.size), (rows, picks[rows, cols])), shape=(size, lines)
    )
    return np.asarray((indicator @ corpus.line_counts).todense(), dtype=float)


def _positive_in_context(
    flat: np.ndarray, first: np.ndarray, last: np.ndarray, index: np.ndarray, where: np.ndarray
) -> np.ndarray:
    """For the picks in ``where`` (rare: a rounding at a context's edge), the nearest n-gram
    of the same context with a positive count, looking back first."""
    picks = []
    for a, b, i in zip(first[where], last[where], index[where], strict=True):
        positive = np.flatnonzero(flat[a : b + 1] > 0) + a
        before = positive[positive <= i]
        picks.append(before[-1] if before.size else positive[0])
    return np.asarray(picks, dtype=np.int64)


def draw_sequence(
    corpus: NGramCorpus,
    counts: Any,
    n: int,
    rng: ReplicationRandom,
    chains: int | None = None,
    transitions: Transitions | None = None,
) -> SequenceDraw:
    """The ``sequence`` engine: ``n`` tokens of text generated token by token per replication.

    Every replication runs ``chains`` chains for ``steps = ceil(1.2 n / chains) + tail`` steps,
    where ``tail`` is twice the 99.9th percentile of the pool's line lengths (so that the
    sentences needed almost always finish); each step draws one token per chain by inverting
    its context's cumulative frequencies (one uniform and a binary search). The uniforms are
    drawn 128 steps at a time for every replication, and the chains are walked a few
    replications at a time so that the frequencies searched stay in the cache. The text is the
    chains' sentences taken round by round up to ``n`` tokens (module docstring). The number
    of steps and of uniforms depends only on ``n`` and ``chains``, so a replication draws the
    same text whatever the other replications.

    Parameters
    ----------
    corpus : NGramCorpus
        The universe of the model.
    counts : array_like, shape (R, G)
        Each replication's model as non-negative counts (fractional after a weighted fit).
    n : int
        Tokens per replication, at least 1.
    rng : ReplicationRandom
        The replications' random stream (one uniform per chain and step).
    chains : int, optional
        Chains per replication; default ``n // 300`` clipped to ``[1, 1024]``.
    transitions : Transitions, optional
        ``Transitions.of(corpus)``, when the caller keeps it.

    Returns
    -------
    SequenceDraw

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.lm import NGramCorpus
    >>> from modelcollapse.random import ReplicationRandom
    >>> corpus = NGramCorpus(["the cat sat", "the dog sat"], order=2)
    >>> model = np.broadcast_to(corpus.counts, (2, corpus.distinct_ngrams))
    >>> out = draw_sequence(corpus, model, 8, ReplicationRandom(np.random.SeedSequence(0), 0, 2))
    >>> out.counts.sum(axis=1).tolist(), out.sentences.tolist()
    ([8.0, 8.0], [2, 2])
    """
    model = _model_counts(counts, corpus.distinct_ngrams)
    n = check_int("n", n, minimum=1)
    width = check_int("chains", chains, minimum=1) if chains is not None else None
    k = min(n, width if width is not None else int(np.clip(n // 300, 1, 1024)))
    moves = transitions if transitions is not None else Transitions.of(corpus)
    size, universe = model.shape
    if size != rng.size:
        raise fail("counts", f"must have one row per replication of rng ({rng.size})", size)
    totals = model.sum(axis=1)
    if np.any(totals == 0):
        raise fail("counts", "has a replication whose model has no counts left", "a zero row")
    cum = np.cumsum(model, axis=1)
    cum /= cum[:, -1:]  # the last entry of each row is exactly 1
    bounds = np.concatenate([np.zeros((size, 1)), cum], axis=1)  # frequency before n-gram j
    lo_of = bounds[:, moves.context_start[:-1]]  # (R, C)
    hi_of = bounds[:, moves.context_start[1:]]
    if np.any(hi_of[:, moves.start] <= lo_of[:, moves.start]):
        raise fail("counts", "has a replication whose model starts no sentence", "no <s> n-gram")
    tail = int(2 * np.ceil(np.percentile(corpus.line_tokens, 99.9)))
    steps = -(-(6 * n) // (5 * k)) + tail
    # One n-gram index and one sentence number per chain and step: every step gives a token.
    picked = np.empty((steps, size, k), dtype=np.int32 if size * universe < 2**31 else np.int64)
    rounds = np.empty((steps, size, k), dtype=np.int32)
    walk = _Walk(moves, model, cum, lo_of, hi_of, k)
    # Uniforms in pieces of steps (one draw per chain and step, a fixed shape: the same numbers
    # whatever the other replications); each piece is walked a few replications at a time, so
    # that the arrays searched stay in the cache.
    group = max(1, int(_CACHE_FLOATS // max(universe, 1)))
    for a in range(0, steps, _STEP_PIECE):
        u = rng.uniform((min(_STEP_PIECE, steps - a), k))  # (R, piece, k)
        for r0 in range(0, size, group):
            walk.run(r0, min(size, r0 + group), u[r0 : r0 + group], picked, rounds, a)
    dead = walk.dead
    out, sentences = _take_rounds(picked, rounds, n, size * universe)
    return SequenceDraw(out.reshape(size, universe).astype(float), sentences, dead)


#: Steps whose uniforms are drawn at once.
_STEP_PIECE = 128
#: Doubles of cumulative frequencies a group of replications walks at once (8 MB: with the
#: shipped text's 170,000 bigrams, 6 replications; measured fastest between 3 and 6).
_CACHE_FLOATS = 1_048_576


class _Walk:
    """The chains of :func:`draw_sequence`, walked a group of replications at a time; keeps
    each chain's context and sentence number between pieces of steps."""

    def __init__(
        self,
        moves: Transitions,
        model: np.ndarray,
        cum: np.ndarray,
        lo_of: np.ndarray,
        hi_of: np.ndarray,
        k: int,
    ) -> None:
        size = model.shape[0]
        self.moves, self.model, self.cum, self.lo_of, self.hi_of = moves, model, cum, lo_of, hi_of
        self.context = np.full((size, k), moves.start, dtype=np.int64)
        self.sentence = np.zeros((size, k), dtype=np.int32)
        self.dead = np.zeros(size, dtype=np.int64)

    def run(
        self, r0: int, r1: int, u: np.ndarray, picked: np.ndarray, rounds: np.ndarray, a: int
    ) -> None:
        """Steps ``a .. a + u.shape[1] - 1`` of replications ``r0 .. r1 - 1``."""
        moves, universe = self.moves, self.model.shape[1]
        rows = np.arange(r1 - r0)[:, None]
        cells = self.model[r0:r1].ravel()
        flat = (self.cum[r0:r1] + rows).ravel()  # shifted by the row: one sorted array
        lo_of, hi_of = self.lo_of[r0:r1], self.hi_of[r0:r1]
        context, sentence = self.context[r0:r1], self.sentence[r0:r1]
        for j in range(u.shape[1]):
            lo, hi = lo_of[rows, context], hi_of[rows, context]
            stuck = hi <= lo
            if np.any(stuck):  # a dead end: the sentence ends here; a new one starts at once
                self.dead[r0:r1] += stuck.sum(axis=1)
                sentence += stuck
                context = np.where(stuck, moves.start, context)
                lo, hi = lo_of[rows, context], hi_of[rows, context]
            target = (rows + lo + u[:, j] * (hi - lo)).ravel()
            order = np.argsort(target)  # sorted keys: numpy's search reuses its last bound
            found = np.empty_like(order)
            found[order] = np.searchsorted(flat, target[order], side="right")
            # Rounding may step past the context's last n-gram (or before its first), where
            # the n-gram at the edge may have no counts; elsewhere a pick always has counts.
            first = rows * universe + moves.context_start[context]
            last = rows * universe + moves.context_start[context + 1] - 1
            index = np.clip(found.reshape(context.shape), first, last)
            moved = index != found.reshape(context.shape)
            if np.any(moved):
                wrong = moved & (cells[index] <= 0)
                if np.any(wrong):
                    index[wrong] = _positive_in_context(cells, first, last, index, wrong)
            picked[a + j, r0:r1] = index + r0 * universe
            rounds[a + j, r0:r1] = sentence
            context = moves.successor[index - rows * universe]
            sentence += context == moves.start
        self.context[r0:r1], self.sentence[r0:r1] = context, sentence


def _take_rounds(
    picked: np.ndarray, rounds: np.ndarray, n: int, cells: int, block: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """The counts of the first ``n`` tokens of each replication's sentences in round-major
    order (every chain's sentence 0, then every chain's sentence 1, ...), and the number of
    sentences taken. Every step gave one token per chain, so a token's place in its chain is
    its step; two passes over the steps in blocks keep the temporaries small."""
    steps, size, k = picked.shape
    top = int(rounds.max()) + 1
    rows = np.arange(size)[:, None]
    chain = np.arange(k)
    length = np.zeros(size * top * k, dtype=np.int64)  # tokens per (replication, round, chain)
    for a in range(0, steps, block):
        slot = (rows * top + rounds[a : a + block]) * k + chain
        length += np.bincount(slot.ravel(), minlength=length.size)
    by_round = length.reshape(size, top, k)
    flat_len = length.reshape(size, -1)
    before = (np.cumsum(flat_len, axis=1) - flat_len).ravel()  # tokens ahead in round order
    start_of = (np.cumsum(by_round, axis=1) - by_round).ravel()  # the sentence's first step
    out = np.zeros(cells, dtype=np.int64)
    last_taken = np.full((size, k), -1, dtype=np.int64)
    for a in range(0, steps, block):
        part = rounds[a : a + block]
        slot = (rows * top + part) * k + chain
        step = np.arange(a, a + part.shape[0])[:, None, None]
        taken = before[slot] + step - start_of[slot] < n
        out += np.bincount(picked[a : a + block][taken], minlength=cells)
        last_taken = np.maximum(last_taken, np.where(taken, part, -1).max(axis=0))
    return out, (last_taken + 1).sum(axis=1)
