"""The fast engine gives the reference engine's answers (issue 3), statistically.

Both engines run the same replications with the same seed, so they see the
same uncertain parameters, leads and rosters and differ only in the
dynamics; the criteria are still the two-independent-samples ones of the
issue (docs/engines.md, "Equivalence"):

* the means of revenue_net, won, contacts, contact_rate, total_invoices and
  hires_deferred agree within 3 combined standard errors and within 2%;
* sla_p50_min and sla_p90_min within 3 combined standard errors and within
  max(2%, 1 minute);
* the per-replication revenue_net and won pass a two-sample KS test at 1%.

Cases: every plan of both shipped scenarios, scenarios/q3.yaml and
scenarios/big.yaml (read from the files, so a retuned file is tested as it
is, every rule it sets included), on the first 7 days (big.yaml's 150 managers: 4) after 4 days of warm-up
(the reference engine needs seconds per plan and replication even so, and
CI has 20 minutes for everything): there the means are held to 3 standard
errors and the KS test, not to 2%, which so few replications cannot resolve; an M/M/c+M queue
(exponential patience: the M/M/c queue's dynamics and abandonment; each engine meets Erlang C on
M/M/c in tests/test_queueing.py and tests/test_oracles_cli.py), with a shared queue (round-robin
assignment is compared on the small scenario with every sales-floor rule,
tests/test_floor_equivalence.py, and on the shipped scenarios' plans).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simsales import montecarlo
from simsales.scenario import Scenario
from simsales.scenario.loader import load_scenario, parse_scenario

from .agreement import disagreements
from .conftest import Q3

pytestmark = pytest.mark.slow

MEAN_METRICS = ("revenue_net", "won", "contacts", "contact_rate", "total_invoices", "hires_deferred")
SLA_METRICS = ("sla_p50_min", "sla_p90_min")
KS_METRICS = ("revenue_net", "won")
SHIPPED_DAYS = {"q3": 7, "big": 4}  # the shipped scenarios' first days (after a short warm-up): July's plans
SHIPPED_WARMUP_DAYS = 4  # the warm-up's rules at work, not auto's four weeks (the reference is slow)
SHIPPED_REPLICATIONS = {"q3": 10, "big": 5}  # the reference: seconds per plan-replication
QUEUE_REPLICATIONS = 300  # 3 days and 1 of warm-up: enough to resolve 2% on the SLA P90 too


def equivalence_failures(des: pd.DataFrame, fast: pd.DataFrame, within_2_percent: bool = True) -> list[str]:
    """What breaks the issue's criteria (tests/agreement.py) between two per-replication metric tables.

    ``within_2_percent=False``: the case cannot resolve 2% (few replications
    of a short horizon: 2% would need many times the replications the
    reference engine can afford in CI), and holds the means to 3 standard
    errors only; ``benchmarks/engine_agreement.py`` resolves 2% on the
    shipped scenarios.
    """
    means = MEAN_METRICS + SLA_METRICS
    return disagreements(des, fast, means, resolved=means if within_2_percent else (), ks=KS_METRICS)


def both_engines(scenario: Scenario, replications: int) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Plan -> (des metrics, fast metrics), same seed and replications."""
    runs = {engine: montecarlo.run(scenario, replications=replications, engine=engine,
                                   workers=montecarlo.default_workers())
            for engine in ("des", "fast")}
    return {plan: (runs["des"].plans[plan].metrics, runs["fast"].plans[plan].metrics)
            for plan in runs["des"].plans}


