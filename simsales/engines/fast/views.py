"""The loops' arrays without reference counts: views and plain pointers (compiled).

numba counts the references to every array it passes to a function it
calls, two atomic updates per array argument and call; in the fast
engine's loops that took most of the time.  The loops' arrays all outlive
the compiled call (their Python caller allocates them), so the loops work
on views that carry no count (:func:`borrowed`) and on plain pointers
(:func:`unchecked`); and the functions on the per-event path that
allocate nothing are compiled without numba's reference counting at all
(``_nrt=False``), which leaves out even the calls on those views.  Such a
function may only call functions that allocate nothing either: numba
compiles the callees it has not compiled yet without reference counting
too (``loop.run_loop`` keeps its counts because ``dispatch.reassign``
allocates; with the callees already in numba's cache the mistake would
not show).
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import intrinsic

from simsales.engines.fast.inner import inner

__all__ = ["borrowed", "unchecked", "views"]


@intrinsic
def borrowed(typingctx: object, array: types.Type) -> tuple | None:
    """A view of ``array`` that is not reference-counted (no meminfo).

    Only for arrays that outlive the compiled call using the view: the
    loop's arrays are all allocated by its Python caller.

    Args:
        typingctx: numba's typing context (numba passes it).
        array: any numba array.

    Returns:
        The view (same type), for compiled callers.
    """
    if not isinstance(array, types.Array):
        return None

    def codegen(context, builder, signature, args):
        source = context.make_array(signature.args[0])(context, builder, args[0])
        view = context.make_array(signature.return_type)(context, builder)
        context.populate_array(view, data=source.data, shape=source.shape, strides=source.strides,
                               itemsize=source.itemsize, meminfo=None)
        return view._getvalue()

    return array(array), codegen


@intrinsic
def unchecked(typingctx: object, array: types.Type) -> tuple | None:
    """The data pointer of a contiguous 1-D array, to index without numba's negative-index fix-up.

    (With the fix-up, ``a[-1]`` is the last element.)  The loop never uses
    negative indices, and that fix-up on every access took about a tenth of
    its time.  Only for arrays that outlive the compiled call using the
    pointer, like :func:`borrowed`.

    Args:
        typingctx: numba's typing context (numba passes it).
        array: a C-contiguous 1-D array of integers or floats.

    Returns:
        A pointer to its first element, for compiled callers.
    """
    if not (isinstance(array, types.Array) and array.ndim == 1 and array.layout == "C"
            and isinstance(array.dtype, (types.Integer, types.Float))):
        return None

    def codegen(context, builder, signature, args):
        return context.make_array(signature.args[0])(context, builder, args[0]).data

    return types.CPointer(array.dtype)(array), codegen


@inner(error_model="numpy", inline="always")
def views(leads: tuple, out: tuple, roster: tuple, chain: tuple, routing: tuple, params: np.ndarray,
          state: tuple) -> tuple:
    """The loops' arguments (see loop.run_loop) as views without reference counting.

    Per-lead arrays the loops index by lead become plain pointers
    (:func:`unchecked`), the rest :func:`borrowed` views.

    Args:
        leads: ``(lf, target, step, since)``.
        out: the ten ``Outcomes`` arrays the loops fill.
        roster: ``(md, leavers, leave_at, probation, handover)``, probation ``(decisions, pf,
            standby, fired)``, handover ``(t, manager, until)``.
        chain: ``(steps, decay_table)``.
        routing: ``(rf, ri, new_count, pick_w, pick_i)``.
        params: the scalars.
        state: ``(mf, mi, hd, hk, hn, et, es, order, counters)``.

    Returns:
        ``(leads, out, (md, leavers, leave_at, probation, handover), chain, routing, params,
        (mf, mi, queues, events, counters))``.
    """
    return ((borrowed(leads[0]), borrowed(leads[1]), unchecked(leads[2]), unchecked(leads[3])),
            (unchecked(out[0]), unchecked(out[1]), unchecked(out[2]), unchecked(out[3]),
             unchecked(out[4]), unchecked(out[5]), unchecked(out[6]), unchecked(out[7]),
             unchecked(out[8]), unchecked(out[9])),
            (borrowed(roster[0]), borrowed(roster[1]), borrowed(roster[2]),
             (borrowed(roster[3][0]), borrowed(roster[3][1]), borrowed(roster[3][2]),
              borrowed(roster[3][3])),
             (borrowed(roster[4][0]), borrowed(roster[4][1]), borrowed(roster[4][2]))),
            (borrowed(chain[0]), borrowed(chain[1])),
            (borrowed(routing[0]), borrowed(routing[1]), borrowed(routing[2]), borrowed(routing[3]),
             borrowed(routing[4])),
            borrowed(params),
            (borrowed(state[0]), borrowed(state[1]),
             (borrowed(state[2]), borrowed(state[3]), borrowed(state[4])),
             (borrowed(state[5]), borrowed(state[6]), borrowed(state[7])),
             borrowed(state[8])))
