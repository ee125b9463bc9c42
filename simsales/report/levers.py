"""A sensitivity run as people read it: settings and effects as text, the lever table.

:mod:`simsales.analysis.levers` computes in numbers; this module writes
them: an input's setting in its unit (``45%``, ``4 h``, ``1 day``, ``62k``,
``1,000 a day``, ``5 attempts``, ``40% / 70% / 90%``), an effect as signed
money with its standard error (``+472k ±103k``), and the per-lever table
that ``simsales levers`` writes as CSV and JSON.  Money is in the
scenario's currency.
"""

from __future__ import annotations

import math

import pandas as pd

from simsales.analysis.lever_table import Setting
from simsales.analysis.levers import OBJECTIVES, LeverEffect, LeverReport
from simsales.report.units import counted, duration, money, share, whole
from simsales.scenario.units import MINUTES_PER_DAY

# Units written in words after the number: written once for a lever's three settings.
_WORD_UNIT = {"leads_per_day": " a day", "attempts": " attempts", "managers": " managers",
              "hires": " hires", "leads_per_manager_day": " a day"}


def setting_text(setting: Setting) -> str:
    """An input's setting in its unit, as a head of sales says it.

    Args:
        setting: what a lever read.

    Returns:
        A share as a percentage (``29.3%``), a duration (``15 min``,
        ``4 h``, ``1 day``), money short (``62k``), leads per day (``1,000
        a day``), a whole count with its unit (``5 attempts``, ``150
        managers``), the ramp's productivity per month of tenure
        (``40% / 70% / 90%``), ``midpoint 45 days`` for a logistic ramp,
        a cap on new leads per manager (``40 a day``, ``no cap``), CRM
        minutes per attempt / contact / offer (``0.5 / 2 / 4 min``), else
        the number to three significant digits.
    """
    x = setting.values[0]
    match setting.kind, setting.unit:
        case "months", _:
            return " / ".join(share(f, 0) for f in setting.values)
        case "midpoint_days", _:
            return f"midpoint {duration(x * MINUTES_PER_DAY)}"
        case "cap", _:
            return "no cap" if math.isinf(x) else f"{int(x):,d} a day"
        case "per_event", _:
            return " / ".join(f"{v:.3g}" for v in setting.values) + " min"
        case "count", unit:  # a plural unit ("managers"): "1 manager", "150 managers"
            return counted(int(x), unit.removesuffix("s"), unit, number=whole) if unit else whole(int(x))
        case _, "share":
            return share(x)
        case _, "minutes":
            return duration(x)
        case _, "money":
            return money(x)
        case _, "leads_per_day":
            return f"{x:,.0f} a day"
        case _:
            return f"{x:.3g}" if abs(x) < 1e3 else f"{x:,.0f}"


def settings_text(lever: LeverEffect) -> str:
    """The lever's settings nudged down, unchanged and nudged up: ``40.5% | 45% | 49.5%``.

    Args:
        lever: one lever of a sensitivity run.

    Returns:
        The three settings, separated by ``|``; a unit written in words
        (``5 | 6 | 7 managers``, ``72 | 80 | 88 a day``) only once, at the end.
    """
    texts = [setting_text(s) for s in (lever.down, lever.base, lever.up)]
    tail = " min" if lever.base.kind == "per_event" else \
        _WORD_UNIT.get(lever.base.unit if lever.base.kind in ("count", "number", "cap") else "")
    one = tail.removesuffix("s") if tail and lever.base.kind == "count" else tail  # "1 manager"
    if tail and all(t.endswith((tail, one)) for t in texts):
        return " | ".join(t.removesuffix(tail).removesuffix(one) for t in texts) + tail
    return " | ".join(texts)



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


def change_text(lever: LeverEffect, side: str) -> str:
    """What one side's nudge changed, in plain words.

    Args:
        lever: one lever of a sensitivity run.
        side: ``down`` or ``up``.

    Returns:
        The lever's own words when it gives them (the sales floor's levers:
        ``4 of 40 managers ... moved from weekday, long to 'evening'
        (14:00-23:00)``), else ``label: base -> value`` in the input's unit.
    """
    if side in lever.changes:
        return lever.changes[side]
    return f"{lever.label}: {setting_text(lever.base)} -> {setting_text(getattr(lever, side))}"


def lever_frame(report: LeverReport) -> pd.DataFrame:
    """The sensitivity run as a table: one row per lever and direction.

    Args:
        report: the sensitivity run.

    Returns:
        Columns ``rank``, ``lever``, ``kind``, ``direction``, ``base`` and
        ``value`` (the settings as text, in their units), ``meaning`` (the
        lever in one line), ``change`` (what this side's nudge changed in
        the scenario, in plain words: the sales floor's levers; else the
        setting's move, ``base -> value``), ``upper_bound`` (why the effect
        is only an upper bound, "" if it is not; such levers come last,
        ranked apart), then
        per objective the effect's ``_mean``, ``_se``, ``_p10`` and ``_p90``
        in the scenario's currency.
    """
    rows = []
    for rank, lv in enumerate(report.levers, 1):
        for side in ("down", "up"):
            row = {"rank": rank, "lever": lv.name, "kind": lv.kind, "direction": side,
                   "base": setting_text(lv.base), "value": setting_text(getattr(lv, side)),
                   "meaning": lv.meaning, "change": change_text(lv, side), "upper_bound": lv.note}
            for metric in OBJECTIVES:
                e = lv.effects[metric][side]
                row |= {f"{metric}_mean": e.mean, f"{metric}_se": e.se,
                        f"{metric}_p10": e.p10, f"{metric}_p90": e.p90}
            rows.append(row)
    return pd.DataFrame(rows)
