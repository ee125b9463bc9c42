"""Keep freed memory in the process for the next replication (glibc only).

Every engine call allocates a few megabytes of per-lead arrays (the draws,
the outcomes, the metrics' intermediates) and frees them when the
replication's metrics are taken.  By default glibc hands freed blocks
above a threshold back to the kernel, so the next replication's arrays
page-fault their memory in again: about 600 faults per fast-engine call
on q3, at about 3 us each on the VM we measured, a tenth of the engine's
time and 8% of a replication's (benchmarks/bench_memory.py).

:func:`keep_freed_memory` asks glibc to serve blocks up to
``MMAP_THRESHOLD_BYTES`` from its heap and to keep up to
``TRIM_THRESHOLD_BYTES`` of freed heap rather than return it.  The setting
is process-wide and changes no number, only where memory comes from; the
processes that run replications call it (:func:`simsales.montecarlo.run_batch`).
Peak memory stays bounded: at most the trim threshold is held beyond what
the process last used.  Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import platform

# mallopt parameters (glibc's malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD_BYTES = 32 << 20  # blocks up to this size come from the heap (bytes)
TRIM_THRESHOLD_BYTES = 256 << 20  # freed heap kept for reuse before any is returned (bytes)


@functools.cache
def keep_freed_memory() -> bool:
    """Apply the setting to this process once.

    Returns:
        Whether it is in effect (False elsewhere than glibc).
    """
    return (_mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
            and _mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))


def _mallopt(parameter: int, value: int) -> bool:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(ctypes.c_int(parameter), ctypes.c_int(value)))
    except (OSError, AttributeError):
        return False
