"""A closure of the whole floor (holidays) is not anyone's days off when rotas are read.

Nine days of New Year closure made a ``3/3`` manager's rota ``2/15`` in a calibrated scenario (a run of
days off across the closure); and a weekly rota's weekdays were judged against weeks the floor was shut.
A day nobody worked, whose weekday usually has shifts, is a closure: it counts neither for nor against a
weekday, and cuts the runs it falls in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsales.calibrate.rota import closed_days, manager_rotas, read_rota

MONDAY = 20_643  # 2026-07-06, days since 1970
CLOSURE = np.arange(MONDAY + 24, MONDAY + 33)  # nine days, a Thursday to a Friday


def team(pattern: tuple[int, int], managers: int, days: int, closure: np.ndarray) -> pd.DataFrame:
    """Managers on a rotating pattern, one phase each, every shift on a closed day taken out."""
    on, off = pattern
    rows = [(m, MONDAY + d) for m in range(managers) for d in range(days) if (d + m) % (on + off) < on]
    table = pd.DataFrame(rows, columns=["manager", "day"])
    return table[~table["day"].isin(closure)].reset_index(drop=True)


def rotas(table: pd.DataFrame) -> list:
    n = len(table)
    return manager_rotas(table, np.full(n, 540.0), np.full(n, 720.0), np.ones(n, dtype=bool))


def test_the_closure_is_found_and_only_it():
    table = team((3, 3), 6, 63, CLOSURE)
    np.testing.assert_array_equal(closed_days(table["day"].to_numpy()), CLOSURE)
    # A team on one phase of 2/2 leaves every other pair of days empty: rota days off, not closures.
    one_phase = pd.DataFrame({"day": [MONDAY + d for d in range(63) if d % 4 < 2]})
    assert closed_days(one_phase["day"].to_numpy()).size == 0


def test_a_closure_of_a_week_or_more_is_found_in_a_short_window():
    # Four weeks with nine days shut: each weekday is shut in one or two of its four weeks, too often for
    # the weekday rule alone; a week with nobody on shift is a closure whatever the rotas.
    closure = np.arange(MONDAY + 8, MONDAY + 17)
    table = team((3, 3), 6, 28, closure)
    np.testing.assert_array_equal(closed_days(table["day"].to_numpy()), closure)


def test_rotating_rotas_survive_a_long_closure():
    for r in rotas(team((3, 3), 6, 63, CLOSURE)):
        assert (r.days, r.on, r.off) == (None, 3, 3), r
    for r in rotas(team((2, 2), 4, 63, CLOSURE)):
        assert (r.days, r.on, r.off) == (None, 2, 2), r
    # Five weeks, nine days shut from the second Tuesday: read across the closure, two 4/4 managers came
    # out on fixed weekdays or with the closure as their days off.
    for r in rotas(team((4, 4), 8, 35, np.arange(MONDAY + 8, MONDAY + 17))):
        assert (r.days, r.on, r.off) == (None, 4, 4), r


def test_a_weekly_rota_is_judged_on_the_weeks_the_floor_was_open():
    # Monday to Friday over six weeks, three of them shut: the weekdays are still Mon-Fri (judged
    # against all six weeks, each was worked in half of them, under the 60% a weekday of one's own needs).
    weeks = [MONDAY + 7 * w + d for w in range(6) for d in range(5)]
    shut = np.arange(MONDAY + 7, MONDAY + 28)
    days = np.array([d for d in weeks if d not in set(shut)])
    got = read_rota(days - days[0], 0, shut - days[0])
    assert got is not None and set(got[0]) == {0, 1, 2, 3, 4}
