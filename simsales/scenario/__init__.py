"""The scenario: what a head of sales writes, typed and validated once.

A YAML file becomes a :class:`Scenario` (:func:`load_scenario`; bad input
is an :class:`InputError` listing every :class:`Problem`, each naming the
file, the field and the line).  Its uncertain numbers are
:class:`Uncertain` values, drawn once per replication by :func:`resolve`;
per-call and per-deal randomness is a distribution
(:func:`parse_distribution`).  Durations are minutes, money is in the
scenario's currency.

Modules: ``schema`` (the top level), ``sales_floor``, ``touch_chain``, ``funnel`` and
``team`` (its sections; ``working_hours`` the calendar), ``base`` (what the sections share), ``fields``
(field types), ``numbers`` (how numbers and durations may be written),
``limits`` (the feasibility bounds, each with its reason), ``checks``
(cross-checks between sections), ``ranges`` (where a distribution's draws
fall), ``uncertain``, ``distributions`` and ``distribution_specs`` (their
YAML forms), ``loader``, ``errors`` and ``messages`` (problems in plain
words), ``edits`` (copies with a value changed), ``policies`` (the routing
table) and ``units`` (minutes per day).
"""

from simsales.scenario.distribution_specs import parse_distribution
from simsales.scenario.distributions import (
    Beta,
    Distribution,
    DistributionError,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
)
from simsales.scenario.errors import InputError, Problem
from simsales.scenario.funnel import Funnel, OfferStep, Price, Refunds, Step
from simsales.scenario.loader import load_scenario, parse_scenario
from simsales.scenario.policies import POLICY_NAMES, ROUTING_POLICIES, RoutingPolicy
from simsales.scenario.sales_floor import Channel, Routing, Shift
from simsales.scenario.schema import OBJECTIVES, Benchmarks, PipelineSource, Scenario
from simsales.scenario.team import (
    Attrition,
    Coaching,
    CrmMinutes,
    Economics,
    HiringPlan,
    ManagerGroup,
    PlanMonth,
    Ramp,
    SkillWeights,
    Team,
    TeamLead,
)
from simsales.scenario.touch_chain import Decay, TouchChain
from simsales.scenario.uncertain import Uncertain, mean_of, resolve, value
from simsales.scenario.units import MINUTES_PER_DAY, MINUTES_PER_HOUR
from simsales.scenario.working_hours import Calendar

__all__ = [
    "MINUTES_PER_DAY", "MINUTES_PER_HOUR", "OBJECTIVES", "POLICY_NAMES", "ROUTING_POLICIES",
    "Attrition", "Benchmarks", "Beta", "Calendar", "Channel", "Coaching", "CrmMinutes", "Decay",
    "Distribution",
    "DistributionError", "Economics", "Exponential", "Fixed", "Funnel", "Gamma", "HiringPlan",
    "InputError", "LogNormal", "ManagerGroup", "Normal", "OfferStep", "PipelineSource", "PlanMonth", "Price",
    "Problem",
    "Ramp", "Refunds",
    "Routing", "RoutingPolicy", "Scenario", "Shift", "SkillWeights",
    "Step", "Team", "TeamLead", "TouchChain",
    "Triangular", "Uncertain", "Uniform", "load_scenario", "mean_of", "parse_distribution",
    "parse_scenario", "resolve", "value",
]
