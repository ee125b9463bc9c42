"""A hint to the processor: bring an array element into cache before it is read.

With 250 managers the leads a manager's next tasks belong to lie anywhere
in tens of megabytes of per-lead arrays, and taking a task waits for its
lead's fields to come from L3 (docs/engines.md, "What the 250-manager runs
pay for, counted").  :func:`prefetch` asks for a line ahead of time (LLVM's
``llvm.prefetch``: an instruction that loads nothing, cannot fault and
changes no value), so that the wait overlaps the work before it
(docs/engines.md, "Prefetching the next tasks' leads").
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch"]

#: The intrinsic's name without its pointer type's suffix (``.p0`` with opaque pointers, ``.p0i8``
#: with typed ones): LLVM's auto-upgrade of old names adds the right one (checked with LLVM 22).
_NAME = "llvm.prefetch"


@intrinsic
def prefetch(typingctx: object, array: types.Type, index: types.Type) -> tuple | None:
    """Ask for the cache line of element ``index`` of ``array`` (flat, in memory order).

    Args:
        typingctx: numba's typing context (numba passes it).
        array: a C-contiguous array of any dimension, or a plain pointer
            (:func:`~simsales.engines.fast.views.unchecked`).
        index: the element's position in memory (row * columns + column for a
            2-D array); any value: out of range it is a hint about memory that is never read.

    Returns:
        Nothing; no value changes.
    """
    pointer = isinstance(array, types.CPointer)
    if not ((pointer or (isinstance(array, types.Array) and array.layout == "C"))
            and isinstance(index, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        data = args[0] if pointer else context.make_array(signature.args[0])(context, builder, args[0]).data
        where = builder.gep(data, [context.cast(builder, args[1], signature.args[1], types.intp)])
        i32 = ir.IntType(32)
        hint = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, i32, i32, i32]), _NAME)
        # read (0), keep in every cache level (3), data cache (1)
        builder.call(hint, [builder.bitcast(where, cgutils.voidptr_t), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen
