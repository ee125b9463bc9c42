"""Where is the scenario below the market, and what is closing each gap worth?

A scenario's optional ``benchmarks:`` block holds market values
(:class:`simsales.scenario.Benchmarks`).  For every benchmark the scenario
is below (for the SLA: slower than), :func:`benchmark_gaps` estimates the
net revenue gained by bringing that stage, alone, to the market level,
per plan and per replication, and ranks the stages by the mean gain of the
first plan.  How each gain is found:

* **analytic**, where the stage enters revenue multiplicatively, from each
  replication's own net revenue ``R``:

  - ``offer`` (after the presentation call, so it takes no more manager
    time): ``R x (market / ours - 1)``;
  - ``invoice_paid``, ``link_filled``, ``bank_approved`` (the client and
    the bank, after the offer): ``R`` times the relative change of the
    money-weighted paid share of offers (invoice and installment paths by
    ``installment_share``, installments less the bank's commission), from
    the parameters' means;
  - ``contact_rate``, ``c2``, ``revenue_per_manager`` (outcomes, not
    inputs): ``R x (market / x_r - 1)`` with the replication's own
    ``x_r``, i.e. "had this replication contacted (converted, earned per
    manager) at market, the rest of the funnel unchanged".  For the
    contact rate this assumes the managers have the time for the extra
    contacts: an upper bound when the team is the bottleneck (``simsales
    levers`` shows what capacity is worth).

* **simulated** with common random numbers for ``qualify``: more qualified
  leads mean more presentation calls, i.e. manager time, so the gain
  depends on capacity.  ``qualify`` is scaled to its market mean (an
  uncertain value keeps its spread, see :mod:`simsales.scenario.edits`), the variant
  runs with the base run's seed and engine on the base run's first
  :data:`GAP_REPLICATIONS` replications (all of them when fewer), and the
  gain is the paired difference of net revenue over those replications.
  Paired with common random numbers, the difference is far less noisy than
  either run (q3: a gain of about 11M RUB with a paired sd of about 2.7M,
  a standard error of about 0.4M over 50), so the table costs a quarter of
  a 200-replication run instead of a second run of the same size.
* **none** for ``sla_p50_min``: the SLA is an outcome of capacity, not an
  input; the gap is shown and ``simsales levers`` says which inputs move it.

Gains are not additive: each one moves a single stage with the rest as
they are (the ``c2`` row moves the whole funnel at once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from simsales import montecarlo
from simsales.analysis.levers import Effect
from simsales.montecarlo import RunResult
from simsales.scenario import Scenario
from simsales.scenario.edits import scale, update_path
from simsales.scenario.uncertain import mean_of

Method = Literal["analytic", "simulated", "none"]
Runner = Callable[[Scenario, int], RunResult]
"""Runs a variant of the scenario with the base run's plans, seed and engine for so many replications."""

GAP_REPLICATIONS = 50
"""At most this many replications of a simulated variant (the base run's first ones, paired)."""

LABELS = {
    "contact_rate": "contact rate (contacts / leads)",
    "qualify": "contact to qualified",
    "offer": "qualified to offer",
    "invoice_paid": "invoice paid",
    "link_filled": "installment link filled",
    "bank_approved": "bank approves",
    "c2": "lead to payment (C2)",
    "sla_p50_min": "SLA, median minutes to first attempt",
    "revenue_per_manager": "net revenue per manager",
}
PARAMETERS = {"qualify": ("funnel", "qualify"), "offer": ("funnel", "offer", "p"),
              "invoice_paid": ("funnel", "invoice_paid", "p"),
              "link_filled": ("funnel", "link_filled", "p"),
              "bank_approved": ("funnel", "bank_approved", "p")}


