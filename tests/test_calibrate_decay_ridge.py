"""p_contact when the export cannot tell the contact chance from the decay.

On a floor so short of hands that every attempt comes a day or more after the lead arrived, the decay
is at its floor for all of them: the attempts show the chance times the floor, not each.  The joint
fit's marginal variance of p_contact is then boundless, and the Beta written from it was Beta(0.5,
0.5), mean 0.5 whatever the fit (a calibrated scenario drew a contact chance anywhere in [0, 1] every
replication).  The scenario writes the decay as plain numbers and draws p_contact around them, so
p_contact's uncertainty is the one the data leave with the decay held at its fit; and calibrate warns
that the decay could not be read.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from simsales.calibrate import calibrate
from simsales.calibrate.reach import fit_reach
from simsales.calibrate.stats import beta_moments
from simsales.montecarlo.events import simulate_events
from simsales.scenario.loader import parse_scenario

P = np.array([0.5, 0.4, 0.3])
FLOOR = 0.6


def late_attempts(seed: int, n: int = 6000) -> pd.DataFrame:
    """Three attempts per lead, the first a day or more after it arrived: the decay (6 h) at its floor."""
    rng = np.random.default_rng(seed)
    age = 1440.0 + np.cumsum(rng.exponential(600.0, (n, 3)), axis=1)
    answered = rng.random((n, 3)) < P * FLOOR
    first = np.where(answered.any(axis=1), answered.argmax(axis=1), 2)
    lead, k = np.nonzero(np.arange(3)[None, :] <= first[:, None])
    return pd.DataFrame({"lead": lead, "k": k, "age": age[lead, k], "answered": answered[lead, k]})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_chance_keeps_its_fit_and_a_real_uncertainty_on_the_ridge(seed):
    attempts = late_attempts(seed)
    frame = SimpleNamespace(channel=np.zeros(attempts["lead"].max() + 1, dtype=np.int64), channels=["only"])
    fit = fit_reach(attempts, frame, 3, np.array([0.0, 0.0, 0.0, math.log(360.0), 0.0]))  # type: ignore[arg-type]
    # What the attempts show is the chance at their ages: p x the decay's floor.
    se = np.sqrt(fit.p_var) * fit.floor
    assert np.all(np.abs(fit.p * fit.floor - P * FLOOR) < 4 * se + 1e-3), (fit.p * fit.floor, se)
    for k in range(3):
        n = int((attempts["k"] == k).sum())
        prob = beta_moments(float(fit.p[k]), float(fit.p_var[k]), n, 0)
        mean = prob.a / (prob.a + prob.b)
        assert abs(mean - fit.p[k]) < 0.01, (k, fit.p[k], prob)  # was Beta(0.5, 0.5): mean 0.5
        assert prob.a + prob.b > 0.2 * n  # about the attempts' own count, not a handful


LATE = {
    "name": "called the next day", "start": "2026-07-06", "horizon_days": 28, "seed": 2,
    "calendar": {"default": "09:00-18:00"},
    "channels": [{"name": "webinar", "leads_per_day": 150}],
    "routing": {"policy": "round_robin", "onboarding_days": 0},
    "touch_chain": {"offsets": ["1d", "2d", "3d"], "p_contact": 0.5,
                    "decay": {"half_life": "2h", "floor": 0.5}, "lead_ttl": "7d", "call_minutes": 10},
    "funnel": {"qualify": 0.4, "offer": {"p": 0.4}, "invoice_paid": {"p": 0.8}, "link_filled": {"p": 0.7},
               "bank_approved": {"p": 0.9}, "price": {"check": 50000}},
    "team": {"team_leads": [{"name": "tl", "tenure_days": 400}],
             "managers": [{"team_lead": "tl", "count": 8, "tenure_days": 300}],
             "shifts": [{"name": "day", "pattern": "7/0", "start": "09:00", "hours": 9}], "talk_share": 1,
             "attrition": {"monthly": 0.0, "probation_monthly": 0.0}},
    "plans": [{"name": "hold"}],
}


@pytest.mark.slow
def test_calibrate_warns_on_an_export_whose_attempts_all_come_late():
    """A chain that begins the day after the lead (webinar sign-ups): every attempt past the 2-hour decay."""
    truth = parse_scenario(yaml.safe_dump(LATE, sort_keys=False), "<truth>")
    run = simulate_events(truth, "hold", replication=0, seed=3)
    cal = calibrate(run.export)
    chances = cal.document["touch_chain"]["p_contact"]
    for spec in chances:
        a, b = spec["beta"]
        assert a + b > 50, chances  # a Beta the data pin down, not Beta(0.5, 0.5)
    decay = [w for w in cal.warnings if w.startswith("touch_chain.decay")]
    assert decay and "cannot tell the decay from the contact chance" in decay[0], cal.warnings
