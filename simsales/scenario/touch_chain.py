"""The touch chain: the attempts' offsets and chances, the decay, the calls' minutes (MODEL.md section 4).

Durations are minutes (strings such as ``"10m"``, ``"1h"``, ``"2d"`` are
read as minutes).
"""

from __future__ import annotations

import itertools

from pydantic import Field, ValidationInfo, field_validator, model_validator

from simsales.scenario.base import Path, Strict, raise_problems
from simsales.scenario.distributions import LogNormal
from simsales.scenario.fields import (
    DistMinutes,
    Minutes,
    Number,
    UProb,
)
from simsales.scenario.limits import MAX_ATTEMPTS
from simsales.scenario.numbers import percent_hint
from simsales.scenario.policies import (
    DEFAULT_PRIORITY,
    read_priority,
)
from simsales.scenario.units import MINUTES_PER_DAY, duration_text


class Decay(Strict):
    """Contact chance falls with lead age: ``max(floor, 0.5 ** (age / half_life))``.

    Or give ``table``: factors by age bucket, ``[[age, factor], ...]`` with
    ages ascending; the factor of the last bucket whose age is <= the lead's
    age applies.  Ages and ``half_life`` are in minutes.
    """

    half_life: Minutes | None = None
    floor: Number = Field(0.0, ge=0, le=1)
    table: list[tuple[Minutes, Number]] | None = Field(None, min_length=1)

    @field_validator("table")
    @classmethod
    def _table(cls, table: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        problems: list[tuple[Path, str]] = []
        for i, (age, factor) in enumerate(table or []):
            if i and age < table[i - 1][0]:
                problems.append(((i, 0), f"age {duration_text(age)} comes before the previous bucket's "
                                         f"{duration_text(table[i - 1][0])}; ages go in increasing order"))
            if not 0 <= factor <= 1:
                problems.append(((i, 1), f"expected a factor in [0, 1], got {factor:g}"
                                         f"{percent_hint(factor)}"))
        raise_problems(problems)
        return table

    @model_validator(mode="after")
    def _one_form(self) -> Decay:
        if (self.half_life is None) == (self.table is None):
            raise ValueError("give either half_life (with floor) or table")
        if self.half_life is not None and self.half_life <= 0:
            raise ValueError("half_life must be > 0")
        if self.table is not None and self.floor != 0:
            raise ValueError(f"floor ({self.floor:g}) applies to half_life only; with a table, its own "
                             "factors are the decay: drop floor, or put the lowest factor in the "
                             "table's last bucket")
        return self


class TouchChain(Strict):
    """The planned contact attempts of every lead (MODEL.md section 4); times in minutes.

    ``offsets`` are the attempts' times after the lead's creation, in
    increasing order (at most :data:`~simsales.scenario.limits.MAX_ATTEMPTS`);
    ``p_contact`` gives one chance per attempt, or one for all.
    """

    offsets: list[Minutes] = Field(min_length=1, description="planned attempt times after creation")
    p_contact: list[UProb] = Field(min_length=1, description="chance per attempt (one value: all)")
    decay: Decay | None = None
    dial_minutes: Minutes = Field(1.0, description="manager time of an unanswered attempt")
    call_minutes: DistMinutes = Field(
        default_factory=lambda: LogNormal(9.0, 5.0),
        description="length of the contact call, qualification included",
    )
    nontarget_call_minutes: DistMinutes | None = Field(
        None, description="length of a call that reaches a non-target lead (default: call_minutes)")
    priority: str | tuple[str, ...] = Field(
        DEFAULT_PRIORITY, description="the order of the kinds of work (booked, first, followup), "
                                      "or new_first / due_first")
    lead_ttl: Minutes = Field(7 * MINUTES_PER_DAY, gt=0,
                              description="attempts not made by this age are dropped")

    @field_validator("offsets")
    @classmethod
    def _offsets(cls, offsets: list[float]) -> list[float]:
        if MAX_ATTEMPTS.exceeded(len(offsets)):
            raise ValueError(MAX_ATTEMPTS.message(len(offsets), "the touch chain's length"))
        raise_problems([((k,), f"{duration_text(now)} comes before offsets[{k - 1}] = "
                               f"{duration_text(before)}; "
                               "offsets are the attempts' times after creation, in increasing order")
                        for k, (before, now) in enumerate(itertools.pairwise(offsets), 1) if now < before])
        return offsets

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, priority: object) -> str | tuple[str, ...]:
        return read_priority(priority)

    @field_validator("p_contact", mode="before")
    @classmethod
    def _one_for_all(cls, chances: object) -> object:
        # One chance written without brackets (`p_contact: 0.3`, `{beta: [30, 70]}`) is one for all.
        return chances if isinstance(chances, list | tuple) else [chances]

    @field_validator("p_contact")
    @classmethod
    def _p_contact(cls, chances: list, info: ValidationInfo) -> list:
        offsets = info.data.get("offsets")
        if offsets is not None and len(chances) not in (1, len(offsets)):
            raise ValueError(f"expected 1 contact chance (for every attempt) or {len(offsets)} (one per "
                             f"attempt: the chain has {len(offsets)} offsets), got {len(chances)}")
        return chances

    @model_validator(mode="after")
    def _attempts_within_ttl(self) -> TouchChain:
        ttl = duration_text(self.lead_ttl) + ("" if "lead_ttl" in self.model_fields_set else " (the default)")
        if self.lead_ttl <= 0:
            raise_problems([(("lead_ttl",), f"expected a lead_ttl > 0, got {ttl}: a lead is dropped once "
                                            "its age passes lead_ttl, so no attempt would ever be made")])
        last = max(self.offsets)
        if last > self.lead_ttl:
            late = sum(offset > self.lead_ttl for offset in self.offsets)
            come, them = ("comes", "it") if late == 1 else ("come", "them")
            raise_problems([(("lead_ttl",), f"attempts after lead_ttl can never happen: the last offset is "
                                            f"{duration_text(last)}, lead_ttl {ttl}; {late} of the "
                                            f"{len(self.offsets)} attempts {come} later: make lead_ttl at "
                                            f"least {duration_text(last)}, or drop {them}")])
        return self

    def contact_chance(self, k: int) -> float | object:
        """The base contact chance of one attempt, before the decay.

        Args:
            k: the attempt, 0-based.

        Returns:
            A probability, or an :class:`~simsales.scenario.uncertain.Uncertain`
            one in a scenario not yet resolved.
        """
        return self.p_contact[k if len(self.p_contact) > 1 else 0]

