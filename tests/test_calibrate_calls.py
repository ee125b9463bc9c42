"""The calls log's time per event: talk share and CRM minutes, the presentation's and the closing calls.

Round trips (the truth simulated by the reference engine, exported with
``--events``, calibrated back) and the fits' rules on small made-up logs.
"""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pandas as pd
import pytest
import yaml

from simsales.calibrate import calibrate
from simsales.calibrate.booked_calls import fit_booked_calls, share_from_payments
from simsales.calibrate.call_kinds import (
    CLOSE,
    CONTACT,
    DIAL,
    OFFER,
    OTHER,
    PRESENT,
    call_kinds,
    offer_times,
    presenters,
)
from simsales.calibrate.call_time import BAND, densest, fit_call_time
from simsales.calibrate.delays import fit_delay
from simsales.calibrate.due import SLACK_MINUTES, Pace, TouchChain, came_free, due_after, paid_on_call
from simsales.calibrate.frame import build_frame, window
from simsales.calibrate.funnel import transition
from simsales.crm.export import Export
from simsales.montecarlo.events import simulate_events
from simsales.scenario.loader import parse_scenario
from tests.test_calibrate_roundtrip import TRUTH

CRM = {"attempt": 0.5, "contact": 2.0, "offer": 4.0}
TALK_SHARE = 0.7
OFFER_MINUTES = (25.0, 10.0)
CLOSING = {"share": 0.6, "delay_days": {"exponential": 1.0},
           "call_minutes": {"lognormal": {"mean": 8, "sd": 4}}, "within_days": 2}
"""A short limit: about a fifth of the closing calls come too late and are not made (not in the log)."""


def _truth() -> dict:
    """The round trip's department with known CRM minutes, talk share, presentation and closing calls;
    half the managers in their first month (slower calls, the ramp in the telephony's minutes)."""
    truth = copy.deepcopy(TRUTH)
    truth["team"]["crm_minutes"] = dict(CRM)
    truth["team"]["talk_share"] = TALK_SHARE
    truth["team"]["managers"][1]["tenure_days"] = 20
    mean, sd = OFFER_MINUTES
    truth["funnel"]["offer"]["call_minutes"] = {"lognormal": {"mean": mean, "sd": sd}}
    truth["funnel"]["closing"] = copy.deepcopy(CLOSING)
    return truth


@pytest.fixture(scope="module")
def roundtrip():
    scenario = parse_scenario(yaml.safe_dump(_truth(), sort_keys=False), "<truth>")
    run = simulate_events(scenario, "hold", 0, seed=3)
    return run, calibrate(run.export)


def _mean(delay: dict) -> float:
    """The mean (days) of a delay as the scenario writes it."""
    return delay["exponential"] if "exponential" in delay else next(iter(delay.values()))["mean"]


def _planned(run) -> tuple[float, int]:
    """The mean planned delay (days) of the closing calls the simulation booked, and how many."""
    needed = np.isfinite(run.outcomes.closing_due)
    delay = run.outcomes.closing_due[needed] - run.outcomes.offer_time[needed]
    return float(np.mean(delay)) / 1440, int(needed.sum())


def _fit(cal, field: str):
    return next(f for f in cal.fits if f.field == field)


def test_talk_share_and_crm_minutes_come_back(roundtrip):
    _, cal = roundtrip
    lo, mode, hi = cal.document["team"]["talk_share"]["triangular"]
    assert lo <= TALK_SHARE <= hi and hi - lo < 0.03 and abs(mode - TALK_SHARE) < 0.005
    crm = cal.document["team"]["crm_minutes"]
    fit = _fit(cal, "team.crm_minutes")
    # Each kind's pile: inside its 90% interval, and the model's CRM minutes per kind.
    want = {"dial": CRM["attempt"], "contact call": CRM["attempt"] + CRM["contact"],
            "closing call": CRM["attempt"] + CRM["contact"], "presentation, offer": CRM["offer"],
            "presentation, no offer": 0.0}
    assert set(fit.x) == set(want)
    for name, lower, upper in zip(fit.x, fit.lower, fit.upper, strict=True):
        assert lower <= want[name] <= upper, name
    assert crm == pytest.approx(CRM, abs=0.03)
    for path in ("team.talk_share", "team.crm_minutes.attempt", "team.crm_minutes.contact",
                 "team.crm_minutes.offer"):
        assert path not in cal.defaults
        assert "pairs" in cal.comments[path]


