"""A sensitivity run as people read it: settings and effects as text, the lever table.

:mod:`simsales.analysis.levers` computes in numbers; this module writes
them: an input's setting as the scenario would show it (``0.45``,
``60,001``, ``0.4/0.7/0.9``), an effect as signed money with its standard
error (``+472k ±103k``), and the per-lever table that ``simsales levers``
writes as CSV and JSON.  Money is in the scenario's currency.
"""

from __future__ import annotations

import pandas as pd

from simsales.analysis.lever_table import Setting
from simsales.analysis.levers import OBJECTIVES, LeverEffect, LeverReport
from simsales.report.units import money


def setting_text(setting: Setting) -> str:
    """An input's setting as the scenario would show it.

    Args:
        setting: what a lever read.

    Returns:
        A number to three significant digits (thousands separated from
        1,000 up), a whole count, the ramp's month factors ``0.4/0.7/0.9``,
        or ``midpoint 45d`` for a logistic ramp.
    """
    match setting.kind:
        case "count":
            return str(int(setting.values[0]))
        case "months":
            return "/".join(f"{f:.2g}" for f in setting.values)
        case "midpoint_days":
            return f"midpoint {setting.values[0]:.3g}d"
        case _:
            x = setting.values[0]
            return f"{x:.3g}" if abs(x) < 1e3 else f"{x:,.0f}"


def settings_text(lever: LeverEffect) -> str:
    """The lever's settings nudged down, unchanged and nudged up: ``0.405 | 0.45 | 0.495``.

    Args:
        lever: one lever of a sensitivity run.

    Returns:
        The three settings, separated by ``|``.
    """
    return " | ".join(setting_text(s) for s in (lever.down, lever.base, lever.up))


def effect_text(lever: LeverEffect, objective: str, side: str) -> str:
    """One effect as signed money with its standard error: ``+472k ±103k``.

    Args:
        lever: one lever of a sensitivity run.
        objective: one of :data:`~simsales.analysis.levers.OBJECTIVES`.
        side: ``down`` or ``up``.

    Returns:
        The mean paired difference and, when there is one, ``±`` its standard error.
    """
    e = lever.effects[objective][side]
    return f"{money(e.mean, signed=True)} ±{money(e.se)}" if e.se == e.se else money(e.mean, signed=True)


def lever_frame(report: LeverReport) -> pd.DataFrame:
    """The sensitivity run as a table: one row per lever and direction.

    Args:
        report: the sensitivity run.

    Returns:
        Columns ``rank``, ``lever``, ``kind``, ``direction``, ``base`` and
        ``value`` (the settings as text), then per objective the effect's
        ``_mean``, ``_se``, ``_p10`` and ``_p90`` in the scenario's currency.
    """
    rows = []
    for rank, lv in enumerate(report.levers, 1):
        for side in ("down", "up"):
            row = {"rank": rank, "lever": lv.name, "kind": lv.kind, "direction": side,
                   "base": setting_text(lv.base), "value": setting_text(getattr(lv, side))}
            for metric in OBJECTIVES:
                e = lv.effects[metric][side]
                row |= {f"{metric}_mean": e.mean, f"{metric}_se": e.se,
                        f"{metric}_p10": e.p10, f"{metric}_p90": e.p90}
            rows.append(row)
    return pd.DataFrame(rows)