@dataclass
class Gap:
    """One benchmark the scenario misses in at least one plan.

    ``ours``: plan -> the scenario's value (the parameter's mean, or the
    run's mean of the metric); ``gains``: plan -> net revenue gained over
    the horizon (paired over replications; absent where the plan is at or
    above market or the gain is not estimated).
    """

    stage: str
    market: float
    method: Method
    ours: dict[str, float]
    gains: dict[str, Effect] = field(default_factory=dict)
    note: str = ""

    @property
    def label(self) -> str:
        """What the stage is, for people."""
        return LABELS[self.stage]

    def below(self, plan: str) -> bool:
        """Whether a plan is below market on this stage (for the SLA: slower).

        Args:
            plan: a plan of the run.

        Returns:
            True when the plan's value is worse than the market's.
        """
        ours = self.ours[plan]
        return ours > self.market if self.stage == "sla_p50_min" else ours < self.market


def _paid_share(ip: float, lf: float, ba: float, share: float, commission: float) -> float:
    """Money-weighted share of offers that pay (per unit of price)."""
    return (1.0 - share) * ip + share * lf * ba * (1.0 - commission)


def _analytic_factor(scenario: Scenario, stage: str, market: float) -> float:
    """Revenue multiplier when a multiplicative parameter goes to ``market``."""
    f = scenario.funnel
    ours = {k: mean_of(v) for k, v in (("ip", f.invoice_paid.p), ("lf", f.link_filled.p),
                                        ("ba", f.bank_approved.p))}
    share, commission = mean_of(f.installment_share), mean_of(f.price.bank_commission)
    if stage == "offer":
        return market / mean_of(f.offer.p)
    key = {"invoice_paid": "ip", "link_filled": "lf", "bank_approved": "ba"}[stage]
    before = _paid_share(ours["ip"], ours["lf"], ours["ba"], share, commission)
    after = _paid_share(**(ours | {key: market}), share=share, commission=commission)
    return after / before


def _paired(result: RunResult, variant: RunResult, plan: str) -> Effect:
    """The variant's gain over the base run's same replications (the variant may have run fewer)."""
    ours = variant.plans[plan].metrics["revenue_net"]
    base = result.plans[plan].metrics["revenue_net"].loc[ours.index]
    return Effect.of(ours.to_numpy(float) - base.to_numpy(float))


def benchmark_gaps(scenario: Scenario, result: RunResult, runner: Runner | None = None,
                   simulate: bool = True) -> list[Gap]:
    """The stages below market and the revenue gained by bringing each to market, ranked.

    Args:
        scenario: the scenario that made ``result`` (its ``benchmarks`` block
            is read; none: an empty list).
        result: the run of the scenario (any plans, any replications).
        runner: runs a variant of the scenario with the same plans, seed
            and engine as ``result`` for the replications it is given
            (:func:`variant_replications`; default:
            :func:`simsales.montecarlo.run` in this process); the CLI passes
            one with a progress bar.
        simulate: False skips the variant run (``qualify``); that gap is
            then listed without a gain.

    Returns:
        Gaps ranked by the first plan's mean gain (largest first; gaps with
        no estimate last).  :func:`gap_frame` tabulates them; the CLI prints them.
    """
    bench = scenario.benchmarks
    if bench is None:
        return []
    if runner is None:
        def runner(sc: Scenario, replications: int) -> RunResult:
            return montecarlo.run(sc, list(result.plans), replications, result.seed, engine=result.engine)

    plans = list(result.plans)
    gaps: list[Gap] = []
    for stage in LABELS:
        market = getattr(bench, stage)
        if market is None:
            continue
        if stage in PARAMETERS:
            ours = dict.fromkeys(plans, mean_of(_get(scenario, PARAMETERS[stage])))
        else:
            ours = {p: float(result.plans[p].metrics[stage].mean()) for p in plans}  # skips NaN, no warning
        method: Method = ("none" if stage == "sla_p50_min" else
                          "simulated" if stage == "qualify" else "analytic")
        gap = Gap(stage, market, method, ours)
        if any(gap.below(p) for p in plans):
            gaps.append(gap)
    for gap in gaps:
        if gap.method == "simulated" and not simulate:
            gap.note = "gain not estimated (needs a simulated variant)"
            continue
        _estimate(gap, scenario, result, runner)
    first = plans[0]
    gaps.sort(key=lambda g: (first not in g.gains, -g.gains[first].mean if first in g.gains else 0.0))
    return gaps


