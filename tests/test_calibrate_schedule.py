"""Shifts, talk share and planned offsets: each recovered from the data the model makes, without bias.

The unit tests hold each estimator against a known truth; the round trips
simulate a department with the reference engine (whose rules the
estimators invert, :mod:`simsales.engines.des`), write its CRM export and
calibrate on it.
"""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pandas as pd
import pytest
import yaml

from simsales.calibrate import calibrate
from simsales.calibrate.document import document
from simsales.calibrate.offsets import planned_offset
from simsales.calibrate.rota import manager_rotas, read_rota, shift_groups, weekday_label
from simsales.montecarlo.events import simulate_events
from simsales.scenario import Calendar, Shift
from simsales.scenario.loader import parse_scenario
from simsales.world.calendar import shift_windows
from tests.test_calibrate_roundtrip import TRUTH

START = dt.date(2026, 7, 6)  # a Monday


def _worked(pattern: str, phase: int, days: int) -> np.ndarray:
    on, off = (int(x) for x in pattern.split("/"))
    d = np.arange(days)
    return d[((d + phase) % (on + off)) < on]


@pytest.mark.parametrize(
    ("days", "weekday0", "want"),
    [
        (_worked("5/2", 0, 56), 0, ((0, 1, 2, 3, 4), 0, 0)),  # Monday to Friday
        (_worked("5/2", 4, 56), 0, ((3, 4, 5, 6, 0), 0, 0)),  # days 3..6 and 0 of each week: Thu-Mon
        (_worked("2/2", 1, 56), 0, (None, 2, 2)),
        (_worked("3/3", 2, 60), 3, (None, 3, 3)),
        (_worked("1/1", 0, 42), 0, (None, 1, 1)),
        (_worked("5/2", 0, 14), 0, None),  # two weeks tell no rota
    ],
)
def test_a_managers_rota_is_read_from_their_own_days(days, weekday0, want):
    got = read_rota(days, weekday0)
    if want is None or want[0] is None:
        assert got == want
    else:
        assert got is not None and set(got[0]) == set(want[0]) and got[1:] == (0, 0)


def test_absences_do_not_hide_a_weekly_rota_or_a_rotating_one():
    rng = np.random.default_rng(3)
    weekly = _worked("5/2", 0, 63)
    weekly = weekly[(weekly < 21) | (weekly >= 28)]  # a vacation week
    weekly = np.delete(weekly, rng.choice(len(weekly), 3, replace=False))  # three sick days
    assert read_rota(weekly, 0)[0] == (0, 1, 2, 3, 4)
    rotating = np.delete(_worked("2/2", 0, 63), [7, 12])  # two sick days
    assert read_rota(rotating, 0) == (None, 2, 2)


def test_weekday_labels():
    assert weekday_label((0, 1, 2, 3, 4)) == "mon-fri"
    assert weekday_label((0, 3, 4, 5, 6)) == "thu-mon"
    assert weekday_label((0, 2, 4)) == "mon,wed,fri"
    assert weekday_label(tuple(range(7))) == "every day"