def mmc_scenario(servers: int, load: float, mean_call_min: float, days: int, policy: str,
                 patience_min: float | None = None, seed: int = 11) -> Scenario:
    """M/M/c (or M/M/c+M) as a scenario: Poisson leads around the clock, c managers
    always on shift and always talking, one attempt that always connects
    (with exponential patience: whose chance decays as exp(-age / patience)),
    exponential calls, nobody qualifies.  ``load`` is lambda / (c mu).  A day of
    warm-up: the queue forgets its empty start within minutes (the automatic
    warm-up would play 30 days, the leads' time to live being unbounded)."""
    per_min = load * servers / mean_call_min
    decay = (f"decay: {{half_life: {patience_min * math.log(2)}, floor: 0}}"
             if patience_min is not None else "")
    text = f"""
name: "M/M/c {policy}"
start: 2026-01-05
horizon_days: {days}
warmup_days: 1
seed: {seed}
calendar: {{default: "00:00-24:00"}}
channels:
  - {{name: poisson, leads_per_day: {per_min * 1440}, overdispersion: 0, hour_profile: {[1] * 24}}}
routing: {{policy: {policy}, onboarding_days: 0}}
touch_chain:
  offsets: ["0m"]
  p_contact: [1]
  {decay}
  dial_minutes: 0
  call_minutes: {{exponential: {mean_call_min}}}
  lead_ttl: "1000d"
funnel:
  qualify: 0
  offer: {{p: 0.5}}
  invoice_paid: {{p: 0.85}}
  link_filled: {{p: 0.8}}
  bank_approved: {{p: 0.85}}
  price: {{check: 50000}}
team:
  team_leads: [{{name: tl, tenure_days: 3650}}]
  managers: [{{team_lead: tl, count: {servers}, tenure_days: 3650}}]
  shifts: [{{name: always, pattern: "7/0", start: "00:00", hours: 24}}]
  talk_share: 1
plans: [{{name: base}}]
"""
    return parse_scenario(text, "<M/M/c>")


def test_the_criteria_catch_a_biased_engine():
    rng = np.random.default_rng(5)
    des = pd.DataFrame({m: rng.normal(1000.0, 10.0, 200) for m in MEAN_METRICS + SLA_METRICS})
    assert equivalence_failures(des, des.copy()) == []
    biased = des.copy()
    biased["won"] *= 1.05
    assert any(f.startswith("won") for f in equivalence_failures(des, biased))


def first_days(path: Path, days: int) -> Scenario:
    """A shipped scenario cut to its first ``days`` days after a short warm-up (later plan months dropped)."""
    doc = yaml.safe_load(path.read_text())
    doc["horizon_days"] = days
    doc["warmup_days"] = min(SHIPPED_WARMUP_DAYS, days)
    start = dt.date.fromisoformat(str(doc["start"]))
    last = start + dt.timedelta(days=days - 1)
    months = {f"{start.year}-{start.month:02d}", f"{last.year}-{last.month:02d}"}
    for plan in doc["plans"]:
        if "months" in plan:
            plan["months"] = [m for m in plan["months"] if str(m["month"])[:7] in months]
    if isinstance(doc.get("revenue_plan"), dict):
        doc["revenue_plan"] = {k: v for k, v in doc["revenue_plan"].items() if str(k)[:7] in months}
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), f"{path.name} (first {days} days)")


SHIPPED = {"q3": Q3, "big": Q3.parent / "big.yaml"}


@pytest.fixture(scope="module")
def shipped_runs():
    return {name: both_engines(first_days(path, SHIPPED_DAYS[name]), SHIPPED_REPLICATIONS[name])
            for name, path in SHIPPED.items()}


@pytest.mark.parametrize(("name", "plan"), [(name, p.name) for name, path in SHIPPED.items()
                                            for p in load_scenario(path).plans])
def test_every_plan_of_the_shipped_scenarios(name, plan, shipped_runs):
    des, fast = shipped_runs[name][plan]
    assert equivalence_failures(des, fast, within_2_percent=False) == []
    # The shipped scenarios set the sales floor's rules: they are at work, and within bounds.
    assert fast["handovers"].mean() > 0 and (name != "q3" or fast["unreachable_leads"].mean() > 0)
    assert (fast["utilisation"] <= 1.0).all() and (des["utilisation"] <= 1.0).all()


@pytest.mark.parametrize("patience_min", [10.0], ids=["M/M/c+M"])
def test_queueing_cases(patience_min, policy="shared_queue"):
    load = 0.7 if patience_min is None else 1.2  # p90 of waits is noisy near saturation
    scenario = mmc_scenario(servers=8, load=load, mean_call_min=8.0, days=3, policy=policy,
                            patience_min=patience_min)
    ((des, fast),) = both_engines(scenario, QUEUE_REPLICATIONS).values()
    assert des["contacts"].mean() > 1000  # a real queue, not an empty one
    assert equivalence_failures(des, fast) == []
