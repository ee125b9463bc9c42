"""A night shift that runs past midnight comes back from the export whole.

The export writes such a shift as it is (``18:00`` to ``02:00``: an end before the start), and the
scenario takes shifts past midnight; calibrate cut them at 24:00, so a night team's fitted shift was
6 hours for 8 and the forecast lost a quarter of that team's time.
"""

from __future__ import annotations

import yaml

from simsales.calibrate import calibrate
from simsales.montecarlo.events import simulate_events
from simsales.scenario.loader import parse_scenario

NIGHT = {
    "name": "night desk", "start": "2026-07-06", "horizon_days": 28, "seed": 4,
    "calendar": {"default": "08:00-03:00"},
    "channels": [{"name": "ads", "leads_per_day": 120}],
    "routing": {"policy": "round_robin", "onboarding_days": 0},
    "touch_chain": {"offsets": ["0m", "1h", "1d"], "p_contact": 0.5, "lead_ttl": "3d"},
    "funnel": {"qualify": 0.4, "offer": {"p": 0.4}, "invoice_paid": {"p": 0.8}, "link_filled": {"p": 0.7},
               "bank_approved": {"p": 0.9}, "price": {"check": 50000}},
    "team": {"team_leads": [{"name": "tl", "tenure_days": 400}],
             "managers": [{"team_lead": "tl", "count": 8, "tenure_days": 300}],
             "shifts": [{"name": "day", "pattern": "5/2", "start": "09:00", "hours": 9, "share": 0.5},
                        {"name": "night", "pattern": "2/2", "start": "18:00", "hours": 8, "share": 0.5}],
             "attrition": {"monthly": 0.0, "probation_monthly": 0.0}},
    "plans": [{"name": "hold"}],
}


def test_a_shift_past_midnight_keeps_its_hours():
    truth = parse_scenario(yaml.safe_dump(NIGHT, sort_keys=False), "<truth>")
    run = simulate_events(truth, "hold", replication=0, seed=1)
    assert (run.export.shifts["end"] == "02:00").any()  # written as it is
    shifts = calibrate(run.export).document["team"]["shifts"]
    night = [s for s in shifts if s["start"] == "18:00"]
    assert night and all(s["hours"] == 8.0 for s in night), shifts
    assert night[0]["name"].startswith("18:00-02:00"), night
    day = [s for s in shifts if s["start"] == "09:00"]
    assert day and all(s["hours"] == 9.0 for s in day), shifts