def test_presentation_and_closing_calls_come_back(roundtrip):
    run, cal = roundtrip
    funnel = cal.document["funnel"]
    minutes = funnel["offer"]["call_minutes"]["lognormal"]
    n = len(run.log.present_lead)
    se = OFFER_MINUTES[1] / np.sqrt(n / 2)  # about half the presentations are by ramped managers
    assert abs(minutes["mean"] - OFFER_MINUTES[0]) < 3 * se
    assert minutes["sd"] == pytest.approx(OFFER_MINUTES[1], rel=0.15)
    closing = funnel["closing"]
    share = _fit(cal, "funnel.closing.share")
    assert share.lower[1] <= CLOSING["share"] <= share.upper[1]
    assert closing["share"] == pytest.approx(CLOSING["share"], abs=0.05)
    assert CLOSING["within_days"] <= closing["within_days"] <= CLOSING["within_days"] + 0.3
    close = closing["call_minutes"]["lognormal"]
    assert abs(close["mean"] - 8) < 3 * 4 / np.sqrt(len(run.log.close_lead) / 2)
    # The planned delay comes back, not the delay to the call's start (the wait for the manager is the
    # simulation's to add): within 3 standard errors of an exponential's mean from the calls seen, about
    # 4/5 of those needed. Fitting the starts gave 1.0-1.8 (the wait counted twice); the intervals alone,
    # cut at the limit rather than at the manager's last touch-chain call before it, gave 0.70.
    planned, needed = _planned(run)
    assert abs(_mean(closing["delay_days"]) - planned) < 3 * planned / np.sqrt(0.8 * needed)
    assert "interval-censored" in cal.comments["funnel.closing.delay_days"]
    for path in ("funnel.offer.call_minutes", "funnel.closing.share", "funnel.closing.within_days",
                 "funnel.closing.call_minutes", "funnel.closing.delay_days"):
        assert path not in cal.defaults, path
    parse_scenario(cal.yaml(), "<fitted>")  # the fitted scenario loads


def test_the_share_needing_a_closing_call_from_the_paid_rates():
    """60% need a call, 80% of those get it in time, offers pay 70%: 48% are seen with a call, those
    without pay 0.7 x 0.4 / 0.52; the share comes back exactly, not the 48% seen."""
    s, reach, pay = 0.6, 0.8, 0.7
    u = s * reach
    r0 = pay * (1 - s) / (1 - u)
    n = 100_000
    share, lo, hi = share_from_payments(u, n, round(u * n), n, round(pay * n), n, round(r0 * n))
    assert share == pytest.approx(s, abs=1e-4)
    assert lo < s < hi and hi - lo < 0.02
    # Every call made (no drops): both groups pay alike, the share is the share seen.
    share, _, _ = share_from_payments(0.3, 1000, 300, 300, 210, 700, 490)
    assert share == pytest.approx(0.3)


def _export(calls: list[tuple], stages: list[tuple] = (), n_leads: int = 3) -> Export:
    """A tiny export: leads L1.. created at 09:00 on 2026-03-02, one manager, the given calls and stages.

    ``calls``: (lead, minutes after 09:00, seconds, answered); ``stages``: (lead, stage, minutes after 09:00).
    """
    t0 = pd.Timestamp("2026-03-02 09:00", tz="UTC")
    leads = pd.DataFrame({"lead_id": [f"L{i + 1}" for i in range(n_leads)], "created_at": [t0] * n_leads,
                          "channel": ["ads"] * n_leads, "manager_id": ["M1"] * n_leads,
                          "status": ["open"] * n_leads})
    calls_df = pd.DataFrame({
        "lead_id": [c[0] for c in calls], "manager_id": ["M1"] * len(calls),
        "started_at": [t0 + pd.Timedelta(minutes=c[1]) for c in calls],
        "duration_s": [float(c[2]) for c in calls], "answered": [c[3] for c in calls]})
    stages_df = pd.DataFrame({"lead_id": [s[0] for s in stages], "stage": [s[1] for s in stages],
                              "entered_at": pd.Series([t0 + pd.Timedelta(minutes=s[2]) for s in stages],
                                                      dtype="datetime64[ns, UTC]")})
    staff = pd.DataFrame({"manager_id": ["M1"], "team_lead_id": [None], "role": ["manager"],
                          "hired_at": [pd.Timestamp("2025-01-01")], "left_at": [pd.NaT]})
    return Export(leads=leads, stages=stages_df, calls=calls_df, staff=staff, payments=None, shifts=None,
                  tz="UTC", folder=None)


