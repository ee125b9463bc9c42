"""The reference engine against queueing theory (fixed seeds).

M/M/c: the share of leads that wait and the mean wait against Erlang C;
M/M/c+M (exponential patience): the share that waits and the share lost
against the Erlang A birth-death chain; and the busy-server form of
Little's law (mean busy managers = contacted arrival rate x mean call).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simsales.engines.des import simulate
from simsales.montecarlo.replication import stream
from simsales.scenario.uncertain import resolve
from simsales.world.arrivals import generate_leads
from simsales.world.roster import build_roster
from simsales.world.world import World

from .conftest import queue_scenario

WARMUP_MIN = 720.0  # leads of the first 12 hours see an emptier system: left out


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load a = lambda / mu."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def erlang_a(c: int, lam: float, mu: float, theta: float, n_max: int = 2000) -> tuple[float, float]:
    """(P(wait > 0), P(abandon)) of M/M/c+M from its birth-death chain."""
    log_p = [0.0]
    for n in range(1, n_max):
        death = min(n, c) * mu + max(0, n - c) * theta
        log_p.append(log_p[-1] + math.log(lam / death))
    p = np.exp(np.array(log_p) - max(log_p))
    p /= p.sum()
    n = np.arange(n_max)
    wait = p[c:].sum()
    abandon = float((p * np.maximum(n - c, 0) * theta).sum() / lam)
    return float(wait), abandon


def run_queue(scenario, replications: int):
    """Per replication: (share waiting, mean wait, share contacted, utilisation)."""
    rows = []
    plan = scenario.plans[0]
    for r in range(replications):
        resolved = resolve(scenario, stream(scenario.seed, r, "params"))
        leads = generate_leads(resolved.channels, resolved.start, resolved.horizon_days,
                               stream(scenario.seed, r, "arrivals"))
        roster = build_roster(resolved, plan, stream(scenario.seed, r, "team"))
        out = simulate(World(resolved, leads, roster), stream(scenario.seed, r, "dynamics"))
        keep = (leads.created > WARMUP_MIN) & (leads.created < scenario.horizon_minutes - WARMUP_MIN)
        wait = out.first_attempt[keep] - leads.created[keep]
        assert not np.isnan(wait).any()
        c = roster.n_managers
        rows.append((np.mean(wait > 1e-9), wait.mean(), np.mean(~np.isnan(out.contact[keep])),
                     out.busy_minutes.sum() / (c * scenario.horizon_minutes)))
    return np.array(rows)


def within(x: np.ndarray, expected: float, n_se: float = 4.0) -> bool:
    se = x.std(ddof=1) / math.sqrt(len(x))
    return abs(x.mean() - expected) <= n_se * se


def test_mmc_against_erlang_c():
    c, lam, mean_call = 5, 0.4, 10.0
    a = lam * mean_call
    scenario = queue_scenario(servers=c, arrivals_per_min=lam, mean_call_min=mean_call, days=16, seed=3)
    rows = run_queue(scenario, replications=8)
    p_wait = erlang_c(c, a)
    mean_wait = p_wait * mean_call / (c - a)
    assert within(rows[:, 0], p_wait), (rows[:, 0].mean(), p_wait)
    assert within(rows[:, 1], mean_wait), (rows[:, 1].mean(), mean_wait)
    assert (rows[:, 2] == 1).all()  # contact chance 1, no decay
    # Little's law on the servers: busy managers = lambda x mean call.
    assert within(rows[:, 3], a / c), (rows[:, 3].mean(), a / c)
    # Power: the test could tell a 20% error in the mean wait.
    assert rows[:, 1].std(ddof=1) / math.sqrt(len(rows)) < 0.05 * mean_wait


def test_mmc_plus_m_against_erlang_a():
    c, lam, mean_call, patience = 5, 0.5, 10.0, 10.0
    scenario = queue_scenario(servers=c, arrivals_per_min=lam, mean_call_min=mean_call, days=8,
                              patience_min=patience, seed=4)
    rows = run_queue(scenario, replications=8)
    p_wait, p_abandon = erlang_a(c, lam, 1 / mean_call, 1 / patience)
    assert within(rows[:, 0], p_wait), (rows[:, 0].mean(), p_wait)
    assert within(1 - rows[:, 2], p_abandon), (1 - rows[:, 2].mean(), p_abandon)
    served_load = lam * (1 - p_abandon) * mean_call / c
    assert within(rows[:, 3], served_load), (rows[:, 3].mean(), served_load)


def test_erlang_formulas_agree_in_the_limit():
    # Erlang A with patience -> infinity is Erlang C: a check on the test's own oracle.
    wait, abandon = erlang_a(5, 0.4, 0.1, 1e-9)
    assert wait == pytest.approx(erlang_c(5, 4.0), rel=1e-4)
    assert abandon < 1e-6
