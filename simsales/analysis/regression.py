"""Regression checks on scenario outputs: what counts as a move.

Two runs are compared through their baselines
(:mod:`simsales.analysis.baselines`), and :func:`compare` tells two cases apart:

1. *Reproduction*: same simsales version, scenario file, seed and engine.
   Every replication the two runs share must match exactly; any difference
   is a reproducibility failure.
2. *A change* (anything else): a metric has *moved* when the shift of its
   mean is statistically significant **and** larger than its relative
   tolerance.  With the same seed the runs share their random numbers
   replication by replication (common random numbers), so the test is a
   paired t-test on the per-replication differences; with another seed it
   is Welch's t-test.  Significance is family-wise: ``alpha`` is split over
   every (plan, metric) pair tested (Bonferroni), so a rerun with a new seed
   and no change fails with probability below ``alpha`` even before the
   tolerance is applied.

A changed revenue plan moves no metric but does move ``p_plan``, the chance
of making it: then each plan's ``p_plan`` is compared too, and any change
fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from simsales.analysis.baselines import Baseline
from simsales.scenario.loader import InputError

ALPHA = 0.001
"""Default family-wise significance level of :func:`compare`."""

# Relative tolerance on the mean, by metric family; see README "Regression checks in CI".
FAMILIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "money": (0.02, ("revenue_gross", "revenue_net", "refunds", "revenue_after_horizon",
                     "lead_cost", "payroll", "hiring_cost", "costs", "margin", "cpl", "cpql",
                     "avg_check", "revenue_per_manager")),
    "volume": (0.02, ("leads", "nontarget_leads", "attempts", "contacts", "qualified", "offers",
                      "invoices_issued", "links_sent", "links_filled", "total_invoices",
                      "bank_approved", "won", "unreachable_leads")),
    "rate": (0.02, ("contact_rate", "c2", "utilisation", "attempts_per_manager_hour", "contact_rate_target",
                    "won_by_installment_share", "talk_share_actual", "dial_share_actual", "crm_share_actual",
                    "share_attempted_5min")),
    "time": (0.05, ("sla_p50_min", "sla_p90_min", "sla_work_p50_min", "sla_work_p90_min")),
    "losses": (0.05, ("untouched_leads", "untouched_open", "untouched_closed", "chains_cut",
                      "chains_cut_closed", "pipeline_open", "lost_no_contact", "lost_nontarget",
                      "lost_before_qualification", "lost_after_qualification")),
    "team": (0.05, ("headcount_end", "ramping_end", "hires_made", "hires_deferred",
                    "hires_refused", "team_lead_hires", "attrition")),
}
DEFAULT_TOLERANCE = 0.05  # metrics in no family (e.g. added after this table)


# --- tolerances ------------------------------------------------------------------------

def default_tolerance(metric: str) -> float:
    """The relative tolerance of a metric: its family's (:data:`FAMILIES`), else :data:`DEFAULT_TOLERANCE`.

    Args:
        metric: a metric name.

    Returns:
        The tolerance on the relative change of the mean (0.02 = 2%).
    """
    for tolerance, members in FAMILIES.values():
        if metric in members:
            return tolerance
    return DEFAULT_TOLERANCE


def parse_tolerances(items: list[str] | None, known: set[str]) -> dict[str, float]:
    """``["revenue_net=0.05", "team=10%"]`` -> per-metric tolerances.

    A family name sets all its members; a metric named on its own wins over its
    family, whatever the order.  ``inf`` ignores a metric.

    Args:
        items: ``METRIC=REL`` or ``FAMILY=REL``, REL a share (0.05) or a percentage (5%).
        known: every metric name.

    Returns:
        Metric -> relative tolerance, for the metrics named (directly or by family).

    Raises:
        InputError: a malformed item, a negative value, or an unknown metric or family.
    """
    by_family: dict[str, float] = {}
    by_metric: dict[str, float] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name = name.strip()
        try:
            if not sep:
                raise ValueError
            text = text.strip()
            value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
            if not value >= 0:
                raise ValueError
        except ValueError:
            raise InputError("--tolerance", f"expected METRIC=RELATIVE such as revenue_net=0.05 "
                                            f"or revenue_net=5%, got {item!r}") from None
        if name in FAMILIES:
            by_family.update(dict.fromkeys(FAMILIES[name][1], value))
        elif name in known:
            by_metric[name] = value
        else:
            raise InputError("--tolerance", f"unknown metric {name!r}; metrics: "
                                            f"{', '.join(sorted(known))}; families: {', '.join(FAMILIES)}")
    return by_family | by_metric


# --- the decision ----------------------------------------------------------------------

def relative_change(base: float, now: float) -> float:
    """The relative change ``(now - base) / |base|``.

    Args:
        base: the baseline's mean.
        now: this run's mean.

    Returns:
        The change (0.1 = +10%); 0 when equal, infinite when only the baseline is zero.
    """
    if base == now:
        return 0.0
    return (now - base) / abs(base) if base else math.copysign(math.inf, now - base)


def shift_p_value(base: np.ndarray, now: np.ndarray, paired: bool) -> float | None:
    """Two-sided p-value of a shift in the mean; None when there are too few values.

    ``paired``: replication r of both runs used the same random numbers, so test the
    differences (paired t-test); otherwise Welch's t-test.  Zero spread means a
    certain answer: p = 1 without a shift, 0 with one.

    Args:
        base: the baseline's values, one per replication (NaN: undefined).
        now: this run's values.
        paired: whether replication r of both used the same random numbers.

    Returns:
        The p-value, or None with fewer than two values on a side.
    """
    if paired:
        both = ~np.isnan(base) & ~np.isnan(now)
        diff = now[both] - base[both]
        if diff.size < 2:
            return None
        shift, se, df = diff.mean(), diff.std(ddof=1) / math.sqrt(diff.size), diff.size - 1
    else:
        a, b = base[~np.isnan(base)], now[~np.isnan(now)]
        if a.size < 2 or b.size < 2:
            return None
        va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
        shift, se = b.mean() - a.mean(), math.sqrt(va + vb)
        df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if se else 1.0
    if se == 0:
        return 1.0 if shift == 0 else 0.0
    return float(2 * stats.t.sf(abs(shift) / se, df))


@dataclass(frozen=True)
class Decision:
    """One metric's verdict, its relative change and p-value.

    ``verdict`` is ``ok``, ``ok: noise`` (large but not significant),
    ``ok: small`` (significant but within tolerance), ``MOVED``, or ``n/a``.
    """

    verdict: str
    change: float | None
    p_value: float | None

    @property
    def moved(self) -> bool:
        """Whether the metric moved."""
        return self.verdict == "MOVED"


def decide(base: np.ndarray, now: np.ndarray, tolerance: float, alpha: float, paired: bool) -> Decision:
    """Has the metric moved?  Significant at ``alpha`` and beyond ``tolerance``.

    Args:
        base: the baseline's values, one per replication (NaN: undefined).
        now: this run's values.
        tolerance: the relative change of the mean that matters (0.02 = 2%).
        alpha: the significance level of this one test (already corrected).
        paired: whether replication r of both used the same random numbers.

    Returns:
        The decision.
    """
    finite_base, finite_now = base[~np.isnan(base)], now[~np.isnan(now)]
    if not finite_base.size or not finite_now.size:
        same = finite_base.size == finite_now.size
        return Decision("ok" if same else "MOVED", None if same else math.inf, None)
    change = relative_change(float(finite_base.mean()), float(finite_now.mean()))
    p = shift_p_value(base, now, paired)
    if p is None:
        return Decision("n/a", change, None)
    significant, large = p < alpha, abs(change) > tolerance
    verdict = ("MOVED" if large else "ok: small") if significant else ("ok: noise" if large else "ok")
    return Decision(verdict, change, p)


@dataclass(frozen=True)
class Row:
    """One line of the diff table; ``baseline`` and ``now`` are means over replications."""

    plan: str
    metric: str
    baseline: float | None
    now: float | None
    change: float | None
    p_value: float | None
    tolerance: float | None
    verdict: str

    @property
    def failed(self) -> bool:
        """Whether this row fails the check."""
        return self.verdict in ("MOVED", "NOT REPRODUCED", "plan added", "plan removed")


@dataclass(frozen=True)
class Report:
    """The outcome of :func:`compare`; ``mode`` is 'reproduction', 'paired' or 'welch'."""

    mode: str
    rows: list[Row]
    alpha: float
    tests: int

    @property
    def failed(self) -> list[Row]:
        """The rows that fail the check."""
        return [r for r in self.rows if r.failed]

    def plans(self, verdict: str) -> list[str]:
        """The plans of one side only: ``plan removed`` (in the baseline only) or ``plan added``.

        Args:
            verdict: ``plan removed`` or ``plan added``.

        Returns:
            Their names, sorted.
        """
        return [r.plan for r in self.rows if r.verdict == verdict]

    @property
    def metrics_failed(self) -> list[Row]:
        """The failed rows of the :attr:`tests` (plan, metric) tests: no plan row, no ``p_plan`` row."""
        return [r for r in self.failed if r.metric not in ("-", "p_plan")]


def reproduction(base: Baseline, now: Baseline) -> bool:
    """Whether the numbers must match exactly: same version, scenario file and pipeline export, seed, engine.

    Args:
        base: the baseline.
        now: this run's baseline document, validated.

    Returns:
        True when the two runs had the same inputs.
    """
    return (base.simsales, base.scenario.sha256, base.scenario.pipeline_sha256, base.seed, base.engine) == \
           (now.simsales, now.scenario.sha256, now.scenario.pipeline_sha256, now.seed, now.engine)


def revenue_targets(baseline: Baseline) -> tuple[float, tuple[tuple[str, Any], ...]]:
    """The revenue plan a baseline's ``p_plan`` was measured against.

    Args:
        baseline: a baseline.

    Returns:
        The target over the horizon (net revenue, scenario's currency; 0:
        none) and, with a month-by-month plan, each month's target, sorted.
    """
    months = next(iter(baseline.plans.values())).summary.get("p_plan_months")
    months = months if isinstance(months, dict) else {}
    return baseline.revenue_plan, tuple(sorted((month, v.get("plan") if isinstance(v, dict) else v)
                                               for month, v in months.items()))


def differences(base: Baseline, now: Baseline) -> list[str]:
    """What changed between how the baseline and this run were made.

    Args:
        base: the baseline.
        now: this run's baseline document, validated.

    Returns:
        One phrase per difference, e.g. ``"seed 7 -> 3"`` or ``"pipeline export changed"``
        (the CRM export a ``pipeline:`` names; empty: same inputs).
    """
    said = []
    for label, a, b in (("simsales", base.simsales, now.simsales), ("seed", base.seed, now.seed),
                        ("engine", base.engine, now.engine),
                        ("replications", base.replications, now.replications)):
        if a != b:
            said.append(f"{label} {a} -> {b}")
    if base.scenario.sha256 != now.scenario.sha256:
        said.append("scenario file edited")
    (total, months), (total_now, months_now) = revenue_targets(base), revenue_targets(now)
    if total != total_now:
        said.append(f"revenue plan {total:,.0f} -> {total_now:,.0f}")
    elif months != months_now:
        said.append("revenue plan's months changed")
    pipelines = base.scenario.pipeline_sha256, now.scenario.pipeline_sha256
    if pipelines[0] != pipelines[1]:
        said.append("pipeline export changed" if all(pipelines) else
                    "a pipeline export now" if pipelines[1] else "no pipeline export now")
    return said


def _p_plan_row(plan: str, base: Any, now: Any) -> Row:
    """``p_plan`` of a plan when the revenue plan changed: moved when it differs at all (a share, or None)."""
    base = base if isinstance(base, int | float) else None
    now = now if isinstance(now, int | float) else None
    change = None if base is None or now is None else relative_change(base, now)
    return Row(plan, "p_plan", base, now, change, None, None, "ok" if base == now else "MOVED")


def _mean(values: np.ndarray) -> float | None:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else None


def compare(base: Baseline, now: Baseline, tolerances: dict[str, float] | None = None,
            alpha: float = ALPHA, exact: bool = True) -> Report:
    """Compare every metric of every plan of ``now`` with ``base``.

    Args:
        base: the baseline.
        now: this run's baseline document, validated.
        tolerances: per-metric relative tolerances overriding :func:`default_tolerance`.
        alpha: family-wise significance level, split over all (plan, metric) tests.
        exact: demand exact numbers when the inputs are the same (False: always test
            statistically, e.g. to say whether a failed reproduction also moved the forecast).

    Returns:
        One row per (plan, metric), plans and metrics sorted by name; when
        the revenue plan changed (:func:`revenue_targets`), then one
        ``p_plan`` row per plan, moved when it differs.
    """
    tolerances = tolerances or {}
    exact_mode = exact and reproduction(base, now)
    paired = base.seed == now.seed
    mode = "reproduction" if exact_mode else ("paired" if paired else "welch")
    common = min(base.replications, now.replications)
    rows: list[Row] = []
    tested: list[tuple[str, str, np.ndarray, np.ndarray]] = []
    for plan in sorted(set(base.plans) | set(now.plans)):
        if plan not in now.plans or plan not in base.plans:
            verdict = "plan removed" if plan not in now.plans else "plan added"
            rows.append(Row(plan, "-", None, None, None, None, None, verdict))
            continue
        b, n = base.plans[plan], now.plans[plan]
        for metric in sorted(set(b.replications) | set(n.replications)):
            if metric not in b.replications or metric not in n.replications:
                side, verdict = (n, "new") if metric in n.replications else (b, "gone")
                mean = _mean(side.values(metric))
                rows.append(Row(plan, metric, mean if verdict == "gone" else None,
                                mean if verdict == "new" else None, None, None, None, verdict))
                continue
            x, y = b.values(metric), n.values(metric)
            if paired:
                x, y = x[:common], y[:common]
            tested.append((plan, metric, x, y))
    per_test = alpha / max(1, len(tested))
    for plan, metric, x, y in tested:
        tolerance = tolerances.get(metric, default_tolerance(metric))
        if exact_mode:
            same = np.array_equal(x, y, equal_nan=True)
            change = relative_change(_mean(x) or 0.0, _mean(y) or 0.0)
            rows.append(Row(plan, metric, _mean(x), _mean(y), change, None, None,
                            "same" if same else "NOT REPRODUCED"))
        else:
            d = decide(x, y, tolerance, per_test, paired)
            rows.append(Row(plan, metric, _mean(x), _mean(y), d.change, d.p_value, tolerance, d.verdict))
    if not exact_mode and revenue_targets(base) != revenue_targets(now):
        # p_plan is measured against another target: the metrics cannot show its move
        rows.extend(_p_plan_row(plan, base.plans[plan].summary.get("p_plan"),
                                now.plans[plan].summary.get("p_plan"))
                    for plan in sorted(set(base.plans) & set(now.plans)))
    return Report(mode, rows, alpha, len(tested))
