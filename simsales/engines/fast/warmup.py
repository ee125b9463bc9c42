"""Is the fast engine's machine code ready, or will its first call compile it?

numba compiles the engine's loop on its first call in a process and keeps
the machine code in its on-disk cache (``__pycache__`` next to the
sources, or ``NUMBA_CACHE_DIR``); later processes load it in a fraction
of a second.  The first run after an install (or after an edit of the
engine, :mod:`simsales.engines.fast.cache`) compiles: about
:data:`COMPILE_SECONDS` per loop, on one core.  Only the loop a scenario's
routing policy needs is compiled (:func:`loops_for`).

:func:`compile_seconds` tells a caller, before the call, whether that
will happen and about how long it takes, so it can say so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import simsales.engines.fast.loop as fast_loop
import simsales.engines.fast.split as fast_split
from simsales.engines.fast.engine import SPLIT_POLICIES

__all__ = ["COMPILE_SECONDS", "compile_seconds", "is_ready", "loops_for"]

COMPILE_SECONDS = {"run_split": 43, "run_loop": 23}
"""Time numba takes to compile each loop with what it calls, seconds of one core (a 2-core VM, 2026).

Measured in a fresh process with an empty ``NUMBA_CACHE_DIR`` on 2026-11-30
(the first call on q3's first world; ``benchmarks/bench_engines.py --only
compile``): 43.1 s for ``run_split``, 22.6 s for ``run_loop``, after the
per-event functions that allocate nothing were compiled without numba's
reference counting (52.5 s and 26.8 s before).  Most of it is numba's
inliner (``inline="always"``) and type inference over the inlined helpers,
the rest LLVM.  With the small leaves inlined too it was 115 s and 50 s;
before the rarely run parts were compiled as calls
(:mod:`simsales.engines.fast.queues`), about 6 minutes for both; before the
hand-over, booked work and pipeline entries, 39 s and 25 s.  (``take`` and
``done`` compiled as calls too: 30 s, and the engine 45% slower.)
"""


def loops_for(policies: Iterable[str]) -> list[Any]:
    """The compiled loops runs under these routing policies call.

    Args:
        policies: routing policy names.

    Returns:
        numba dispatchers: ``run_split`` for policies that never look at
        the queues, ``run_loop`` for the others (each at most once).
    """
    chosen = {fast_split.run_split if p in SPLIT_POLICIES else fast_loop.run_loop for p in policies}
    return sorted(chosen, key=lambda d: d.__name__)


def is_ready(loop: Any) -> bool:
    """Whether a loop's first call in this process is quick (no compilation).

    Args:
        loop: a numba dispatcher compiled with ``cache=True``.

    Returns:
        True when this process holds its machine code, or numba's cache has
        an entry for this machine that is not stale; True too when numba's
        cache cannot be inspected (its internals changed): nothing is said
        then rather than something wrong.
    """
    if loop.signatures:
        return True
    try:
        index = loop._cache._cache_file._load_index()  # numba's own check: version, source stamp
        magic = loop.targetctx.codegen().magic_tuple()  # this machine's target (CPU, features)
    except Exception:
        return True
    return any(key[1] == magic for key in index)


def compile_seconds(policies: Iterable[str]) -> int:
    """About how long the first fast-engine run under these policies will compile, here and now.

    Args:
        policies: the routing policies of the run's scenarios.

    Returns:
        Seconds (0 when every loop they need is ready: :func:`is_ready`).
    """
    return sum(COMPILE_SECONDS[loop.__name__] for loop in loops_for(policies) if not is_ready(loop))
