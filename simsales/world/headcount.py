"""Plans written as targets: ``headcount: N`` in a month, and ``backfill`` (MODEL.md section 6).

* ``headcount: N``: on the month's first day, hire what it takes to have N
  managers employed on the month's last day (onboarding included), counting
  the leavers the world already knows of; a hire who would leave before the
  month's end is replaced too.  If hires join after the month's end (time to
  hire), the gap is hired once and the target is met when they join.  The
  span rule applies; what it blocks is deferred or refused as the plan
  says.  Hires deferred from earlier months are part of the gap (a target
  replaces them; none is hired twice, nor counted as deferred twice: a
  month's ``deferred`` holds only the hires blocked beyond those already
  waiting).  Standbys do not count.
* ``backfill: true``: every manager who leaves (or is promoted) opens a
  vacancy on their first day gone, for their own team lead if that lead can
  take a hire that month, else for the lead with most capacity; deferred to
  the next month's first day (hired first there) or refused when no lead
  can take it.  Probationers' replacements are standbys
  (:meth:`simsales.world.staffing.Staffing.add_standby`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simsales.world.hiring import allocate

if TYPE_CHECKING:
    from simsales.world.staffing import Staffing

__all__ = ["backfill_vacancy", "headcount_month"]


def headcount_month(staff: Staffing, month: int, day: int, target: int) -> None:
    """Hire towards ``target`` managers employed on the last day of ``month``.

    Args:
        staff: the plan's people.
        month: the month's index.
        day: its first day (the vacancies open then).
        target: managers wanted on the month's last day.
    """
    carried, staff.carried = staff.carried, 0  # the gap below counts every hire made; deferred ones are in it
    end = staff.month_end(month)
    in_time = day + staff.plan.time_to_hire_days <= end
    gap = target - staff.employed_at(end)
    made = 0
    while gap > 0:
        leads = allocate(staff.capacity(day, month), gap)
        if not leads:
            break
        staff.hire(day, month, leads)
        made += len(leads)
        if not in_time:  # they join after the month's end: the gap, hired once
            gap -= len(leads)
            break
        gap = target - staff.employed_at(end)
    blocked = max(gap, 0)
    staff.ledger.requested[month] = made + blocked
    staff.ledger.made[month] += made
    # Hires deferred before and made now, or blocked again, were counted when first deferred: only
    # those beyond them are newly deferred (each hire counts once, however long it waits).
    if staff.plan.on_cap == "defer":
        waiting = carried - min(carried, made)
        staff.ledger.deferred[month] += max(blocked - waiting, 0)
        staff.carried = blocked
    else:
        staff.settle(month, blocked)


def backfill_vacancy(staff: Staffing, m: int, day: int) -> None:
    """Manager ``m`` is gone from ``day`` on: their vacancy opens (``backfill`` plans).

    Args:
        staff: the plan's people.
        m: the leaver (or promoted manager).
        day: their first day gone.
    """
    month = staff.month_of(day)
    staff.ledger.requested[month] += 1
    capacity = staff.capacity(day, month)
    k = staff.cur_tl[m]
    leads = [k] if k >= 0 and capacity[k] > 0 else allocate(capacity, 1)
    if leads:
        staff.hire(day, month, leads)
        staff.ledger.made[month] += 1
    else:
        staff.settle(month, 1)
