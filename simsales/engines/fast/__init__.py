"""The compiled engine: the same answers as the SimPy reference, over 200 times faster.

Modules, from the top: ``engine`` (:func:`simulate`: the preparation
around the loops), ``split`` and ``loop`` (the two loops: when things
happen), ``chain`` (the touch chain and the calls: what a manager does
with a task), ``dispatch`` (tasks to managers, managers to moments),
``routing`` (who gets a lead), ``probation`` (the decision at the end of
a hire's probation, :mod:`simsales.engines.probation`'s rule), ``queues`` (task lists, the event heap,
counter-based uniforms), ``tables`` (the columns of the loops' tables) and
``cache`` (numba's on-disk cache kept in step with these sources) and
``codegen`` (LLVM's machine-code settings, applied here before anything
compiles).  The contact decay is :func:`simsales.world.contact.decay`, the
reference engine's own.
"""

from simsales.engines.fast.codegen import keep_conditional_moves

keep_conditional_moves()

from simsales.engines.fast.engine import simulate  # noqa: E402  (after the setting above)

__all__ = ["simulate"]
