"""Leads lost while no manager was on shift are the calendar's loss, not the team's (closed_floor).

A floor of ten managers at about 7% utilisation closes for ten days of holidays; the leads' time to
live is three days. Every lead created from the last evening before the holidays to three days before
they end expires unworked: it was never due in a minute with anyone on shift. Before ``untouched_closed``
and ``chains_cut_closed`` the verdict read "Capacity: 28% of leads were not worked for lack of managers'
time" on this floor, whose answer is a duty shift or a longer ``lead_ttl``, not hires.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from simsales.analysis.bottleneck import capacity_lost, closed_floor_lost, losses
from simsales.cli import app
from simsales.engines import get_engine
from simsales.engines.contract import EXPIRED, ReplicationCache
from simsales.montecarlo import replication as rep
from simsales.montecarlo.counted import counted
from simsales.montecarlo.metrics import measure
from simsales.scenario import Scenario
from simsales.scenario.uncertain import resolve
from simsales.world.deals import draw_clients

FLOOR = {
    "name": "holiday floor",
    "start": "2026-07-06",  # a Monday
    "horizon_days": 28,
    "seed": 3,
    "calendar": {"default": "09:00-18:00", "holidays": ["2026-07-13..2026-07-22"]},
    "channels": [{"name": "ads", "leads_per_day": 60, "hour_profile": "flat"}],
    "touch_chain": {"offsets": ["0m", "1h", "1d"], "p_contact": 0.5, "lead_ttl": "3d", "dial_minutes": 1,
                    "call_minutes": 5},
    "funnel": {"qualify": 0.4, "offer": {"p": 0.5}, "invoice_paid": {"p": 0.8}, "link_filled": {"p": 0.7},
               "bank_approved": {"p": 0.9}, "price": {"check": 50000}},
    "team": {"team_leads": [{"name": "tl"}], "managers": [{"team_lead": "tl", "count": 10}],
             "shifts": [{"name": "day", "pattern": "7/0", "start": "09:00", "hours": 9}], "talk_share": 1},
    "plans": [{"name": "hold"}],
}
DAY = 1440.0
CLOSES = 6 * DAY + 18 * 60  # Sunday 12 July, 18:00: the last shift before the holidays ends
OPENS = 17 * DAY + 9 * 60  # Thursday 23 July, 09:00
TTL = 3 * DAY


def floor(**changes) -> dict:
    doc = json.loads(json.dumps(FLOOR))
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = doc
        for key in parents:
            node = node[key]
        node[leaf] = value
    return doc


def played(doc: dict, engine: str, replication: int = 0):
    """One replication of the floor's one plan: the counted view and its metrics."""
    scenario = Scenario.model_validate(doc)
    resolved = resolve(scenario, rep.stream(scenario.seed, replication, "params"))
    leads, warmup = rep.lead_stream(resolved, scenario.seed, replication)
    clients = draw_clients(resolved.funnel, len(leads), rep.stream(scenario.seed, replication, "deals"),
                           channels=resolved.channels, lead_channel=leads.channel)
    world = rep.plan_world(resolved, leads, scenario.plans[0], scenario.seed, replication, warmup)
    dynamics = rep.stream(scenario.seed, replication, "dynamics")
    out = get_engine(engine)(world, dynamics, cache=ReplicationCache())
    deals = rep.settled(resolved, clients, world, out)
    return counted(world, out, deals), measure(world, out, deals)[0]


@pytest.mark.parametrize("engine", ["fast", "des"])
def test_leads_whose_time_to_live_falls_in_the_holidays_are_counted_closed(engine):
    view, m = played(floor(), engine)
    created, out = view.world.leads.created, view.out
    # Created after the last shift closed, and expiring before the first one opens: never due on shift.
    inside = (created >= CLOSES) & (created + TTL < OPENS)
    assert inside.sum() > 300
    assert (out.attempts[inside] == 0).all() and (out.end[inside] == EXPIRED).all()
    assert m["untouched_closed"] == inside.sum()
    # Every other lead never attempted is still waiting at the horizon's end, or missed after the reopening.
    assert m["untouched_leads"] - m["untouched_closed"] - m["untouched_open"] <= 0.01 * m["leads"]
    # Chains cut in the holidays: the next attempt planned after the close, the expiry before the reopening.
    cut = (out.end == EXPIRED) & (out.attempts > 0)
    offsets = np.array([0.0, 60.0, DAY])
    planned = created + offsets[np.minimum(out.attempts, 2)]
    assert m["chains_cut_closed"] == (cut & (planned >= CLOSES) & (created + TTL < OPENS)).sum() > 0


