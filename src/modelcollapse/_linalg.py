"""Batched linear algebra on stacks of small symmetric matrices."""

from __future__ import annotations

import numpy as np

__all__ = ["cholesky_psd"]


def cholesky_psd(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower Cholesky factors of a stack of symmetric positive semi-definite matrices.

    Unlike :func:`numpy.linalg.cholesky`, one degenerate matrix does not fail the whole stack:
    a non-positive pivot (a matrix that is singular, or numerically so after a collapse) gets a
    zero column, so ``L @ L.T`` is the matrix restricted to its numerically positive part. Each
    matrix's factor depends only on that matrix, never on the rest of the stack.

    Parameters
    ----------
    a : numpy.ndarray
        Shape ``(..., d, d)``, symmetric.

    Returns
    -------
    L : numpy.ndarray
        Shape ``(..., d, d)``, lower triangular.
    full_rank : numpy.ndarray
        Boolean, shape ``(...)``: every pivot was positive.
    """
    a = np.asarray(a, dtype=float)
    d = a.shape[-1]
    L = np.zeros_like(a)
    full_rank = np.ones(a.shape[:-2], dtype=bool)
    for j in range(d):
        row = L[..., j, :j]
        pivot = a[..., j, j] - np.einsum("...k,...k->...", row, row)
        positive = pivot > 0.0
        full_rank &= positive
        diag = np.sqrt(np.where(positive, pivot, 0.0))
        L[..., j, j] = diag
        if j + 1 < d:
            below = a[..., j + 1 :, j] - np.einsum("...ik,...k->...i", L[..., j + 1 :, :j], row)
            safe = np.where(positive, diag, 1.0)[..., None]
            L[..., j + 1 :, j] = np.where(positive[..., None], below / safe, 0.0)
    return L, full_rank
