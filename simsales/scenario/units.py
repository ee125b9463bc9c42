"""Units of time shared by every stage of the model (MODEL.md section 1).

Durations in simsales are minutes unless a name says ``_days``; one day is
:data:`MINUTES_PER_DAY` minutes everywhere (both engines, the calendar and
the scenario's duration strings read this one constant).
"""

MINUTES_PER_HOUR = 60.0
"""Minutes in an hour."""

MINUTES_PER_DAY = 1440.0
"""Minutes in a day."""