def variant_runs(scenario: Scenario) -> int:
    """How many simulated variants :func:`benchmark_gaps` will run for this scenario (known before the run).

    Args:
        scenario: the scenario.

    Returns:
        1 when ``qualify`` is below its market value (that gap is simulated), else 0.
    """
    bench = scenario.benchmarks
    if bench is None or bench.qualify is None:
        return 0
    ours = mean_of(_get(scenario, PARAMETERS["qualify"]))  # the same for every plan
    return int(Gap("qualify", bench.qualify, "simulated", {"any": ours}).below("any"))


def variant_replications(replications: int) -> int:
    """How many replications a simulated variant runs beside a run of so many.

    Args:
        replications: the base run's replications per plan.

    Returns:
        ``min(replications, GAP_REPLICATIONS)``: the variant pairs with the
        base run's first replications (the same seeds, replication by replication).
    """
    return min(replications, GAP_REPLICATIONS)


def _get(scenario: Scenario, path: tuple) -> object:
    obj: object = scenario
    for part in path:
        obj = getattr(obj, part)
    return obj


def _estimate(gap: Gap, scenario: Scenario, result: RunResult, runner: Runner) -> None:
    below = [p for p in result.plans if gap.below(p)]
    if gap.method == "none":
        gap.note = "an outcome of capacity: see `simsales levers` (talk_share, team_size, hires)"
        return
    if gap.method == "simulated":
        variant = update_path(scenario, PARAMETERS["qualify"],
                              lambda x: scale(x, gap.market / max(1e-12, mean_of(x)), 1.0))
        reps = variant_replications(result.replications)
        run = runner(variant, reps)
        gap.gains = {p: _paired(result, run, p) for p in below}
        if reps < result.replications:
            gap.note = f"paired over the first {reps} of the {result.replications} replications"
        return
    if gap.stage == "contact_rate":
        gap.note = "if the managers have the time for the extra contacts"
    for p in below:
        metrics = result.plans[p].metrics
        revenue = metrics["revenue_net"].to_numpy(float)
        if gap.stage in PARAMETERS:
            if gap.ours[p] <= 0:
                continue
            gain = revenue * (_analytic_factor(scenario, gap.stage, gap.market) - 1.0)
        else:
            x = metrics[gap.stage].to_numpy(float)
            ok = x > 0
            if not ok.any():
                continue
            gain = revenue[ok] * (gap.market / x[ok] - 1.0)
        gap.gains[p] = Effect.of(gain)


def gap_frame(gaps: list[Gap]) -> pd.DataFrame:
    """The gaps as a table, one row per gap and plan.

    Args:
        gaps: from :func:`benchmark_gaps`.

    Returns:
        Columns ``rank``, ``stage``, ``label``, ``plan``, ``market``,
        ``ours``, ``below``, ``method``, ``gain_mean``, ``gain_se``,
        ``gain_p10``, ``gain_p90`` (net revenue, scenario's currency; None
        where not estimated) and ``note``.
    """
    rows = []
    for rank, g in enumerate(gaps, 1):
        for plan, ours in g.ours.items():
            e = g.gains.get(plan)
            rows.append({"rank": rank, "stage": g.stage, "label": g.label, "plan": plan,
                         "market": g.market, "ours": ours, "below": g.below(plan), "method": g.method,
                         "gain_mean": e.mean if e else None, "gain_se": e.se if e else None,
                         "gain_p10": e.p10 if e else None, "gain_p90": e.p90 if e else None,
                         "note": g.note})
    return pd.DataFrame(rows)
