"""The funnel calculator: pure arithmetic on stage conversions (no simulation).

A funnel is a chain of stages, each with a conversion in [0, 1]; the
end-to-end conversion is their product.  Because the product is what
counts, raising one stage by a factor is worth exactly what raising any
other stage by the same factor is worth.  The calculator answers:

* **equivalences**: stage ``i`` moved by ``delta`` (absolute: 0.01 is one
  percentage point) gives the end-to-end factor ``(r_i + delta) / r_i``; the
  other stage ``j`` would have to reach ``r_j * (r_i + delta) / r_i`` for the
  same result.  MODEL.md's example: visit-to-lead 3% -> 4% is a factor 4/3,
  so lead-to-payment 20% must reach 26.7%.
* **goals**: to reach an end-to-end conversion ``E*`` (or a revenue goal,
  ``E* = revenue / (volume x check)``), stage ``i`` alone must reach
  ``r_i * E* / E``; above 100% is impossible by that stage alone.  When
  ``E >= E*`` the goal is already met (:func:`goal_status`): every stage
  may fall to ``r_i * E* / E`` and the goal still holds.

Stages come from the command line or from a scenario
(:mod:`simsales.analysis.funnel_scenario`: the expected conversions from the
means of its parameters, or what a quick run measured).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class CalcError(ValueError):
    """Bad calculator input; ``option`` names the command-line option."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


def parse_number(text: str, option: str) -> float:
    """A number from the command line: ``"3%"`` -> 0.03, ``"15M"`` -> 15e6, ``"400k"`` -> 4e5.

    Args:
        text: the value as typed (``%``, ``k``, ``m``/``mln``, ``b``/``bn`` suffixes).
        option: the option it came from, for the error.

    Returns:
        The number.

    Raises:
        CalcError: not a number.
    """
    from simsales.scenario.numbers import NumberFormError
    from simsales.scenario.numbers import parse_number as parse_number_form

    try:  # the one parser of number forms, shared with scenario files
        return parse_number_form(str(text))
    except NumberFormError as exc:
        raise CalcError(option, str(exc)) from None


def parse_share(text: str, option: str) -> float:
    """A conversion from the command line: ``"3%"`` or ``"0.03"`` -> 0.03.

    Args:
        text: the value as typed.
        option: the option it came from, for the error.

    Returns:
        The conversion, in (0, 1].

    Raises:
        CalcError: not a number, or not in (0, 1].
    """
    from simsales.scenario.numbers import percent_hint

    share = parse_number(text, option)
    if not 0.0 < share <= 1.0:
        hint = percent_hint(share) if share > 1.0 else ""  # 50 for 50%
        raise CalcError(option, f"expected a conversion in (0, 1] (or 0-100%), got {text!r}{hint}")
    return share


@dataclass(frozen=True)
class Stage:
    """One funnel stage: its name and its conversion in (0, 1]."""

    name: str
    rate: float


def parse_stages(specs: list[str]) -> list[Stage]:
    """Stages from the command line.

    Args:
        specs: ``NAME=CONVERSION`` items, e.g. ``["visit_to_lead=0.03", "lead_to_paid=20%"]``.

    Returns:
        The stages, in order.

    Raises:
        CalcError: a malformed item, a repeated name, or a conversion outside (0, 1].
    """
    stages: list[Stage] = []
    for spec in specs:
        name, sep, rate = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CalcError("--stage", f"expected NAME=VALUE such as visit_to_lead=0.03, got {spec!r}")
        if any(s.name == name for s in stages):
            raise CalcError("--stage", f"stage {name!r} is given twice")
        stages.append(Stage(name, parse_share(rate, f"--stage {name}")))
    return stages


def end_to_end(stages: list[Stage]) -> float:
    """The end-to-end conversion.

    Args:
        stages: the funnel.

    Returns:
        The product of the stage conversions.
    """
    return math.prod(s.rate for s in stages)


