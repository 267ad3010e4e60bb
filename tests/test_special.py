"""The theory layer's own special functions (numpy alone, so that ``theory`` commands start
without importing scipy.special) against scipy.special, over the arguments the theory uses."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

from modelcollapse.theory import _special

#: Positive reals from just above zero to a million, dense below the recurrence's cut-off.
X = np.concatenate([np.linspace(0.05, 12.0, 400), np.logspace(1, 6, 200)])


def _rel(a, b):
    return np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))


def test_digamma_and_trigamma_agree_with_scipy():
    assert _rel(_special.digamma(X), sc.psi(X)) < 1e-13
    assert np.max(np.abs(_special.trigamma(X) / sc.polygamma(1, X) - 1)) < 1e-13
    assert isinstance(_special.digamma(3.0), float)


def test_loggamma_agrees_with_scipy_on_its_branch_real_and_complex():
    assert _rel(_special.loggamma(X), sc.gammaln(X)) < 1e-13
    alpha = np.array([0.5, 1.0, 2.5, 9.9, 50.0, 5e3, 1e6])[:, None]
    u = np.concatenate([-np.logspace(-3, 4, 60), [0.0], np.logspace(-3, 4, 60)])[None, :]
    z = alpha + 1j * u
    ours, theirs = _special.loggamma(z), sc.loggamma(z)
    assert _rel(ours.real, theirs.real) < 1e-12
    assert _rel(ours.imag, theirs.imag) < 1e-12  # the same branch, not only mod 2 pi


@pytest.mark.parametrize("s", [1.0001, 1.01, 1.5, 2.0, 3.7, 12.0, 40.0])
@pytest.mark.parametrize("q", [1.0, 2.0, 11.0, 1000.0])
def test_zeta_agrees_with_scipy(s, q):
    assert _special.zeta(s, q) == pytest.approx(float(sc.zeta(s, q)), rel=1e-13)


def test_zeta_refuses_the_pole_and_below():
    with pytest.raises(ValueError, match="s > 1"):
        _special.zeta(1.0)


def test_xlogy_and_xlog1py_are_zero_where_x_is_zero():
    x = np.array([0.0, 0.0, 2.0, 3.0])
    y = np.array([0.0, 0.5, 0.5, -0.25])
    np.testing.assert_allclose(_special.xlogy(x, y), sc.xlogy(x, y), rtol=1e-15)
    np.testing.assert_allclose(_special.xlog1py(x, y), sc.xlog1py(x, y), rtol=1e-15)
