"""Logistic regression on a data table: covariates bootstrapped from the table's rows.

Paper 2's Figure 10(d) (spec ``paper2-weighting.md`` section 3): a table of ``N`` rows with
``q`` numeric covariates and a 0/1 label, a logistic model with intercept, and the pseudo-truth
``beta*`` = the fit on all ``N`` rows (the table's labels need not follow a logistic law). Each
generation draws

- **real data** (``draw(truth, ...)``): ``n`` rows bootstrapped from the table, covariates *and*
  labels;
- **synthetic data** (``draw(fitted, ...)``): ``m`` rows' covariates bootstrapped from the
  table, labels drawn from the fitted model ``Bernoulli(sigmoid(x' beta_{t-1}))``.

Coordinates. The fit works on scaled covariates ``z = (1, x_1/s_1, ..., x_q/s_q)``, each
``s_k`` the power of two nearest the column's standard deviation, where Newton's method is well
conditioned whatever the columns' units (Adult's capital gains reach 99,999); scaling by a power
of two is exact, so nothing is lost either way. Everything a user sees is in the table's own
units: ``flatten`` (what the recorder stores), ``coefficients`` (``param_error``),
``param_labels`` (``"intercept"`` then the column names), ``sample`` and ``statistics`` (rows
``(x_1, ..., x_q, y)``). With ``A = diag(1, 1/s_1, ..., 1/s_q)``, ``beta = A beta_z``; the MLE is
the same in either coordinates.

Penalties. ``"none"``: the weighted MLE (the default). ``"l2-sklearn"``: scikit-learn's
``LogisticRegression(C=1)`` with intercept, the authors' fits: sample weights rescaled to sum to
the number of points and ``0.5 |beta|^2`` over the coefficients *in the table's units*,
intercept not penalised (scikit-learn's ``lbfgs`` convention); in fit coordinates a diagonal
ridge ``1/sd_k^2``. The pseudo-truth is fitted with the same convention.

Theory constants. At ``beta*``, with ``I = mean_i v_i z_i z_i'`` (``v = mu (1 - mu)``) and
``J = mean_i (y_i - mu_i)^2 z_i z_i'`` over the table: one fit of ``n`` real rows has
``n E|beta_hat - beta*|^2 -> tr(A I^-1 J I^-1 A')`` (the sandwich: real labels are not drawn
from the model), one fit of ``m`` rows labelled by the model ``tr(A I^-1 A')``;
:meth:`LogisticTable.error_constant` gives them (``covariates="real"`` / ``"synthetic"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .._validation import check_choice, check_finite, fail
from ..random import ReplicationRandom
from ._common import as_data, bootstrap_rows
from .glm import (
    PENALTIES,
    GLMData,
    GLMParams,
    LogisticRegression,
    _feature_major,
    _linear_predictor,
)
from .parameters import Constraint, Data, Given, OneOf, check_parameter

__all__ = ["LogisticTable"]


class LogisticTable(LogisticRegression):
    """Logistic regression with intercept on a table's rows (see the module docstring).

    Parameters
    ----------
    x : array_like, shape (N, q)
        Numeric covariates, one row per record; each column must take at least two values.
    y : array_like, shape (N,)
        Labels, 0 or 1, both present.
    columns : sequence of str, optional
        Names of the ``q`` covariates (default ``x[0]``, ``x[1]``, ...).
    penalty : {"none", "l2-sklearn"}
        ``"none"``: the weighted MLE. ``"l2-sklearn"``: scikit-learn's ``C = 1`` ridge on the
        coefficients in the table's units (not the intercept), sample weights rescaled to sum to
        the number of points.

    Raises
    ------
    InvalidArgumentError
        Bad shapes, non-finite values, labels other than 0/1, a constant column, or a table on
        which the MLE does not exist (separable labels).

    Examples
    --------
    >>> import numpy as np, modelcollapse as mc
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2000, 2))
    >>> y = (rng.uniform(size=2000) < 1 / (1 + np.exp(-x.sum(axis=1)))).astype(float)
    >>> fam = mc.LogisticTable(x, y, columns=["a", "b"])
    >>> fam.param_labels
    ('intercept', 'a', 'b')
    """

    name = "logistic-table"
    engines = ("sample", "asymptotic")
    #: The truth's data are the table's rows, not draws from the model: its asymptotic
    #: covariance is the sandwich, not the inverse information.
    real_data_misspecified = True
    parameters: ClassVar[dict[str, Constraint]] = {
        "x": Data("a table of shape (rows, columns), rows >= 2, no constant column"),
        "y": Data("one label, 0 or 1, per row of x, both present"),
        "columns": Given("names of the columns of x, or None"),
        "penalty": OneOf(*PENALTIES),
    }

    def __init__(
        self,
        x: Any,
        y: Any,
        *,
        columns: Sequence[str] | None = None,
        penalty: str = "none",
    ) -> None:
        table = check_finite("x", x)
        if table.ndim != 2 or table.shape[0] < 2 or table.shape[1] < 1:
            raise fail("x", "must be a table of shape (rows, columns) with rows >= 2", x)
        labels = check_finite("y", y)
        if labels.shape != (table.shape[0],):
            raise fail("y", f"must be a vector of {table.shape[0]} labels, one per row of x", y)
        if np.any((labels != 0) & (labels != 1)):
            raise fail("y", "labels must be 0 or 1", labels[(labels != 0) & (labels != 1)][0])
        if labels.min() == labels.max():
            raise fail("y", "both labels must occur (one class only: no logistic fit)", y)
        rows, q = table.shape
        names = tuple(f"x[{j}]" for j in range(q)) if columns is None else tuple(columns)
        if len(names) != q:
            raise fail("columns", f"must name the {q} columns of x", columns)
        sd = table.std(axis=0)
        if np.any(sd == 0.0):
            raise fail("x", "a column takes a single value", names[int(np.argmin(sd))])
        # Scales are powers of two: scaling is then exact in floating point, both ways.
        spread = np.exp2(np.round(np.log2(sd)))
        p = q + 1
        self.dim = p
        self.rows = rows
        self.columns = names
        self.x = table
        self.y = labels
        self.min_sample_size = p
        self.param_labels = ("intercept", *names)
        self.weight_by_information = False
        self.penalty = check_parameter(self, "penalty", penalty)
        self._spread = spread
        # The fit coordinates z = (1, x/spread), one feature per row.
        self._design = np.empty((p, rows))
        self._design[0] = 1.0
        self._design[1:] = self._scale(table.T, 0)
        self._y = labels.astype(float)
        # beta (table units) = A beta_z, A = diag(unit).
        self._unit = np.concatenate([[1.0], 1.0 / spread])
        self._a = np.diag(self._unit)
        if self.penalty == "l2-sklearn":
            self._ridge = np.concatenate([[0.0], 1.0 / spread**2])
            self._rescale = True
            self._separable = False
        whole = GLMData(
            rows,
            self._design[None],
            self._y[None],
            np.full((1, p), np.nan),
        )
        fitted = self.fit([whole], [1.0])
        if not bool(fitted.converged[0]):
            raise fail(
                "y",
                "the maximum-likelihood fit on the whole table does not exist (the labels are "
                "separable); use penalty='l2-sklearn'",
                penalty,
            )
        #: Pseudo-truth in fit coordinates; :attr:`beta_star` in the table's units.
        self.beta = fitted.beta[0]

    # -- description -----------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"LogisticTable(rows={self.rows}, q={self.dim - 1}, penalty={self.penalty!r})"

    @property
    def beta_star(self) -> np.ndarray:
        """The pseudo-truth ``beta*`` (fit on all rows), intercept first, in the table's units."""
        return self._a @ self.beta

    def law(self, params: GLMParams) -> Any:
        raise fail("params", "the covariates of a logistic-table model are the table's rows", "law")

    # -- drawing ---------------------------------------------------------------------------
    def _simulate(
        self, params: GLMParams, n: int, rng: ReplicationRandom
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        beta = self._drawable(params)
        z, y = self._rows(params, n, rng)
        return z, y, beta

    def _rows(
        self, params: GLMParams, n: int, rng: ReplicationRandom
    ) -> tuple[np.ndarray, np.ndarray]:
        """``n`` rows per replication: covariates in fit coordinates ``(R, p, n)`` (feature by
        feature) and labels ``(R, n)``."""
        rows = bootstrap_rows(rng, n, self.rows)
        # Gathered from the scaled table: the same numbers as scaling the gathered rows (the
        # scales are powers of two), so statistics(sample(...)) equals draw(...) exactly.
        z = _feature_major(rows.shape[0], self.dim, n)  # each feature contiguous: fast passes
        for k in range(self.dim):
            np.take(self._design[k], rows, out=z[:, k])
        if params.covariates == "real":
            return z, self._y[rows]
        eta = _linear_predictor(z, np.asarray(params.beta, dtype=float))
        return z, self._labels(eta, n, rng)

    def _scale(self, x: np.ndarray, axis: int) -> np.ndarray:
        """``x / spread`` with the columns along ``axis`` (exact: powers of two)."""
        shape = [1] * x.ndim
        shape[axis] = self.dim - 1
        return x / self._spread.reshape(shape)

    def _sample_with(self, state: GLMParams, m: int, rng: ReplicationRandom) -> np.ndarray:
        z, y = self._rows(state, m, rng)
        q = self.dim - 1
        out = np.empty((y.shape[0], m, q + 1))
        out[..., :q] = z[:, 1:].transpose(0, 2, 1) * self._spread
        out[..., q] = y
        return out

    def _check_data(self, data: Any) -> np.ndarray:
        arr = as_data(data, (self.dim,))
        self._check_labels(arr[..., self.dim - 1])
        return arr

    def _statistics(self, data: np.ndarray) -> GLMData:
        """Rows ``(x_1, ..., x_q, y)`` of shape ``(R, n, q + 1)`` in the table's units."""
        r, n = data.shape[:2]
        x = _feature_major(r, self.dim, n)
        x[:, 0] = 1.0
        x[:, 1:] = self._scale(data[..., : self.dim - 1].transpose(0, 2, 1), 1)
        y = np.ascontiguousarray(data[..., self.dim - 1])
        return GLMData(n, x, y, np.full((r, self.dim), np.nan))

    @property
    def _point_size(self) -> int:  # type: ignore[override]
        return 2

    # -- parameters in the table's units ---------------------------------------------------
    def flatten(self, params: GLMParams) -> np.ndarray:
        """Coefficients in the table's units (intercept first), NaN for a failed fit.

        Parameters
        ----------
        params : GLMParams
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., p)``: the intercept, then one coefficient per column in the table's units;
            NaN where the fit failed.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(500, 1))
        >>> y = (rng.uniform(size=500) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
        >>> fam = mc.LogisticTable(x, y)
        >>> fam.param_labels, fam.flatten(fam.truth()).round(3).tolist()
        (('intercept', 'x[0]'), [-0.023, 1.265])
        """
        return super().flatten(params) * self._unit

    def unflatten(self, flat: np.ndarray) -> GLMParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        GLMParams
            Coefficients in fit coordinates; ``converged`` False where a value is NaN.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(500, 1))
        >>> y = (rng.uniform(size=500) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
        >>> fam = mc.LogisticTable(x, y)
        >>> flat = fam.flatten(fam.truth())
        >>> bool(np.allclose(fam.flatten(fam.unflatten(flat)), flat))
        True
        """
        beta = np.asarray(flat, dtype=float) / self._unit
        return GLMParams(beta, np.isfinite(beta).all(axis=-1), "synthetic")

    # -- theory ------------------------------------------------------------------------------
    def _table_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """``I`` and ``J`` (module docstring) at ``beta*``, in fit coordinates."""
        z = self._design
        mu = 1.0 / (1.0 + np.exp(-(self.beta @ z)))
        info = (z * (mu * (1.0 - mu))) @ z.T / self.rows
        outer = (z * (self._y - mu) ** 2) @ z.T / self.rows
        return info, outer

    def fisher_information(self, params: GLMParams | None = None) -> np.ndarray:
        """``I = mean_i v_i x_i x_i'`` over the table's rows at ``params`` (default ``beta*``),
        ``v = mu (1 - mu)``, in the table's units (intercept first), shape ``(..., p, p)``."""
        beta = self.beta if params is None else np.asarray(params.beta, dtype=float)
        flat = beta.reshape(-1, self.dim)
        info = np.empty((flat.shape[0], self.dim, self.dim))
        step = max(1, 2**21 // self.rows)  # replications per pass: a few MB of temporaries
        for a in range(0, flat.shape[0], step):
            eta = flat[a : a + step] @ self._design
            v = 0.5 / (1.0 + np.cosh(eta))  # mu (1 - mu)
            info[a : a + step] = np.einsum("rn,kn,ln->rkl", v, self._design, self._design)
        info /= self.rows
        info /= self._unit[:, None] * self._unit  # A^-T I A^-1
        return info.reshape(*beta.shape[:-1], self.dim, self.dim)

    def asymptotic_covariance(self, params: GLMParams) -> np.ndarray:
        """Covariance of ``sqrt(n)(beta_hat - beta)`` for ``n`` rows drawn from ``params``, in
        the table's units: the sandwich ``A I^-1 J I^-1 A'`` at ``beta*`` for the truth (its
        labels are the table's), ``I(beta)^-1`` for a fitted model (labels from the model)."""
        beta = np.asarray(params.beta, dtype=float)
        if params.covariates == "real":
            info, outer = self._table_moments()
            inv = np.linalg.inv(info)
            cov = self._a @ inv @ outer @ inv @ self._a.T
            return np.array(np.broadcast_to(cov, (*beta.shape[:-1], self.dim, self.dim)))
        return np.linalg.inv(self.fisher_information(params))

    def error_constant(self, covariates: str = "real") -> float:
        """First-order ``n E|beta_hat - beta*|^2`` of one fit of ``n`` bootstrapped rows, in the
        table's units: ``"real"`` (the table's labels, the sandwich ``tr(A I^-1 J I^-1 A')``) or
        ``"synthetic"`` (labels drawn from ``beta*``, ``tr(A I^-1 A')``)."""
        check_choice("covariates", covariates, ("real", "synthetic"))
        info, outer = self._table_moments()
        inv = np.linalg.inv(info)
        cov = inv @ outer @ inv if covariates == "real" else inv
        return float(np.trace(self._a @ cov @ self._a.T))
