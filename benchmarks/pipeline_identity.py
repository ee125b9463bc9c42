"""Every number of ``replicate`` before and after a change outside the engine: saved, then compared.

``save OUT.pkl`` runs :func:`simsales.montecarlo.replication.replicate` on the
shipped scenarios, the tests' small scenarios and a few variants of the small
one (holidays, short days, hours past midnight, rotating and night shifts,
shifts tied to team leads, a cold start) for several seeds and replications,
and pickles every plan's metrics and series; ``compare A.pkl B.pkl`` checks
them value by value (NaN equal to NaN, dtypes and shapes too).  Run ``save``
with the old code (``PYTHONPATH=/work/main``) and the new, then ``compare``.
"""

from __future__ import annotations

import copy
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from simsales.montecarlo.replication import replicate
from simsales.scenario.loader import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "data" / "small.yaml"


def _variant(changes: dict) -> str:
    """small.yaml with top-level / team keys replaced, as YAML text."""
    doc = yaml.safe_load(SMALL.read_text())
    for key, value in changes.items():
        where = doc
        *parents, last = key.split(".")
        for p in parents:
            where = where.setdefault(p, {})
        where[last] = copy.deepcopy(value)
    return yaml.safe_dump(doc, sort_keys=False)


VARIANTS = {
    "calendar": {
        "calendar": {"default": "09:00-21:00", "sat": "10:00-16:00", "sun": "closed", "fri": "09:00-01:00",
                     "holidays": ["2026-07-03", "2026-07-10..2026-07-12", "2026-06-20"],
                     "short_days": {"2026-07-07": "10:00-15:00", "2026-06-24": "closed"}},
    },
    "shifts": {
        "team.shifts": [
            {"name": "day", "pattern": "5/2", "start": "09:00", "hours": 9, "share": 0.2,
             "team_leads": ["anna"]},
            {"name": "night", "pattern": "2/2", "start": "20:00", "hours": 10, "share": 0.2},
            {"name": "rot", "pattern": "3/1", "start": "11:00", "hours": 8, "share": 0.4},
            {"name": "picked", "pattern": "3/4", "start": "08:30", "hours": 7, "share": 0.2,
             "days": ["mon", "wed", "sat"], "team_leads": ["boris"]},
        ],
        "calendar": {"default": "00:00-24:00", "holidays": ["2026-07-05"]},
        "routing": {"min_shift_left": 30, "handover_after_hours": 1},
        "team.absence": {"sick_share": 0.05, "vacation_weeks_per_year": 4},
    },
    "cold": {"warmup_days": 0},
    "fixed_warmup": {"warmup_days": 5, "team.shifts": [
        {"name": "a", "pattern": "2/2", "start": "09:00", "hours": 12, "share": 0.5},
        {"name": "b", "pattern": "2/2", "start": "09:00", "hours": 12, "share": 0.5}]},
}


def cases(quick: bool) -> list[tuple[str, object, list[int], list[int], str]]:
    """(label, scenario, seeds, replications, engine) to run."""
    out = []
    reps = [0, 1] if quick else [0, 1, 2, 3]
    out.append(("q3", load_scenario(ROOT / "scenarios" / "q3.yaml"), [1, 20260701], reps, "fast"))
    out.append(("big", load_scenario(ROOT / "scenarios" / "big.yaml"), [1], [0] if quick else [0, 1], "fast"))
    small = sorted((ROOT / "tests" / "data").glob("*.yaml")) + sorted((ROOT / "benchmarks").glob("*.yaml"))
    for path in small:
        out.append((path.name, load_scenario(path), [3, 11], reps, "fast"))
    for name, changes in VARIANTS.items():
        out.append((f"small-{name}", parse_scenario(_variant(changes), f"<{name}>"), [3, 11], reps, "fast"))
    out.append(("small-des", load_scenario(SMALL), [5], [0, 1], "des"))
    out.append(("shifts-des", parse_scenario(_variant(VARIANTS["shifts"]), "<shifts>"), [5], [0], "des"))
    return out


def save(path: str, quick: bool = False) -> None:
    """Run every case and pickle ``{(label, seed, replication): replicate(...)}``."""
    results = {}
    for label, scenario, seeds, reps, engine in cases(quick):
        t0 = time.perf_counter()
        for seed in seeds:
            for r in reps:
                results[label, seed, r] = replicate(scenario, scenario.plans, r, seed, engine)
        print(f"{label}: {time.perf_counter() - t0:.1f} s", flush=True)
    with open(path, "wb") as fh:
        pickle.dump(results, fh)


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.array_equal(a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


def compare(old_path: str, new_path: str) -> int:
    """Print every difference; the number of differing values."""
    with open(old_path, "rb") as fh:
        old = pickle.load(fh)
    with open(new_path, "rb") as fh:
        new = pickle.load(fh)
    bad = 0
    if old.keys() != new.keys():
        print("different cases:", set(old) ^ set(new))
        bad += 1
    checked = 0
    for key in old.keys() & new.keys():
        if old[key].keys() != new[key].keys():
            print(key, "different plans")
            bad += 1
            continue
        for plan, (metrics, series) in old[key].items():
            metrics2, series2 = new[key][plan]
            for part, a, b in (("metric", metrics, metrics2), ("series", series, series2)):
                if a.keys() != b.keys():
                    print(key, plan, part, "different keys", set(a) ^ set(b))
                    bad += 1
                for name in a.keys() & b.keys():
                    checked += 1
                    if not _same(a[name], b[name]):
                        print(key, plan, part, name, "differs:", a[name], b[name])
                        bad += 1
    print(f"{checked} values compared, {bad} differ")
    return bad


if __name__ == "__main__":
    if sys.argv[1] == "save":
        save(sys.argv[2], quick="--quick" in sys.argv)
    else:
        sys.exit(1 if compare(sys.argv[2], sys.argv[3]) else 0)
