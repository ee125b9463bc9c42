"""An oversubscribed cap on new leads costs the leads above it, not the day's work (both engines).

``routing.max_new_per_day`` sends a lead nobody below the cap can take to the next shift with room, but
not past the lead's expiry (``lead_ttl``): such a lead goes to nobody and takes no slot.  Before, it took a
slot on a day after it had expired; with more leads than slots every day, the days ahead filled with
expired leads and the floor stopped calling new leads for good.
"""

from __future__ import annotations

import numpy as np

from simsales.engines.contract import EXPIRED

from .test_floor_exact import DAY, ENGINES, doc, run


@ENGINES
def test_an_oversubscribed_cap_works_its_slots_every_day_and_the_rest_expire_unassigned(engine):
    # One manager on shift 09:00-18:00 every day, a cap of 2 new leads a day, leads live 12 hours.
    # Five leads arrive at 09:00-09:04 on each of 5 days: the first two of each day are worked that
    # day (no contact: qualify 0, so the calls are short); the other three could be taken only the
    # next day, after they expire, so nobody gets them and they expire unworked.
    document = doc(routing={"max_new_per_day": 2}, funnel={"qualify": 0.0}, touch_chain={"lead_ttl": "12h"})
    document["horizon_days"] = 6
    created = [d * DAY + 540.0 + i for d in range(5) for i in range(5)]
    out, _ = run(document, created, engine)
    first, rest = np.tile([True, True, False, False, False], 5), np.tile([False, False, True, True, True], 5)
    day = np.repeat(np.arange(5), 5)
    assert (out.manager[first] == 0).all()
    assert (np.floor(out.first_attempt[first] / DAY) == day[first]).all()  # worked the day they came
    assert (out.manager[rest] == -1).all() and np.isnan(out.first_attempt[rest]).all()
    assert (out.end[rest] == EXPIRED).all()
