"""The funnel: every stage probability as a Beta posterior, and the client delays.

A stage probability is the chance that a deal entering one stage reaches
the next, against the competing loss, with deals still open at the
export censored (:func:`simsales.calibrate.stats.competing_risks`): an
open deal is not a lost one.  A delay is fitted on the deals that
advanced, right-truncated at the export (:func:`~simsales.calibrate.delays.fit_delay`).

| scenario field | from stage | to stage |
| --- | --- | --- |
| ``funnel.qualify`` | ``contact`` (target leads) | ``qualified`` |
| ``funnel.offer`` | ``qualified`` | ``invoice`` or ``link_sent`` |
| ``funnel.installment_share`` | offers | ``link_sent`` |
| ``funnel.invoice_paid`` | ``invoice`` | ``won`` |
| ``funnel.link_filled`` | ``link_sent`` | ``link_filled`` |
| ``funnel.bank_approved`` | ``link_filled`` | ``bank_approved`` (or ``won``) |
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsales.calibrate.delays import DelayFit, fit_delay
from simsales.calibrate.fit import Fit, Part, count, sig
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame
from simsales.calibrate.stats import Incidence, Prob, beta_counts, competing_risks, lognormal_fit, naive_rate

FEW = 30
"""Fewer entrants than this into a stage: a warning says the probability is loosely known."""
DEFAULTS = {
    "qualify": 0.45,
    "offer": 0.42,
    "installment_share": 0.5,
    "invoice_paid": 0.85,
    "link_filled": 0.72,
    "bank_approved": 0.85,
}
"""What a probability keeps when no deal entered its stage (MODEL.md's numbers from the field)."""


@dataclass(frozen=True)
class Transition:
    """Every entrant into a stage and what became of it.

    Attributes:
        entered: the entrants' rows (leads).
        time: per entrant, days from entry to advancing, to the loss, or to the export if open.
        cause: per entrant, 1 advanced, 2 lost, 0 open.
        window: per entrant, days from entry to the export.
    """

    entered: np.ndarray
    time: np.ndarray
    cause: np.ndarray
    window: np.ndarray


def transition(
    frame: Frame, source: str, targets: tuple[str, ...], population: np.ndarray | None = None,
    censor: np.ndarray | None = None,
) -> Transition:
    """What became of the deals that entered ``source``: advanced to a ``targets`` stage, lost, or open.

    Args:
        frame: the window's data.
        source: the stage entered.
        targets: the stages that count as advancing (the first reached).
        population: the leads to consider (None: all).
        censor: per lead, a loss that another rule owns: censored at the loss, not a loss (None: none).

    Returns:
        The transition.
    """
    t_a = frame.stage[source]
    ok = np.isfinite(t_a) if population is None else np.isfinite(t_a) & population
    rows = np.flatnonzero(ok)
    t_a = t_a[rows]
    with np.errstate(all="ignore"):
        t_b = np.fmin.reduce([frame.stage[s][rows] for s in targets])
    advanced = np.isfinite(t_b)
    t_lost = frame.stage["lost"][rows]
    lost = ~advanced & (np.isfinite(t_lost) | (frame.status[rows] == "lost"))
    t_lost = np.where(np.isfinite(t_lost), t_lost, t_a)
    owned = lost & (censor[rows] if censor is not None else False)  # censored at the loss
    event = np.where(advanced, t_b, np.where(lost, t_lost, frame.end))
    time = np.maximum(event - t_a, 0.0) / MINUTES_PER_DAY
    cause = np.where(advanced, 1, np.where(lost & ~owned, 2, 0)).astype(np.int8)
    return Transition(rows, time, cause, np.maximum(frame.end - t_a, 0.0) / MINUTES_PER_DAY)


def _prob_comment(name: str, source: str, inc: Incidence, frame: Frame, tr: Transition) -> str:
    pr = inc.prob
    lo, hi = pr.interval()
    return (
        f"from {count(pr.n)} entries into {source}, {frame.period}: {count(pr.events)} advanced, "
        f"{count((tr.cause == 2).sum())} lost, {count(pr.open)} open (censored); {pr.p:.1%}, 90% "
        f"{lo:.1%}..{hi:.1%} (naive open = lost: {naive_rate(tr.cause):.1%})"
    )


def _delay_comment(delay: DelayFit, frame: Frame) -> str:
    return (
        f"from {count(delay.n)} deals that advanced, {frame.period}: {delay.family}, mean "
        f"{delay.mean:.3g} days (se {delay.mean_se:.2g}), fitted with the export's truncation"
    )


def fit_funnel(frame: Frame, nontarget: np.ndarray, offer_factor: float = 1.0,
               paid_on_call: np.ndarray | None = None) -> Part:
    """Fit the funnel's probabilities (Beta posteriors), client delays, refunds and price.

    Args:
        frame: the window's data.
        nontarget: per lead, 1 non-target, 0 target, NaN unknown (non-target leads never qualify).
        offer_factor: the mean skill x ramp factor of the managers who made the offers (the
            scenario scales ``offer.p`` by it, so the fitted rate is divided by it).
        paid_on_call: per lead, whether it was won on a closing call
            (:func:`~simsales.calibrate.due.paid_on_call`): its invoice's delay is then known only to
            be at most the time it took (None: none).

    Returns:
        ``funnel.*`` and ``channels[i].quality`` values, comments and fits.
    """
    part = Part()
    for stage in ("contact", "qualified", "invoice", "link_sent", "link_filled", "bank_approved", "won"):
        if not np.isfinite(frame.stage[stage]).any():
            part.warnings.append(f"no deal ever entered the stage {stage!r}: what follows it keeps defaults")
    target = ~(nontarget == 1)
    specs = {
        "qualify": ("contact", ("qualified",), target, None),
        "offer": ("qualified", ("invoice", "link_sent"), None, "offer"),
        "invoice_paid": ("invoice", ("won",), ~np.isfinite(frame.stage["link_sent"]), "invoice_paid"),
        "link_filled": ("link_sent", ("link_filled",), None, "link_filled"),
        "bank_approved": ("link_filled", ("bank_approved", "won"), None, "bank_approved"),
    }
    # An invoice lost for want of a closing call is the closing rule's loss (funnel.closing), not the
    # client's refusal: censored there, so invoice_paid.p does not count it twice.
    no_closing = np.char.find(frame.loss_reason.astype(str), "closing") >= 0
    names, naive, probs = [], [], []
    for name, (source, targets, population, step) in specs.items():
        path = f"funnel.{name}" + (".p" if step else "")
        tr = transition(frame, source, targets, population, no_closing if name == "invoice_paid" else None)
        inc = competing_risks(tr.time, tr.cause)
        if len(tr.time) == 0:
            part.default(path, DEFAULTS[name], f"no deal entered {source}")
            continue
        if len(tr.time) < FEW:
            part.warnings.append(f"only {len(tr.time)} deals entered {source}: {path} is loosely known")
        prob = inc.prob
        comment = _prob_comment(name, source, inc, frame, tr)
        if name == "offer" and offer_factor != 1.0:
            p = min(prob.p / offer_factor, 1.0)
            n_eff = prob.a + prob.b - 1.0
            prob = Prob(p, p * n_eff + 0.5, (1 - p) * n_eff + 0.5, prob.n, prob.events, prob.open)
            comment += (
                f"; divided by {offer_factor:.3f}, the mean factor the scenario multiplies it by (skill x "
                "ramp of the managers who presented, and where fitted the share of presentations held "
                "and their mean cooling: calibrate/presentation.py)"
            )
        part.set(path, prob.spec, comment)
        names.append(name)
        naive.append(naive_rate(tr.cause))
        probs.append(inc.prob)
        if step:
            won = tr.cause == 1
            held = (np.zeros(won.sum(), dtype=bool) if paid_on_call is None or step != "invoice_paid"
                    else paid_on_call[tr.entered[won]])
            delay = fit_delay(tr.time[won], tr.window[won], low=np.where(held, 0.0, tr.time[won]))
            if delay is not None:
                part.set(f"funnel.{step}.delay_days", delay.spec, _delay_comment(delay, frame))
                _delay_fit(part, f"funnel.{step}.delay_days", step, inc, delay)
        if name == "qualify":
            _quality(part, frame, target)
    _installments(part, frame)
    _absorbed(part, names)
    if names:
        intervals = np.array([p.interval() for p in probs])
        part.fits.append(
            Fit(
                "funnel",
                "Stage conversions: open = lost against the censored estimate",
                names,
                np.array(naive),
                np.array([p.p for p in probs]),
                intervals[:, 0],
                intervals[:, 1],
                kind="interval",
                xlabel="step",
                ylabel="probability",
                n=sum(p.n for p in probs),
                note="bars: the share the export shows advanced (open deals counted as lost); "
                "points and 90% intervals: the fitted probability, open deals censored",
                band_of="fitted",
            )
        )
    return part


def _absorbed(part: Part, fitted: list[str]) -> None:
    """The sales-floor rules whose losses the fitted stage rates already hold (its deals met them)."""
    if "offer" in fitted:
        held = "funnel.offer.p is the rate the export shows, the deals it lost already in it"
        part.absorbs("funnel.cooling", f"{held} (clients who cooled while waiting for the presentation)")
        part.absorbs("funnel.presentation_within_days", f"{held} (presentations never held)")
    if "invoice_paid" in fitted or "link_filled" in fitted:
        part.absorbs("funnel.closing", "funnel.invoice_paid.p and funnel.link_filled.p are the rates the "
                                       "export shows, the deals lost without a closing call already in them")


def _installments(part: Part, frame: Frame) -> None:
    """The share of offers made as installment links."""
    link = np.isfinite(frame.stage["link_sent"])
    offers = link | np.isfinite(frame.stage["invoice"])
    if not offers.any():
        part.default("funnel.installment_share", DEFAULTS["installment_share"], "no offer in the export")
        return
    prob = beta_counts(int(link.sum()), int(offers.sum()))
    part.set(
        "funnel.installment_share",
        prob.spec,
        f"from {count(prob.n)} offers, {frame.period}: {count(prob.events)} installment links ({prob.p:.1%})",
    )


def _quality(part: Part, frame: Frame, target: np.ndarray) -> None:
    """Each channel's quality: its qualification rate over the pooled one (a gamma with its error)."""
    if len(frame.channels) < 2:
        part.default("channels[0].quality", 1.0, "one channel: its quality is the funnel's qualify")
        return
    pooled = competing_risks(*_tc(transition(frame, "contact", ("qualified",), target))).prob
    for c, name in enumerate(frame.channels):
        at = f"channels[{c}].quality"
        mine = competing_risks(
            *_tc(transition(frame, "contact", ("qualified",), target & (frame.channel == c)))
        ).prob
        if mine.n < FEW or pooled.p <= 0:
            part.default(at, 1.0, f"only {mine.n} contacted target leads of {name!r}")
            continue
        ratio = mine.p / pooled.p
        var_c = mine.a * mine.b / ((mine.a + mine.b) ** 2 * (mine.a + mine.b + 1))
        se = ratio * np.sqrt(var_c / max(mine.p, 1e-9) ** 2)
        spec = {"gamma": {"mean": sig(ratio, 3), "sd": sig(max(se, 1e-3), 2)}} if ratio > 0 else 0.0
        part.set(
            at,
            spec,
            f"from {count(mine.n)} contacted target leads of {name!r}, {frame.period}: "
            f"qualified {mine.p:.1%} against {pooled.p:.1%} over all channels",
        )


def _tc(tr: Transition) -> tuple[np.ndarray, np.ndarray]:
    return tr.time, tr.cause


def _delay_fit(part: Part, path: str, step: str, inc: Incidence, delay: DelayFit) -> None:
    """Observed (the censored incidence, scaled to 1) against the fitted delay CDF."""
    if len(inc.time) == 0 or inc.advanced[-1] <= 0:
        return
    top = float(np.quantile(inc.time[np.r_[True, np.diff(inc.advanced) > 0]], 0.99))
    grid = np.linspace(0.0, max(top, 1e-3), 60)
    i = np.searchsorted(inc.time, grid, side="right") - 1
    obs = np.where(i >= 0, inc.advanced[np.maximum(i, 0)], 0.0) / inc.advanced[-1]
    part.fits.append(
        Fit(
            path,
            f"{step}: client delay (share advanced by day)",
            list(grid),
            obs,
            delay.cdf(grid),
            kind="step",
            xlabel="days since entering the stage",
            ylabel="share of those who advance",
            n=delay.n,
            note="observed: the censored (Aalen-Johansen) incidence scaled to 1",
        )
    )


def payments_part(frame: Frame) -> Part:
    """Refunds (share and window), the price check and the bank's commission, from payments and leads.

    Args:
        frame: the window's data.

    Returns:
        ``funnel.refunds`` and ``funnel.price`` values, comments and fits.
    """
    part = Part()
    pay = frame.payments
    won = np.isfinite(frame.stage["won"]) | (frame.status == "won")
    prices = frame.price[won & np.isfinite(frame.price) & (frame.price > 0)]
    source = f"{count(len(prices))} won leads' prices"
    if len(prices) == 0 and pay is not None:
        invoices = pay[pay["kind"] == "invoice"].groupby("lead")["amount"].sum()
        prices = invoices[invoices > 0].to_numpy(dtype=float)
        source = f"{count(len(prices))} paid invoices"
    if len(prices):
        part.set(
            "funnel.price.check",
            _check_spec(prices),
            f"from {source}, {frame.period}: mean {prices.mean():,.0f}, in the export's currency",
        )
    else:
        part.default(
            "funnel.price.check",
            {"normal": [50000, 10000], "min": 0},
            "no price and no payment in the export: enter your average check",
        )
    if pay is None or not len(pay):
        part.default("funnel.refunds", {"share": 0.0, "window_days": 14}, "no payments table")
        part.default("funnel.price.bank_commission", 0.0, "no payments table")
        return part
    _refunds(part, frame, pay)
    inst = pay[pay["kind"] == "installment"].groupby("lead")["amount"].sum()
    price = frame.price[inst.index.to_numpy()]
    ok = np.isfinite(price) & (price > 0)
    if ok.any():
        share = 1.0 - inst.to_numpy()[ok] / price[ok]
        commission = float(np.clip(np.median(share), 0.0, 0.99))
        part.set(
            "funnel.price.bank_commission",
            round(commission, 4),
            f"from {count(ok.sum())} installment payments against their leads' price, {frame.period}: "
            "the median share kept by the bank",
        )
    else:
        part.default("funnel.price.bank_commission", 0.0, "no installment payment with its lead's price")
    return part


def _refunds(part: Part, frame: Frame, pay) -> None:
    # The model refunds a deal, not a payment: a deal paid in parts (several rows of one lead) counts
    # once, from its first payment, and is refunded if any of its payments was.
    deals = pay.groupby("lead").agg(paid=("paid", "min"), refunded=("refunded", "min"))
    paid = deals["paid"].to_numpy(dtype=float)
    refunded = deals["refunded"].to_numpy(dtype=float)
    delay = (refunded - paid) / MINUTES_PER_DAY
    seen = np.isfinite(delay) & (delay >= 0)
    x = int(seen.sum())
    if x:
        window = float(np.ceil(delay[seen].max() * (x + 1) / x))
        comment = f"from {count(x)} refunds, {frame.period}: the longest, widened by (n + 1) / n, days"
    else:
        window, comment = 14.0, "default: no refund seen"
    exposure = np.clip((frame.end - paid) / MINUTES_PER_DAY / window, 0.0, 1.0)  # share of the window seen
    n_eff = float(exposure.sum())
    share = Prob(x / n_eff if n_eff else 0.0, x + 0.5, max(n_eff - x, 0.0) + 0.5, len(paid), x)
    part.set(
        "funnel.refunds.share",
        share.spec,
        f"from {count(len(paid))} paid deals, {frame.period}: {count(x)} refunded; each deal counts for "
        f"the share of the refund window seen before the export ({n_eff:,.0f} deals' worth)",
    )
    part.set("funnel.refunds.window_days", window, comment)


def _check_spec(prices: np.ndarray) -> dict | float:
    """The price check's distribution: a normal within the prices seen, or a lognormal if it fits better."""
    if np.ptp(prices) == 0 or len(prices) < 2:
        return sig(float(prices[0]))
    from scipy import stats

    m, s = prices.mean(), prices.std()
    ll_normal = stats.norm.logpdf(prices, m, s).sum()
    ln = lognormal_fit(prices)
    ll_ln = -np.inf
    if ln is not None:
        logs = np.log(prices)
        ll_ln = stats.norm.logpdf(logs, logs.mean(), logs.std()).sum() - logs.sum()
    if ll_ln > ll_normal and ln is not None:
        return {"lognormal": {"mean": sig(ln[0]), "sd": sig(ln[1])}}
    return {"normal": [sig(m), sig(s)], "min": sig(max(prices.min(), 0.0)), "max": sig(prices.max())}
