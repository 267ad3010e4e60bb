"""Tabular generators for the recursion on a data table (:func:`~modelcollapse.tabular.recurse`).

One protocol, :class:`TabularGenerator`: ``fit(data, weights, rng)`` on a DataFrame (row weights
summing to one, or ``None``), ``sample(n, rng)`` returning a DataFrame with the same columns, and
optionally ``log_likelihood(data)`` (per row, for generators with a density). The recursion
builds a *fresh* generator every generation through a factory (refitting some libraries'
objects keeps stale state). A generator that cannot take weights (``supports_weights = False``)
is fitted to a weighted resample of the rows instead (:func:`weighted_resample`).

- :class:`GaussianCopula`: numeric and categorical columns, weighted fit, written here. Each
  numeric column's marginal is its weighted empirical distribution (sampled by inverting the
  weighted empirical CDF with linear interpolation, so samples stay inside the observed range:
  the support can only shrink from one generation to the next), each categorical column's
  marginal its weighted frequencies (a category maps to an interval of ``[0, 1]``); the
  dependence is a Gaussian copula whose correlation is the weighted correlation of the normal
  scores. No density (its marginals are discrete).
- :class:`SklearnGaussianMixture`: scikit-learn's ``GaussianMixture`` on the numeric columns
  (weighted resampling; its samples come grouped by component and are shuffled here); density.
- :class:`SklearnKernelDensity`: scikit-learn's ``KernelDensity`` (Gaussian kernel) on the
  numeric columns, standardised; weights passed to the fit; density.
- :class:`FitSampleAdapter`: any object with ``fit(DataFrame)`` and ``sample(n)`` (SDV's
  synthesizers, for one), built by a factory each generation; weighted resampling; the random
  state is set from the recursion's generator where the object allows it.

scikit-learn is an optional dependency (``pip install modelcollapse[generators]``).
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._validation import InvalidArgumentError, check_int, check_real, fail

__all__ = [
    "GENERATORS",
    "FitSampleAdapter",
    "GaussianCopula",
    "SklearnGaussianMixture",
    "SklearnKernelDensity",
    "TabularGenerator",
    "make_generator",
    "weighted_resample",
]


def _seed(rng: np.random.Generator) -> int:
    """A 32-bit seed for libraries that take an integer random state."""
    return int(rng.integers(0, 2**31 - 1))


def weighted_resample(
    data: pd.DataFrame, weights: np.ndarray | None, rng: np.random.Generator
) -> pd.DataFrame:
    """``len(data)`` rows drawn with replacement with probabilities ``weights`` (unchanged data
    when ``weights`` is ``None`` or uniform)."""
    if weights is None or np.allclose(weights, 1.0 / len(data), rtol=1e-12, atol=0.0):
        return data
    rows = rng.choice(len(data), size=len(data), replace=True, p=weights)
    return data.iloc[rows].reset_index(drop=True)


def _numeric_columns(data: pd.DataFrame) -> list[str]:
    return [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])]


class TabularGenerator(ABC):
    """A generator of table rows, fitted afresh each generation (module docstring)."""

    #: Registry name (``make_generator``).
    name: str = "generator"
    #: Whether :meth:`fit` uses row weights (otherwise the recursion resamples by weight).
    supports_weights: bool = False
    #: Whether every column must be numeric.
    numeric_only: bool = False

    @abstractmethod
    def fit(
        self, data: pd.DataFrame, weights: np.ndarray | None, rng: np.random.Generator
    ) -> TabularGenerator:
        """Fit to ``data``; ``weights`` (summing to one) or ``None`` for equal weights."""

    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` new rows with the columns and dtypes of the fitted data."""

    def check(self, data: pd.DataFrame) -> None:
        """Raise :class:`~modelcollapse.InvalidArgumentError` if ``data`` does not suit the
        generator (called once on the real table)."""
        if self.numeric_only:
            bad = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
            if bad:
                raise fail(
                    "data",
                    f"the {self.name} generator needs numeric columns only; drop or encode",
                    bad,
                )


