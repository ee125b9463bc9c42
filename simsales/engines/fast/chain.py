"""The touch chain and the calls in the fast engine (MODEL.md sections 4 and 5), compiled.

What a manager does with a task, as the reference engine
(:mod:`simsales.engines.des`) states it: :func:`take` starts the next due
task (an attempt, whose chance of contact is ``p_contact[k] * decay(age)``,
then qualification; a presentation, then an offer or a loss; or a closing
call, :mod:`simsales.engines.booked`) and
:func:`done` records its result when the call or dial ends and queues the
follow-up.  :func:`expire_at_horizon` closes the chains left at the
horizon.  The loops (:mod:`~simsales.engines.fast.loop`,
:mod:`~simsales.engines.fast.split`) only decide *when* these run.

Uniforms come from the lead's own counter-based stream (queues.uniform):
per lead, one per attempt, one for qualification, one for the offer and
one for routing, so a lead meets the same luck under every plan; and, numbered
apart (``CLOSING_DRAWS``), one for whether its offer needs a closing call.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simsales.engines.contract import (
    AWAITING_PRESENTATION,
    EXPIRED,
    IN_CHAIN,
    LOST_NO_OFFER,
    LOST_NO_PRESENTATION,
    LOST_NONTARGET,
    LOST_UNQUALIFIED,
    NO_CONTACT,
    OFFER,
)
from simsales.engines.fast.days import idle_wait, shift_day
from simsales.engines.fast.dispatch import give, next_action, pop_due
from simsales.engines.fast.inner import inner
from simsales.engines.fast.queues import (
    ATTEMPTS_MADE,
    BUSY,
    BUSY_MINUTES,
    CRM_MIN,
    DIAL_MIN,
    EV_LEAD,
    EV_RESULT,
    OFFERS,
    OFFERS_RAMPED,
    OVERTIME_MIN,
    RAMPED_FROM,
    REASSIGN_DRAWS,
    STOP,
    TALK_MIN,
    uniform,
)
from simsales.engines.fast.routing import route
from simsales.engines.fast.tables import (
    BLOCK_END,
    CALL_MIN,
    CLOSE_DELAY,
    CLOSE_MIN,
    CLOSED,
    CLOSING_MADE,
    CONTACT_F,
    CONV_QUALIFY,
    CONVERSION,
    CREATED,
    DELAY_MIN,
    DONE,
    HOP,
    IDLE,
    INF,
    NEXT_ATTEMPT,
    NO_OFFER,
    OFFER_MADE,
    P_CLOSE_SHARE,
    P_CLOSE_WITHIN,
    P_COOL_FLOOR,
    P_COOL_HALF_LIFE,
    P_COOL_KIND,
    P_CRM_ATTEMPT,
    P_CRM_CONTACT,
    P_CRM_OFFER,
    P_DECAY_KIND,
    P_DIAL,
    P_FLOOR,
    P_HALF_LIFE,
    P_HORIZON,
    P_OFFER,
    P_ORIGIN,
    P_POLICY,
    P_QUALIFY,
    P_TALK_SHARE,
    P_TTL,
    P_WITHIN,
    PRESENT,
    PRESENT_MIN,
    THROUGHPUT,
    WAKE,
)
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.contact import decay

__all__ = ["CLOSING_DRAWS", "done", "expire_at_horizon", "split_work", "take"]

CLOSING_DRAWS = 1 << 40
"""Where the uniforms of the closing calls' need start (lead i's is this + i): past every other
draw (the leads' own, then the re-routed tasks'), so the other draws do not move."""


@inner(error_model="numpy", forceinline=True, _nrt=False)
def take(m: int, t: float, leads: tuple, out: tuple, chain: tuple, params: np.ndarray,
         seed: np.uint64, mf: np.ndarray, mi: np.ndarray, md: np.ndarray,
         queues: tuple, shared: bool) -> tuple[float, int]:
    """Manager ``m`` is free at ``t``: start the next due task (MODEL.md sections 4 and 5).

    Attempts past ``lead_ttl`` are dropped as they come up (lazy expiry), and so
    are presentations past their time limit (the lead is lost) and closing
    calls past theirs (engines/booked.py); a presentation's offer chance
    cools with its wait.
    A call or dial takes its base minutes divided by ``talk_share`` and by
    the manager's ramp throughput that day.

    Args:
        m: the manager.
        t: now, minutes from the start.
        leads: ``(lf, target, step, since)``: the lead table, target flags, next steps,
            when the presentation was booked (NaN: not, or taken).
        out: the ``Outcomes`` arrays (owner, attempts, first_attempt, contact, end, offer_time).
        chain: ``(steps, decay_table)``: offsets (minutes) and contact chances
            per attempt; ages (minutes) and factors of a decay table.
        params: the scalars (tables.P_*).
        seed: the stream of the uniforms.
        mf: the per-manager float table.
        mi: the per-manager integer table (``ATTEMPTS_MADE``: the attempts made from the origin on).
        md: the per-manager-day table.
        queues: the task lists ``(hd, hk, hn)``.
        shared: whether the shared queue's lists count (see dispatch.next_action).

    Returns:
        The manager's next event: ``(end of the call or dial, DONE)``,
        ``(first moment on shift with a due task, WAKE)`` or ``(inf, IDLE)``
        (minutes from the start).
    """
    lf, target, step, since = leads
    owner, attempts, first_attempt, contact, end, offer_time = out[0], out[1], out[2], out[3], out[4], out[5]
    steps, decay_table = chain
    hd, hk, hn = queues
    n_steps = steps.shape[1]
    d = min(int(t / MINUTES_PER_DAY), md.shape[1] - 1)
    sd = shift_day(m, t, md)  # the day the shift started on: today's, or yesterday's past midnight
    on_shift = sd >= 0 and t < mf[m, STOP]
    ahead = (step, lf, attempts, first_attempt, owner)  # what taking a task reads first (prefetched)
    while True:
        # On shift, the first due task is next_action's answer "now"; otherwise, or
        # with nothing due, next_action says when to look again.
        lead = pop_due(m, t, hd, hk, hn, shared, ahead) if on_shift else -1
        if lead < 0:
            when = next_action(m, t, mf, hd, hn, md, shared, INF)
            if shared:  # the event loop: the reference's idle wait (days.idle_wait)
                when, waits_on_shift = idle_wait(m, t, when, mf, md)
                if waits_on_shift and when < INF:
                    return when, HOP
            return when, (WAKE if when < INF else IDLE)
        owner[lead] = m
        if step[lead] < n_steps:
            if t > lf[lead, CREATED] + params[P_TTL]:
                end[lead] = EXPIRED
                continue
        elif step[lead] == n_steps:
            if t - since[lead] > params[P_WITHIN]:  # a presentation past its time limit
                end[lead] = LOST_NO_PRESENTATION
                since[lead] = np.nan
                continue
        elif t - offer_time[lead] > params[P_CLOSE_WITHIN]:  # a closing call past its limit: dropped
            continue
        break
    k = step[lead]
    draws = (n_steps + 3) * lead  # per-lead draws: one per attempt, qualify, offer, routing
    if k < n_steps:
        attempts[lead] += 1
        if t >= params[P_ORIGIN]:  # made in the counted period (attempts_per_manager_hour)
            mi[m, ATTEMPTS_MADE] += 1
        if np.isnan(first_attempt[lead]):
            first_attempt[lead] = t
        # The chance is p_contact[k] * decay(age) <= p_contact[k] (the decay is at most 1), so a
        # draw at or above p_contact[k] misses at any age: exact, and it spares the decay's pow,
        # the costliest call of the loop, on most attempts.  The decay is never below its floor
        # (0 for a table), so a draw below p_contact[k] * floor reaches the lead at any age (exact
        # too: rounding keeps the order of products).
        u, chance = uniform(seed, draws + k), min(1.0, steps[1, k] * lf[lead, CONTACT_F])
        talk, crm = False, params[P_CRM_ATTEMPT]
        sure = u < chance * params[P_FLOOR]  # reached at any age
        kind = int(params[P_DECAY_KIND])
        if u >= chance or (not sure and u >= chance * decay(t - lf[lead, CREATED], kind, params[P_HALF_LIFE],
                                                            params[P_FLOOR], decay_table)):
            minutes, result = params[P_DIAL], NEXT_ATTEMPT
        else:
            contact[lead] = t
            minutes, result, talk = lf[lead, CALL_MIN], CLOSED, True
            crm += params[P_CRM_CONTACT]
            if target[lead] == 0:
                end[lead] = LOST_NONTARGET
            elif uniform(seed, draws + n_steps) >= min(1.0, lf[lead, P_QUALIFY] * md[m, d, CONV_QUALIFY]):
                end[lead] = LOST_UNQUALIFIED
            else:
                end[lead] = AWAITING_PRESENTATION
                result = PRESENT
    elif k > n_steps:  # a closing call: the CRM minutes of a contact
        minutes, talk, result = lf[lead, CLOSE_MIN], True, CLOSING_MADE
        crm = params[P_CRM_ATTEMPT]
        crm += params[P_CRM_CONTACT]
    else:
        minutes, talk, crm = lf[lead, PRESENT_MIN], True, 0.0
        p = min(1.0, params[P_OFFER] * md[m, d, CONVERSION]) * decay(
            t - since[lead], int(params[P_COOL_KIND]), params[P_COOL_HALF_LIFE], params[P_COOL_FLOOR],
            decay_table)  # the client cooled while waiting
        since[lead] = np.nan
        result = OFFER_MADE if uniform(seed, draws + n_steps + 1) < p else NO_OFFER
        if result == OFFER_MADE:
            crm = params[P_CRM_OFFER]
    call = minutes / (params[P_TALK_SHARE] * md[m, d, THROUGHPUT])
    split_work(m, t, call, crm, md[m, sd, BLOCK_END], params[P_HORIZON], params[P_TALK_SHARE], talk, mf,
               params[P_ORIGIN])
    mi[m, BUSY] = 1
    mi[m, EV_LEAD], mi[m, EV_RESULT] = lead, result
    return t + (call + crm), DONE


@inner(error_model="numpy", _nrt=False)
def split_work(m: int, now: float, call: float, crm: float, shift_end: float, horizon: float,
               talk_share: float, talk: bool, mf: np.ndarray, origin: float) -> None:
    """Book one call or dial in manager ``m``'s time split: :func:`simsales.engines.workday.split_work`.

    Args:
        m: the manager.
        now: when it starts, minutes from the start.
        call: its minutes, the ``talk_share`` overhead included.
        crm: CRM minutes after it.
        shift_end: the end of the manager's block of shifts (minutes).
        horizon: the horizon (minutes).
        talk_share: the share of ``call`` that is the call itself.
        talk: a call (talk) rather than an unanswered dial.
        mf: the per-manager float table (BUSY_MINUTES, TALK_MIN ... OVERTIME_MIN).
        origin: where the counted period begins (minutes): the split counts from there.
    """
    duration = call + crm
    mf[m, BUSY_MINUTES] += max(0.0, min(now + duration, horizon) - now)
    start = max(now, origin)
    end = min(shift_end, horizon)
    late = start - now
    within = max(0.0, min(end - start, duration - late))
    spoken = max(0.0, min(end - start, call - late)) * talk_share
    mf[m, TALK_MIN if talk else DIAL_MIN] += spoken
    mf[m, CRM_MIN] += within - spoken
    mf[m, OVERTIME_MIN] += max(0.0, min(now + duration, horizon) - max(start, shift_end))


@inner(error_model="numpy", forceinline=True, _nrt=False)
def done(m: int, t: float, heap: bool, leads: tuple, out: tuple, steps: np.ndarray,
         routing: tuple, params: np.ndarray, seed: np.uint64, mf: np.ndarray, mi: np.ndarray,
         md: np.ndarray, queues: tuple, events: tuple, counters: np.ndarray) -> None:
    """Manager ``m``'s call or dial ends at ``t``: record its result, queue the follow-up.

    A follow-up of a call that ended after its manager left is routed anew.

    Args:
        m: the manager.
        t: now, minutes from the start.
        heap: whether the loop keeps an event heap.
        leads: ``(lf, target, step, since)``: the lead table, target flags, next steps,
            booking times.
        out: the ``Outcomes`` arrays (owner, attempts, first_attempt, contact, end, offer_time).
        steps: offsets (minutes) and contact chances per attempt, ``(2, K)``.
        routing: ``(rf, ri)``, see routing.pack_routing.
        params: the scalars (tables.P_*).
        seed: the stream of the uniforms.
        mf: the per-manager float table.
        mi: the per-manager integer table (``EV_LEAD``, ``EV_RESULT``: the call's;
            ``OFFERS``, ``OFFERS_RAMPED`` count offers).
        md: the per-manager-day table.
        queues: the task lists ``(hd, hk, hn)``.
        events: the event heap.
        counters: the loop's counters.
    """
    lf, _, step, since = leads
    owner, end, offer_time, closing_due, closing_time, closer = out[0], out[4], out[5], out[7], out[8], out[9]
    rf, ri = routing[0], routing[1]
    lead, result = mi[m, EV_LEAD], mi[m, EV_RESULT]
    n_steps = steps.shape[1]
    due = -1.0
    if result == NEXT_ATTEMPT:
        k = step[lead] + 1
        if k < n_steps:
            step[lead] = k
            due = max(lf[lead, CREATED] + steps[0, k], t)
        else:
            end[lead] = NO_CONTACT
    elif result == PRESENT:
        step[lead] = n_steps
        since[lead] = t  # the presentation is booked: the client starts cooling
        due = t + lf[lead, DELAY_MIN]
    elif result == OFFER_MADE:
        end[lead] = OFFER
        offer_time[lead] = t
        mi[m, OFFERS] += 1  # counted for the probation rule
        if t >= mf[m, RAMPED_FROM]:
            mi[m, OFFERS_RAMPED] += 1
        share = params[P_CLOSE_SHARE]
        if share > 0.0 and uniform(seed, CLOSING_DRAWS + lead) < share:  # a closing call is booked
            step[lead] = n_steps + 1
            due = t + lf[lead, CLOSE_DELAY]
            closing_due[lead] = due
    elif result == CLOSING_MADE:
        closing_time[lead], closer[lead] = t, m
    elif result == NO_OFFER:
        end[lead] = LOST_NO_OFFER
    if due >= 0.0:
        to = m
        if t >= mf[m, STOP]:  # the manager left during the call: route anew
            draw = lf.shape[0] * (n_steps + 3) + counters[REASSIGN_DRAWS]
            to = route(t, draw, int(params[P_POLICY]), seed, rf, ri, queues[2], counters)
            counters[REASSIGN_DRAWS] += 1
        if to >= 0:
            give(to, due, lead, t, params, heap, step, owner, mf, mi, md, queues,
                 events, counters)
    mi[m, BUSY] = 0


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def expire_at_horizon(created: np.ndarray, end: np.ndarray, lead_ttl: float, horizon: float,
                      since: np.ndarray, within: float) -> None:
    """At the horizon: attempts planned past ``lead_ttl``, presentations queued past their limit.

    The attempts count as expired (as in des.py), the presentations as lost
    (engines/booked.py).

    Args:
        created: per lead, its creation, minutes from the start.
        end: per lead, the end code (``IN_CHAIN`` becomes ``EXPIRED``, ``AWAITING_PRESENTATION``
            ``LOST_NO_PRESENTATION`` where due).
        lead_ttl: minutes after creation when attempts stop.
        horizon: the horizon, minutes from the start.
        since: per lead, when a presentation still queued was booked (NaN: none).
        within: the presentation's time limit, minutes (inf: none).
    """
    for i in range(created.size):
        if end[i] == IN_CHAIN and created[i] + lead_ttl < horizon:
            end[i] = EXPIRED
        elif end[i] == AWAITING_PRESENTATION and since[i] + within < horizon:
            end[i] = LOST_NO_PRESENTATION
