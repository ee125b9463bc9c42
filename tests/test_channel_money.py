"""Per-channel installment share and check factor: the deals and the funnel calculator follow them.

The clients' draws do not change when a channel sets its own values, so
each test compares the same uniforms with and without them.
"""

from __future__ import annotations

import numpy as np
import pytest

from simsales.analysis import funnel_scenario as fs
from simsales.montecarlo.replication import stream
from simsales.scenario.loader import load_scenario
from simsales.scenario.uncertain import mean_of, resolve
from simsales.world.deals import draw_clients, settle

from .conftest import SMALL

N = 20_000


def _channels(overrides: list[dict]):
    scenario = load_scenario(SMALL)
    data = scenario.model_dump()
    base = data["channels"][0]
    data["channels"] = [{**base, "name": f"c{i}", **o} for i, o in enumerate(overrides)]
    return type(scenario).model_validate(data)


def _draw(scenario, lead_channel):
    resolved = resolve(scenario, stream(1, 0, "params"))
    rng = stream(1, 0, "deals")
    return resolved, draw_clients(resolved.funnel, len(lead_channel), rng, channels=resolved.channels,
                                  lead_channel=lead_channel)


def test_a_channel_s_own_installment_share_decides_its_leads_path():
    lead_channel = np.arange(N) % 3
    scenario = _channels([{"installment_share": 1.0}, {"installment_share": 0.0}, {}])
    _, clients = _draw(scenario, lead_channel)
    assert clients.installment[lead_channel == 0].all()
    assert not clients.installment[lead_channel == 1].any()
    resolved_plain, plain = _draw(_channels([{}, {}, {}]), lead_channel)
    third = lead_channel == 2  # the channel without its own share: same uniforms, same paths
    assert (clients.installment[third] == plain.installment[third]).all()
    share = float(resolved_plain.funnel.installment_share)
    assert abs(plain.installment.mean() - share) < 4 * np.sqrt(share * (1 - share) / N)


def test_a_check_factor_scales_that_channel_s_prices_and_nothing_else():
    lead_channel = np.arange(N) % 2
    resolved, clients = _draw(_channels([{"check_factor": 1.5}, {}]), lead_channel)
    _, plain = _draw(_channels([{}, {}]), lead_channel)
    offers = np.where(np.arange(N) % 5 == 0, 100.0, np.nan)
    deals, base = settle(resolved.funnel, clients, offers), settle(resolved.funnel, plain, offers)
    ratio = deals.check / base.check
    assert np.allclose(ratio[lead_channel[deals.lead] == 0], 1.5)
    assert np.allclose(ratio[lead_channel[deals.lead] == 1], 1.0)
    assert (deals.paid_at[~np.isnan(deals.paid_at)] == base.paid_at[~np.isnan(base.paid_at)]).all()


def test_the_calculator_weighs_channels_by_their_expected_offers():
    scenario = _channels([{"installment_share": 1.0, "check_factor": 2.0}, {"installment_share": 0.0}])
    f = scenario.funnel
    inv, inst = mean_of(f.invoice_paid.p), mean_of(f.link_filled.p) * mean_of(f.bank_approved.p)
    # identical channels but for these fields: half the offers each
    assert fs.offer_to_paid(scenario) == pytest.approx(0.5 * inst + 0.5 * inv)
    plain = _channels([{}, {}])
    assert fs.offer_to_paid(plain) == pytest.approx(fs.offer_to_paid(load_scenario(SMALL)))
    same_check = _channels([{"installment_share": 1.0}, {"installment_share": 0.0}])
    assert fs.net_check(scenario) > fs.net_check(same_check)
