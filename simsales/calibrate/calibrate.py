"""`calibrate`: from a CRM export to a scenario that validates and runs (MODEL.md section 10).

Each part of the scenario is fitted by its own module, top to bottom as
the model runs: the channels (:mod:`~simsales.calibrate.channels`), the
working hours and shifts (:mod:`~simsales.calibrate.schedule`), the touch
chain (:mod:`~simsales.calibrate.touch`), the talk share
(:mod:`~simsales.calibrate.pace`), the team
(:mod:`~simsales.calibrate.team`) and the funnel
(:mod:`~simsales.calibrate.funnel`).  What the data cannot identify keeps a
default and is listed as such.  The scenario starts the day after the
window and runs :data:`HORIZON_DAYS` days with one plan, ``hold``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from simsales.calibrate.channels import fit_channels, nontarget_flags
from simsales.calibrate.document import document, yaml_text
from simsales.calibrate.fit import Fit, Part, count, merge
from simsales.calibrate.frame import Frame, build_frame, window
from simsales.calibrate.funnel import fit_funnel, payments_part
from simsales.calibrate.pace import fit_talk_share
from simsales.calibrate.schedule import fit_calendar, fit_shifts
from simsales.calibrate.team import fit_team
from simsales.calibrate.touch import chain_attempts, fit_touch_chain, reach_of
from simsales.crm.export import Export

HORIZON_DAYS = 92
"""The scenario's horizon: a quarter."""


class CalibrationError(ValueError):
    """The export cannot be calibrated on (no lead in the window, an empty window ...)."""


@dataclass
class Calibration:
    """A fitted scenario and how it was fitted.

    Attributes:
        document: the scenario as a YAML-ready dict that simsales.scenario loads and runs.
        comments: dotted field path -> the data it came from (n, period).
        fits: observed against fitted, for the diagnostics report.
        defaults: fields the data cannot identify (kept at a default).
        warnings: what to distrust.
        period: the window fitted on, ``YYYY-MM-DD..YYYY-MM-DD``.
        counts: rows used per table (leads, calls, stage entries, staff, payments, shifts).
        notes: what the export's reader assumed.
    """

    document: dict
    comments: dict[str, str]
    fits: list[Fit]
    defaults: list[str]
    warnings: list[str]
    period: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def header(self) -> list[str]:
        """The file's header paragraphs: what was fitted from what, and what was not."""
        counts = ", ".join(f"{count(n)} {name}" for name, n in self.counts.items())
        lines = [
            f"{self.document.get('name', 'scenario')}: fitted by `simsales calibrate` on the CRM export's "
            f"{self.period} ({counts}).",
            f"Starts the day after the window ({self.document.get('start')}) and runs "
            f"{self.document.get('horizon_days')} days (a quarter) with one plan, hold: add your plans.",
            "Every fitted probability is a Beta posterior from the counts (what the data cannot tell "
            "is drawn once per replication); the comment above each field says what data it came from.",
            "Kept at a default (the export cannot identify them; check them): "
            + ", ".join(self.defaults)
            + ".",
        ]
        lines += [f"Warning: {w}" for w in self.warnings]
        return lines

    def yaml(self) -> str:
        """The scenario text with a comment per fitted field."""
        return yaml_text(self.document, self.comments, self.header())


def _top(name: str, start: dt.date) -> Part:
    part = Part()
    part.set("name", name, "")
    part.set("start", start.isoformat(), "the day after the window's end")
    part.set("horizon_days", HORIZON_DAYS, "a quarter (change at will)")
    part.default("currency", "RUB", "the export's currency is not in the data: money is in the export's")
    part.default("revenue_plan", 0, "enter your net revenue target")
    part.set("replications", 200, "")
    part.set("seed", 0, "")
    part.default(
        "routing",
        {"policy": "round_robin", "onboarding_days": 5},
        "the export does not say how leads are routed",
    )
    part.default(
        "economics",
        {
            "manager_salary_month": 0,
            "team_lead_salary_month": 0,
            "commission_share": 0,
            "team_lead_commission_share": 0,
        },
        "salaries are not in the export",
    )
    part.set("plans", [{"name": "hold"}], "one plan: keep the team as it is; add your hiring plans")
    for path in ("name", "replications", "seed"):
        part.comments.pop(path)
    return part


def calibrate(
    export: Export,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    name: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Calibration:
    """Fit a scenario to a CRM export.

    Args:
        export: the export (:func:`simsales.crm.read.read_export`, or made in memory).
        since: the window's first day (None: the first lead's day).
        until: the window's last day (None: the last event's day); the scenario starts the day after.
        name: the scenario's name (None: "Calibrated on SINCE..UNTIL").
        progress: called with a short line before each long step (None: silent).

    Returns:
        The calibration: the scenario document, provenance comments, fits, defaults and warnings.

    Raises:
        CalibrationError: no lead in the window, or an empty window.
    """
    say = progress or (lambda _: None)
    try:
        since, until = window(export, since, until)
        say(f"reading the window {since}..{until}")
        frame = build_frame(export, since, until)
    except ValueError as exc:
        raise CalibrationError(str(exc)) from None
    start = until + dt.timedelta(days=1)
    parts = [_top(name or f"Calibrated on {frame.period}", start)]
    say(f"touch chain: {count(len(frame.calls))} calls")
    attempts = chain_attempts(frame)
    reach = reach_of(frame, attempts)
    say(f"channels: {count(frame.n)} leads")
    parts.append(fit_channels(frame, frame.days, reach))
    calendar, hours = fit_calendar(frame)
    parts += [calendar, fit_shifts(frame, hours)]
    touch = fit_touch_chain(frame, attempts, reach)
    say("talk share: the pace of back-to-back calls")
    parts += [touch, fit_talk_share(frame, attempts, touch.values["touch_chain.offsets"])]
    say("team: skill, ramp, attrition")
    team, factor = fit_team(frame, start)
    parts.append(team)
    say("funnel: stages, delays, refunds, price")
    flags, _ = nontarget_flags(frame)
    parts += [fit_funnel(frame, flags, offer_factor=factor), payments_part(frame)]
    whole = merge(parts)
    return Calibration(
        document=document(whole.values),
        comments=whole.comments,
        fits=whole.fits,
        defaults=whole.defaults,
        warnings=frame.warnings + whole.warnings,
        period=frame.period,
        counts=_counts(export, frame),
        notes=list(export.notes),
    )


def _counts(export: Export, frame: Frame) -> dict[str, int]:
    counts = {"leads": frame.n, "calls": len(frame.calls), "staff": len(frame.staff)}
    if frame.payments is not None:
        counts["payments"] = len(frame.payments)
    if frame.shifts is not None:
        counts["shifts"] = len(frame.shifts)
    return counts
