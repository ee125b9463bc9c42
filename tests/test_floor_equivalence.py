"""The engines agree statistically with every phase-A rule of issue 12 switched on (slow).

The criteria of tests/agreement.py (means within 3 combined standard
errors, and within 2% where the case resolves it, SLA within max(2%, 1
minute), KS at 1% on revenue and deals won), extended to the new metrics of the time split and
the SLA in working minutes, on tests/data/small.yaml with every phase-A
rule on under round robin and least loaded.  (q3 itself sets every rule
now: tests/test_engine_equivalence.py checks each of its plans.)
"""

from __future__ import annotations

import numpy as np
import pytest

from .agreement import disagreements
from .test_engine_equivalence import both_engines
from .test_floor_engines import small_with_rules

pytestmark = pytest.mark.slow

SMALL_REPLICATIONS = 100
MEANS = ("revenue_net", "won", "contacts", "contact_rate", "contact_rate_target", "total_invoices",
         "utilisation", "talk_share_actual", "dial_share_actual", "crm_share_actual", "overtime_share",
         "won_by_installment_share", "share_attempted_5min")
SLA = ("sla_p50_min", "sla_p90_min", "sla_work_p50_min", "sla_work_p90_min")
RESOLVED = ("contacts", "contact_rate", "contact_rate_target")
"""What 100 replications of the small scenario (about 90 offers each) resolve to 2%: 3 paired
standard errors were at most 0.85 of the tolerance on these.  The managers' time shares
(utilisation, talk, dial, CRM) resolved too while they were counted over the warm-up and the
horizon together; counted over the 21-day horizon alone, 3 paired SE came to 0.9-1.05 of the
tolerance, so they are held to 3 standard errors, like the money, the deals, the installment and
overtime shares, the share attempted in 5 minutes and the SLA percentiles (2 to 9 times the
replications); the exact tests (test_floor_engines.py) hold the time split's arithmetic."""


def failures(des, fast, resolved: tuple[str, ...] = RESOLVED) -> list[str]:
    """What breaks the criteria (tests/agreement.py) between the engines' per-replication metric tables.

    Args:
        des: the reference engine's metrics.
        fast: the fast engine's.
        resolved: the metrics the case resolves to 2%.
    """
    return disagreements(des, fast, MEANS + SLA, resolved=resolved)


# least_loaded (the event loop) is held outcome by outcome to the reference on fixed worlds with the rules
# on (tests/test_handover.py, tests/test_booked_work.py), and the event loop to round robin's loop array by
# array (tests/test_floor_engines.py); its statistical case here was dropped for CI's 20 minutes.
@pytest.mark.parametrize("policy", ["round_robin"])
def test_the_engines_agree_on_the_small_scenario_under_other_policies(policy):
    scenario = small_with_rules(policy)
    for plan, (des, fast) in both_engines(scenario, SMALL_REPLICATIONS).items():
        assert (fast["utilisation"] <= 1.0).all() and (des["utilisation"] <= 1.0).all()
        assert not failures(des, fast), (plan, failures(des, fast))


def test_the_criteria_reject_a_biased_engine():
    """A 5% bias in the contact rate fails them on the small scenario (the check has power)."""
    scenario = small_with_rules("round_robin")
    des, fast = next(iter(both_engines(scenario, 40).values()))
    biased = fast.copy()
    biased["contact_rate"] = biased["contact_rate"] * 1.05
    assert any(f.startswith("contact_rate:") for f in failures(des, biased))
    assert np.isfinite(fast["sla_work_p90_min"]).all()
