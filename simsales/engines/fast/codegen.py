"""How LLVM turns the compiled engine into machine code: conditional moves kept as they are.

LLVM's x86 back end turns a conditional move (``cmov``) into a branch when it guesses
that the branch predictor will do better (its "cmov conversion", done in loops).
The engine's conditions are mostly on simulated data, such as a routing draw against
cumulative weights or a due time against another. For them the guess is wrong:
- the bisection of the weighted routing;
- the merge of a manager's arrivals with their own events;
- the ``min`` and ``max`` of the time split.
Each mispredicted branch costs about 15 cycles. With the conversion off, q3's engine
ran 3-4% faster, and the 250-manager team 4-8% faster, in three rounds alternating with
the conversion on (docs/engines.md, "Conditional moves").

The setting changes no number: a conditional move and a branch compute the same
values. It is an LLVM command-line option, so it holds for the whole process, for
every function numba compiles after it, as numba's own SVML option does. It is set
only on x86-64, the one back end that has it; elsewhere LLVM would stop the process
on an option it does not know.
"""

from __future__ import annotations

import platform

import llvmlite.binding as llvm

__all__ = ["CMOV_OPTION", "keep_conditional_moves"]

CMOV_OPTION = "-x86-cmov-converter=false"
"""LLVM's option that leaves x86 conditional moves as they are."""

_X86_64 = {"x86_64", "amd64"}


def keep_conditional_moves(machine: str | None = None) -> bool:
    """Turn LLVM's cmov conversion off for this process, on x86-64 only.

    Call it before numba compiles the engine's loops. Code loaded from numba's on-disk
    cache keeps whatever it was compiled with.

    Args:
        machine: the processor architecture (default: ``platform.machine()``).

    Returns:
        Whether the option was set.
    """
    if (machine or platform.machine()).lower() not in _X86_64:
        return False
    llvm.set_option("simsales", CMOV_OPTION)
    return True
