"""Random streams for batches of replications.

Replications are cut into fixed-size blocks of :data:`BLOCK_SIZE`. Block ``b`` draws from its
own generator, seeded by the child ``b`` of the run's :class:`numpy.random.SeedSequence`. A
:class:`ReplicationRandom` covers a contiguous range of blocks (a *chunk*) and fills every draw
block by block, so a replication sees the same numbers whether it is computed alone, in a chunk
of many blocks, or in another process. The families draw through this object only; they never
see the blocks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import fail

__all__ = ["BLOCK_SIZE", "ReplicationRandom", "as_seed_sequence", "block_seed"]

#: Replications per random stream. Changing it changes every result for a given seed.
BLOCK_SIZE = 1024
#: Largest Poisson mean drawn with numpy's exact generator (see :meth:`ReplicationRandom.poisson`).
_POISSON_EXACT = 1e18


def as_seed_sequence(seed: Any) -> np.random.SeedSequence:
    """Turn ``seed`` (None, a non-negative int, or a SeedSequence) into a SeedSequence."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or int(seed) < 0:
        raise fail("seed", "must be a non-negative integer, a SeedSequence or None", seed)
    return np.random.SeedSequence(int(seed))


def block_seed(root: np.random.SeedSequence, block: int) -> np.random.SeedSequence:
    """The seed of replication block ``block``: child ``block`` of ``root``.

    Equal to ``root.spawn(block + 1)[block]`` on a fresh ``root``, but independent of how many
    children were spawned before, so any process can rebuild any block's stream.
    """
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, block))


class ReplicationRandom:
    """Draws for a contiguous range of replication blocks, replication axis first.

    Parameters
    ----------
    root : numpy.random.SeedSequence
        The run's root seed.
    first : int
        Index of the first replication (must be a multiple of :data:`BLOCK_SIZE`).
    size : int
        Number of replications covered.

    Notes
    -----
    Every method returns an array of shape ``(size, *tail)``. Parameters may be scalars, arrays
    that broadcast against ``tail``, or arrays with a leading replication axis (``ndim`` equal to
    ``1 + len(tail)``), which are split across the blocks.
    """

    def __init__(self, root: np.random.SeedSequence, first: int, size: int) -> None:
        if first % BLOCK_SIZE:
            raise ValueError(f"first replication {first} is not a multiple of {BLOCK_SIZE}")
        self.size = int(size)
        self._blocks: list[tuple[np.random.Generator, int, int]] = []
        start = 0
        block = first // BLOCK_SIZE
        while start < self.size:
            stop = min(start + BLOCK_SIZE, self.size)
            gen = np.random.Generator(np.random.PCG64(block_seed(root, block)))
            self._blocks.append((gen, start, stop))
            start = stop
            block += 1

    @staticmethod
    def _part(param: Any, tail: tuple[int, ...], a: int, b: int) -> Any:
        if np.ndim(param) == 1 + len(tail):
            return param[a:b]
        return param

    def standard_normal(self, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Standard normal draws of shape ``(size, *tail)``."""
        out = np.empty((self.size, *tail))
        for gen, a, b in self._blocks:
            gen.standard_normal(out=out[a:b])
        return out

    def standard_gamma(self, shape: Any, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Gamma(shape, scale 1) draws of shape ``(size, *tail)``."""
        out = np.empty((self.size, *tail))
        for gen, a, b in self._blocks:
            gen.standard_gamma(self._part(shape, tail, a, b), out=out[a:b])
        return out

    def chisquare(self, df: Any, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Chi-square draws with ``df`` degrees of freedom, through the gamma generator.

        The gamma generator is exact for any shape, so this stays exact for very large ``df``.
        """
        return 2.0 * self.standard_gamma(np.asarray(df, dtype=float) / 2.0, tail)

    def uniform(self, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Uniform draws on ``[0, 1)`` of shape ``(size, *tail)``."""
        out = np.empty((self.size, *tail))
        for gen, a, b in self._blocks:
            gen.random(out=out[a:b])
        return out

    def standard_exponential(self, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Exponential draws with rate 1, shape ``(size, *tail)``."""
        out = np.empty((self.size, *tail))
        for gen, a, b in self._blocks:
            gen.standard_exponential(out=out[a:b])
        return out

    def poisson(self, lam: Any, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Poisson draws with mean ``lam``, as floats of shape ``(size, *tail)``.

        numpy's generator stops at means of about ``9.2e18``; means above :data:`_POISSON_EXACT`
        are drawn from the normal approximation ``N(lam, lam)``, rounded, whose error (relative
        skewness ``lam^(-1/2) < 1e-9``) is below the spacing of doubles there. The choice is made
        per block, so it never depends on the chunking.
        """
        out = np.empty((self.size, *tail))
        for gen, a, b in self._blocks:
            part = np.broadcast_to(self._part(lam, tail, a, b), (b - a, *tail))
            big = part > _POISSON_EXACT
            if np.any(big):
                normal = np.rint(part + np.sqrt(part) * gen.standard_normal((b - a, *tail)))
                small = gen.poisson(np.where(big, 0.0, part))
                out[a:b] = np.where(big, normal, small)
            else:
                out[a:b] = gen.poisson(part)
        return out

    def binomial(self, n: Any, p: Any, tail: tuple[int, ...] = ()) -> np.ndarray:
        """Binomial draws with ``n`` trials and success probability ``p``, as floats."""
        out = np.empty((self.size, *tail))
        for gen, a, b in self._blocks:
            out[a:b] = gen.binomial(
                self._part(n, tail, a, b), self._part(p, tail, a, b), size=(b - a, *tail)
            )
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
        out = np.empty((self.size, np.shape(pvals)[-1]))
        for gen, a, b in self._blocks:
            out[a:b] = gen.multinomial(n, pvals[a:b])
        return out