def equivalence_rows(stages: list[Stage], delta: float = 0.01) -> tuple[list[dict], dict[str, str]]:
    """For each stage moved by ``delta``: what every other stage must reach instead; stages that cannot move.

    A stage the move would take out of (0, 1] (at 100% it cannot rise) has
    no row; it still appears in the other rows' matches.

    Args:
        stages: the funnel, in order.
        delta: the change of one stage, absolute (0.01 = one percentage point).

    Returns:
        ``(rows, skipped)``: one row per stage that can move, ``{"stage",
        "from", "to", "end_to_end", "match": {other stage: required rate (may
        exceed 1: impossible)}}``; and stage name -> why it has no row.

    Raises:
        CalcError: a stage at 0 (nothing can match a change in it).
    """
    rows, skipped = [], {}
    total = end_to_end(stages)
    for s in stages:
        if s.rate <= 0:
            raise CalcError("--stage", f"{s.name} is 0%: no lead gets past it, so nothing can match a "
                                       "change in it")
        to = s.rate + delta
        if not 0.0 < to <= 1.0:
            points = f"{100 * delta:+.4g} point{'' if math.isclose(abs(delta), 0.01) else 's'}"
            bound = "pass 100%" if to > 1 else "reach 0%"
            skipped[s.name] = f"is at {100 * s.rate:.4g}%: {points} would {bound}"
            continue
        factor = to / s.rate
        rows.append({
            "stage": s.name, "from": s.rate, "to": to, "end_to_end": total * factor,
            "match": {o.name: o.rate * factor for o in stages if o is not s},
        })
    return rows, skipped


def equivalences(stages: list[Stage], delta: float = 0.01) -> list[dict]:
    """:func:`equivalence_rows`, every stage moved (``delta``: absolute, 0.01 = one point).

    Returns:
        One row per stage.

    Raises:
        CalcError: a stage at 0, or moved out of (0, 1].
    """
    rows, skipped = equivalence_rows(stages, delta)
    for name in skipped:
        rate = next(s.rate for s in stages if s.name == name)
        raise CalcError("--delta", f"stage {name} at {rate:.4g} moved by {delta:+.4g} leaves (0, 1]")
    return rows


def goal_rates(stages: list[Stage], target: float) -> dict[str, float]:
    """What each stage alone must reach for an end-to-end conversion of ``target``.

    Args:
        stages: the funnel.
        target: the end-to-end conversion wanted.

    Returns:
        Stage name -> the conversion it must reach (above 1: impossible alone).

    Raises:
        CalcError: the end-to-end conversion is 0.
    """
    total = end_to_end(stages)
    if total <= 0:
        raise CalcError("--stage", "the end-to-end conversion is 0: no single stage can reach a goal")
    factor = target / total
    return {s.name: s.rate * factor for s in stages}


def conversion_for_revenue(revenue: float, volume: float, check: float) -> float:
    """The end-to-end conversion that turns ``volume`` entries into ``revenue``.

    ``volume`` is the count entering the first stage over the period (visits,
    leads); ``check`` the net money per paid deal; ``revenue`` the goal in
    the same currency and period.

    Args:
        revenue: the goal, in the currency.
        volume: entries into the first stage over the period.
        check: net money per paid deal, in the currency.

    Returns:
        The end-to-end conversion needed.

    Raises:
        CalcError: ``volume`` or ``check`` not positive.
    """
    if volume <= 0:
        raise CalcError("--volume", "must be > 0")
    if check <= 0:
        raise CalcError("--check", "must be > 0")
    return revenue / (volume * check)


def goal_status(stages: list[Stage], target: float, volume: float | None = None,
                check: float | None = None) -> dict:
    """Is the goal already met, and by how much (or how far off)?

    Args:
        stages: the funnel.
        target: the end-to-end conversion the goal needs (> 0).
        volume: entries into the first stage over the goal's period (None: a
            conversion goal).
        check: net money per paid deal, in the currency (None: a conversion goal).

    Returns:
        ``{"met", "now", "need", "factor"}``: whether the funnel's end-to-end
        conversion ``now`` already reaches ``need``, and ``factor`` = need /
        now (below 1: every stage alone may fall by that factor and the goal
        still holds; above 1: what one stage alone, or the volume alone, must
        be multiplied by).  With ``volume`` and ``check`` also those two,
        ``"revenue_now"`` (volume x check x now, the currency), ``"goal"``
        (volume x check x need), ``"surplus"`` (revenue_now - goal; negative:
        short) and ``"volume_needed"`` (the volume that meets the goal at
        today's conversions).

    Raises:
        CalcError: the end-to-end conversion is 0.
    """
    now = end_to_end(stages)
    if now <= 0:
        raise CalcError("--stage", "the end-to-end conversion is 0: no single stage can reach a goal")
    out = {"met": now >= target, "now": now, "need": target, "factor": target / now}
    if volume is not None and check is not None:
        out |= {"volume": volume, "check": check,
                "revenue_now": volume * check * now, "goal": volume * check * target,
                "surplus": volume * check * (now - target), "volume_needed": volume * target / now}
    return out
