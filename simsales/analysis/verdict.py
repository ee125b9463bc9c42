"""The verdict: which plan wins, how sure, and the bottleneck that costs the most (MODEL.md section 9).

Computed, never written by hand, from a run's per-replication metrics:

- **Best plan**: the plan with the highest mean of the scenario's objective
  (``revenue_net`` by default, or ``margin``) over replications; ties go to
  the plan run first.  Means rank plans consistently with the paired
  comparison (the mean of the paired difference is the difference of means).
- **vs plan**: the baseline (the comparison's, else the first plan run); if
  the best plan *is* the baseline, the runner-up.
- **P(better)**: the share of replications in which the best plan's objective
  is strictly above the vs plan's, replication by replication (common random
  numbers, :func:`simsales.analysis.compare.paired`); ties count as not better.
  Under :data:`SURE` the text leads with "Too close to call" (and gives the
  share worse as well as better) instead of naming a winner; and when the runner-up
  is not the vs plan and the best beats it in fewer than :data:`SURE` of the
  paired replications, the text names it as about as good.
- **Bottleneck**: of the best plan (the only plan with one), the loss that
  costs the most net revenue that could be won back: see
  :mod:`simsales.analysis.bottleneck` for the rule.

Money in :attr:`Verdict.text` is written by a formatter the caller passes
(``money=``): analysis/ may not import report/, where the one short money
formatter lives (:func:`simsales.report.units.money`).  Without one, amounts
are written in full with thousands separators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from simsales.analysis.bottleneck import Bottleneck, bottleneck, column, full_money
from simsales.analysis.compare import Comparison, paired, pick_baseline
from simsales.montecarlo import RunResult
from simsales.scenario import Scenario

__all__ = ["Bottleneck", "Verdict", "verdict"]

OBJECTIVE_NAMES = {"revenue_net": "net revenue", "margin": "margin"}

SURE = 0.8
"""Below this P(better), the verdict says the call is close (or the runner-up about as good)."""


@dataclass(frozen=True)
class Verdict:
    """Which plan to pick, how sure that is, and what to fix first.

    Attributes:
        objective: ``revenue_net`` or ``margin`` (the scenario's objective).
        best_plan: the plan with the highest mean objective (None with one plan).
        p_better: paired P(best plan beats ``vs_plan``) over replications (None with one plan).
        vs_plan: the baseline, or the runner-up when the best is the baseline (None with one plan).
        bottleneck: the loss that costs the most, of the best plan (the only plan with one).
        text: the verdict in one or two sentences.
    """

    objective: str
    best_plan: str | None
    p_better: float | None
    vs_plan: str | None
    bottleneck: Bottleneck
    text: str

    def to_json(self) -> dict:
        """The verdict as plain JSON values.

        Returns:
            ``{"objective", "best_plan", "p_better", "vs_plan",
            "bottleneck": {"kind", "share_of_leads", "text"}, "text"}``.
        """
        return {
            "objective": self.objective,
            "best_plan": self.best_plan,
            "p_better": self.p_better,
            "vs_plan": self.vs_plan,
            "bottleneck": {"kind": self.bottleneck.kind,
                           "share_of_leads": self.bottleneck.share_of_leads,
                           "text": self.bottleneck.text},
            "text": self.text,
        }


def _horizon_phrase(days: int) -> str:
    if 89 <= days <= 92:
        return "a quarter"
    if 28 <= days <= 31:
        return "a month"
    if 365 <= days <= 366:
        return "a year"
    return f"over {days} days"


def _label(scenario: Scenario, name: str, labels: Mapping[str, str] | None = None) -> str:
    if labels is not None and name in labels:
        return labels[name]
    plan = next((p for p in scenario.plans if p.name == name), None)
    return getattr(plan, "label", None) or name


def verdict(result: RunResult, scenario: Scenario, comparison: Comparison | None = None, *,
            money: Callable[..., str] | None = None, labels: Mapping[str, str] | None = None) -> Verdict:
    """The verdict of a run (rules in the module doc).

    Args:
        result: the run.
        scenario: the scenario that made it (objective, horizon, currency, plan labels).
        comparison: the paired comparison, for its baseline (None: the first plan run).
        money: ``money(amount, signed=False) -> str`` for amounts in the text
            (pass :func:`simsales.report.units.money` for ``12.3M``); None:
            full amounts (``12,345,678``).
        labels: plan name -> the name the text gives it, as the tables beside it do (pass
            :func:`simsales.report.units.plan_labels`: two plans of one label told apart);
            None: each plan's ``label:``, else its name.

    Returns:
        The verdict.
    """
    objective = getattr(scenario, "objective", "revenue_net")
    write = money or full_money
    what = OBJECTIVE_NAMES.get(objective, objective)
    currency = scenario.currency
    names = list(result.plans)
    if len(names) < 2:
        name = names[0]
        metrics = result.plans[name].metrics
        neck = bottleneck(metrics, scenario.horizon_days, scenario.benchmarks, currency, money)
        x = column(metrics, objective)
        x = x[~np.isnan(x)]
        p10, p50, p90 = np.percentile(x, [10, 50, 90]) if x.size else (0.0, 0.0, 0.0)
        text = (f"Plan '{_label(scenario, name, labels)}': {what} {write(p50)} {currency} "
                f"{_horizon_phrase(scenario.horizon_days)} (P50; P10-P90 {write(p10)} to "
                f"{write(p90)}). The bottleneck: {neck.text}")
        return Verdict(objective, None, None, None, neck, text)

    means = {n: _finite_mean(column(result.plans[n].metrics, objective)) for n in names}
    # A plan with no finite value of the objective ranks last.
    ranked = sorted(names, key=lambda n: (-means[n] if means[n] == means[n] else np.inf, names.index(n)))
    best = ranked[0]
    baseline = pick_baseline(result, comparison.baseline if comparison is not None else None)
    vs = baseline if best != baseline else ranked[1]
    diff = paired(result, best, vs, objective)
    p_better = float(np.mean(diff > 0)) if diff.size else 0.0
    gain = float(np.median(diff)) if diff.size else 0.0
    neck = bottleneck(result.plans[best].metrics, scenario.horizon_days, scenario.benchmarks,
                      currency, money)
    best_label, vs_label = _label(scenario, best, labels), _label(scenario, vs, labels)
    if p_better == 0 and gain == 0:
        head = (f"No plan wins on {what}: '{best_label}' and '{vs_label}' give the same in every "
                f"paired replication.")
    elif p_better >= SURE:
        head = (f"Plan '{best_label}' wins on {what}: {write(gain, signed=True)} {currency} "
                f"{_horizon_phrase(scenario.horizon_days)} (P50) over '{vs_label}', better in "
                f"{100 * p_better:.0f}% of paired replications.")
    else:
        p_worse = float(np.mean(diff < 0))
        head = (f"Too close to call on {what} with these replications: '{best_label}' (the highest mean) "
                f"against '{vs_label}', {write(gain, signed=True)} {currency} "
                f"{_horizon_phrase(scenario.horizon_days)} (P50), better in {100 * p_better:.0f}% of "
                f"paired replications and worse in {100 * p_worse:.0f}%.")
    runner_up = ranked[1]
    if runner_up != vs:
        close = paired(result, best, runner_up, objective)
        p_close = float(np.mean(close > 0)) if close.size else 0.0
        if p_close < SURE:
            head += (f" '{_label(scenario, runner_up, labels)}' is about as good: '{best_label}' beats it in "
                     f"{100 * p_close:.0f}% of paired replications "
                     f"({write(float(np.median(close)), signed=True)} {currency}, P50).")
    return Verdict(objective, best, p_better, vs, neck, f"{head} The bottleneck: {neck.text}")


def _finite_mean(values: np.ndarray) -> float:
    """The mean of the finite values (NaN when there are none, without numpy's warning).

    Args:
        values: one value per replication.

    Returns:
        The mean, or NaN.
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if finite.size else float("nan")