def _table(starts: np.ndarray, ends: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The shifts table the model's windows make, as the frame holds it (days since 1970)."""
    m, d = np.nonzero(ends > starts)
    day0 = (START - dt.date(1970, 1, 1)).days
    table = pd.DataFrame({"manager": m, "day": (day0 + d).astype(float)})
    return table, starts[m, d] - d * 1440.0, ends[m, d] - starts[m, d]


WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.mark.parametrize("pattern", ["5/2", "5/2 spread", "2/2", "3/3"])
def test_the_fitted_groups_put_as_many_managers_on_shift_each_day_as_the_truth(pattern):
    """A rota spread over its phases (a rotating pattern, or a 5/2 week spread over seven groups of named
    days), or a plain 5/2 (Monday to Friday): the fitted groups, run through the same model, cover
    every day of eight weeks with exactly the true headcount."""
    calendar = Calendar(default="09:00-21:00")
    if pattern == "5/2 spread":  # the k-th group starts on the k-th weekday
        truth = [Shift(name=f"from {WEEK[k]}", pattern="5/2", start="09:00", hours=12, share=1 / 7,
                       days=[WEEK[(k + i) % 7] for i in range(5)]) for k in range(7)]
    else:
        truth = [Shift(name="day", pattern=pattern, start="09:00", hours=12)]
    n, days = 14, 56
    starts, ends = shift_windows(truth, calendar, START, days, n)
    rotas = manager_rotas(*_table(starts, ends), np.ones(int((ends > starts).sum()), dtype=bool))
    groups = shift_groups(rotas)
    assert sum(g["share"] for g in groups) == pytest.approx(1.0, abs=1e-9)
    if pattern == "5/2 spread":  # one group per set of weekdays, never a bare 5/2
        assert all(g.get("days") and len(g["days"]) == 5 for g in groups) and len(groups) == 7
    elif pattern == "5/2":  # everyone Monday to Friday: one group, its days named
        assert [(g["pattern"], g.get("days")) for g in groups] == [("5/2", list(WEEK[:5]))]
    else:
        assert [(g["pattern"], g.get("days")) for g in groups] == [(pattern, None)]
    fitted = [Shift(**g) for g in groups]
    f_starts, f_ends = shift_windows(fitted, calendar, START, days, n)
    np.testing.assert_array_equal((f_ends > f_starts).sum(0), (ends > starts).sum(0))
    assert {(g["start"], g["hours"]) for g in groups} == {("09:00", 12.0)}


def test_the_planned_offset_is_where_the_ages_pile_up():
    rng = np.random.default_rng(5)
    # A quarter of the leads attempted on time at 30 minutes (to the second), the rest after a wait.
    on_time = 30 + rng.integers(-1, 2, 500) / 60
    late = 30 + rng.exponential(120, 1500)
    early = np.array([5.0, 12.0, 20.0])  # a few stray ages below the plan move nothing
    assert planned_offset(np.concatenate([on_time, late, early])) == pytest.approx(30, abs=0.05)
    assert np.median(np.concatenate([on_time, late])) > 60  # what the median would say
    # No one on time: the waits are densest at zero, so the plan is still their lower edge.
    assert planned_offset(1440 + rng.exponential(20, 5000)) == pytest.approx(1440, abs=0.5)


def test_document_values_are_plain_python():
    doc = document({"a": np.float64(0.25), "b.c": [np.int64(3), np.bool_(True)], "d": np.str_("x")})
    assert doc == {"a": 0.25, "b": {"c": [3, True]}, "d": "x"}
    assert [type(v) for v in (doc["a"], *doc["b"]["c"], doc["d"])] == [float, int, bool, str]
    yaml.safe_dump(doc)


def _busy_truth() -> dict:
    truth = copy.deepcopy(TRUTH)
    truth["team"]["shifts"] = [{"name": "a", "pattern": "2/2", "start": "09:00", "hours": 12}]
    truth["team"]["talk_share"] = 0.45
    truth["touch_chain"]["offsets"] = ["0m", "10m", "2h", "1d"]
    return truth


@pytest.mark.parametrize(
    ("truth", "offsets", "seed"),
    [(TRUTH, [0.0, 30.0, 180.0, 1440.0], 11), (_busy_truth(), [0.0, 10.0, 120.0, 1440.0], 12)],
)
def test_a_simulated_departments_shifts_talk_share_and_offsets_come_back(truth, offsets, seed):
    scenario = parse_scenario(yaml.safe_dump(truth, sort_keys=False), "<truth>")
    run = simulate_events(scenario, "hold", 0, seed=seed)
    cal = calibrate(run.export)
    team, chain = cal.document["team"], cal.document["touch_chain"]
    # The talk share: the truth inside a narrow interval around it.
    lo, mode, hi = team["talk_share"]["triangular"]
    true_share = truth["team"]["talk_share"]
    assert lo <= true_share <= hi and abs(mode - true_share) < 0.005 and hi - lo < 0.05
    # ... where call time over shift time, at the busy days' P90 (the old estimate), is far below it.
    calls, shifts = run.export.calls, run.export.shifts
    talk = calls.groupby([calls["manager_id"], calls["started_at"].dt.date])["duration_s"].sum() / 60
    hours = truth["team"]["shifts"][0]["hours"]
    assert np.quantile(talk.to_numpy() / (hours * 60), 0.9) < true_share - 0.03
    assert len(shifts) > 0
    # The planned offsets to the second; the median ages include the waits.
    assert chain["offsets"] == pytest.approx(offsets, abs=0.1)
    created = run.export.leads.set_index("lead_id")["created_at"]
    first = calls.groupby("lead_id")["started_at"].min()
    assert ((first - created.loc[first.index]).dt.total_seconds().median() / 60) > offsets[0] + 5
    # The shifts: the true rota, with the same headcount on shift every day.
    groups = team["shifts"]
    if truth["team"]["shifts"][0]["pattern"] == "2/2":
        assert [(g["pattern"], g.get("days"), g["start"], g["hours"]) for g in groups] == [
            ("2/2", None, "09:00", 12.0)
        ]
    else:
        assert all(g.get("days") for g in groups)  # a spread week: named weekdays, never a bare 5/2
        calendar = Calendar(default="09:00-21:00")
        true_s, true_e = shift_windows(scenario.team.shifts, calendar, START, 28, 14)
        fit_s, fit_e = shift_windows([Shift(**g) for g in groups], calendar, START, 28, 14)
        np.testing.assert_array_equal((fit_e > fit_s).sum(0), (true_e > true_s).sum(0))
    # The document is plain Python: it dumps with yaml.safe_dump and the file reads back as it.
    yaml.safe_dump(cal.document)
    assert yaml.safe_load(cal.yaml()) == cal.document
