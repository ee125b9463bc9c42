"""numba's on-disk cache of the fast engine, kept in step with the engine's sources.

numba keys a cached function on its own source file (time stamp and size),
not on the files of the functions it inlines or the constants it reads: after
an edit of ``rules.py`` or ``queues.py`` alone, the loops in
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

FAST = Path(__file__).resolve().parent
WORLD = FAST.parent.parent / "world"
# Everything the compiled code is made of: the engine's modules and the constants they import.
SOURCES = (*sorted(FAST.glob("*.py")), WORLD / "world.py", WORLD / "calendar.py")
# numba names a cached function's files after its module: "rules.route-140.py311.nbi".
MODULES = tuple(sorted(p.stem for p in FAST.glob("*.py") if p.stem != "__init__"))
FINGERPRINT = "simsales-fast-engine.sha256"


def fingerprint(sources: Iterable[Path] = SOURCES) -> str:
    """A digest of the sources' contents (hex)."""
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def forget_if_stale(cache_dirs: Iterable[Path], digest: str | None = None) -> list[Path]:
    """Delete the engine's cached functions in ``cache_dirs`` made from other sources.

    Call it before the first call of any compiled engine function (numba
    reads its cache then).  Returns the files deleted.  A directory that
    cannot be written (a read-only install) is left as it is.
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
    """Where numba keeps these compiled functions' cache (``cache=True`` dispatchers)."""
    found = []
    for dispatcher in dispatchers:
        cache = getattr(dispatcher, "_cache", None)
        path = getattr(cache, "_cache_path", None)
        if path:
            found.append(Path(path))
    return found
