"""The tornado chart of a sensitivity run (PNG and SVG).

Figures are built with :class:`matplotlib.figure.Figure` directly (the Agg
canvas), not pyplot: no global backend or figure state is touched.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from simsales.analysis.levers import OBJECTIVES, LeverEffect, LeverReport
from simsales.report.figures import save_figure
from simsales.report.levers import settings_text
from simsales.report.units import counted, money

DOWN, UP = "#c0504d", "#4f81bd"

TITLES = {"revenue_net": "net revenue", "margin": "margin"}


def ordered(report: LeverReport) -> list[LeverEffect]:
    """Levers top to bottom: process first, then money, when the report splits them.

    Args:
        report: the sensitivity run.

    Returns:
        Its levers in drawing order.
    """
    if not report.split:
        return list(report.levers)
    return ([lv for lv in report.levers if lv.kind == "process"]
            + [lv for lv in report.levers if lv.kind == "money"])


def tornado_figure(report: LeverReport, currency: str = "RUB") -> Figure:
    """The tornado chart: one panel per objective; bars are mean paired effects, whiskers P10-P90.

    Args:
        report: the sensitivity run.
        currency: the scenario's currency, for the axis titles.

    Returns:
        The figure (Agg canvas).
    """
    levers = ordered(report)
    n = len(levers)
    fig = Figure(figsize=(12, 1.6 + 0.42 * max(n, 1)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(OBJECTIVES), sharey=True, squeeze=False)
    ys = list(range(n))[::-1]
    labels = [f"{lv.label}\n{settings_text(lv)}" for lv in levers]
    for ax, metric in zip(axes[0], OBJECTIVES, strict=True):
        for y, lv in zip(ys, levers, strict=True):
            for side, color, dy in (("down", DOWN, -0.18), ("up", UP, 0.18)):
                e = lv.effects[metric][side]
                sign = "-" if side == "down" else "+"
                ax.barh(y + dy, e.mean, color=color, height=0.34,
                        label=f"input {sign}{100 * report.step:.0f}%" if y == ys[0] else None)
                ax.plot([e.p10, e.p90], [y + dy, y + dy], color="black", linewidth=0.8)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: money(x, signed=True)))
        ax.axvline(0, color="grey", linewidth=0.8)
        if report.split and 0 < sum(lv.kind == "process" for lv in levers) < n:
            cut = ys[sum(lv.kind == "process" for lv in levers)] + 0.5
            ax.axhline(cut, color="grey", linestyle="--", linewidth=0.8)
        ax.set_title(f"change in {TITLES[metric]}, {currency} (base {money(report.base[metric])})")
    axes[0][0].set_yticks(ys, labels, fontsize=8)
    axes[0][0].legend(loc="lower right", fontsize=8)
    split = "; process levers above the dashed line, money levers below" if report.split else ""
    fig.suptitle(f"{report.scenario}, plan {report.plan}: inputs at -/+{100 * report.step:.0f}%, "
                 f"{counted(report.replications, 'paired replication')}, seed {report.seed}\n"
                 f"bars: mean change, whiskers: P10-P90{split}", fontsize=10)
    fig.tight_layout()
    return fig


def save_tornado(report: LeverReport, out_dir: str | Path, currency: str = "RUB") -> list[Path]:
    """Write ``tornado.png`` and ``tornado.svg`` into ``out_dir`` (atomically, reproducibly).

    Written as every chart is (:func:`~simsales.report.figures.save_figure`):
    the same report gives the same bytes, and nothing touches the edge.

    Args:
        report: the sensitivity run.
        out_dir: the folder to write into (created if missing).
        currency: the scenario's currency.

    Returns:
        The two files.
    """
    fig = tornado_figure(report, currency)
    return [save_figure(fig, Path(out_dir) / f"tornado.{fmt}", fmt, dpi=120) for fmt in ("png", "svg")]
