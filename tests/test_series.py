"""The weekly and monthly series add up to the replication's totals."""

from __future__ import annotations

import numpy as np

from simsales import montecarlo


def test_monthly_net_revenue_adds_up_to_net_revenue(small):
    result = montecarlo.run(small, replications=4, seed=3)
    for plan in result.plans.values():
        net = plan.metrics["revenue_net"].to_numpy()
        gross = plan.metrics["revenue_gross"].to_numpy()
        by_month = plan.series["revenue_net_month"]
        assert by_month.shape[0] == 4
        np.testing.assert_allclose(by_month.sum(axis=1), net, rtol=1e-12, atol=1e-6)
        gross_by_month = plan.series["revenue_gross_month"].sum(axis=1)
        np.testing.assert_allclose(gross_by_month, gross, rtol=1e-12, atol=1e-6)
        assert (net < gross).any(), "the scenario must refund something for this test to mean anything"
        # Refunds only take money away.
        assert (by_month <= plan.series["revenue_gross_month"] + 1e-9).all()
