"""The world of one replication: calendar and shifts, arrivals, deals, the team (roster, ramp, hiring)."""