class GaussianCopula(TabularGenerator):
    """Gaussian copula with empirical marginals, numeric and categorical columns (module
    docstring).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from modelcollapse.tabular import GaussianCopula
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(["a", "b"], 200)})
    >>> gen = GaussianCopula().fit(df, None, rng)
    >>> gen.sample(5, rng).shape
    (5, 2)
    """

    name = "copula"
    supports_weights = True

    def fit(
        self, data: pd.DataFrame, weights: np.ndarray | None, rng: np.random.Generator
    ) -> GaussianCopula:
        n = len(data)
        w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=float)
        self.columns = list(data.columns)
        self.dtypes = data.dtypes
        self._marginals: dict[str, Any] = {}
        scores = np.empty((n, len(self.columns)))
        for j, column in enumerate(self.columns):
            values = data[column]
            if pd.api.types.is_numeric_dtype(values):
                x = values.to_numpy(dtype=float)
                order = np.argsort(x, kind="stable")
                xs, ws = x[order], w[order]
                cum = np.cumsum(ws)
                # Mid-point plotting positions of the weighted empirical CDF.
                position = cum - 0.5 * ws
                self._marginals[column] = ("numeric", xs, position / cum[-1])
                u = np.empty(n)
                u[order] = position / cum[-1]
            else:
                codes, found = pd.factorize(values, sort=True)
                freq = np.bincount(codes, weights=w, minlength=len(found))
                keep = freq > 0
                uniques, freq = np.asarray(found)[keep], freq[keep] / freq[keep].sum()
                remap = np.cumsum(keep) - 1
                codes = remap[codes]
                upper = np.cumsum(freq)
                lower = upper - freq
                self._marginals[column] = ("categorical", uniques, upper)
                # A random point inside the category's interval (ties broken at random).
                u = lower[codes] + freq[codes] * rng.uniform(size=n)
            scores[:, j] = special.ndtri(np.clip(u, 1e-12, 1.0 - 1e-12))
        mean = w @ scores
        centred = scores - mean
        cov = (centred * w[:, None]).T @ centred
        sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
        corr = cov / np.outer(sd, sd)
        np.fill_diagonal(corr, 1.0)
        # Nearest positive-definite correlation (a constant column gives a zero row).
        vals, vecs = np.linalg.eigh(np.nan_to_num(corr))
        corr = (vecs * np.clip(vals, 1e-10, None)) @ vecs.T
        d = np.sqrt(np.diag(corr))
        self.correlation = corr / np.outer(d, d)
        self._factor = np.linalg.cholesky(self.correlation)
        return self

    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        z = rng.standard_normal((n, len(self.columns))) @ self._factor.T
        u = special.ndtr(z)
        out = {}
        for j, column in enumerate(self.columns):
            kind, values, cdf = self._marginals[column]
            if kind == "numeric":
                out[column] = np.interp(u[:, j], cdf, values)
            else:
                index = np.minimum(np.searchsorted(cdf, u[:, j], side="right"), len(values) - 1)
                out[column] = values[index]
        frame = pd.DataFrame(out, columns=self.columns)
        for column in self.columns:
            dtype = self.dtypes[column]
            if pd.api.types.is_integer_dtype(dtype):
                frame[column] = np.round(frame[column]).astype(dtype)
            elif isinstance(dtype, pd.CategoricalDtype):
                frame[column] = pd.Categorical(frame[column], categories=dtype.categories)
        return frame


def _sklearn(name: str) -> Any:
    try:
        import sklearn  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        raise InvalidArgumentError(
            f"generator: {name} needs scikit-learn (pip install 'modelcollapse[generators]')"
        ) from None
    if name == "gmm":
        from sklearn.mixture import GaussianMixture

        return GaussianMixture
    from sklearn.neighbors import KernelDensity

    return KernelDensity


class SklearnGaussianMixture(TabularGenerator):
    """scikit-learn's ``GaussianMixture`` on numeric columns (module docstring).

    Parameters
    ----------
    n_components : int
        Mixture components.
    **options
        Passed to ``GaussianMixture`` (``covariance_type``, ``reg_covar``, ...).
    """

    name = "gmm"
    numeric_only = True

    def __init__(self, n_components: int = 3, **options: Any) -> None:
        self.n_components = check_int("n_components", n_components, minimum=1)
        self.options = options

    def fit(
        self, data: pd.DataFrame, weights: np.ndarray | None, rng: np.random.Generator
    ) -> SklearnGaussianMixture:
        model = _sklearn("gmm")(
            n_components=self.n_components, random_state=_seed(rng), **self.options
        )
        data = weighted_resample(data, weights, rng)
        self.columns, self.dtypes = list(data.columns), data.dtypes
        self.model = model.fit(data.to_numpy(dtype=float))
        return self

    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        self.model.random_state = _seed(rng)
        x, _ = self.model.sample(n)
        x = x[rng.permutation(n)]  # sklearn returns the rows grouped by component
        return pd.DataFrame(x, columns=self.columns)

    def log_likelihood(self, data: pd.DataFrame) -> np.ndarray:
        return self.model.score_samples(data[self.columns].to_numpy(dtype=float))


