"""Shared fixtures and the family cases every family test runs over."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

import modelcollapse as mc

#: Family factories for the conformance suite; later families add themselves here.
FAMILY_CASES = {
    "gaussian-unbiased": lambda: mc.Gaussian(mu=0.5, sigma2=2.0, variance="unbiased"),
    "gaussian-mle-pooled": lambda: mc.Gaussian(
        mu=-1.0, sigma2=0.5, variance="mle", combine="pooled"
    ),
    "mvgaussian-2": lambda: mc.MultivariateGaussian(
        [0.0, 1.0], [[1.0, 0.3], [0.3, 0.5]], variance="unbiased"
    ),
    "mvgaussian-3-mle-pooled": lambda: mc.MultivariateGaussian.isotropic(
        3, mu=0.2, sigma2=1.5, variance="mle", combine="pooled"
    ),
    "exponential-mle": lambda: mc.ExponentialDistribution(rate=2.0, estimator="mle"),
    "exponential-unbiased": lambda: mc.ExponentialDistribution(rate=0.5, estimator="unbiased"),
    "poisson": lambda: mc.Poisson(lam=3.5),
    "bernoulli": lambda: mc.Bernoulli(p=0.3),
    "categorical-4": lambda: mc.Categorical([0.1, 0.2, 0.3, 0.4]),
    "gamma": lambda: mc.GammaDistribution(shape=2.5, rate=1.5),
    "linear-fixed": lambda: mc.LinearRegressionFixed(
        beta=[1.0, -0.5, 0.25],
        n=30,
        sigma2=1.5,
        cov=[[1.0, 0.3, 0.0], [0.3, 1.0, 0.0], [0, 0, 2.0]],
    ),
    "linear-random": lambda: mc.LinearRegressionRandom(
        beta=[1.0, -0.5], sigma2=2.0, cov=[[1.0, 0.3], [0.3, 0.5]], synthetic_cov=1.0
    ),
    "logistic": lambda: mc.LogisticRegression(beta=[0.6, -0.3], cov=[[1.0, 0.3], [0.3, 0.5]]),
    "logistic-l2-sklearn": lambda: mc.LogisticRegression(
        beta=[1.0, 1.0], synthetic_cov=0.5, penalty="l2-sklearn"
    ),
    "poisson-regression": lambda: mc.PoissonRegression(
        beta=[0.5, -0.3], cov=[[1.0, 0.3], [0.3, 0.5]], synthetic_cov=1.0
    ),
    "logistic-table": lambda: _small_table(),
    "cdf-normal": lambda: mc.EmpiricalCDF(),
    "cdf-gamma": lambda: mc.EmpiricalCDF(stats.gamma(2.0, scale=0.5)),
    "scipy-weibull": lambda: mc.ScipyFamily("weibull_min", c=1.5, scale=2.0),
    "logdensity-logistic": lambda: logistic_family(support=(-np.inf, np.inf)),
}


def logistic_family(**kwargs) -> mc.LogDensityFamily:
    """A hand-written logistic law (location m, scale b) with its sampler; ``kwargs`` go to
    :class:`~modelcollapse.LogDensityFamily` (``support`` for the information by quadrature)."""

    def logpdf(x, m, b):
        z = (x - m) / b
        return -z - np.log(b) - 2.0 * np.logaddexp(0.0, -z)

    def sampler(rng, size, m, b):
        return rng.logistic(m, b, size)

    return mc.LogDensityFamily(
        logpdf, sampler, {"m": 1.0, "b": 0.5}, domains={"b": "positive"}, **kwargs
    )


def _small_table() -> mc.LogisticTable:
    """A 400-row table, covariates in awkward units, labels from a logistic law."""
    rng = np.random.default_rng(2)
    x = np.column_stack([rng.normal(40.0, 12.0, 400), rng.exponential(2000.0, 400)])
    eta = 0.03 * (x[:, 0] - 40.0) + 1e-4 * (x[:, 1] - 2000.0)
    y = (rng.uniform(size=400) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    return mc.LogisticTable(x, y, columns=["age", "gain"])


@pytest.fixture(params=sorted(FAMILY_CASES))
def family(request):
    return FAMILY_CASES[request.param]()


def run_in_terminal(
    args: list[str], cwd: object = None, columns: int | None = None
) -> tuple[int, str, str]:
    """Run ``python ARGS`` with stderr on a pseudo-terminal (``columns`` wide if given, as a
    real terminal reports it and ``COLUMNS`` says): the exit status, the stdout and everything
    the terminal received. POSIX only."""
    master, slave = os.openpty()
    env = None
    if columns is not None:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        env = {**os.environ, "COLUMNS": str(columns)}
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    out = proc.stdout.read().decode()
    proc.stdout.close()
    return proc.wait(timeout=60), out, b"".join(chunks).decode()
