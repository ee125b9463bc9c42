"""The presentations' delay under a time limit: the presentations the limit cut off are counted.

With ``funnel.presentation_within_days`` the export shows only the
presentations started within the limit.  Fitted on those alone (truncated
at the limit) a delay whose mean lies far past the limit fits them as well
as the true one: on a department with a 4-day limit and a 2.5-day
exponential delay the fit came out a lognormal with a mean of 10^10 days,
and the calibrated scenario held 0.4% of its presentations (offers 7
against the department's 1,129 a quarter).  The qualified leads lost for no
presentation (and those still waiting at the export) are right-censored
cases of the same delay.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from simsales.analysis.backtest import scenario_of
from simsales.calibrate.delays import fit_delay
from simsales.montecarlo.events import simulate_events
from simsales.scenario.loader import parse_scenario
from tests.test_calibrate_roundtrip import TRUTH


def test_censored_cases_pin_a_delay_the_limit_cuts():
    rng = np.random.default_rng(5)
    d = rng.exponential(2.5, 4000)
    seen, cut = d[d <= 4.0], d[d > 4.0]
    fit = fit_delay(seen, np.full(seen.size, np.inf), censored=np.full(cut.size, 4.0))
    assert fit is not None and abs(fit.mean - 2.5) < 0.25, fit
    assert abs(float(fit.cdf(np.array([4.0]))[0]) - np.mean(d <= 4.0)) < 0.02


@pytest.mark.slow
def test_the_presentation_delay_under_a_limit_is_recovered():
    truth = copy.deepcopy(TRUTH)
    truth["funnel"]["offer"]["delay_days"] = {"exponential": 2.5}
    truth["funnel"]["presentation_within_days"] = 4
    truth["horizon_days"] = 42
    from simsales.calibrate import calibrate

    scenario = parse_scenario(yaml.safe_dump(truth, sort_keys=False), "<truth>")
    run = simulate_events(scenario, "hold", 0, seed=3)
    fitted = scenario_of(calibrate(run.export).document)
    assert fitted.funnel.presentation_within_days == pytest.approx(4, abs=0.2)
    delay = fitted.funnel.offer.delay_days
    mean = float(np.mean(delay.sample(np.random.default_rng(0), 200_000)))
    held = float(np.mean(delay.sample(np.random.default_rng(1), 200_000) <= 4.0))
    assert 2.0 < mean < 3.0, delay  # before: 3.1 here; 10^10 days on the 40-manager floor of the docstring
    assert abs(held - (1 - np.exp(-4 / 2.5))) < 0.08, (held, delay)  # the share the limit lets through


@pytest.mark.slow
def test_the_presentation_delay_under_a_limit_with_hand_overs_is_recovered():
    """Owners off for days hand their presentations over: the lost ones are censored at the limit.

    A presentation lost to the limit is closed by whoever held it then, often a manager it was handed
    over to after the limit; read from that owner's last touch-chain call before the limit, days
    early, the lost presentations said too little and the delay came out short (before: mean 2.26 here
    for 2.5; on a 40-manager floor with cooling, gamma 2.12 and 10% too many offers forecast).
    """
    truth = copy.deepcopy(TRUTH)
    truth["funnel"]["offer"]["delay_days"] = {"exponential": 2.5}
    truth["funnel"]["presentation_within_days"] = 4
    truth["routing"]["handover_after_hours"] = 1
    truth["team"]["shifts"] = [{"name": "a", "pattern": "2/2", "start": "09:00", "hours": 12, "share": 0.5},
                               {"name": "b", "pattern": "5/2", "start": "10:00", "hours": 9, "share": 0.5}]
    truth["horizon_days"] = 42
    from simsales.calibrate import calibrate

    scenario = parse_scenario(yaml.safe_dump(truth, sort_keys=False), "<truth>")
    run = simulate_events(scenario, "hold", 0, seed=3)
    fitted = scenario_of(calibrate(run.export).document)
    delay = fitted.funnel.offer.delay_days
    mean = float(np.mean(delay.sample(np.random.default_rng(0), 200_000)))
    held = float(np.mean(delay.sample(np.random.default_rng(1), 200_000) <= 4.0))
    assert 2.35 < mean < 2.75, delay  # before: a gamma with mean 2.26
    assert abs(held - (1 - np.exp(-4 / 2.5))) < 0.02, (held, delay)  # before: 0.826 for 0.798
