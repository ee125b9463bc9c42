"""Standard errors of a maximum-likelihood fit: the Hessian of the negative log-likelihood, by differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def hessian(f: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """The Hessian of ``f`` at ``x`` by central differences (for standard errors of a fit).

    Args:
        f: a scalar function of a vector.
        x: where.
        step: the relative step.

    Returns:
        ``(k, k)``.
    """
    x = np.asarray(x, dtype=float)
    k = len(x)
    h = step * np.maximum(1.0, np.abs(x))
    out = np.zeros((k, k))
    f0 = f(x)
    for i in range(k):
        for j in range(i, k):
            if i == j:
                e = np.zeros(k)
                e[i] = h[i]
                out[i, i] = (f(x + e) - 2 * f0 + f(x - e)) / h[i] ** 2
            else:
                ei, ej = np.zeros(k), np.zeros(k)
                ei[i], ej[j] = h[i], h[j]
                out[i, j] = out[j, i] = (
                    f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
                ) / (4 * h[i] * h[j])
    return out


def covariance(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """The covariance of a maximum-likelihood fit: the inverse Hessian of the negative log-likelihood.

    Args:
        f: the negative log-likelihood.
        x: the fit.

    Returns:
        ``(k, k)``; NaN where the Hessian cannot be inverted (a parameter the data do not identify).
    """
    h = hessian(f, x)
    try:
        cov = np.linalg.inv(h)
    except np.linalg.LinAlgError:
        return np.full_like(h, np.nan)
    bad = ~(np.diag(cov) > 0)
    cov[bad, :] = np.nan
    cov[:, bad] = np.nan
    return cov
