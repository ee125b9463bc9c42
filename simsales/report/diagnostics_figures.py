"""The diagnostics report's charts: one per fitted quantity, observed against fitted.

Each :class:`~simsales.calibrate.Fit` is drawn by its kind: ``bar``
(categories: observed bars, fitted points, the observed interval as error
bars), ``interval`` (bars and points with the interval on whichever the
fit says), ``band`` (days: observed points, the fitted mean and its
P10-P90 band) and ``step`` (a delay's CDF: observed steps, fitted curve).
Figures are built on their own Agg canvas (:func:`simsales.report.figures.new_figure`)
and embedded as PNG data, so the page needs no other file.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib.figure import Figure

from simsales.calibrate import Fit
from simsales.report.figures import PALETTE, new_figure

OBSERVED, FITTED = PALETTE[0], PALETTE[1]
SIZE = (9.0, 3.6)
MAX_TICKS = 14


def _errors(center: np.ndarray, lower: np.ndarray | None, upper: np.ndarray | None) -> np.ndarray | None:
    if lower is None or upper is None:
        return None
    lo = np.nan_to_num(center - np.asarray(lower, dtype=float), nan=0.0)
    hi = np.nan_to_num(np.asarray(upper, dtype=float) - center, nan=0.0)
    return np.vstack([np.maximum(lo, 0.0), np.maximum(hi, 0.0)])


def fit_figure(fit: Fit) -> Figure:
    """The chart of one fit.

    Args:
        fit: observed against fitted.

    Returns:
        The figure.
    """
    fig, axes = new_figure(size=SIZE)
    ax = axes[0, 0]
    obs = np.asarray(fit.observed, dtype=float)
    fitted = np.asarray(fit.fitted, dtype=float)
    x = np.arange(len(fit.x))
    if fit.kind in ("bar", "interval"):
        obs_err = _errors(obs, fit.lower, fit.upper) if fit.band_of == "observed" else None
        fit_err = _errors(fitted, fit.lower, fit.upper) if fit.band_of == "fitted" else None
        ax.bar(x, obs, color=OBSERVED, alpha=0.55, label="observed", yerr=obs_err, ecolor="#555", capsize=2)
        if np.isfinite(fitted).any():
            ax.errorbar(x, fitted, yerr=fit_err, fmt="o", color=FITTED, ms=5, capsize=3, label="fitted")
        step = max(1, len(x) // MAX_TICKS)
        ax.set_xticks(
            x[::step],
            [str(v) for v in fit.x][::step],
            rotation=30 if len(x) > 8 else 0,
            ha="right" if len(x) > 8 else "center",
        )
    elif fit.kind == "band":
        if fit.lower is not None and fit.upper is not None:
            ax.fill_between(
                x, fit.lower, fit.upper, color=FITTED, alpha=0.18, step="mid", label="fitted P10-P90"
            )
        ax.plot(x, fitted, color=FITTED, lw=1.6, label="fitted mean")
        ax.plot(x, obs, "o", color=OBSERVED, ms=3, label="observed")
        step = max(1, len(x) // 8)
        ax.set_xticks(x[::step], [str(v) for v in fit.x][::step])
    else:  # step / line: a numeric x
        xs = np.asarray(fit.x, dtype=float)
        if fit.lower is not None and fit.upper is not None:  # what the data bound the curve to
            ax.fill_between(xs, fit.lower, fit.upper, step="post", color=OBSERVED, alpha=0.2, label="bounds")
        ax.step(xs, obs, where="post", color=OBSERVED, lw=1.6, label="observed")
        ax.plot(xs, fitted, color=FITTED, lw=1.6, ls="--", label="fitted")
    ax.set_xlabel(fit.xlabel)
    ax.set_ylabel(fit.ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="best", fontsize=8, frameon=False)
    ax.set_title(fit.title, fontsize=10, loc="left")
    return fig


def png_data(fig: Figure, dpi: int = 96) -> str:
    """A figure as base64 PNG data for an ``<img src="data:...">``.

    Args:
        fig: the figure.
        dpi: its resolution.

    Returns:
        The base64 text.
    """
    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight", pad_inches=0.15
    )
    return base64.b64encode(buffer.getvalue()).decode("ascii")
