"""The scenario schema: a whole scenario file, typed and validated once.

:class:`Scenario` is the top level; its sections live by what they model:
:mod:`~simsales.scenario.sales_floor` (calendar, shifts, channels, routing,
touch chain), :mod:`~simsales.scenario.funnel` (the funnel and the price)
and :mod:`~simsales.scenario.team` (the team, its costs and the hiring
plans), on the shared base :mod:`~simsales.scenario.base`.  Code outside
the package imports every class from :mod:`simsales.scenario`.

Units are in the field names or docstrings: money in the scenario's
currency (RUB by default), durations in minutes unless the field says
``_days``; durations given as strings ("10m", "1h", "2d") are converted to
minutes.  Unknown keys are errors, so a typo is never silently ignored.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from simsales.scenario.base import Strict
from simsales.scenario.funnel import Funnel
from simsales.scenario.sales_floor import Calendar, Channel, Routing, TouchChain
from simsales.scenario.team import (
    Economics,
    HiringPlan,
    Team,
)
from simsales.scenario.units import MINUTES_PER_DAY


class Benchmarks(Strict):
    """Market values to compare the scenario with (all optional).

    Shares are in [0, 1]: ``contact_rate`` (contacts / leads), the stage
    probabilities ``qualify``, ``offer``, ``invoice_paid``, ``link_filled``,
    ``bank_approved``, and ``c2`` (lead to payment); ``sla_p50_min`` is the
    median minutes to the first attempt; ``revenue_per_manager`` is net
    revenue per average manager over the horizon, in the scenario's currency.
    See :mod:`simsales.analysis.market_gaps`.
    """

    contact_rate: float | None = Field(None, ge=0, le=1)
    qualify: float | None = Field(None, ge=0, le=1)
    offer: float | None = Field(None, ge=0, le=1)
    invoice_paid: float | None = Field(None, ge=0, le=1)
    link_filled: float | None = Field(None, ge=0, le=1)
    bank_approved: float | None = Field(None, ge=0, le=1)
    c2: float | None = Field(None, ge=0, le=1)
    sla_p50_min: float | None = Field(None, ge=0)
    revenue_per_manager: float | None = Field(None, ge=0)


class Scenario(Strict):
    """A whole scenario file.

    ``start`` is the first day simulated, ``horizon_days`` how many days
    are; ``revenue_plan`` is the net revenue target over the horizon, in
    ``currency``.
    """

    name: str
    start: dt.date
    horizon_days: int = Field(gt=0, le=731)
    currency: str = "RUB"
    revenue_plan: float = Field(0.0, ge=0, description="net revenue target over the horizon")
    replications: int = Field(200, ge=1)
    seed: int = Field(0, ge=0)
    calendar: Calendar = Calendar()
    channels: list[Channel] = Field(min_length=1)
    routing: Routing = Routing()
    touch_chain: TouchChain
    funnel: Funnel
    team: Team
    economics: Economics = Economics()
    plans: list[HiringPlan] = Field(min_length=1)
    benchmarks: Benchmarks | None = None

    @model_validator(mode="after")
    def _unique_plans(self) -> Scenario:
        names = [p.name for p in self.plans]
        if len(set(names)) != len(names):
            raise ValueError("plan names must be unique")
        return self

    def plan(self, name: str) -> HiringPlan:
        """The hiring plan called ``name``.

        Args:
            name: the plan's ``name``.

        Returns:
            The plan.

        Raises:
            KeyError: the scenario has no plan of that name.
        """
        for p in self.plans:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def horizon_minutes(self) -> float:
        """The horizon in minutes."""
        return self.horizon_days * MINUTES_PER_DAY
