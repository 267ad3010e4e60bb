"""A family class defined only in the tests, reached by name as ``userfamilies:Rayleigh`` (the
tests folder is on ``sys.path`` under pytest): the Rayleigh law with scale ``s2``, written
against the Family protocol alone (no base class, no capabilities record)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RayleighParams:
    s2: np.ndarray


@dataclass(frozen=True)
class RayleighStats:
    count: int
    squares: np.ndarray


class RayleighSampleOnly:
    """The Rayleigh law without the asymptotic hooks: the sample engine only, so 'theory' and
    'plan' (which need ``asymptotic_covariance``) refuse it."""

    name = "rayleigh"
    min_sample_size = 1
    engines = ("sample",)
    param_labels = ("s2",)

    def __init__(self, s2: float = 1.0) -> None:
        if not s2 > 0:
            raise ValueError("s2 must be positive")
        self.s2 = float(s2)

    def describe(self):
        return {"family": self.name, "s2": self.s2}

    def truth(self):
        return RayleighParams(np.asarray(self.s2))

    def broadcast(self, params, size):
        return RayleighParams(np.broadcast_to(params.s2, (size,)).copy())

    def sample(self, params, n, rng):
        return np.sqrt(2.0 * params.s2[:, None] * rng.standard_exponential((n,)))

    def statistics(self, data):
        data = np.asarray(data, dtype=float)
        return RayleighStats(data.shape[1], np.sum(data * data, axis=1))

    def draw(self, params, n, rng, engine):
        return self.statistics(self.sample(params, n, rng))

    def pool(self, a, b):
        return RayleighStats(a.count + b.count, a.squares + b.squares)

    def fit(self, sources, weights):
        parts = [
            w * s.squares / (2 * s.count) for s, w in zip(sources, weights, strict=True) if w > 0
        ]
        return RayleighParams(sum(parts))

    def flatten(self, params):
        return np.asarray(params.s2, dtype=float)[..., None]

    def unflatten(self, flat):
        return RayleighParams(np.asarray(flat, dtype=float)[..., 0])

    def scale(self, params):
        return np.asarray(params.s2, dtype=float)


class Rayleigh(RayleighSampleOnly):
    """The Rayleigh law with the asymptotic engine: the MLE ``s2_hat = mean(x^2) / 2`` has
    asymptotic variance ``s2^2`` (``x^2 / 2`` is exponential with mean ``s2``)."""

    engines = ("sample", "asymptotic")

    def asymptotic_covariance(self, params):
        return np.asarray(params.s2, dtype=float)[..., None, None] ** 2

    def project(self, params):
        return RayleighParams(np.maximum(params.s2, 0.0))


class NotAFamily:
    def __init__(self, s2: float = 1.0) -> None:
        self.s2 = s2
