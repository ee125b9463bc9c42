"""Who owns a pipeline's open leads in the simulation (MODEL.md 3): the export's people onto the scenario's.

A scenario's managers have no names.  The export's managers employed at
``start`` are matched to the scenario's starting managers (the team at
``start``: not a hire joining that day, not a standby, not in onboarding),
first within a team lead where the export's ``team_lead_id`` names one of
the scenario's team leads (``NAME`` or ``tl-NAME``, any case), then the
rest across teams.  Within each group the matching is the assignment
(:func:`scipy.optimize.linear_sum_assignment`) that makes each export
manager's week before ``start`` (the days with a call, 7 to 1 days before)
most like their scenario manager's first week (the same weekdays, days
off and absences included): an owner who works tomorrow gets a manager who
works tomorrow, so the pipeline's follow-ups are not left with someone on
a day off.  Ties, and an export without calls, go by tenure (longest
first, then roster order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from simsales.crm.pipeline import OWNED, WEEK, OpenLeads
from simsales.scenario import Scenario
from simsales.scenario.uncertain import resolve
from simsales.world.roster import Roster, build_roster

__all__ = ["owner_index", "unmatched"]


def _team_lead_key(text: object) -> str:
    key = str(text).strip().lower() if isinstance(text, str) else ""
    return key[3:] if key.startswith("tl-") else key


def owner_index(staff: pd.DataFrame, roster: Roster, scenario: Scenario) -> dict[str, int]:
    """The export's employed managers mapped onto the scenario's starting managers (module docstring).

    Within a team lead, then across the rest, each export manager goes to the starting manager whose
    first week (days 0-6, absences included) is most like the week they worked before ``start`` (days
    -7 to -1, the same weekdays: a day with a call counts as worked); ties, by tenure (longest first).

    Args:
        staff: the export's managers employed at ``start`` (``manager_id``,
            ``team_lead_id``, ``hired_at``, and ``worked``: 7 booleans, if known).
        roster: a plan's roster.
        scenario: the resolved scenario (its team leads' names).

    Returns:
        Export ``manager_id`` -> roster index, for the managers matched.
    """
    starting = np.flatnonzero((roster.join_day < 0) & (roster.standby_for < 0) & roster.employed[:, 0]
                              & ~roster.onboarding[:, 0])
    starting = starting[np.lexsort((starting, roster.join_day[starting]))]  # longest tenure first
    days = min(WEEK, roster.shift_start.shape[1])
    works = roster.shift_end[:, :days] > roster.shift_start[:, :days]
    names = [_team_lead_key(t.name) for t in scenario.team.team_leads]
    lead_of = [names[t] if 0 <= t < len(names) else "" for t in roster.team_lead[starting]]
    people = staff.sort_values(["hired_at", "manager_id"], kind="stable")
    ids = people["manager_id"].astype(str).tolist()
    teams = [_team_lead_key(t) for t in people["team_lead_id"].tolist()]
    weeks = (np.array([list(w)[:days] for w in people["worked"]], dtype=bool).reshape(len(ids), days)
             if "worked" in people else None)
    index: dict[str, int] = {}
    for name in dict.fromkeys(names):
        ours = [m for m, t in zip(starting.tolist(), lead_of, strict=True) if t == name]
        theirs = [i for i, t in zip(range(len(ids)), teams, strict=True) if t == name]
        _match(theirs, ours, ids, weeks, works, index)
    rest = [m for m in starting.tolist() if m not in set(index.values())]
    _match([i for i in range(len(ids)) if ids[i] not in index], rest, ids, weeks, works, index)
    return index


def _match(theirs: list[int], ours: list[int], ids: list[str], weeks: np.ndarray | None, works: np.ndarray,
           index: dict[str, int]) -> None:
    """Export managers (rows of ``ids``, by tenure) onto roster managers (by tenure): most alike weeks."""
    if not theirs or not ours:
        return
    rank = np.abs(np.arange(len(theirs))[:, None] - np.arange(len(ours))[None, :]) * 1e-3 / (len(ours) + 1)
    alike = (np.zeros((len(theirs), len(ours))) if weeks is None
             else (weeks[theirs][:, None, :] == works[ours][None, :, :]).sum(axis=2))
    rows, cols = linear_sum_assignment(rank - alike)
    for r, c in zip(rows, cols, strict=True):
        index[ids[theirs[r]]] = ours[c]


def unmatched(scenario: Scenario, open_leads: OpenLeads) -> list[str]:
    """A warning when employed owners of open leads are matched to no manager of the scenario (more people).

    Matched as a replication's first plan matches them (its starting managers are the same in every
    replication and plan; which export managers are left over may differ with the weeks).

    Args:
        scenario: the validated scenario.
        open_leads: the leads open at ``start``.

    Returns:
        One sentence, or none when every employed owner has a manager.
    """
    resolved = resolve(scenario, np.random.default_rng(scenario.seed))
    roster = build_roster(resolved, resolved.plans[0], np.random.default_rng(scenario.seed))
    index = owner_index(open_leads.staff, roster, resolved)
    employed = open_leads.staff["manager_id"].astype(str).tolist()
    spare = [m for m in employed if m not in index]
    mask = open_leads.at(*OWNED) & np.isin(open_leads.manager_id, spare)
    if not mask.any():
        return []
    shown = ", ".join(spare[:3]) + (" ..." if len(spare) > 3 else "")
    return [f"owners: the export has {len(employed)} managers employed on {open_leads.start}, the scenario "
            f"starts with {len(index)}: {len(spare)} have no manager in the run ({shown}), and their "
            f"{int(mask.sum())} open leads before the offer are routed by the policy at minute 0 as new "
            f"leads"]
