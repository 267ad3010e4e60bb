"""Random streams for batches of replications.

Replications are cut into fixed-size blocks, of :data:`BLOCK_SIZE` unless a run's samples are
large (:func:`block_size_for`). Block ``b`` of stream ``s`` draws from its own generators, seeded
from the child ``b`` of the run's :class:`numpy.random.SeedSequence`. A
:class:`ReplicationRandom` covers a contiguous range of blocks (a *chunk*) and fills every draw
block by block, so a replication sees the same numbers whether it is computed alone, in a chunk
of many blocks, or in another process. The families draw through this object only; they never
see the blocks. A block's draws depend on how many replications it holds: the replications of
complete blocks are the same for every number of replications ``R`` that keeps their block
complete, those of a last, partial block in general change with ``R``.

Two generators per block. Draws whose parameters are the same for every replication (standard
normals, uniforms, exponentials, gamma and chi-square draws with a common shape, Poisson or
binomial draws with common parameters) come from the block's *noise* generator; draws with
per-replication parameters (a leading replication axis: a Poisson mean per replication, a
multinomial's probabilities) come from its *parametric* generator. A noise draw therefore
depends only on the sequence of noise calls, never on the values of a model's parameters.

That is what makes common random numbers cheap (:class:`SharedNoise`): several recursions that
differ only in their weights (the arms of :func:`modelcollapse.simulate_weights`) make the same
noise calls in the same order, so the noise is drawn once per generation and handed to every
arm, while each arm keeps its own parametric generator. Every arm gets exactly the numbers it
would have drawn alone.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ._poisson import poisson
from ._validation import check_int, fail

__all__ = [
    "BLOCK_SIZE",
    "ReplicationRandom",
    "SharedNoise",
    "add_draw_seconds",
    "as_seed_sequence",
    "block_seed",
    "block_size_for",
    "draw_seconds",
]

#: Replications per random stream. Changing it changes every result for a given seed.
BLOCK_SIZE = 1024
#: A block of a run with large samples holds about this many points per draw call at most
#: (:func:`block_size_for`): 8 MB of doubles, so a chunk's arrays stay near the processor's
#: cache (at ``10^4`` points per replication, 30% faster than blocks of 1,024 replications).
_BLOCK_POINTS = 2**20
#: The smallest block a run may use (more blocks cost one generator call each per draw).
_MIN_BLOCK = 16


def block_size_for(points: int) -> int:
    """Replications per random block for a run drawing up to ``points`` points per replication.

    :data:`BLOCK_SIZE` up to ``2^20 / BLOCK_SIZE = 1024`` points; beyond, the largest power of
    two with at most ``2^20`` points per block, and at least 16. The size depends only on the
    run's settings, never on its chunking or workers, so it is part of the run's definition
    (a run's result records it as ``block_size``).

    Examples
    --------
    >>> block_size_for(100), block_size_for(1024), block_size_for(1025), block_size_for(10_000)
    (1024, 1024, 512, 64)
    """
    points = int(points)
    if points <= _BLOCK_POINTS // BLOCK_SIZE:
        return BLOCK_SIZE
    size = 1 << max(0, (_BLOCK_POINTS // points).bit_length() - 1)
    return max(_MIN_BLOCK, size)


#: Largest Poisson mean drawn with numpy's generator (see :meth:`ReplicationRandom.poisson`).
#: Above about 1e13 numpy's transformed-rejection sampler is no longer exact (its log-pmf cancels
#: in float64, numpy/numpy#31986: the variance is 8% too large at 3.5e15, 60% at 1e17).
_POISSON_EXACT = 1e12
#: Seconds this process has spent drawing random numbers (see :func:`draw_seconds`).
_DRAW_CLOCK = [0.0]


def draw_seconds() -> float:
    """Seconds this process has spent drawing random numbers through :class:`ReplicationRandom`
    (and, added by :func:`add_draw_seconds`, the workers it waited for). An experiment's floor
    is the difference over its run: the time its random numbers take alone. Draws a family
    makes itself with :meth:`ReplicationRandom.parametric_blocks` are not counted."""
    return _DRAW_CLOCK[0]


def add_draw_seconds(seconds: float) -> None:
    """Count ``seconds`` of drawing done elsewhere (a worker process) in :func:`draw_seconds`."""
    _DRAW_CLOCK[0] += float(seconds)


class _Clocked:
    """``with _Clocked():`` adds the block's wall time to :func:`draw_seconds`."""

    __slots__ = ("start",)

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        _DRAW_CLOCK[0] += time.perf_counter() - self.start


#: Spawn-key suffixes of a block's two generators.
_NOISE, _PARAMETRIC = 0, 1


def as_seed_sequence(seed: Any, name: str = "seed") -> np.random.SeedSequence:
    """Turn ``seed`` (None, a non-negative int, a SeedSequence or a ``numpy.random.Generator``)
    into a SeedSequence.

    A Generator gives a SeedSequence of 128 bits of entropy drawn from it (advancing it), so a
    run seeded by a Generator is reproducible from that Generator's state and, like any run,
    identical for every number of workers; the entropy is recorded in the result's
    configuration.

    Examples
    --------
    >>> as_seed_sequence(7).entropy
    7
    >>> a = as_seed_sequence(np.random.default_rng(1))
    >>> a.entropy == as_seed_sequence(np.random.default_rng(1)).entropy
    True
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, np.random.Generator):
        words = seed.integers(0, 2**32, size=4, dtype=np.uint64)
        return np.random.SeedSequence([int(w) for w in words])
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or int(seed) < 0:
        raise fail(
            name, "must be a non-negative integer, a SeedSequence, a Generator or None", seed
        )
    return np.random.SeedSequence(int(seed))


def block_seed(root: np.random.SeedSequence, block: int) -> np.random.SeedSequence:
    """The seed of replication block ``block``: child ``block`` of ``root``.

    Equal to ``root.spawn(block + 1)[block]`` on a fresh ``root``, but independent of how many
    children were spawned before, so any process can rebuild any block's stream.
    """
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, block))


def _generator(root: np.random.SeedSequence, block: int, stream: int, kind: int) -> Any:
    seed = block_seed(root, block)
    key = (*seed.spawn_key, stream, kind)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed.entropy, spawn_key=key)))


def _per_replication(param: Any, tail: tuple[int, ...]) -> bool:
    return np.ndim(param) == 1 + len(tail)


class ReplicationRandom:
    """Draws for a contiguous range of replication blocks, replication axis first.

    Parameters
    ----------
    root : numpy.random.SeedSequence
        The run's root seed.
    first : int
        Index of the first replication (must be a multiple of ``block_size``).
    size : int
        Number of replications covered.
    stream : int
        Which of the run's independent streams (the engine draws real data from stream 0 and
        synthetic data from stream 1).
    shared : SharedNoise, optional
        Take the noise draws from this shared source instead of drawing them (common random
        numbers across arms; see :class:`SharedNoise`).
    block_size : int, optional
        Replications per random block (default :data:`BLOCK_SIZE`); every reader of one run
        must use the same.

    Notes
    -----
    Every method returns an array of shape ``(size, *tail)``. Parameters may be scalars, arrays
    that broadcast against ``tail``, or arrays with a leading replication axis (``ndim`` equal to
    ``1 + len(tail)``), which are split across the blocks; a draw with such a parameter is
    *parametric* and uses the block's parametric generator (module docstring).
    """

    def __init__(
        self,
        root: np.random.SeedSequence,
        first: int,
        size: int,
        stream: int = 0,
        shared: SharedNoise | None = None,
        block_size: int = BLOCK_SIZE,
    ) -> None:
        block_size = check_int("block_size", block_size, minimum=1)
        if first % block_size:
            raise ValueError(f"first replication {first} is not a multiple of {block_size}")
        self.size = int(size)
        self.block_size = block_size
        self._root = root
        self._stream = int(stream)
        self._ranges: list[tuple[int, int, int]] = []  # (block, start, stop)
        start = 0
        block = first // block_size
        while start < self.size:
            stop = min(start + block_size, self.size)
            self._ranges.append((block, start, stop))
            start = stop
            block += 1
        self._noise_gens: list[Any] | None = None
        self._param_gens: list[Any] | None = None
        self._shared = shared
        self._epoch = -1
        self._cursor = 0

    def _gens(self, kind: int) -> list[Any]:
        """The generators of one kind, created on first use."""
        if kind == _NOISE:
            if self._noise_gens is None:
                self._noise_gens = [
                    _generator(self._root, b, self._stream, kind) for b, _, _ in self._ranges
                ]
            return self._noise_gens
        if self._param_gens is None:
            self._param_gens = [
                _generator(self._root, b, self._stream, kind) for b, _, _ in self._ranges
            ]
        return self._param_gens

    def _blocks(self, kind: int) -> list[tuple[Any, int, int]]:
        return [(g, a, b) for g, (_, a, b) in zip(self._gens(kind), self._ranges, strict=True)]

    def parametric_blocks(self) -> list[tuple[np.random.Generator, int, int]]:
        """``(generator, a, b)`` for each replication block of this range: the numpy generator
        of the block's draws that depend on the replication's parameters, and the rows
        ``[a, b)`` it covers. A family whose sampler takes a :class:`numpy.random.Generator`
        draws block by block with these, so that its draws are the same whatever the chunk
        size and the number of workers."""
        return self._blocks(_PARAMETRIC)

    def _draw(self, method: str, tail: tuple[int, ...], *params: Any) -> np.ndarray:
        tail = tuple(int(k) for k in tail)
        kind = _PARAMETRIC if any(_per_replication(p, tail) for p in params) else _NOISE
        if kind == _NOISE and self._shared is not None:
            return self._shared.fetch(self, method, tail, params)
        with _Clocked():
            return getattr(self, "_fill_" + method)(self._blocks(kind), tail, *params)

    @staticmethod
    def _part(param: Any, tail: tuple[int, ...], a: int, b: int) -> Any:
        if _per_replication(param, tail):
            return param[a:b]
        return param

    # -- the distributions ----------------------------------------------------------------------
    def standard_normal(self, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Standard normal draws of shape ``(size, *tail)``."""
        return self._draw("standard_normal", tail)

    def standard_gamma(self, shape: Any, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Gamma(shape, scale 1) draws of shape ``(size, *tail)``."""
        return self._draw("standard_gamma", tail, shape)

    def chisquare(self, df: Any, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Chi-square draws with ``df`` degrees of freedom, through the gamma generator.

        The gamma generator is exact for any shape, so this stays exact for very large ``df``.
        """
        return 2.0 * self.standard_gamma(np.asarray(df, dtype=float) / 2.0, tail)

    def uniform(self, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Uniform draws on ``[0, 1)`` of shape ``(size, *tail)``."""
        return self._draw("uniform", tail)

    def standard_exponential(self, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Exponential draws with rate 1, shape ``(size, *tail)``."""
        return self._draw("standard_exponential", tail)

    def poisson(self, lam: Any, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Poisson draws with mean ``lam``, as floats of shape ``(size, *tail)``.

        Means up to 10 are drawn from tables (:mod:`modelcollapse._poisson`: exact in
        distribution, two uniforms per draw; speed against numpy's sampler in BENCHMARKS.md),
        larger ones by numpy's generator. That generator loses accuracy above means of about
        ``1e13`` and stops at ``9.2e18``; means above :data:`_POISSON_EXACT` (``1e12``) are drawn
        from the normal approximation with its Cornish-Fisher skewness term,
        ``lam + sqrt(lam) z + (z^2 - 1)/6``, rounded, whose
        error is of order ``1/lam < 1e-12``. The choice is made per block, so it never depends on
        the chunking. An infinite mean (a total beyond the range of doubles) draws ``inf``
        deliberately, never NaN.
        """
        return self._draw("poisson", tail, lam)

    def binomial(self, n: Any, p: Any, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Binomial draws with ``n`` trials and success probability ``p``, as floats."""
        return self._draw("binomial", tail, n, p)

    def hypergeometric(self, ngood: Any, nbad: Any, nsample: Any) -> np.ndarray:
        """Hypergeometric draws, one per replication: good items among ``nsample`` drawn without
        replacement from ``ngood`` good and ``nbad`` bad ones (each below ``10^9``), as floats.

        The arguments are per-replication arrays of shape ``(size,)`` (or scalars); the draw is
        parametric (module docstring).
        """
        args = [
            np.broadcast_to(np.asarray(a, dtype=np.int64), (self.size,))
            for a in (ngood, nbad, nsample)
        ]
        out = np.empty(self.size)
        with _Clocked():
            for gen, a, b in self._blocks(_PARAMETRIC):
                out[a:b] = gen.hypergeometric(*(x[a:b] for x in args))
        return out

    def multinomial(self, n: int, pvals: np.ndarray) -> np.ndarray:
        """Multinomial counts of ``n`` trials, one row of ``pvals`` per replication.

        Parameters
        ----------
        n : int
            Number of trials, the same for every replication.
        pvals : numpy.ndarray
            Shape ``(size, K)``: each replication's cell probabilities.

        Returns
        -------
        numpy.ndarray
            Counts as floats, shape ``(size, K)``.
        """
        pvals = np.asarray(pvals, dtype=float)
        if pvals.ndim != 2 or pvals.shape[0] != self.size:
            raise fail("pvals", f"must have shape ({self.size}, K)", pvals.shape)
        out = np.empty((self.size, pvals.shape[-1]))
        with _Clocked():
            for gen, a, b in self._blocks(_PARAMETRIC):
                out[a:b] = gen.multinomial(n, pvals[a:b])
        return out

    # -- block fillers --------------------------------------------------------------------------
    def _fill_standard_normal(self, blocks: list[Any], tail: tuple[int, ...]) -> np.ndarray:
        out = np.empty((self.size, *tail))
        for gen, a, b in blocks:
            gen.standard_normal(out=out[a:b])
        return out

    def _fill_standard_gamma(
        self, blocks: list[Any], tail: tuple[int, ...], shape: Any
    ) -> np.ndarray:
        out = np.empty((self.size, *tail))
        for gen, a, b in blocks:
            gen.standard_gamma(self._part(shape, tail, a, b), out=out[a:b])
        return out

    def _fill_uniform(self, blocks: list[Any], tail: tuple[int, ...]) -> np.ndarray:
        out = np.empty((self.size, *tail))
        for gen, a, b in blocks:
            gen.random(out=out[a:b])
        return out

    def _fill_standard_exponential(self, blocks: list[Any], tail: tuple[int, ...]) -> np.ndarray:
        out = np.empty((self.size, *tail))
        for gen, a, b in blocks:
            gen.standard_exponential(out=out[a:b])
        return out

    def _fill_poisson(self, blocks: list[Any], tail: tuple[int, ...], lam: Any) -> np.ndarray:
        out = np.empty((self.size, *tail))
        for gen, a, b in blocks:
            part = np.broadcast_to(self._part(lam, tail, a, b), (b - a, *tail))
            big = part > _POISSON_EXACT
            if np.any(big):
                z = gen.standard_normal((b - a, *tail))
                with np.errstate(invalid="ignore"):  # inf - inf at an infinite mean
                    normal = np.rint(part + np.sqrt(part) * z + (z * z - 1.0) / 6.0)
                normal[np.isposinf(part)] = np.inf
                small = poisson(gen, np.where(big, 0.0, part))
                out[a:b] = np.where(big, normal, small)
            else:
                out[a:b] = poisson(gen, part)
        return out

    def _fill_binomial(
        self, blocks: list[Any], tail: tuple[int, ...], n: Any, p: Any
    ) -> np.ndarray:
        out = np.empty((self.size, *tail))
        for gen, a, b in blocks:
            out[a:b] = gen.binomial(
                self._part(n, tail, a, b), self._part(p, tail, a, b), size=(b - a, *tail)
            )
        return out


def _signature(method: str, tail: tuple[int, ...], params: tuple[Any, ...]) -> tuple[Any, ...]:
    return (method, tail, tuple(np.asarray(p, dtype=float).tobytes() for p in params))


class SharedNoise:
    """Noise draws made once and handed to several streams with the same seed.

    The arms of a weight sweep each hold a :class:`ReplicationRandom` built with
    ``shared=this``. Within a *round* (one generation), the ``i``-th noise call of every arm gets
    the same array, drawn by ``source`` when the first arm asks for it and marked read-only
    (families never write to their draws). The arms must
    make the same noise calls in the same order, which holds whenever they differ only in the
    values of their parameters (noise draws never depend on them, see the module docstring);
    a mismatch is an error, never a silent divergence.

    Parameters
    ----------
    source : ReplicationRandom
        The stream that actually draws (built with the arms' seed, stream and range, no
        ``shared``).
    """

    def __init__(self, source: ReplicationRandom) -> None:
        if source._shared is not None:
            raise ValueError("the source of shared noise must draw its own numbers")
        self._source = source
        self._records: list[tuple[tuple[Any, ...], np.ndarray]] = []
        self._epoch = 0

    def new_round(self) -> None:
        """Start a generation: forget the previous one's draws."""
        self._records.clear()
        self._epoch += 1

    def fetch(
        self, reader: ReplicationRandom, method: str, tail: tuple[int, ...], params: tuple[Any, ...]
    ) -> np.ndarray:
        """The reader's next noise draw: the shared array itself, read-only (the families never
        write to their draws)."""
        if reader.size != self._source.size:
            raise ValueError("a reader of shared noise must cover the source's replications")
        if reader._epoch != self._epoch:
            reader._epoch, reader._cursor = self._epoch, 0
        signature = _signature(method, tail, params)
        if reader._cursor == len(self._records):
            source = self._source
            with _Clocked():
                draw = getattr(source, "_fill_" + method)(source._blocks(_NOISE), tail, *params)
            draw.flags.writeable = False
            self._records.append((signature, draw))
        expected, draw = self._records[reader._cursor]
        if expected != signature:
            raise RuntimeError(
                f"arms sharing random numbers diverged: noise call {reader._cursor} of this "
                f"round is {method}{tail} here but {expected[0]}{expected[1]} in the first arm"
            )
        reader._cursor += 1
        return draw