@pytest.mark.parametrize("engine", ["fast", "des"])
def test_without_the_holidays_nights_shorter_than_the_time_to_live_lose_nothing_to_the_calendar(engine):
    _, m = played(floor(**{"calendar.holidays": []}), engine)
    assert m["untouched_closed"] == 0 and m["chains_cut_closed"] == 0
    assert m["untouched_leads"] == m["untouched_open"]


def test_a_sunday_and_nights_longer_than_the_time_to_live_are_closed_too():
    # Open 09:00-18:00 Monday to Saturday, leads live 12 hours: the leads of a weekday's evening (a
    # 15-hour night) and of Saturday evening and Sunday (39 hours) expire unworked.
    doc = floor(**{"calendar.holidays": [], "calendar.sun": "closed", "touch_chain.lead_ttl": "12h",
                   "touch_chain.offsets": ["0m", "1h"]})
    view, m = played(doc, "fast")
    created, out = view.world.leads.created, view.out
    opening = np.array([d * DAY + 9 * 60 for d in range(28) if d % 7 != 6])  # 2026-07-06 is a Monday
    closing = opening + 9 * 60
    expiry = created + 12 * 60
    # By brute force: a lead is never due on shift if no opening hour meets [created, expiry].
    meets = (opening[None, :] <= expiry[:, None]) & (closing[None, :] > created[:, None])
    never_due = ~meets.any(axis=1) & (expiry < 28 * DAY)
    assert never_due.sum() > 100
    assert (out.attempts[never_due] == 0).all() and (out.end[never_due] == EXPIRED).all()
    assert m["untouched_closed"] == never_due.sum()
    assert m["untouched_leads"] == m["untouched_closed"] + m["untouched_open"]


def test_the_verdict_names_the_closed_floor_and_does_not_call_capacity_short(tmp_path: Path):
    (path := tmp_path / "floor.yaml").write_text(yaml.safe_dump(floor()))
    result = CliRunner().invoke(app, ["run", str(path), "-n", "3", "--workers", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    neck = json.loads(result.stdout)["verdict"]["bottleneck"]
    assert neck["kind"] == "closed_floor" and neck["share_of_leads"] > 0.2, neck
    assert "duty shift" in neck["text"] and "lack of managers' time" not in neck["text"]
    table = CliRunner().invoke(app, ["run", str(path), "-n", "3", "--workers", "1"])
    assert table.exit_code == 0, table.output
    assert "Closed floor" in table.stdout and "Capacity is short" not in table.stdout


def test_an_overloaded_floor_loses_to_both_and_the_two_never_overlap():
    # One manager for 150 leads a day: the backlog is capacity, the holidays' leads the calendar's.
    busy = floor(**{"team.managers": [{"team_lead": "tl", "count": 1}],
                    "channels": [{"name": "ads", "leads_per_day": 150, "hour_profile": "flat"}]})
    _, m = played(busy, "fast")
    frame = pd.DataFrame([m])
    capacity, closed = capacity_lost(frame)[0], closed_floor_lost(frame)[0]
    assert closed == m["untouched_closed"] + m["chains_cut_closed"] > 0
    assert capacity == (m["untouched_leads"] - m["untouched_open"] - m["untouched_closed"]
                        + m["chains_cut"] - m["chains_cut_closed"]) > 0.05 * m["leads"]
    split = losses(frame, 28)
    assert split["capacity"][0][0] + split["span_rule"][0][0] == capacity
    assert split["closed_floor"][0][0] == closed
