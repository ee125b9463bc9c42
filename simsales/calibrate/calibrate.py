"""`calibrate`: from a CRM export to a scenario that validates and runs (MODEL.md section 10).

Each part of the scenario is fitted by its own module, top to bottom as
the model runs: the channels (:mod:`~simsales.calibrate.channels`), the
working hours and shifts (:mod:`~simsales.calibrate.schedule`), the touch
chain (:mod:`~simsales.calibrate.touch`), the talk share and CRM minutes
(:mod:`~simsales.calibrate.call_time`), the team
(:mod:`~simsales.calibrate.team`), the funnel
(:mod:`~simsales.calibrate.funnel`) and its calls after the contact call
(:mod:`~simsales.calibrate.booked_calls`).  What the data cannot identify keeps a
default and is listed as such.  The scenario starts the day after the
window and runs :data:`HORIZON_DAYS` days with one plan, ``hold``; or,
given a base scenario, the fits are laid over it (:mod:`~simsales.calibrate.base`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from simsales.calibrate.absence import fit_absence
from simsales.calibrate.base import Base, on_base
from simsales.calibrate.booked_calls import fit_booked_calls
from simsales.calibrate.call_kinds import call_kinds
from simsales.calibrate.call_time import crm_and_talk_share
from simsales.calibrate.channels import fit_channels, nontarget_flags
from simsales.calibrate.document import document, yaml_text
from simsales.calibrate.due import pace_of, paid_on_call
from simsales.calibrate.fit import Fit, Part, count, merge
from simsales.calibrate.frame import Frame, build_frame, window
from simsales.calibrate.funnel import fit_funnel, payments_part
from simsales.calibrate.presentation import fit_presentation
from simsales.calibrate.routing import fit_routing
from simsales.calibrate.schedule import fit_calendar, fit_shifts
from simsales.calibrate.skill_weights import fit_skill_weights
from simsales.calibrate.team import fit_team
from simsales.calibrate.touch import chain_attempts, fit_touch_chain, reach_of
from simsales.crm.export import Export
from simsales.crm.schema import ROW_NOUNS

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
        kept: fields the data cannot identify, kept from the base scenario (empty without one).
        absorbed: rules the fitted values already hold (rule path -> which value, how).
        base: the base scenario's file name ("" without one).
    """

    document: dict
    comments: dict[str, str]
    fits: list[Fit]
    defaults: list[str]
    warnings: list[str]
    period: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    base: str = ""
    absorbed: dict[str, str] = field(default_factory=dict)

    def header(self) -> list[str]:
        """The file's header paragraphs: what was fitted from what, and what was not."""
        # A row's noun for one, else for many (1 payment, 12 people); report.units.counted is above here.
        counts = ", ".join(f"{count(n)} {ROW_NOUNS[name][count(n) != '1']}"
                           for name, n in self.counts.items())
        days, on = self.document.get("horizon_days"), self.base
        runs = (f"runs {days} days (a quarter) with one plan, hold: add your plans." if not on else
                f"runs {days} days with {on}'s plans (their months in this horizon). Every field the export "
                f"identifies replaces {on}'s (the data wins); every other field is {on}'s.")
        lines = [
            f"{self.document.get('name', 'scenario')}: fitted by `simsales calibrate` on the CRM export's "
            f"{self.period} ({counts})" + (f", laid over {on}." if on else "."),
            f"Starts the day after the window ({self.document.get('start')}) and {runs}",
            "Every fitted probability is a Beta posterior from the counts (what the data cannot tell "
            "is drawn once per replication); the comment above each field says what data it came from.",
        ]
        if self.kept:
            lines.append(f"Kept from {self.base} (the export cannot identify them): "
                         + ", ".join(self.kept) + ".")
        if self.defaults:
            lines.append("Kept at a default (the export cannot identify them; check them): "
                         + ", ".join(self.defaults) + ".")
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
    part.default("routing.policy", "round_robin", "the export does not say who a lead was first routed to")
    part.default("routing.onboarding_days", 5, "the export does not say when a new manager first got leads")
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
    base: Base | None = None,
) -> Calibration:
    """Fit a scenario to a CRM export.

    Args:
        export: the export (:func:`simsales.crm.read.read_export`, or made in memory).
        since: the window's first day (None: the first lead's day).
        until: the window's last day (None: the last event's day); the scenario starts the day after.
        name: the scenario's name (None: "Calibrated on SINCE..UNTIL").
        progress: called with a short line before each long step (None: silent).
        base: a scenario to lay the fits over (:func:`~simsales.calibrate.base.read_base`; None: none).

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
    routing = fit_routing(frame)
    parts += [calendar, fit_shifts(frame, hours), fit_absence(frame), routing]
    touch = fit_touch_chain(frame, attempts, reach)
    say("talk share and CRM minutes: the pace of back-to-back calls")
    crm = crm_and_talk_share(frame, attempts, touch.values["touch_chain.offsets"])
    parts += [touch, crm]
    say("team: skill, ramp, attrition")
    team, factor = fit_team(frame, start)
    parts += [team, fit_skill_weights(frame)]
    say("funnel: stages, delays, refunds, price")
    flags, _ = nontarget_flags(frame)
    presentation, divisor = fit_presentation(frame)  # the offer rate net of cooling and missed presentations
    within = presentation.values.get("funnel.presentation_within_days")
    kinds = call_kinds(frame)
    funnel = fit_funnel(frame, flags, offer_factor=factor * divisor, paid_on_call=paid_on_call(frame, kinds))
    handover = routing.values.get("routing.handover_after_hours")
    booked = fit_booked_calls(frame, within, pace_of(crm), kinds, handover)
    parts += [funnel, payments_part(frame), presentation, booked]
    whole = merge(parts)
    fitted = Calibration(
        document=document(whole.values),
        comments=whole.comments,
        fits=whole.fits,
        defaults=whole.defaults,
        warnings=frame.warnings + whole.warnings,
        period=frame.period,
        counts=_counts(export, frame),
        notes=list(export.notes),
        absorbed=whole.absorbed,
    )
    return fitted if base is None else on_base(fitted, base)


def _counts(export: Export, frame: Frame) -> dict[str, int]:
    counts = {"leads": frame.n, "calls": len(frame.calls), "staff": len(frame.staff)}
    if frame.payments is not None:
        counts["payments"] = len(frame.payments)
    if frame.shifts is not None:
        counts["shifts"] = len(frame.shifts)
    return counts
