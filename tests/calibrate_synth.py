"""Synthetic CRM exports with known parameters, for the calibration tests (numpy, vectorised).

:func:`synth_export` draws a department that follows the scenario's model
(MODEL.md sections 2-7) with the parameters of :class:`Truth`, cuts it at
the window's end (later events are not in the export; deals still open
stay open), and returns an :class:`~simsales.crm.export.Export`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsales.crm.export import Export

DAY = 1440.0
DPM = 365.25 / 12


@dataclass
class Truth:
    """The parameters an export is drawn with (times in minutes unless _days)."""

    since: dt.date = dt.date(2026, 1, 5)
    days: int = 91
    levels: tuple[float, ...] = (120.0, 60.0)
    weekday: tuple[float, ...] = (1.2, 1.1, 1.0, 1.0, 0.9, 0.9, 0.9)
    growth: float = 0.04
    od: float = 0.03
    nontarget: float = 0.15
    offsets: tuple[float, ...] = (0.0, 60.0, 1440.0, 2880.0)
    p_contact: tuple[float, ...] = (0.6, 0.4, 0.3, 0.25)
    half_life: float = 240.0
    floor: float = 0.5
    wait_mean: float = 20.0
    qualify: float = 0.5
    quality: tuple[float, ...] = (1.0, 0.8)
    offer: float = 0.45
    offer_delay_days: float = 1.5
    installment: float = 0.55
    invoice_paid: float = 0.85
    invoice_delay_days: tuple[float, float] = (2.0, 3.0)  # gamma shape, scale
    link_filled: float = 0.7
    link_delay_days: float = 1.0
    bank_approved: float = 0.85
    bank_delay_days: float = 1.5
    loss_delay_days: float = 6.0
    refund_share: float = 0.05
    refund_window_days: float = 14.0
    price: tuple[float, float] = (60000.0, 10000.0)
    commission: float = 0.07
    managers: int = 40
    team_leads: int = 4
    skill_sd: float = 0.25
    ramp: tuple[float, ...] = (0.4, 0.7, 0.9)
    new_hires: int = 12
    attrition_monthly: float = 0.04
    mark_losses: bool = True
    shifts: bool = True
    extra: dict = field(default_factory=dict)


def _ts(since: dt.date, minutes: np.ndarray, tz: str) -> pd.Series:
    base = pd.Timestamp(since).tz_localize(tz)
    return pd.Series(base + pd.to_timedelta(minutes, unit="min")).astype(f"datetime64[ns, {tz}]")


def synth_export(truth: Truth, seed: int, tz: str = "Europe/Moscow") -> Export:
    """Draw an export from ``truth``, cut at the end of its window.

    Args:
        truth: the parameters.
        seed: the random seed.
        tz: the export's time zone.

    Returns:
        The export.
    """
    rng = np.random.default_rng(seed)
    t = truth
    end = t.days * DAY
    # Staff: team leads hired long ago, managers with tenures; some hired in the window.
    m = t.managers
    hired = np.where(
        np.arange(m) < t.new_hires, rng.integers(-20, t.days - 30, m), rng.integers(-700, -200, m)
    )
    leave_hazard = -np.log1p(-t.attrition_monthly) / DPM
    life = rng.exponential(1 / leave_hazard, m)
    left = np.where(hired + life < t.days, np.floor(hired + life) + 1, np.nan)
    skill = rng.lognormal(-0.5 * np.log1p(t.skill_sd**2), np.sqrt(np.log1p(t.skill_sd**2)), m)
    tl = rng.integers(0, t.team_leads, m)
    # Leads.
    rows = []
    for c, level in enumerate(t.levels):
        d = np.arange(t.days)
        wk = np.asarray(t.weekday) / np.mean(t.weekday)
        mu = level * wk[(d + t.since.weekday()) % 7] * (1 + t.growth) ** (d / DPM)
        lam = rng.gamma(1 / t.od, mu * t.od) if t.od > 0 else mu
        y = rng.poisson(lam)
        day = np.repeat(d, y)
        hour = rng.choice(24, size=len(day), p=_hours())
        rows.append(pd.DataFrame({"created": day * DAY + (hour + rng.random(len(day))) * 60, "channel": c}))
    leads = pd.concat(rows).sort_values("created", kind="stable").reset_index(drop=True)
    n = len(leads)
    created = leads["created"].to_numpy()
    ch = leads["channel"].to_numpy()
    cday = created // DAY
    owner = rng.integers(0, m, n)
    for _ in range(30):  # an owner employed on the lead's day
        bad = (hired[owner] > cday) | (np.isfinite(left[owner]) & (left[owner] <= cday))
        if not bad.any():
            break
        owner[bad] = rng.integers(0, m, bad.sum())
    nontarget = rng.random(n) < t.nontarget
    # Touch chain.
    k_max = len(t.offsets)
    wait = rng.exponential(t.wait_mean, (n, k_max))
    tod = created % DAY  # a lead that comes after hours (21:00-09:00) waits for the morning
    night = np.where(tod >= 21 * 60, DAY - tod + 9 * 60, np.where(tod < 9 * 60, 9 * 60 - tod, 0.0))
    age = np.asarray(t.offsets)[None, :] + wait
    age[:, 0] += night
    age = np.maximum.accumulate(age, axis=1)
    q = np.asarray(t.p_contact)[None, :] * np.maximum(t.floor, 0.5 ** (age / t.half_life))
    answered = rng.random((n, k_max)) < q
    contacted = answered.any(axis=1)
    first = np.where(contacted, answered.argmax(axis=1), k_max - 1)
    made = np.arange(k_max)[None, :] <= first[:, None]
    contact_t = np.where(contacted, created + age[np.arange(n), first], np.nan)
    # Funnel.
    qual = contacted & ~nontarget & (rng.random(n) < t.qualify * np.asarray(t.quality)[ch])
    tenure_m = np.clip(((contact_t / DAY - hired[owner]) // DPM).astype(float), 0, 99)
    ramp = np.append(np.asarray(t.ramp), 1.0)[np.minimum(np.nan_to_num(tenure_m).astype(int), len(t.ramp))]
    offer_t = contact_t + rng.exponential(t.offer_delay_days, n) * DAY
    offered = qual & (rng.random(n) < np.minimum(t.offer * skill[owner] * ramp, 1.0))
    inst = rng.random(n) < t.installment
    inv = offered & ~inst
    lnk = offered & inst
    paid_t = offer_t + rng.gamma(*t.invoice_delay_days, n) * DAY
    paid = inv & (rng.random(n) < t.invoice_paid)
    fill_t = offer_t + rng.exponential(t.link_delay_days, n) * DAY
    filled = lnk & (rng.random(n) < t.link_filled)
    appr_t = fill_t + rng.exponential(t.bank_delay_days, n) * DAY
    appr = filled & (rng.random(n) < t.bank_approved)
    won_t = np.where(paid, paid_t, np.where(appr, appr_t, np.nan))
    loss_gap = rng.exponential(t.loss_delay_days, n) * DAY
    last_t = np.where(
        ~contacted,
        created + age[:, -1],
        np.where(
            ~qual,
            contact_t,
            np.where(~offered, offer_t, np.where(inv, offer_t, np.where(~filled, offer_t, fill_t))),
        ),
    )
    lost = np.isnan(won_t)
    lost_t = np.where(lost, last_t + np.where(contacted & qual & offered, loss_gap, 0.0), np.nan)
    if not t.mark_losses:
        lost_t = np.where(offered, np.nan, lost_t)
    # Stages (cut at the end).
    stage_rows = []
    for name, when, ok in (
        ("assigned", created, np.ones(n, bool)),
        ("in_work", created + age[:, 0], np.ones(n, bool)),
        ("contact", contact_t, contacted),
        ("qualified", contact_t, qual),
        ("invoice", offer_t, inv),
        ("link_sent", offer_t, lnk),
        ("link_filled", fill_t, filled),
        ("bank_approved", appr_t, appr),
        ("won", won_t, ~lost),
        ("lost", lost_t, np.isfinite(lost_t)),
    ):
        sel = ok & (when < end)
        stage_rows.append(pd.DataFrame({"lead": np.flatnonzero(sel), "stage": name, "t": when[sel]}))
    stages = pd.concat(stage_rows, ignore_index=True)
    status = np.where(
        np.isfinite(won_t) & (won_t < end),
        "won",
        np.where(np.isfinite(lost_t) & (lost_t < end), "lost", "open"),
    )
    # Calls: attempts, then the presentation call for offers.
    li, ki = np.nonzero(made)
    ct = created[li] + age[li, ki]
    ans = answered[li, ki]
    dur = np.where(ans, rng.lognormal(np.log(7), 0.5, len(li)) * 60, rng.uniform(20, 50, len(li)))
    pres = np.flatnonzero(qual & np.isfinite(offer_t) & (offer_t < end))
    pdur = rng.lognormal(np.log(22), 0.4, len(pres)) * 60
    call_lead = np.concatenate([li, pres])
    call_t = np.concatenate([ct, np.maximum(offer_t[pres] - pdur / 60, contact_t[pres] + 1)])
    keep = call_t < end
    calls = pd.DataFrame(
        {
            "lead": call_lead[keep],
            "t": call_t[keep],
            "duration_s": np.concatenate([dur, pdur])[keep],
            "answered": np.concatenate([ans, np.ones(len(pres), bool)])[keep],
        }
    )
    ids = np.array([f"L{i}" for i in range(n)], dtype=object)
    mids = np.array([f"M{i}" for i in range(m)], dtype=object)
    tlids = [f"T{i}" for i in range(t.team_leads)]
    price = np.round(rng.normal(*t.price, n).clip(10000), 0)
    lead_table = pd.DataFrame(
        {
            "lead_id": ids,
            "created_at": _ts(t.since, created, tz),
            "channel": np.array(["ads", "social", "web"])[ch],
            "manager_id": mids[owner],
            "status": status,
            "loss_reason": np.where(status == "lost", np.where(nontarget, "nontarget", "other"), None),
            "nontarget": pd.array(np.where(contacted & (contact_t < end), nontarget, pd.NA), dtype="boolean"),
            "price": price,
        }
    )
    stage_table = pd.DataFrame(
        {
            "lead_id": ids[stages["lead"]],
            "stage": stages["stage"].to_numpy(),
            "entered_at": _ts(t.since, stages["t"].to_numpy(), tz),
            "implied": False,
        }
    )
    call_table = pd.DataFrame(
        {
            "lead_id": ids[calls["lead"]],
            "manager_id": mids[owner[calls["lead"]]],
            "started_at": _ts(t.since, calls["t"].to_numpy(), tz),
            "duration_s": calls["duration_s"].to_numpy(),
            "answered": calls["answered"].to_numpy(),
            "kind": "call",
        }
    )
    since = pd.Timestamp(t.since)
    staff = pd.DataFrame(
        {
            "manager_id": list(mids) + tlids,
            "team_lead_id": [tlids[i] for i in tl] + [None] * t.team_leads,
            "role": ["manager"] * m + ["team_lead"] * t.team_leads,
            "hired_at": pd.to_datetime(
                list(since + pd.to_timedelta(hired, unit="D"))
                + [since - pd.Timedelta(days=900)] * t.team_leads
            ),
            "left_at": pd.to_datetime(
                list(since + pd.to_timedelta(left, unit="D")) + [pd.NaT] * t.team_leads
            ),
        }
    )
    won_rows = np.flatnonzero(status == "won")
    refund = rng.random(len(won_rows)) < t.refund_share
    refund_t = won_t[won_rows] + rng.random(len(won_rows)) * t.refund_window_days * DAY
    refund_ok = refund & (refund_t < end)
    amount = np.where(inst[won_rows], price[won_rows] * (1 - t.commission), price[won_rows])
    payments = pd.DataFrame(
        {
            "lead_id": ids[won_rows],
            "paid_at": _ts(t.since, won_t[won_rows], tz),
            "amount": amount,
            "kind": np.where(inst[won_rows], "installment", "invoice"),
            "refunded_at": _ts(t.since, np.where(refund_ok, refund_t, np.nan), tz),
            "refund_amount": np.where(refund_ok, amount, np.nan),
        }
    )
    shifts = None
    if t.shifts:
        dd = np.arange(t.days)
        mm, dd = np.meshgrid(np.arange(m), dd, indexing="ij")
        on = (hired[mm] <= dd) & ~(np.isfinite(left[mm]) & (left[mm] <= dd))
        shifts = pd.DataFrame(
            {
                "manager_id": mids[mm[on]],
                "date": since + pd.to_timedelta(dd[on], unit="D"),
                "start": "09:00",
                "end": "21:00",
            }
        )
    return Export(
        leads=lead_table,
        stages=stage_table,
        calls=call_table,
        staff=staff,
        payments=payments,
        shifts=shifts,
        tz=tz,
        folder=None,
        notes=[],
    )


def _hours() -> np.ndarray:
    h = np.array(
        [
            0.2,
            0.1,
            0.1,
            0.1,
            0.1,
            0.2,
            0.4,
            0.8,
            1.2,
            1.6,
            1.8,
            1.8,
            1.7,
            1.7,
            1.7,
            1.6,
            1.6,
            1.6,
            1.7,
            1.9,
            2.0,
            1.6,
            1.0,
            0.5,
        ]
    )
    return h / h.sum()
