"""How much a wait at a client step counts against a deal, read from the export's past (crm/outcomes.py).

* The Aalen-Johansen incidences: without censoring, the plain shares; with
  competing risks and censoring, the analytic ones, where dropping the open
  deals (the naive share) is off.
* The weight of a wait is 0 where the CRM closes failed deals as fast as
  the others succeed, 1 where it never closes them, and in between for a
  CRM that closes them slower.
* A pipeline deal's chance after a wait is ``p R / (1 - p + p R)``, ``R =
  S ** w``.
* Round trip: the deals open at cuts of simulated CRMs pay in the next days
  as the simulation paid them; the rule "failed deals never close" does not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import yaml

from simsales.crm.outcomes import MIN_OUTCOMES, incidence, wait_weight, wait_weights
from simsales.crm.pipeline import open_at
from simsales.crm.schema import STAGES
from simsales.montecarlo.events import simulate_events
from simsales.scenario import Scenario
from simsales.scenario.loader import parse_scenario
from simsales.scenario.uncertain import resolve
from simsales.world.pipeline import start_from

from .test_pipeline_start import _open, deal_scenario, first_doc

DAY = 1440.0


def test_without_censoring_the_incidences_are_the_plain_shares():
    duration = np.arange(1.0, 41.0)  # 40 deals, one closing each minute
    succeeded = duration % 4 != 0  # every fourth failed
    est = incidence(duration, succeeded, ~succeeded)
    np.testing.assert_allclose(est.win, np.cumsum(succeeded) / 40, rtol=1e-12)
    np.testing.assert_allclose(est.lose, np.cumsum(~succeeded) / 40, rtol=1e-12)
    np.testing.assert_array_equal(est.at_risk, np.arange(40, 0, -1))
    assert np.isnan(wait_weight(duration[: MIN_OUTCOMES - 1], succeeded[: MIN_OUTCOMES - 1],
                                ~succeeded[: MIN_OUTCOMES - 1]))


def competing(n: int, p: float, win_days: float, lose_days: float | None, rng,
              window: float = 60.0) -> dict[str, np.ndarray]:
    """``n`` invoices issued uniformly over the ``window`` days before the start: paid with ``p`` after an
    exponential delay (mean ``win_days``), the others closed lost after one of mean ``lose_days`` (None:
    never closed); what the export knows at the start (minutes, before it)."""
    entry = -rng.uniform(0.0, window, n) * DAY
    wins = rng.random(n) < p
    delay = rng.exponential(win_days, n) * DAY
    lose = np.full(n, np.inf) if lose_days is None else rng.exponential(lose_days, n) * DAY
    won = np.where(wins & (entry + delay < 0), entry + delay, np.nan)
    lost = np.where(~wins & (entry + lose < 0), entry + lose, np.nan)
    entered = {s: np.full(n, np.nan) for s in STAGES}
    entered.update(invoice=entry, won=won, lost=lost)
    return entered


def test_competing_risks_with_censoring_recover_the_analytic_incidences_and_the_naive_share_does_not():
    rng = np.random.default_rng(7)
    p, win_days, lose_days = 0.7, 2.0, 8.0
    entered = competing(40_000, p, win_days, lose_days, rng, window=20.0)  # many still open at the start
    entry, won, lost = entered["invoice"], entered["won"], entered["lost"]
    succeeded, failed = ~np.isnan(won), ~np.isnan(lost)
    duration = np.where(succeeded, won - entry, np.where(failed, lost - entry, -entry))
    est = incidence(duration, succeeded, failed)
    a = np.array([0.5, 2.0, 6.0])
    at = np.searchsorted(est.times, a * DAY, side="right") - 1
    np.testing.assert_allclose(est.win[at], p * (1 - np.exp(-a / win_days)), atol=0.01)
    np.testing.assert_allclose(est.lose[at], (1 - p) * (1 - np.exp(-a / lose_days)), atol=0.01)
    assert abs(est.win[-1] - p) < 0.02  # the step's chance
    # The naive share, paid among the deals closed (open ones dropped), misses the slow failures.
    naive = succeeded.sum() / (succeeded | failed).sum()
    assert naive - p > 0.05, naive


def test_the_weight_of_a_wait_is_0_when_failures_close_like_successes_1_when_never_between_when_slower():
    rng = np.random.default_rng(11)
    same = wait_weights(competing(5_000, 0.8, 2.0, 2.0, rng))
    never = wait_weights(competing(5_000, 0.8, 2.0, None, rng))
    slower = wait_weights(competing(5_000, 0.8, 2.0, 4.0, rng))  # S_lose = S_win ** 0.5: w = 0.5
    assert same["invoice"] <= 0.1 and never["invoice"] >= 0.9, (same, never)
    assert abs(slower["invoice"] - 0.5) <= 0.15, slower
    assert np.isnan(same["link_sent"])  # no deal at that step


def test_a_pipeline_deal_after_a_wait_pays_with_the_odds_of_its_weight():
    sc = deal_scenario(invoice_paid={"p": 0.6, "delay_days": {"exponential": 2}})
    n = 20_000
    opened = _open("invoice", n, {"invoice": -3 * DAY})
    survival = np.exp(-1.5)
    for w in (0.0, 0.5, 1.0, np.nan):
        given = dataclasses.replace(opened, wait_weight={"invoice": w})
        r = survival ** (1.0 if np.isnan(w) else w)
        want = 0.6 * r / (0.4 + 0.6 * r)
        paid = ~np.isnan(start_from(sc, given, np.random.default_rng(3)).deals.paid_at)
        assert abs(paid.mean() - want) <= 4 * np.sqrt(want * (1 - want) / n), (w, paid.mean(), want)


def slow_payers() -> Scenario:
    """The first run's department with slow clients: many deals are open at any cut."""
    doc = first_doc()
    doc["horizon_days"] = 35
    doc["funnel"].update(qualify=0.6, invoice_paid={"p": 0.6, "delay_days": {"exponential": 4}},
                         link_filled={"p": 0.6, "delay_days": {"exponential": 3}},
                         bank_approved={"p": 0.9, "delay_days": 1})
    return parse_scenario(yaml.safe_dump(doc), "<slow payers>")


