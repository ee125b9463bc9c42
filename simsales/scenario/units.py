"""Units of time shared by every stage of the model (MODEL.md section 1).

Durations in simsales are minutes unless a name says ``_days``; one day is
:data:`MINUTES_PER_DAY` minutes everywhere (both engines, the calendar and
the scenario's duration strings read this one constant).
"""

MINUTES_PER_HOUR = 60.0
"""Minutes in an hour."""

MINUTES_PER_DAY = 1440.0
"""Minutes in a day."""


def duration_text(minutes: float) -> str:
    """Minutes as a person reads them: ``10 min``, ``3 h``, ``2 d``."""
    if minutes >= MINUTES_PER_DAY and minutes % MINUTES_PER_DAY == 0:
        return f"{minutes / MINUTES_PER_DAY:g} d"
    if minutes >= MINUTES_PER_HOUR and minutes % MINUTES_PER_HOUR == 0:
        return f"{minutes / MINUTES_PER_HOUR:g} h"
    return f"{minutes:g} min"