class SklearnKernelDensity(TabularGenerator):
    """scikit-learn's ``KernelDensity`` (Gaussian kernel) on standardised numeric columns.

    Parameters
    ----------
    bandwidth : float or str
        In standard deviations of each column, or ``"scott"`` / ``"silverman"``.
    """

    name = "kde"
    numeric_only = True
    supports_weights = True

    def __init__(self, bandwidth: float | str = "scott") -> None:
        if isinstance(bandwidth, str):
            if bandwidth not in ("scott", "silverman"):
                raise fail("bandwidth", "must be a positive number, scott or silverman", bandwidth)
            self.bandwidth: float | str = bandwidth
        else:
            self.bandwidth = check_real("bandwidth", bandwidth, lower=0.0, lower_open=True)

    def fit(
        self, data: pd.DataFrame, weights: np.ndarray | None, rng: np.random.Generator
    ) -> SklearnKernelDensity:
        x = data.to_numpy(dtype=float)
        self.columns = list(data.columns)
        self.center = x.mean(axis=0)
        self.scale = x.std(axis=0)
        self.scale[self.scale == 0] = 1.0
        self.model = _sklearn("kde")(kernel="gaussian", bandwidth=self.bandwidth)
        self.model.fit((x - self.center) / self.scale, sample_weight=weights)
        return self

    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        z = self.model.sample(n, random_state=_seed(rng))
        return pd.DataFrame(z * self.scale + self.center, columns=self.columns)

    def log_likelihood(self, data: pd.DataFrame) -> np.ndarray:
        z = (data[self.columns].to_numpy(dtype=float) - self.center) / self.scale
        return self.model.score_samples(z) - np.sum(np.log(self.scale))


class FitSampleAdapter(TabularGenerator):
    """Any object with ``fit(DataFrame)`` and ``sample(n)``, made fresh each fit by ``factory``.

    Weights are applied by weighted resampling. When the factory accepts a ``seed`` or
    ``random_state`` argument it receives one drawn from the recursion's generator (each fresh
    SDV synthesizer, for one, otherwise samples from the same fixed seed); an object with a
    ``set_random_state`` method (SDV) gets it there.

    Examples
    --------
    SDV's Gaussian copula synthesizer (``pip install 'modelcollapse[sdv]'``)::

        from sdv.metadata import SingleTableMetadata
        from sdv.single_table import GaussianCopulaSynthesizer

        def make(seed):
            metadata = SingleTableMetadata()
            metadata.detect_from_dataframe(table)
            synth = GaussianCopulaSynthesizer(metadata)
            synth.set_random_state(seed)
            return synth

        generator = FitSampleAdapter(make, name="sdv-copula")
    """

    def __init__(self, factory: Callable[..., Any], name: str = "adapter") -> None:
        if not callable(factory):
            raise fail(
                "factory", "must be callable, returning an object with fit and sample", factory
            )
        self.factory = factory
        self.name = name
        params = inspect.signature(factory).parameters
        self._seed_arg = next((a for a in ("seed", "random_state") if a in params), None)

    def fit(
        self, data: pd.DataFrame, weights: np.ndarray | None, rng: np.random.Generator
    ) -> FitSampleAdapter:
        seed = _seed(rng)
        obj = self.factory(**{self._seed_arg: seed}) if self._seed_arg else self.factory()
        if hasattr(obj, "set_random_state"):
            obj.set_random_state(seed)
        for method in ("fit", "sample"):
            if not callable(getattr(obj, method, None)):
                raise fail("factory", f"made an object without a {method} method", obj)
        data = weighted_resample(data, weights, rng)
        self.columns = list(data.columns)
        obj.fit(data)
        self.model = obj
        return self

    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        out = self.model.sample(n)
        frame = out if isinstance(out, pd.DataFrame) else pd.DataFrame(out, columns=self.columns)
        if len(frame) != n:
            raise fail("factory", f"sample({n}) returned {len(frame)} rows", len(frame))
        return frame[self.columns].reset_index(drop=True)


#: Names accepted by :func:`make_generator` and ``modelcollapse recurse --generator``.
GENERATORS = ("copula", "gmm", "kde")


def make_generator(name: str, **options: Any) -> Callable[[], TabularGenerator]:
    """A factory of fresh generators by name: ``"copula"``, ``"gmm"`` (``n_components``, ...)
    or ``"kde"`` (``bandwidth``)."""
    classes: dict[str, type[TabularGenerator]] = {
        "copula": GaussianCopula,
        "gmm": SklearnGaussianMixture,
        "kde": SklearnKernelDensity,
    }
    if name not in classes:
        raise fail("generator", f"must be one of {', '.join(GENERATORS)}", name)
    cls = classes[name]
    cls(**options)  # validate the options once

    def factory() -> TabularGenerator:
        return cls(**options)

    factory.generator_name = name  # type: ignore[attr-defined]
    return factory
