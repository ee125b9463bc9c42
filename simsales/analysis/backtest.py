"""The backtest: how well would the calibrated model have forecast what happened next? (MODEL.md section 10).

``simsales backtest DIR --until DATE --days N`` calibrates a scenario on
the export's data up to ``DATE`` (its last day included:
:func:`simsales.calibrate.calibrate` with ``until=DATE``), simulates the
``N`` days after it with the staff the export shows at that date (plan
``hold``, no hires), and holds what happened in those days (leads,
contacts, qualified, total invoices, won, net revenue, per week) against
the forecast's P10, P50 and P90.  The coverage, the share of actual weekly
numbers inside the P10-P90 band, says how far to trust the forecast: a
well-calibrated one puts about 80% inside.

**The open pipeline is the export's.**  The forecast starts from the leads
and deals open at 00:00 of the first forecast day in the export
(:func:`simsales.crm.pipeline.open_at`: only stage entries, calls and
payments before that moment), each at its stage and age, with its owner
where the staff table shows them employed (:mod:`simsales.world.pipeline`);
no warm-up is played.

Weekly numbers are counted by when things happen: a lead in the week it
was created, a contact at the start of the answered call, a qualified
lead at its contact call (the export stamps it at the call's end, minutes
later), a total invoice when the invoice was issued or the installment
link filled, a won deal when it was paid, net revenue as the money paid
less the refunds in the week.  The simulated weeks come from the fast
engine's outcomes and the deals (:mod:`simsales.world.deals`).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import yaml

from simsales.analysis.backtest_weeks import (
    BACKTEST_METRICS,
    BacktestError,
    actual_weeks,
    export_days,
    forecast_weeks,
    week_edges,
)
from simsales.crm.export import Export
from simsales.crm.pipeline import open_at
from simsales.scenario import Scenario
from simsales.scenario.loader import parse_scenario
from simsales.scenario.numbers import parse_number
from simsales.scenario.uncertain import mean_of
from simsales.world.calendar import DAYS_PER_MONTH
from simsales.world.warmup import MAX_WARMUP_DAYS
from simsales.world.warmup import auto_warmup_days as warmup_days

if TYPE_CHECKING:
    from simsales.calibrate.base import Base

__all__ = ["BACKTEST_METRICS", "MAX_WARMUP_DAYS", "Backtest", "BacktestError", "actual_weeks", "against",
           "backtest", "check_dates", "export_days", "forecast_document", "forecast_weeks", "warmup_days"]

BAND = (10, 90)
"""The band whose coverage is reported: P10 to P90 (nominally 80% of actual numbers inside)."""


@dataclass
class Backtest:
    """What happened against what the model forecast, week by week.

    Attributes:
        until: the last day of data the calibration used.
        days: days forecast after it.
        warmup_days: days played before the first forecast day (0: the forecast starts from the
            export's open pipeline).
        replications: forecast replications.
        seed: their seed.
        weeks: per week, its first day and the day after its last (the last week may be short).
        actual: metric -> what happened per week (NaN: the export cannot tell).
        forecast: metric -> per replication and week, ``(replications, weeks)``.
        scenario: the calibrated scenario as simulated (from the first forecast day).
        warnings: what the calibration warned about.
        notes: what the backtest assumed.
    """

    until: dt.date
    days: int
    warmup_days: int
    replications: int
    seed: int
    weeks: list[tuple[dt.date, dt.date]]
    actual: dict[str, np.ndarray]
    forecast: dict[str, np.ndarray]
    scenario: Scenario
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def quantiles(self, metric: str) -> np.ndarray:
        """P10, P50 and P90 of the forecast per week, ``(3, weeks)``."""
        return np.percentile(self.forecast[metric], [BAND[0], 50, BAND[1]], axis=0)

    def inside(self, metric: str) -> np.ndarray:
        """Per week: the actual number is inside the P10-P90 band (False where it is unknown)."""
        lo, _, hi = self.quantiles(metric)
        a = self.actual[metric]
        return ~np.isnan(a) & (a >= lo) & (a <= hi)

    def compared(self, metric: str) -> np.ndarray:
        """Per week: the actual number is known."""
        return ~np.isnan(self.actual[metric])

    @property
    def n_inside(self) -> int:
        """Actual weekly numbers inside their band."""
        return int(sum(self.inside(m).sum() for m in self.actual))

    @property
    def n_compared(self) -> int:
        """Actual weekly numbers compared."""
        return int(sum(self.compared(m).sum() for m in self.actual))

    @property
    def coverage(self) -> float:
        """Share of actual weekly numbers inside the P10-P90 band (NaN if none was compared)."""
        return self.n_inside / self.n_compared if self.n_compared else math.nan

    def table(self) -> pd.DataFrame:
        """One row per metric and week: actual, P10, P50, P90, inside, and which side it missed."""
        rows = []
        for metric in self.actual:
            q = self.quantiles(metric)
            for w, (first, after) in enumerate(self.weeks):
                a = self.actual[metric][w]
                side = ("unknown" if np.isnan(a) else "below" if a < q[0, w]
                        else "above" if a > q[2, w] else "inside")
                rows.append({"metric": metric, "week": w + 1, "first_day": first.isoformat(),
                             "last_day": (after - dt.timedelta(days=1)).isoformat(), "actual": a,
                             "p10": q[0, w], "p50": q[1, w], "p90": q[2, w], "inside": side == "inside",
                             "side": side})
        return pd.DataFrame(rows)

    def verdict(self) -> str:
        """The answer first: how many weekly numbers fell inside the band, and how far to trust it."""
        n, k = self.n_compared, self.n_inside
        nominal = (BAND[1] - BAND[0]) / 100
        if not n:
            return "No weekly number could be compared: the export has no data after the date."
        share = k / n
        # With n numbers at the nominal rate, a count this low happens by chance in under 5% of
        # backtests (normal approximation; weekly numbers are correlated, so this is lenient).
        low = nominal * n - 1.645 * math.sqrt(n * nominal * (1 - nominal))
        if k >= low and share >= nominal - 0.15:
            trust = "trust its P10-P90 bands about as far as they say"
        elif share >= 0.5:
            trust = "its bands are too narrow: read P10-P90 as a P25-P75 and keep a margin"
        else:
            trust = "do not trust its bands: most weeks fell outside them"
        return (f"{k} of {n} weekly numbers inside the forecast's P10-P90 band ({100 * share:.0f}%; "
                f"a well-calibrated forecast puts about {100 * nominal:.0f}% inside): {trust}.")

    def misses(self) -> list[str]:
        """Per metric with weeks outside the band: which side, e.g. ``won: 3 of 4 weeks above P90``."""
        lines = []
        table = self.table()
        for metric, rows in table.groupby("metric", sort=False):
            above, below = int((rows["side"] == "above").sum()), int((rows["side"] == "below").sum())
            known = int((rows["side"] != "unknown").sum())
            weeks = "week" if known == 1 else "weeks"  # "1 of 1 week" (report.units.counted is above here)
            parts = ([f"{above} of {known} {weeks} above P90"] if above else []) + \
                    ([f"{below} of {known} {weeks} below P10"] if below else [])
            if parts:
                lines.append(f"{metric}: {', '.join(parts)}")
        return lines


def check_dates(export: Export, until: dt.date, days: int) -> None:
    """Refuse a date outside the export, or a forecast that runs past its end.

    Args:
        export: the export.
        until: the last day of data the calibration uses.
        days: days to forecast after it.

    Raises:
        BacktestError: what is wrong, and what would do.
    """
    if days < 1:
        raise BacktestError(f"--days: expected at least 1 day to forecast, got {days}")
    first, last = export_days(export)
    if not first <= until < last:
        raise BacktestError(f"--until {until}: outside the export, whose data run {first}..{last}; "
                            f"give a date from {first} to {last - dt.timedelta(days=1)} (the forecast "
                            f"starts the day after it)")
    if until + dt.timedelta(days=days) > last:
        room = (last - until).days
        raise BacktestError(f"--days {days}: the forecast would run to {until + dt.timedelta(days=days)}, "
                            f"past the export's last day {last}; use --days {room} at most, or an earlier "
                            f"--until")


def backtest(export: Export, until: dt.date, *, days: int = 28, replications: int = 200,
             seed: int | None = None, since: dt.date | None = None,
             progress: Callable[[str], None] | None = None, base: Base | None = None,
             starting: Callable[[Scenario], None] | None = None,
             advance: Callable[[int], None] | None = None) -> Backtest:
    """Calibrate on the export up to ``until``, forecast the next ``days`` days, and compare.

    Args:
        export: the CRM export (it must have data after ``until``).
        until: the last day of data the calibration uses; the forecast starts the next day.
        days: days to forecast (at least 1).
        replications: forecast replications.
        seed: their seed (None: the calibrated scenario's).
        since: the first day of data the calibration uses (None: the export's first).
        progress: called with a short line before each long step (None: silent).
        base: a scenario the calibration lays its fits over (:mod:`simsales.calibrate.base`: the
            rules the export cannot identify are the base's; None: their defaults).
        starting: called with the forecast's scenario before its first replication (None: nothing).
        advance: called with the number of forecast replications just finished (None: nothing).

    Returns:
        The weekly actuals, the forecasts and their coverage.

    Raises:
        BacktestError: ``until`` outside the export, ``days`` < 1 or past its end.
    """
    from simsales.calibrate import calibrate  # the calibration layer, only when a backtest is made

    check_dates(export, until, days)
    calibration = calibrate(export, since=since, until=until, progress=progress, base=base)
    if progress is not None:
        progress(f"forecast: {replications} replications of the {days} days after {until}")
    return against(export, calibration.document, until, days=days, replications=replications, seed=seed,
                   warnings=[w for w in calibration.warnings if not w.startswith(NOT_FORECAST)],
                   starting=starting, advance=advance)


def against(export: Export, document: dict, until: dt.date, *, days: int = 28, replications: int = 200,
            seed: int | None = None, warnings: list[str] | None = None, engine: str = "fast",
            starting: Callable[[Scenario], None] | None = None,
            advance: Callable[[int], None] | None = None) -> Backtest:
    """Forecast the ``days`` days after ``until`` with a scenario, and hold the export's weeks against it.

    Args:
        export: the CRM export.
        document: the scenario (YAML-ready dict) whose team's tenures are
            as of the first forecast day; its start and horizon are replaced.
        until: the day before the first forecast day.
        days: days to forecast.
        replications: forecast replications.
        seed: their seed (None: the document's).
        warnings: what the calibration warned about.
        engine: the engine that forecasts (``fast``, or ``des``).
        starting: called with the forecast's scenario before its first replication (None: nothing).
        advance: called with the number of replications just finished (None: nothing).

    Returns:
        The weekly actuals, the forecasts and their coverage.

    Raises:
        BacktestError: ``until`` outside the export, ``days`` < 1 or past its end.
    """
    check_dates(export, until, days)
    start = until + dt.timedelta(days=1)
    open_leads = open_at(export, start)  # only what the export knew before the first forecast day
    scenario = scenario_of(forecast_document(document, start, 0, days, replications, seed))
    weeks = week_edges(start, days)
    if starting is not None:
        starting(scenario)
    runs = []
    for r in range(replications):
        runs.append(forecast_weeks(scenario, r, scenario.seed, len(weeks), days, engine,
                                   open_leads=open_leads))
        if advance is not None:
            advance(1)
    forecast = {m: np.array([run[m] for run in runs]) for m in BACKTEST_METRICS}
    stages = ", ".join(f"{stage} {n}" for stage, n in open_leads.counts().items()) or "none"
    notes = [
        f"The forecast starts from the pipeline open in the export at 00:00 of {start}: {len(open_leads)} "
        f"leads and deals ({stages}), each at its stage and age, owners kept where the staff table shows "
        f"them employed; stages, calls and payments after that moment are not used "
        f"(simsales.world.pipeline).",
        "Staff as the export shows them at the date, no hires or known leavers after it (plan hold); "
        "attrition as calibrated.",
        "Qualified leads are counted at their contact call in the forecast (at the call's end in the "
        "export: minutes later).",
    ]
    notes += [line for line in open_leads.notes if line.startswith("owners:")]  # owners not kept, counted
    if export.payments is None:
        notes.append("The export has no payments table: net revenue is not compared.")
    return Backtest(until=until, days=days, warmup_days=0, replications=replications, seed=scenario.seed,
                    weeks=weeks, actual=actual_weeks(export, weeks), forecast=forecast, scenario=scenario,
                    warnings=list(warnings or []), notes=notes)


def scenario_of(document: dict) -> Scenario:
    """The scenario a YAML-ready document describes (validated as a scenario file is)."""
    text = yaml.safe_dump(_plain(document), sort_keys=False, allow_unicode=True)
    return parse_scenario(text, "<calibrated scenario>")


def forecast_document(document: dict, start: dt.date, warmup: int, days: int, replications: int,
                      seed: int | None) -> dict:
    """The calibrated scenario moved to start on ``start``, run ``days`` days after a warm-up of ``warmup``.

    The team keeps its people; their tenures, given at the document's
    ``start`` (the first forecast day if it has none), are moved to the
    first forecast day (at least 0).  Each channel's volume, given at the
    document's start, is carried to the first forecast day by its mean
    growth.  The warm-up (``warmup_days``) is played before it with that
    team (:mod:`simsales.world.warmup`).  Plans: one, ``hold``.  Scenario
    parts tied to the calendar (the revenue plan, monthly targets) are dropped.

    Args:
        document: the calibrated scenario (YAML-ready dict; not modified),
            its team's tenures at its ``start``.
        start: the first forecast day.
        warmup: days played before it (``warmup_days``).
        days: days forecast.
        replications: replications.
        seed: the seed (None: the document's, else 1).

    Returns:
        The document to simulate.
    """
    doc = copy.deepcopy(document)
    first = start
    was = dt.date.fromisoformat(str(doc.get("start", start)))
    doc["start"] = first.isoformat()
    doc["horizon_days"] = days
    doc["warmup_days"] = warmup
    doc["replications"] = replications
    doc["seed"] = seed if seed is not None else doc.get("seed", 1)
    doc.pop("revenue_plan", None)
    doc.pop("benchmarks", None)
    team = doc.get("team", {})
    for person in [*team.get("team_leads", []), *team.get("managers", [])]:
        if "tenure_days" in person:
            person["tenure_days"] = max(0, int(person["tenure_days"]) - (was - first).days)
    # Volumes are given at the document's start: carry each to the first forecast day by its mean growth.
    probe = scenario_of(document)
    for channel, fitted in zip(doc.get("channels", []), probe.channels, strict=True):
        factor = (1.0 + mean_of(fitted.growth_per_month)) ** (-(was - first).days / DAYS_PER_MONTH)
        channel["leads_per_day"] = scaled(channel["leads_per_day"], factor)
    doc["plans"] = [{"name": "hold"}]
    return doc


NOT_FORECAST = ("plan ", "revenue_plan:")
"""Calibration warnings about the base's hiring plans and revenue plan: the forecast runs ``hold``
with no revenue plan (:func:`forecast_document`), so they say nothing about it and are not shown."""

SCALE_FREE = ("mean", "sd", "min", "max", "normal", "triangular", "uniform", "exponential", "fixed")
"""The keys of a distribution spec that are in the value's unit (multiplied when the value is scaled)."""


def scaled(spec: object, factor: float) -> object:
    """A number or distribution spec (YAML-ready) multiplied by ``factor`` (every form the scenario takes).

    Args:
        spec: a number, or a spec such as ``{"lognormal": {"mean": 48.5, "sd": 2.5}}``,
            ``{"triangular": [50, 60, 70]}``, ``{"normal": [60, 5], "min": 40}``.
        factor: the multiplier (> 0).

    Returns:
        The scaled spec (a new object).
    """
    if isinstance(spec, int | float | np.number) and not isinstance(spec, bool):
        return float(spec) * factor
    if isinstance(spec, str):  # "40k", "1_000": the number forms a scenario accepts
        return parse_number(spec) * factor
    if isinstance(spec, list | tuple):
        return [scaled(x, factor) for x in spec]
    if isinstance(spec, dict):
        return {k: (scaled(v, factor) if k in SCALE_FREE or k in ("lognormal", "gamma") else v)
                for k, v in spec.items()}
    return spec


def _plain(obj: object) -> object:
    """A document with numpy scalars as Python numbers (YAML writes those only)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj.item() if isinstance(obj, np.generic) else obj