def test_each_call_is_read_as_the_model_has_it():
    """L1: dial, contact, presentation without an offer, presentation with the offer, closing call;
    L2: dial, dial; L3: contact, an unanswered call after it (no kind), presentation (no offer yet)."""
    calls = [("L1", 0, 60, False), ("L1", 30, 300, True), ("L1", 1500, 900, True), ("L1", 3000, 1200, True),
             ("L1", 4500, 400, True), ("L2", 1, 60, False), ("L2", 40, 60, False),
             ("L3", 2, 200, True), ("L3", 600, 60, False), ("L3", 700, 800, True)]
    stages = [("L1", "contact", 30), ("L1", "qualified", 40), ("L1", "invoice", 3030)]
    frame = build_frame(_export(calls, stages), dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert list(call_kinds(frame)) == [DIAL, CONTACT, PRESENT, OFFER, CLOSE, DIAL, DIAL, CONTACT, OTHER,
                                       PRESENT]
    # The presentation is the last presentation call's (L1: the one with the offer, not the closing call).
    manager, start = presenters(frame)
    assert list(manager) == [0, -1, 0]
    np.testing.assert_allclose(start, [540 + 3000, np.nan, 540 + 700])


def test_a_presentation_of_no_minutes_at_the_offers_moment_is_not_a_closing_call():
    """The scenario's default presentation takes 0 minutes: `run --events` logs a 0 s call at the offer
    (its start and the offer each rounded to the second, so up to 1 s apart). It is the presentation
    that ended in the offer, not a closing call; with a presentation before it, a call there closes.

    L1: contact, a 0 s call 1 s after the offer; L2: contact, a 0 s call at the offer; L3: contact, a
    presentation, then a call at the offer (a closing call). Before, every such call was a closing call
    and calibrate fitted funnel.closing.share 100% on a department with no closing calls."""
    second = 1 / 60
    calls = [("L1", 0, 300, True), ("L1", 5 + second, 0, True),
             ("L2", 1, 300, True), ("L2", 6, 0, True),
             ("L3", 2, 300, True), ("L3", 10, 600, True), ("L3", 20, 0, True)]
    stages = [("L1", "invoice", 5), ("L2", "invoice", 6), ("L3", "invoice", 20)]
    frame = build_frame(_export(calls, stages), dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert list(call_kinds(frame)) == [CONTACT, OFFER, CONTACT, OFFER, CONTACT, OFFER, CLOSE]


def test_the_densest_band_and_no_pile_without_a_common_pace():
    rng = np.random.default_rng(3)
    on_line = 2.5 + rng.uniform(-1, 1, 400) / 60  # timestamps to the second
    waited = 2.5 + rng.exponential(30, 1600)
    n, lower, below = densest(np.concatenate([on_line, waited]))
    assert n >= 400 and lower <= on_line.min() and lower + BAND >= on_line.max()
    assert below <= 5
    # Gaps unrelated to the calls' minutes: no slope piles them up; nothing is told.
    d = rng.lognormal(2, 0.5, 3000)
    pairs = pd.DataFrame({"manager": 0, "kind": CONTACT, "minutes": d, "gap": d + rng.exponential(20, 3000)})
    assert fit_call_time(pairs) is None
    # On the line gap = d / 0.55 + 2.5 for 40% of them: the slope and the intercept come back.
    exact = rng.random(3000) < 0.4
    pairs["gap"] = np.where(exact, d / 0.55 + 2.5 + rng.uniform(-1, 1, 3000) / 60, pairs["gap"] + d)
    fit = fit_call_time(pairs)
    assert fit["share"] == pytest.approx(0.55, abs=3 * fit["share_se"])
    assert fit["c"][CONTACT] == pytest.approx(2.5, abs=3 * fit["c_se"][CONTACT])


def test_a_booked_call_was_due_after_its_managers_last_touch_chain_call():
    """M1: dial L2 at 0, contact L1 at 10, presentation L1 at 20 (booked), dial L3 at 30; M2: dial L4 at 5.
    Before each moment, the last touch-chain call (a dial or a contact) of the manager asked about."""
    calls = [("L2", 0, 60, False), ("L1", 10, 300, True), ("L1", 20, 600, True), ("L3", 30, 60, False)]
    export = _export(calls, n_leads=4)
    start = export.calls["started_at"].iloc[0]
    extra = export.calls.iloc[[0]].assign(lead_id="L4", manager_id="M2",
                                          started_at=start + pd.Timedelta(minutes=5))
    staff = pd.concat([export.staff, export.staff.assign(manager_id="M2")], ignore_index=True)
    export = Export(leads=export.leads, stages=export.stages, calls=pd.concat([export.calls, extra]),
                    staff=staff, payments=None, shifts=None, tz="UTC", folder=None)
    frame = build_frame(export, dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    chain = TouchChain(frame, call_kinds(frame))
    m1, m2 = (int(frame.staff.index[frame.staff["manager_id"] == m][0]) for m in ("M1", "M2"))
    t0 = frame.calls["t"].min()  # L2's dial at 09:00
    at = t0 + np.array([0, 10, 20, 25, 30, 31, 5, 4])
    who = np.array([m1, m1, m1, m1, m1, m1, m2, m2])
    got = chain.latest(who, at, before=True) - t0
    assert list(got) == [-np.inf, 0, 10, 10, 10, 30, -np.inf, -np.inf]  # the presentation at 20 is booked
    assert list(chain.latest(who, at, before=False) - t0) == [0, 10, 10, 10, 30, 30, 5, -np.inf]
    assert chain.latest(np.array([-1]), np.array([t0 + 40]), before=False)[0] == -np.inf


def test_a_booked_call_was_due_after_the_booked_calls_made_before_it_fell_due():
    """M1: contact calls L3 at 0, L4 at 8, L2 at 20 (qualified at their end: 5, 13, 30), then the
    presentations L3 at 40, L2 at 60, L4 at 90, back to back. All three were due after 20 (the last
    touch-chain call's start); taken in the order they fell due, L2's was due after L3's (after 5) and
    L4's after L2's (after 30, its qualified moment: later than the touch chain's 20)."""
    calls = [("L3", 0, 300, True), ("L4", 8, 300, True), ("L2", 20, 600, True), ("L3", 40, 900, True),
             ("L2", 60, 900, True), ("L4", 90, 900, True)]
    stages = [("L3", "qualified", 5), ("L4", "qualified", 13), ("L2", "qualified", 30)]
    frame = build_frame(_export(calls, stages, n_leads=4), dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    kinds = call_kinds(frame)
    t0 = frame.calls["t"].min()
    booked = np.flatnonzero(kinds == PRESENT)
    booked = booked[np.argsort(frame.calls["t"].to_numpy()[booked])]  # L3, L2, L4 by start
    ref = frame.stage["qualified"][frame.calls["lead"].to_numpy()[booked]]
    free = np.ones(len(frame.calls), dtype=bool)
    chain = TouchChain(frame, kinds)
    assert list(due_after(frame, chain, free, booked, ref) - t0) == [20, 20, 30]
    free[booked[1]] = False  # L2's made after its manager sat free: when due; L4 starts a new run
    assert list(due_after(frame, chain, free, booked, ref) - t0) == [20, 60, 20]


def test_a_call_began_as_its_manager_came_free_when_back_to_back_or_after_a_break():
    """Talk share 0.5, at most 2 CRM minutes: a 1-minute dial keeps its manager 4 minutes (+ the slack).
    L1 at 0 (the manager's first call), L2 at 4 (back to back), L3 at 30 (the manager sat free 26 minutes
    before: made when due), L4 at 270 (after a 4-hour break: a shift's start)."""
    calls = [("L1", 0, 60, False), ("L2", 4, 60, False), ("L3", 30, 60, False), ("L4", 270, 60, False),
             ("L5", 270 + 4 + SLACK_MINUTES + 0.5, 60, False)]
    frame = build_frame(_export(calls, n_leads=5), dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    free = came_free(frame, Pace(talk_share=0.5, crm_minutes=2.0))
    assert list(free) == [True, True, False, True, False]  # L5: half a minute past the slack
    assert not came_free(frame, None).any()  # no pace read: every call made when due


def test_a_closing_delay_past_its_limit_is_warned_about():
    """40 offers whose closing calls come ever more often towards the 5-day mark, each right after a
    dial (so due when made): the fit of delays rising to the limit puts its mean far past it, where the
    export cannot see; the share then comes out of that unseen tail, and calibrate says so."""
    t_offer = [i * 180 for i in range(40)]  # minutes after 09:00 on 2 March, every 3 hours
    delay = 5 * np.sqrt((np.arange(40) + 0.5) / 40) * 1440  # density rising to the limit
    calls, stages = [], []
    for i, (o, d) in enumerate(zip(t_offer, delay, strict=True)):
        lead, filler = f"L{i + 1}", f"L{41 + i}"
        calls += [(lead, o - 30, 300, True), (filler, o + d - 1, 30, False), (lead, o + d, 480, True)]
        stages += [(lead, "contact", o - 30), (lead, "qualified", o - 20), (lead, "invoice", o)]
    frame = build_frame(_export(calls, stages, n_leads=80), dt.date(2026, 3, 2), dt.date(2026, 4, 30))
    part = fit_booked_calls(frame)
    assert part.values["funnel.closing.within_days"] == pytest.approx(5.0, abs=0.11)
    assert _mean(part.values["funnel.closing.delay_days"]) > 5.1
    warned = [w for w in part.warnings if w.startswith("funnel.closing:")]
    assert len(warned) == 1 and "past the" in warned[0] and "limit" in warned[0], part.warnings


@pytest.fixture(scope="module")
def floor_departments():
    """The tests' floor short of hands (utilisation over 75%, a 5/2 rota), 6 departments calibrated on 5
    weeks: per department the run, its frame and the calibration."""
    from tests.test_backtest import floor_doc

    scenario = parse_scenario(yaml.safe_dump(floor_doc(63)), "<floor 63 days>")
    out = []
    for seed in range(3100, 3106):
        run = simulate_events(scenario, "hold", 0, seed=seed)
        frame = build_frame(run.export, *window(run.export, None, dt.date(2026, 8, 4)))
        out.append((run, frame, calibrate(run.export, until=dt.date(2026, 8, 4))))
    return floor_doc(63), out


@pytest.mark.slow
def test_on_a_floor_short_of_hands_the_closing_delay_comes_back_without_the_wait(floor_departments):
    """The closing calls' starts wait for the manager (nights, weekends, the morning's booked work), so
    fitting the starts gives about twice the planned delay, and more closing calls run past the limit in
    the forecast. The fit of when they were due comes back within 15% over 6 departments (and their
    share within 0.15 of the truth each, where the starts' tail once made it 100%)."""
    doc, departments = floor_departments
    truth = doc["funnel"]["closing"]
    fitted, starts, planned = [], [], []
    for run, frame, cal in departments:
        closing = cal.document["funnel"]["closing"]
        fitted.append(_mean(closing["delay_days"]))
        assert abs(closing["share"] - truth["share"]) < 0.15, closing
        assert not [w for w in cal.warnings if w.startswith("funnel.closing:")]
        planned.append(_planned(run)[0])
        kinds, offer = call_kinds(frame), offer_times(frame)
        close = kinds == CLOSE
        lead = frame.calls["lead"].to_numpy()[close]
        first = pd.Series(frame.calls["t"].to_numpy()[close]).groupby(lead).min()
        o = offer[first.index.to_numpy()]
        starts.append(fit_delay((first.to_numpy() - o) / 1440, np.minimum((frame.end - o) / 1440, 5)).mean)
    assert np.mean(starts) > 1.6 * np.mean(planned), starts  # the wait this test is about is there
    assert abs(np.mean(fitted) / np.mean(planned) - 1) < 0.15, (fitted, planned)
    assert all(0.6 < f / p < 1.6 for f, p in zip(fitted, planned, strict=True)), (fitted, planned)


@pytest.mark.slow
def test_on_a_floor_short_of_hands_the_presentations_delay_comes_back_without_the_wait(floor_departments):
    """The days from qualified to the offer hold the wait for the manager and the presentation call: the
    funnel's fit of them runs 20% or more long. The fit of when the presentations were due gives the
    planned 1 day back within 10% over 6 departments (about 500 presentations each)."""
    doc, departments = floor_departments
    planned = doc["funnel"]["offer"]["delay_days"]["exponential"]
    fitted, naive = [], []
    for _, frame, cal in departments:
        fitted.append(_mean(cal.document["funnel"]["offer"]["delay_days"]))
        assert "interval-censored" in cal.comments["funnel.offer.delay_days"]
        tr = transition(frame, "qualified", ("invoice", "link_sent"))
        naive.append(fit_delay(tr.time[tr.cause == 1], tr.window[tr.cause == 1]).mean)
    assert np.mean(naive) > 1.2 * planned, naive
    assert abs(np.mean(fitted) / planned - 1) < 0.10, fitted


@pytest.mark.slow
def test_on_a_floor_short_of_hands_an_invoice_paid_on_its_closing_call_bounds_the_delay(floor_departments):
    """A deal that needs a closing call pays at the call's end at the earliest: the days from the invoice
    to a payment made on the call hold the wait for the call. Read as an upper bound of the client's own
    delay there, the fit comes within 10% of the fit of the clients' true delays (the simulation's draws
    for the same deals), where fitting the days seen gives 15% or more too much."""
    _, departments = floor_departments
    ours, oracle, naive = [], [], []
    for run, frame, cal in departments:
        ours.append(_mean(cal.document["funnel"]["invoice_paid"]["delay_days"]))
        tr = transition(frame, "invoice", ("won",), ~np.isfinite(frame.stage["link_sent"]))
        won = tr.cause == 1
        leads = np.array([int(x[1:]) - 1 for x in frame.lead_ids[tr.entered[won]]])  # L0001 is lead 0
        oracle.append(fit_delay(run.clients.invoice_delay[leads] / 1440, tr.window[won]).mean)
        naive.append(fit_delay(tr.time[won], tr.window[won]).mean)
        assert paid_on_call(frame, call_kinds(frame))[tr.entered[won]].any()
    assert np.mean(naive) > 1.15 * np.mean(oracle), (naive, oracle)
    assert abs(np.mean(ours) / np.mean(oracle) - 1) < 0.10, (ours, oracle)


@pytest.mark.slow
def test_on_q3s_queue_of_booked_calls_the_delays_come_back():
    """q3's floor (utilisation 95%+) works through a queue of booked calls: most presentations and closing
    calls come in runs of booked calls after a touch-chain call. Bounded by that call alone, the due
    moments came out too early (presentations 0.81, closing calls 0.84 days, planned 1); taken in the
    order they fell due, within 10% (measured 0.93 and 1.04). The starts give 1.22 and 1.23."""
    from pathlib import Path

    from simsales.scenario.loader import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "q3.yaml")
    run = simulate_events(scenario, scenario.plans[0].name, 0, seed=1016)
    cal = calibrate(run.export, until=scenario.start + dt.timedelta(days=61))
    funnel = cal.document["funnel"]
    assert _mean(funnel["offer"]["delay_days"]) == pytest.approx(1.0, rel=0.10)
    planned, _ = _planned(run)
    assert _mean(funnel["closing"]["delay_days"]) == pytest.approx(planned, rel=0.10)
