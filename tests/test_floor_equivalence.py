"""The engines agree statistically with every phase-A rule of issue 12 switched on (slow).

The criteria of tests/test_engine_equivalence.py (means within 3 combined
standard errors and within 2%, SLA within max(2%, 1 minute), KS at 1% on
revenue and deals won), extended to the new metrics of the time split and
the SLA in working minutes, on tests/data/small.yaml with every phase-A
rule on under round robin and least loaded.  (q3 itself sets every rule
now: tests/test_engine_equivalence.py checks each of its plans.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from .test_engine_equivalence import both_engines
from .test_floor_engines import small_with_rules

pytestmark = pytest.mark.slow

SMALL_REPLICATIONS = 100
MEANS = ("revenue_net", "won", "contacts", "contact_rate", "contact_rate_target", "total_invoices",
         "utilisation", "talk_share_actual", "dial_share_actual", "crm_share_actual", "overtime_share",
         "won_by_installment_share", "share_attempted_5min")
SLA = ("sla_p50_min", "sla_p90_min", "sla_work_p50_min", "sla_work_p90_min")
FEW = ("revenue_net", "won", "total_invoices", "overtime_share", "won_by_installment_share")
"""On the small scenario (about 90 offers a replication) these vary between replications so much
that 2% would need about ten times the replications; they are held to 3 standard errors there."""


def failures(des, fast, three_se_only: tuple[str, ...] = ()) -> list[str]:
    """What breaks the criteria between the engines' per-replication metric tables."""
    out = []
    for metric in MEANS + SLA:
        a, b = des[metric].to_numpy(float), fast[metric].to_numpy(float)
        diff = abs(a.mean() - b.mean())
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        allowed = max(0.02 * abs(a.mean()), 1.0) if metric in SLA else 0.02 * abs(a.mean())
        if metric in three_se_only:
            allowed = math.inf
        if diff > 3 * se or diff > allowed:
            out.append(f"{metric}: des {a.mean():.6g} fast {b.mean():.6g} (3 SE {3 * se:.3g}, "
                       f"allowed {allowed:.3g})")
    for metric in ("revenue_net", "won"):
        p = stats.ks_2samp(des[metric].to_numpy(float), fast[metric].to_numpy(float)).pvalue
        if p < 0.01:
            out.append(f"{metric}: KS p = {p:.4f}")
    return out


@pytest.mark.parametrize("policy", ["round_robin", "least_loaded"])
def test_the_engines_agree_on_the_small_scenario_under_other_policies(policy):
    scenario = small_with_rules(policy)
    for plan, (des, fast) in both_engines(scenario, SMALL_REPLICATIONS).items():
        assert (fast["utilisation"] <= 1.0).all() and (des["utilisation"] <= 1.0).all()
        assert not failures(des, fast, FEW), (plan, failures(des, fast, FEW))


def test_the_criteria_reject_a_biased_engine():
    """A 5% bias in the contact rate fails them on the small scenario (the check has power)."""
    scenario = small_with_rules("round_robin")
    des, fast = next(iter(both_engines(scenario, 40).values()))
    biased = fast.copy()
    biased["contact_rate"] = biased["contact_rate"] * 1.05
    assert any(f.startswith("contact_rate:") for f in failures(des, biased, FEW))
    assert np.isfinite(fast["sla_work_p90_min"]).all()