def test_the_deals_open_at_a_cut_pay_in_the_next_days_as_the_simulation_paid_them():
    # Eight simulated CRMs, cut on days 12, 17 and 22: the deals open at each cut, and how many of them
    # paid in the next 10 days.  The export closes an unpaid invoice when it would have been paid (its
    # client's delay), so a deal still open after a wait is as likely to pay as a new one: the export's
    # past says so, and the forecast from it matches what happened (about 450 payments pooled, a
    # standard error near 3%).  The fallback rule (failed deals never closed) reads a long wait as a
    # decline and forecasts over 12% too few: the same bound fails it.
    sc = slow_payers()
    resolved = resolve(sc, np.random.default_rng(0))
    window = 10 * DAY
    actual = read_from_export = never_closed = 0.0
    for replication in range(8):
        export = simulate_events(sc, replication=replication).export
        won = export.stages[export.stages["stage"] == "won"].set_index("lead_id")["entered_at"]
        for day in (12, 17, 22):
            cut = sc.start + dt.timedelta(days=day)
            opened = open_at(export, cut)
            deals = opened.at("invoice", "link_sent", "link_filled", "bank_approved")
            origin = pd.Timestamp(cut).tz_localize(export.tz)
            paid = won.reindex(opened.lead_id[deals]) - origin
            actual += ((paid >= pd.Timedelta(0)) & (paid < pd.Timedelta(minutes=window))).sum()
            fallback = dataclasses.replace(opened, wait_weight={})
            for k in range(50):
                paid_at = start_from(resolved, opened, np.random.default_rng(k)).deals.paid_at
                read_from_export += np.sum((paid_at >= 0) & (paid_at < window)) / 50  # not paid before
                paid_at = start_from(resolved, fallback, np.random.default_rng(k)).deals.paid_at
                never_closed += np.sum((paid_at >= 0) & (paid_at < window)) / 50
    assert actual > 300
    assert abs(read_from_export / actual - 1) < 0.08, (read_from_export, actual)
    assert never_closed / actual < 0.88, (never_closed, actual)
