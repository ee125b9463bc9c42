"""numba's on-disk cache of the fast engine, kept in step with the engine's sources.

numba keys a cached function on its own source file (time stamp and size),
not on the files of the functions it inlines or the constants it reads: after
an edit of ``chain.py``, ``queues.py`` or the contact decay alone, the loops in
``split.py`` and ``loop.py`` would go on loading machine code
compiled from the old rules, silently.  :func:`forget_if_stale` keeps a
fingerprint of the sources that the compiled code is made of next to the
cache, and deletes the engine's cached functions when it changes.  An
installed package is not affected (its files change together); a checkout
being edited is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["FINGERPRINT", "MODULES", "PYTHON_ONLY", "SOURCES", "cache_dirs", "fingerprint",
           "forget_if_stale"]

FAST = Path(__file__).resolve().parent
PACKAGE = FAST.parent.parent
SOURCES: tuple[Path, ...] = (
    *sorted(FAST.glob("*.py")),  # the engine's own modules
    PACKAGE / "engines" / "contract.py",  # the end codes (IN_CHAIN ... OFFER)
    PACKAGE / "engines" / "probation.py",  # the probation rule, compiled into the loops
    PACKAGE / "world" / "contact.py",  # the contact decay, compiled into the loops
    PACKAGE / "scenario" / "units.py",  # MINUTES_PER_DAY
    PACKAGE / "scenario" / "policies.py",  # the routing policies' codes
)
"""Everything the compiled code is made of: the engine's modules and what they inline or read."""
PYTHON_ONLY = frozenset({
    "simsales.engines.booked",  # the cooling's and the time limit's arguments, read in Python
    "simsales.scenario.checks",  # policies.py reads the priority with its "did you mean"
    "simsales.scenario.distributions",  # engine.py draws the per-lead values in Python
    "simsales.scenario",  # the Scenario type, read in Python
    "simsales.scenario.uncertain",
    "simsales.world.arrivals",  # types and arrays the Python preparation reads
    "simsales.world.roster",
    "simsales.world.shifts",  # blocks and routing windows, computed in Python before the loop
    "simsales.world.world",
})
"""Modules the sources import for their Python code alone: an edit there cannot change compiled code."""
MODULES = tuple(sorted(p.stem for p in FAST.glob("*.py") if p.stem != "__init__"))
"""The engine's modules: numba names a cached function's files after its module.

For example ``chain.take-1.py311.nbi``.
"""
FINGERPRINT = "simsales-fast-engine.sha256"
"""The file, next to numba's cache, that holds the digest of the sources it was compiled from."""


def fingerprint(sources: Iterable[Path] = SOURCES) -> str:
    """A digest of the sources' names and contents.

    Args:
        sources: the files (default: :data:`SOURCES`).

    Returns:
        The SHA-256 digest, hex.
    """
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def forget_if_stale(cache_dirs: Iterable[Path], digest: str | None = None) -> list[Path]:
    """Delete the engine's cached functions in ``cache_dirs`` made from other sources.

    Call it before the first call of any compiled engine function (numba
    reads its cache then).  A directory that cannot be written (a read-only
    install) is left as it is.

    Args:
        cache_dirs: numba's cache directories of the engine's functions.
        digest: the current sources' digest (default: :func:`fingerprint`).

    Returns:
        The files deleted.
    """
    digest = digest or fingerprint()
    deleted = []
    for directory in {Path(d) for d in cache_dirs}:
        stamp = directory / FINGERPRINT
        try:
            if stamp.read_text() == digest:
                continue
        except OSError:
            pass
        try:
            for cached in sorted(c for c in directory.glob("*.nb[ic]") if c.name.split(".")[0] in MODULES):
                cached.unlink(missing_ok=True)
                deleted.append(cached)
            directory.mkdir(parents=True, exist_ok=True)
            partial = directory / (FINGERPRINT + ".tmp")
            partial.write_text(digest)
            partial.replace(stamp)
        except OSError:
            continue
    return deleted


def cache_dirs(dispatchers: Iterable[object]) -> list[Path]:
    """Where numba keeps these compiled functions' cache.

    Args:
        dispatchers: numba dispatchers compiled with ``cache=True``.

    Returns:
        Their cache directories (those numba reports).
    """
    found = []
    for dispatcher in dispatchers:
        cache = getattr(dispatcher, "_cache", None)
        path = getattr(cache, "_cache_path", None)
        if path:
            found.append(Path(path))
    return found
