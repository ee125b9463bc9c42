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

COMPILE_SECONDS = {"run_split": 13, "run_loop": 12}
"""Wall time of each loop's first compile with what it calls, seconds (a 2-core VM, 2026).

Measured in a fresh process with an empty ``NUMBA_CACHE_DIR`` on 2026-11-30:
``run_split`` 12.6 s (``montecarlo.warmup.warm_up``: its callees compiled in
two processes at once, :mod:`simsales.engines.fast.ahead`; 16.4 s in one,
``benchmarks/bench_engines.py --only compile``), ``run_loop`` 12.0 s in one
process (15.0 s before its counter stopped starting as the literal 0, for
which numba compiled ``arrive`` and ``give`` a second time).  The
per-event helpers are compiled each on its own and inlined by LLVM
(``forceinline``); with numba's own inliner (``inline="always"``), which
types the whole caller again for every call it inlines, it was 42-43 s and
22-23 s, and before the small leaves were compiled as calls 115 s and 50 s
(docs/engines.md, "Compile time").
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
