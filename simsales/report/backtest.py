"""The backtest's chart and files: actual weeks against the forecast's P10-P50-P90 band.

:func:`backtest_chart` draws one panel per compared number (leads,
contacts, qualified, total invoices, won, net revenue): the forecast's
P10-P90 band and P50 line per week, and what happened as dots, red where
it fell outside the band.  :func:`write_backtest` writes the chart (PNG
and SVG), the table (CSV) and the whole result (JSON), each atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from simsales.analysis.backtest import BACKTEST_METRICS, Backtest
from simsales.report.figures import PALETTE, WARN, date_axis, money_axis, new_figure, save_figure
from simsales.report.files import atomic_write, atomic_write_text, clean, to_json, together
from simsales.report.units import counted

BAND_COLOR = PALETTE[0]
ACTUAL = "#222222"


def backtest_chart(result: Backtest, currency: str = "") -> Figure:
    """Actual weekly numbers against the forecast's band, one panel per number.

    Args:
        result: the backtest.
        currency: the money unit of net revenue (the export's currency), for its axis label.

    Returns:
        The figure (Agg canvas).
    """
    metrics = list(BACKTEST_METRICS)
    fig, axes = new_figure(2, 3, size=(12.0, 6.4))
    x = np.array([np.datetime64(first, "h") + np.timedelta64(12 * (after - first).days, "h")
                  for first, after in result.weeks])
    for ax, metric in zip(axes.flat, metrics, strict=True):
        lo, mid, hi = result.quantiles(metric)
        ax.fill_between(x, lo, hi, color=BAND_COLOR, alpha=0.2, linewidth=0, label="forecast P10-P90")
        ax.plot(x, mid, color=BAND_COLOR, linewidth=2, marker="o", markersize=3, label="forecast P50")
        actual, inside = result.actual[metric], result.inside(metric)
        known = ~np.isnan(actual)
        ax.plot(x[known & inside], actual[known & inside], linestyle="none", marker="o", markersize=7,
                color=ACTUAL, label="actual, inside")
        ax.plot(x[known & ~inside], actual[known & ~inside], linestyle="none", marker="X", markersize=9,
                color=WARN, label="actual, outside")
        k, n = int(inside.sum()), int(known.sum())
        title = BACKTEST_METRICS[metric] + (f", {currency}" if metric == "revenue_net" and currency else "")
        ax.set_title(f"{metric}: {k} of {counted(n, 'week')} inside\n{title}" if n else
                     f"{metric}: not in the export",
                     fontsize=9.5)
        if metric == "revenue_net":
            money_axis(ax.yaxis)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        date_axis(ax)
        ax.tick_params(axis="x", labelsize=8)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, frameon=False, fontsize=9)
    fig.suptitle(f"Backtest: data to {result.until}, the next {counted(result.days, 'day')} by week "
                 f"(week starting)\n{result.verdict()}", fontsize=10.5)
    return fig


def document(result: Backtest) -> dict:
    """The whole backtest as a JSON-ready dict: the answer, the coverage, every week, the notes.

    Args:
        result: the backtest.

    Returns:
        ``verdict``, ``coverage``, ``inside``, ``compared``, ``until``, ``days``,
        ``warmup_days``, ``replications``, ``seed``, ``weeks`` (the table's rows),
        ``misses``, ``notes``, ``warnings``.
    """
    return clean({
        "verdict": result.verdict(),
        "coverage": result.coverage,
        "inside": result.n_inside,
        "compared": result.n_compared,
        "band": "P10-P90",
        "until": result.until.isoformat(),
        "days": result.days,
        "warmup_days": result.warmup_days,
        "replications": result.replications,
        "seed": result.seed,
        "weeks": result.table().to_dict(orient="records"),
        "misses": result.misses(),
        "notes": result.notes,
        "warnings": result.warnings,
    })


def write_backtest(result: Backtest, folder: str | Path, currency: str = "") -> list[Path]:
    """Write the backtest's chart (PNG, SVG), table (CSV) and document (JSON) into ``folder``.

    Args:
        result: the backtest.
        folder: where (created if missing).
        currency: net revenue's money unit, for the chart.

    Returns:
        The files written: ``backtest.csv``, ``backtest.json``, ``backtest.png``, ``backtest.svg``.
    """
    folder = Path(folder)
    table = result.table()
    with together():  # all or none: never this backtest's table beside an earlier one's chart
        files = [atomic_write(folder / "backtest.csv", lambda tmp: table.to_csv(tmp, index=False)),
                 atomic_write_text(folder / "backtest.json", to_json(document(result)))]
        fig = backtest_chart(result, currency)
        files += [save_figure(fig, folder / f"backtest.{fmt}", fmt) for fmt in ("png", "svg")]
    return files

