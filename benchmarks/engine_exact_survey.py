"""Do the engines agree lead by lead on random mixes of the sales floor's rules made deterministic?

    python benchmarks/engine_exact_survey.py [--count 100] [--seed 1] [--policies round_robin,...] [--show]

Each scenario mixes the rules at random (3-9 managers, 5-12 days, a warm-up
or none; shift patterns 5/2, 2/2, 3/3, 6/1, 7/0, 4/3, 2/1, 1/1 with or without
named days and team leads, past midnight, 24-hour shifts; opening hours past
midnight or around the clock, closed Sundays, holidays, short days; absence;
onboarding, ``min_shift_left``, ``max_new_per_day``, ``ramp_share``, the
hand-over; priorities; CRM minutes; ramp; attrition, probation, hiring plans
with team leads, promotions and backfill; unreachable and non-target leads;
the presentation's time limit and closing calls) with every chance 0 or 1
and fixed call lengths, so both engines must give the same outcome for
every lead (the manager, attempts, end, closer, hand-overs, the times, the
time split and firings) on the replication's world.  ``weighted`` routing
draws a uniform per lead, so it is left out.  One line per scenario:
``same``, or ``DIFF`` with the rules it mixes and the first differences;
rerun one with ``--only K --show`` to print it.  Exit status 1 if any
differs.  About a second per scenario after the first's compile.

docs/engines.md ("Ties") says what the sweeps found.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import traceback
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simsales.engines import des
from simsales.engines.fast import engine as fast
from simsales.montecarlo.replication import lead_stream, plan_world, stream
from simsales.scenario.loader import parse_scenario
from simsales.scenario.uncertain import resolve

PATTERNS = ["5/2", "2/2", "3/3", "6/1", "7/0", "4/3", "2/1", "1/1"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
FIELDS_EQ = ("manager", "attempts", "end", "closer", "handovers")
FIELDS_CLOSE = (
    "first_attempt",
    "contact",
    "offer_time",
    "closing_due",
    "closing_time",
    "talk_minutes",
    "dial_minutes",
    "crm_minutes",
    "overtime_minutes",
    "busy_minutes",
    "attempts_made",
    "fired",
)


def pick(rng: np.random.Generator, items: list) -> object:
    """One of ``items``."""
    return items[int(rng.integers(len(items)))]


def random_doc(rng: np.random.Generator, k: int, policies: list[str]) -> tuple[dict, list[str]]:
    """Scenario ``k``: a document with every chance 0 or 1, and the rules it mixes."""
    rules = []
    horizon = int(rng.integers(5, 13))
    start = dt.date(2026, 7, 1) + dt.timedelta(days=int(rng.integers(0, 60)))
    cal = {"default": pick(rng, ["09:00-21:00", "08:00-23:00", "09:00-02:00", "00:00-24:00", "10:00-19:00"])}
    if rng.random() < 0.3:
        cal["sun"] = "closed"
    if rng.random() < 0.3:
        cal["sat"] = pick(rng, ["10:00-16:00", "12:00-03:00"])
    if rng.random() < 0.35:
        d0 = start + dt.timedelta(days=int(rng.integers(0, horizon)))
        cal["holidays"] = [
            f"{d0.isoformat()}..{(d0 + dt.timedelta(days=int(rng.integers(0, 3)))).isoformat()}"
        ]
        rules.append("holidays")
    if rng.random() < 0.25:
        d1 = start + dt.timedelta(days=int(rng.integers(0, horizon)))
        cal["short_days"] = {d1.isoformat(): pick(rng, ["10:00-16:00", "closed", "13:00-01:00"])}
        rules.append("short_days")
    n_tl = int(rng.integers(1, 4))
    total = int(rng.integers(3, 10))
    groups, left = [], total
    for i in range(n_tl):
        c = left if i == n_tl - 1 else int(rng.integers(0, left + 1))
        left -= c
        groups.append(
            {"team_lead": f"tl{i}", "count": c, "tenure_days": int(pick(rng, [300, 300, 40, 10, 2, 70]))}
        )
    shifts = []
    n_shift = int(rng.integers(1, 4))
    for i in range(n_shift):
        pattern = pick(rng, PATTERNS)
        s = {
            "name": f"s{i}",
            "pattern": pattern,
            "start": pick(rng, ["09:00", "08:00", "13:00", "17:00", "20:00", "22:00", "00:00", "10:30"]),
            "hours": float(pick(rng, [9, 8, 12, 24, 6, 10.5])),
        }
        a, b = (int(x) for x in pattern.split("/"))
        if a + b == 7 and a < 7 and rng.random() < 0.4:
            s["days"] = [DAYS[d] for d in sorted(rng.choice(7, a, replace=False).tolist())]
        if n_tl > 1 and rng.random() < 0.3:
            s["team_leads"] = [f"tl{j}" for j in range(n_tl) if rng.random() < 0.6] or ["tl0"]
        shifts.append(s)
        rules.append(f"shift {pattern} {s['start']} {s['hours']}h")
    team = {
        "team_leads": [{"name": f"tl{i}", "tenure_days": int(pick(rng, [400, 30, 90]))} for i in range(n_tl)],
        "managers": groups,
        "shifts": shifts,
        "talk_share": float(pick(rng, [0.5, 0.8, 1.0])),
        "skill_weights": {"qualify": 0, "offer": 0, "close": 0},
        "span_max": int(pick(rng, [8, 5, 12])),
        "hires_per_lead_month": int(pick(rng, [3, 1, 5])),
        "lead_adaptation_days": int(pick(rng, [60, 0, 10])),
    }
    if rng.random() < 0.6:
        team["crm_minutes"] = {
            "attempt": float(pick(rng, [0, 1, 2.5])),
            "contact": float(pick(rng, [0, 3, 5])),
            "offer": float(pick(rng, [0, 6, 10])),
        }
        rules.append("crm")
    if rng.random() < 0.5:
        team["ramp"] = pick(
            rng, [{"months": [0.3, 0.6]}, {"logistic": {"midpoint_days": 20, "width_days": 5}}]
        )
    team["attrition"] = {
        "monthly": float(pick(rng, [0, 0.05, 0.5])),
        "probation_monthly": float(pick(rng, [0, 0.1, 0.5])),
        "probation_days": int(pick(rng, [60, 5, 8])),
        "team_lead_monthly": float(pick(rng, [0, 0, 0.3])),
    }
    if rng.random() < 0.4:
        team["probation"] = {
            "bar": float(pick(rng, [0.6, 0.9, 1.0])),
            "fire_chance": float(pick(rng, [0.0, 1.0])),
            "overload_step": float(pick(rng, [0, 0.5])),
        }
        team["attrition"]["probation_days"] = int(pick(rng, [3, 5, 8]))
        rules.append("probation")
    if rng.random() < 0.5:
        team["absence"] = {
            "sick_share": float(pick(rng, [0, 0.1, 0.3])),
            "vacation_weeks_per_year": float(pick(rng, [0, 10])),
        }
        rules.append("absence")
    policy = pick(rng, policies)
    routing = {"policy": policy, "onboarding_days": int(pick(rng, [0, 1, 3]))}
    rules.append(policy)
    per_day = total * float(rng.uniform(5, 30))
    if policy != "shared_queue":
        if rng.random() < 0.5:
            routing["min_shift_left"] = int(pick(rng, [30, 60, 120]))
            rules.append("min_shift_left")
        if rng.random() < 0.5:
            routing["max_new_per_day"] = max(
                1, int(np.ceil(per_day / total * float(pick(rng, [0.5, 1.0, 2.0]))))
            )
            rules.append("cap")
        if rng.random() < 0.5:
            routing["ramp_share"] = float(pick(rng, [0.3, 0.5, 0.8]))
            rules.append("ramp_share")
    if rng.random() < 0.5:
        routing["handover_after_hours"] = float(pick(rng, [0, 1, 4, 16]))
        rules.append("handover")
    chans = []
    for i in range(int(rng.integers(1, 4))):
        c = {"name": f"c{i}", "leads_per_day": round(per_day / (i + 1), 2), "overdispersion": 0.0}
        c["hour_profile"] = pick(rng, ["flat", [0] * 9 + [1] * 12 + [0] * 3, [2] * 6 + [1] * 18])
        if rng.random() < 0.5:
            c["nontarget_share"] = float(pick(rng, [0.1, 0.3]))
        if rng.random() < 0.5:
            c["unreachable_share"] = float(pick(rng, [0.05, 0.2]))
        c["contact_factor"] = float(pick(rng, [1.0, 1.0, 0.0]))
        c["quality"] = float(pick(rng, [1.0, 1.0, 0.0]))
        chans.append(c)
    n_off = int(rng.integers(1, 6))
    offsets = sorted(set(pick(rng, [0, 0, 10, 30, 60, 180, 600, 1440, 2880]) for _ in range(n_off)))
    pc = [float(pick(rng, [0.0, 1.0])) for _ in offsets]
    ttl = max(offsets[-1], int(pick(rng, [1440, 2880, 4320])))
    tc = {
        "offsets": [f"{o}m" for o in offsets],
        "p_contact": pc,
        "lead_ttl": f"{ttl}m",
        "dial_minutes": float(pick(rng, [1, 0.5, 2])),
        "call_minutes": float(pick(rng, [8, 12])),
        "priority": pick(
            rng,
            [
                "new_first",
                "due_first",
                ["booked", "first", "followup"],
                ["first", "booked", "followup"],
                ["followup", "first", "booked"],
                ["first", "followup", "booked"],
                ["followup", "booked", "first"],
            ],
        ),
    }
    rules.append(f"prio {tc['priority']}")
    if rng.random() < 0.4:
        tc["nontarget_call_minutes"] = 2
    funnel = {
        "qualify": 1.0,
        "offer": {
            "p": float(pick(rng, [1.0, 1.0, 0.0])),
            "delay_days": float(pick(rng, [0, 0.2, 0.5, 1, 2])),
            "call_minutes": float(pick(rng, [0, 15, 30])),
        },
        "invoice_paid": {"p": 1.0},
        "link_filled": {"p": 1.0},
        "bank_approved": {"p": 1.0},
        "price": {"check": 50000},
    }
    if rng.random() < 0.5:
        funnel["presentation_within_days"] = float(pick(rng, [0.1, 0.5, 1, 3]))
        rules.append("pres_within")
    if rng.random() < 0.5:
        funnel["closing"] = {
            "share": float(pick(rng, [0.0, 1.0])),
            "delay_days": float(pick(rng, [0, 0.2, 1])),
            "call_minutes": 10,
            "within_days": float(pick(rng, [0.1, 1, 3])),
        }
        rules.append("closing")
    kind = pick(rng, ["hold", "managers", "headcount", "team_leads", "promote", "backfill"])
    month = f"{start.year}-{start.month:02d}"
    plan = {
        "name": "p",
        "time_to_hire_days": int(pick(rng, [0, 2, 4])),
        "on_cap": pick(rng, ["defer", "refuse"]),
    }
    if kind == "managers":
        plan["months"] = [{"month": month, "managers": int(rng.integers(2, 8))}]
    elif kind == "headcount":
        plan["months"] = [{"month": month, "headcount": total + int(rng.integers(1, 5))}]
    elif kind == "team_leads":
        plan["months"] = [{"month": month, "team_leads": 1, "managers": int(rng.integers(1, 5))}]
    elif kind == "promote":
        plan["months"] = [{"month": month, "promote": 1, "managers": 2}]
    elif kind == "backfill":
        plan["backfill"] = True
        team["attrition"]["monthly"] = 0.6
    rules.append(f"plan {kind}")
    doc = {
        "name": f"exact {k}",
        "start": start.isoformat(),
        "horizon_days": horizon,
        "warmup_days": int(pick(rng, [0, 0, 2, 4])),
        "seed": int(rng.integers(1_000_000)),
        "calendar": cal,
        "channels": chans,
        "routing": routing,
        "touch_chain": tc,
        "funnel": funnel,
        "team": team,
        "plans": [plan],
    }
    return doc, rules


def compare(doc: dict, reps: int = 1) -> tuple[list[str], int]:
    """Both engines on the scenario's first ``reps`` replications: the differences, and the leads."""
    scenario = parse_scenario(yaml.safe_dump(doc, sort_keys=False), doc["name"])
    problems = []
    for r in range(reps):
        resolved = resolve(scenario, stream(scenario.seed, r, "params"))
        leads, warmup = lead_stream(resolved, scenario.seed, r, None)
        for plan in resolved.plans:
            world = plan_world(resolved, leads, plan, scenario.seed, r, warmup, None)
            a = des.simulate(world, np.random.default_rng(2))
            b = fast.simulate(world, np.random.default_rng(1))
            for f in FIELDS_EQ:
                x, y = getattr(a, f), getattr(b, f)
                if not np.array_equal(x, y):
                    i = np.flatnonzero(x != y)
                    problems.append(f"{f}: {i.size} differ, first lead {i[0]}: des {x[i[0]]} fast {y[i[0]]}")
            for f in FIELDS_CLOSE:
                x, y = getattr(a, f).astype(float), getattr(b, f).astype(float)
                bad = ~(np.isclose(x, y, rtol=0, atol=1e-6) | (np.isnan(x) & np.isnan(y)))
                if bad.any():
                    i = np.flatnonzero(bad)
                    problems.append(f"{f}: {i.size} differ, first {i[0]}: des {x[i[0]]} fast {y[i[0]]}")
    return problems, len(leads)


def main() -> None:
    """Run the survey and print a line per scenario."""
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--only", type=int, nargs="*")
    p.add_argument("--show", action="store_true")
    p.add_argument("--policies", default="round_robin,least_loaded,shared_queue")
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    k = tries = 0
    bad = 0
    while k < a.count and tries < 20 * a.count:
        tries += 1
        doc, rules = random_doc(rng, k, a.policies.split(","))
        try:
            parse_scenario(yaml.safe_dump(doc, sort_keys=False), doc["name"])
        except Exception:
            continue
        kk, k = k, k + 1
        if a.only and kk not in a.only:
            continue
        if a.show:
            print(yaml.safe_dump(doc, sort_keys=False))
        try:
            problems, n = compare(doc)
        except Exception:
            print(kk, "ERROR", rules, traceback.format_exc()[-800:], flush=True)
            bad += 1
            continue
        if problems:
            bad += 1
            print(kk, "DIFF", n, rules, problems[:4], flush=True)
        else:
            print(kk, "same", n, flush=True)
    print("done", k, "bad", bad)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
