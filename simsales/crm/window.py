"""``since`` / ``until``: the leads created in a window, and their rows in the other tables.

A date is a whole day in the export's time zone, both ends included
(``since=2026-04-01, until=2026-06-30`` keeps leads created from April 1,
00:00 to June 30, 24:00).  A timestamp is an instant: ``since`` included,
``until`` excluded; a timestamp without a zone is read in the export's.
Stage entries, calls and payments of the kept leads are kept whenever they
happened (after ``until`` too); staff and shifts are kept whole.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from simsales.crm.errors import CrmError

Moment = dt.date | dt.datetime | pd.Timestamp | str | None


def bound(value: Moment, tz: str, end: bool, name: str) -> pd.Timestamp | None:
    """The instant a window bound stands for (``end``: a date's next midnight).

    Raises:
        CrmError: ``value`` is neither a date nor a timestamp.
    """
    if value is None:
        return None
    whole_day = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if isinstance(value, str):
        whole_day = len(value.strip()) == 10
        try:
            value = pd.Timestamp(value.strip())
        except ValueError:
            raise CrmError(
                f"--{'to' if end else 'from'}",
                f"expected a date such as 2026-07-01 for {name}, got {value!r}",
            ) from None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize(tz) if stamp.tzinfo is None else stamp.tz_convert(tz)
    if whole_day and end:
        stamp = (stamp.tz_localize(None) + pd.Timedelta(days=1)).tz_localize(tz)
    return stamp


def in_window(
    frames: dict[str, pd.DataFrame | None],
    positions: dict[str, np.ndarray],
    since: Moment,
    until: Moment,
    tz: str,
    notes: list[str],
) -> None:
    """Keep the leads created in the window and their rows (``frames`` is changed in place).

    Args:
        frames: the typed tables.
        positions: per table with a ``lead_id``, each row's lead's position
            in the leads table.
        since: the window's first day or instant (None: from the start).
        until: the window's last day, or the instant it ends (None: to the end).
        tz: the export's time zone.
        notes: where to say what was kept.
    """
    start, stop = bound(since, tz, False, "since"), bound(until, tz, True, "until")
    if start is None and stop is None:
        return
    if start is not None and stop is not None and stop <= start:
        raise CrmError("--to", f"the window ends ({until}) before it starts ({since})")
    created = frames["leads"]["created_at"]
    keep = np.ones(len(created), bool)
    if start is not None:
        keep &= (created >= start).to_numpy()
    if stop is not None:
        keep &= (created < stop).to_numpy()
    notes.append(
        f"window {start or '...'} to {stop or '...'}: {int(keep.sum()):,} of {len(keep):,} leads "
        "created in it kept, with their stage entries, calls and payments."
    )
    frames["leads"] = frames["leads"][keep].reset_index(drop=True)
    new_position = np.cumsum(keep) - 1
    for name, position in positions.items():
        rows = keep[position]
        frames[name] = frames[name][rows].reset_index(drop=True)
        positions[name] = new_position[position[rows]]
