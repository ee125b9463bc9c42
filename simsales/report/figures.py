"""Building blocks of the charts: the Agg canvas, plan colours, money and date axes, bands and bars.

Nothing here touches pyplot's global state: a figure is built on its own
Agg canvas.  Each plan keeps one colour across all charts
(:func:`plan_colors`); money axes are in the scenario's currency with
k/M/B suffixes (:func:`~simsales.report.units.money`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from simsales.report.files import atomic_write
from simsales.report.units import money
from simsales.scenario import Scenario

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f")
TARGET = "#222222"
WARN = "#c0392b"
FIGSIZE = (10.0, 5.6)
PAD_INCHES = 0.15
"""White margin around everything drawn, in inches (16 px at 110 dpi)."""
SVG_SALT = "simsales"
"""Fixed salt of the ids in SVG files (``svg.hashsalt``): the same chart, the same file."""


def plan_colors(plans: Sequence[str]) -> dict[str, str]:
    """One colour per plan, in run order, the same in every chart.

    Args:
        plans: the plans, in run order.

    Returns:
        Plan -> colour (hex).
    """
    return {plan: PALETTE[i % len(PALETTE)] for i, plan in enumerate(plans)}


def new_figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = FIGSIZE,
               **kw: Any) -> tuple[Figure, np.ndarray]:
    """A figure on the Agg canvas (no pyplot state) and a grid of axes.

    Args:
        nrows: rows of axes.
        ncols: columns of axes.
        size: width and height in inches.
        **kw: passed to ``Figure.subplots`` (``sharey``, ``width_ratios``, ...).

    Returns:
        The figure and a 2-D array of its axes.
    """
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, squeeze=False, **kw)


def money_axis(axis: Axis) -> None:
    """Label an axis in money (scenario's currency) with k/M/B suffixes.

    Args:
        axis: the x or y axis.
    """
    axis.set_major_formatter(FuncFormatter(lambda v, _: money(v)))


def legend_columns(labels: Sequence[str], width_chars: int = 120) -> int:
    """How many legend columns fit across a chart: as many as the longest entry allows.

    Args:
        labels: the legend's entries.
        width_chars: the room across the figure, in characters of the legend's font.

    Returns:
        Columns, 1 to ``len(labels)``.
    """
    longest = max((len(text) for text in labels), default=1) + 6  # the handle and the gap
    return max(1, min(len(labels), width_chars // longest))


def week_dates(scenario: Scenario, n_weeks: int, end: bool) -> np.ndarray:
    """End of each week (the horizon's end at most), or its middle: where a weekly value is drawn.

    Week ``w`` covers days ``7w`` to ``7w + 6`` from the start; the last one may be short.

    Args:
        scenario: the scenario (start date, horizon in days).
        n_weeks: the number of weeks.
        end: the weeks' ends (True) or middles (False).

    Returns:
        One ``datetime64[h]`` per week.
    """
    ends = np.minimum(7 * (np.arange(n_weeks) + 1), scenario.horizon_days)
    days = ends if end else (7 * np.arange(n_weeks) + ends) / 2
    return np.datetime64(scenario.start, "h") + (24 * days).astype("timedelta64[h]")


def date_axis(ax: Axes) -> None:
    """Label the x axis with dates (``01 Jul``).

    Args:
        ax: the axes.
    """
    ax.xaxis.set_major_formatter(DateFormatter("%d %b"))


def band(ax: Axes, x: np.ndarray, values: np.ndarray, color: str, label: str, alpha: float = 0.18) -> None:
    """Draw the P10-P90 band and P50 line over replications (a week with no data is a gap).

    Args:
        ax: the axes.
        x: the positions (dates), one per column of ``values``.
        values: one row per replication.
        color: the plan's colour.
        label: the legend entry of the P50 line.
        alpha: the band's opacity.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN weeks: no lead was attempted
        p10, p50, p90 = np.nanpercentile(values, [10, 50, 90], axis=0)
    ax.fill_between(x, p10, p90, color=color, alpha=alpha, linewidth=0)
    for edge in (p10, p90):
        ax.plot(x, edge, color=color, linewidth=0.7, alpha=0.6)
    ax.plot(x, p50, color=color, linewidth=2, label=label, marker="o", markersize=3)


def grouped_barh(ax: Axes, labels: Sequence[str], values: dict[str, np.ndarray], colors: dict[str, str],
                 notes: Callable[[str, int], str], names: dict[str, str] | None = None) -> None:
    """Draw horizontal bars, one group per label (top to bottom), one bar per plan, a note at each end.

    Args:
        ax: the axes.
        labels: the groups, top to bottom.
        values: plan -> one value per label.
        colors: plan -> colour.
        notes: ``notes(plan, i)`` is the text at the end of plan's bar in group ``i``.
        names: plan -> the name in the legend (None: the plan's own).
    """
    n = len(values)
    height = 0.8 / n
    y = np.arange(len(labels))
    for k, (plan, counts) in enumerate(values.items()):
        pos = y + (k - (n - 1) / 2) * height
        ax.barh(pos, counts, height=height * 0.92, color=colors[plan], label=(names or {}).get(plan, plan))
        for i, (p, c) in enumerate(zip(pos, counts, strict=True)):
            ax.text(c, p, " " + notes(plan, i), va="center", fontsize=7.5)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.margins(x=0.28)
    ax.grid(axis="x", alpha=0.3)


def save_figure(fig: Figure, path: Path, fmt: str, dpi: int = 110) -> Path:
    """Write a figure atomically: the same figure gives the same bytes, and nothing touches the edge.

    The canvas is cut to what is drawn plus :data:`PAD_INCHES` of margin, so
    no label is clipped or touches the edge; PNGs carry no software
    metadata, SVGs no date and ids salted with :data:`SVG_SALT` instead of
    random ones (matplotlib's default), so a run written twice gives
    identical files.

    Args:
        fig: the figure.
        path: the file.
        fmt: ``png`` or ``svg``.
        dpi: dots per inch of the PNG.

    Returns:
        ``path``.
    """
    metadata = {"Software": None} if fmt == "png" else {"Creator": None, "Date": None}
    with rc_context({"svg.hashsalt": SVG_SALT}):
        return atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata,
                                                          bbox_inches="tight", pad_inches=PAD_INCHES))
