"""The optimiser's check worlds: a plan run through the normal hiring code on deterministic leavers.

Three worlds, every uncertain number at its mean (:func:`~simsales.analysis.optimize_model.at_means`)
and every manager at the mean skill: nobody leaving; the expected leavers
(every leaving draw at a stratified quantile, :class:`QuantileDraws`); and
:data:`STRESS` times the leavers (every attrition hazard multiplied).  The
optimiser simulates a plan only if the span rule defers or refuses none of
its hires in any of them (:meth:`Worlds.blocks`,
:meth:`~simsales.analysis.optimize_targets.TargetSpace.check`).
"""

from __future__ import annotations

import math

from simsales.analysis.optimize_model import ExpectedValueModel
from simsales.scenario import Fixed, HiringPlan
from simsales.world.roster import Roster, build_roster

__all__ = ["STRESS", "QuantileDraws", "Worlds", "van_der_corput"]

STRESS = 1.5
"""The third check world multiplies every attrition hazard by this."""
def van_der_corput(k: int, base: int) -> float:
    """The ``k``-th point (k >= 1) of the van der Corput sequence in ``base``, in (0, 1)."""
    u, denominator = 0.0, 1.0
    while k:
        k, digit = divmod(k, base)
        denominator *= base
        u += digit / denominator
    return u


class QuantileDraws:
    """A stand-in for a replication's team stream: every draw at a stratified quantile, nothing random.

    The k-th exponential draw is the Exp(1) quantile of the k-th van der
    Corput point, so among any first ``n`` managers about ``n·p`` have a
    leaving draw below the quantile ``p``: the expected number of leavers,
    deterministically.  Probation draws are 0.5 (the roster does not use them).

    Args:
        base: the sequence's base (the team stream 2; its two spawned streams 3 and 5).
    """

    def __init__(self, base: int = 2) -> None:
        self.base, self.k = base, 0

    def exponential(self) -> float:
        """The next leaving budget, Exp(1) quantile of the next point."""
        self.k += 1
        return -math.log1p(-van_der_corput(self.k, self.base))

    def random(self) -> float:
        """A uniform draw: the median."""
        return 0.5

    def spawn(self, n: int) -> list[QuantileDraws]:
        """Streams of their own (probation draws, team leads' leaving), in other bases."""
        return [QuantileDraws(b) for b in (3, 5, 7, 11)[:n]]


def _more_leavers(p: object, factor: float) -> float:
    """A monthly probability whose hazard is ``factor`` times that of ``p``."""
    p = float(p)  # type: ignore[arg-type]  # at its mean already: a number
    return 1.0 - (1.0 - min(p, 1.0 - 1e-12)) ** factor


class Worlds:
    """The three deterministic check worlds of a scenario (see the module docstring).

    Args:
        model: the expected-value model (its scenario at the means, and its nobody-leaving copy).
    """

    def __init__(self, model: ExpectedValueModel) -> None:
        mean = model.scenario
        team = mean.team.model_copy(update={"skill": Fixed(float(mean.team.skill.mean))})
        att = team.attrition
        stress = att.model_copy(update={k: _more_leavers(getattr(att, k), STRESS)
                                        for k in ("monthly", "probation_monthly", "team_lead_monthly")})
        self.expected = mean.model_copy(update={"team": team})
        self.scenarios = {
            "nobody leaving": model.roster_scenario,
            "the expected leavers": self.expected,
            f"{STRESS:g} times the leavers": mean.model_copy(update={"team": team.model_copy(
                update={"attrition": stress})}),
        }

    def roster(self, world: str, plan: HiringPlan) -> Roster:
        """The plan's roster in a check world (the normal hiring code, deterministic draws)."""
        return build_roster(self.scenarios[world], plan, QuantileDraws())  # type: ignore[arg-type]

    def blocks(self, plan: HiringPlan) -> str | None:
        """The first check world in which the span rule defers or refuses one of the plan's hires, or None.

        A hire-N candidate fits with nobody leaving by construction; a team
        lead who leaves moves their managers into the others' room, which can
        leave none for the plan's later hires: the worlds with leavers see it.
        """
        for world in self.scenarios:
            ledger = self.roster(world, plan).ledger
            if ledger.deferred.any() or ledger.refused.any():
                return world
        return None
