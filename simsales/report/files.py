"""Writing results to disk (run results, summaries, baselines): atomically, so nothing is ever half-written.

Every file is written to a temporary file in the same folder and renamed
into place; an existing file is replaced only by a complete new one.  A
temporary file is removed when its write fails or is interrupted (Ctrl-C);
one left by a killed process (``kill -9``, a power cut) is hidden
(``.NAME.PID.XXXX.tmp``) and removed by the next write of ``NAME`` once
process PID is gone.  The process keeps a list of the files it finished
(:func:`written`), so an interrupted command can say what it kept.

The files of one output (a run's ``--out`` files, a report's page, charts
and workbook, ...) are written inside :func:`together`: each goes to its
temporary file, and all are renamed into place at the end, Ctrl-C held
back meanwhile.  An interrupted write leaves the previous output as it
was, never a mix of its files and the new ones.

Before a run that will write files, :func:`write_problem` says whether a
folder can be written and has room for them (:func:`run_files_bytes`,
:data:`REPORT_BYTES`).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from simsales.analysis.baselines import render
from simsales.montecarlo import RunResult
from simsales.montecarlo.interrupt import held_back

REPORT_BYTES = 8 << 20
"""Room a report takes (report.html, charts, report.xlsx), bytes: q3's is about 2 MB; four times that."""
RUN_BYTES_PER_REPLICATION = 2048
"""Room one plan's replication takes in ``--out`` (a CSV row and a Parquet row, about 850 bytes), bytes."""
MIN_FREE_BYTES = 16 << 20
"""Room left free on top of an estimate, bytes."""

_written: list[Path] = []
_pending: list[tuple[Path, Path]] | None = None
"""Inside :func:`together`: the (temporary file, file) pairs written so far, renamed into place at its end."""


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Write a file so that it is never seen half-written.

    Args:
        path: the file to write (its folder is created if missing).
        write: writes the content to the temporary path it is given.

    Inside :func:`together` the file is renamed into place when the block
    ends, with the block's other files.

    Returns:
        ``path``.

    Raises:
        Exception: whatever ``write`` raises; the temporary file is removed
            and an existing ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        if _pending is not None:
            _pending.append((Path(tmp), path))
            return path
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _written.append(path)
    return path


@contextlib.contextmanager
def together() -> Iterator[None]:
    """Write the files of one output all or none: :func:`atomic_write` in the block renames at its end.

    Each file goes to its temporary file as before; when the block ends the
    temporary files are renamed into place one after the other, Ctrl-C held
    back meanwhile (a few microseconds a file).  When the block raises
    (Ctrl-C, an error), every temporary file is removed and no file of the
    output is replaced.  A block inside another joins it.

    Yields:
        None.
    """
    global _pending
    if _pending is not None:  # joins the enclosing output
        yield
        return
    _pending = pending = []
    try:
        yield
        with held_back():
            _pending = None
            for tmp, path in pending:
                os.replace(tmp, path)
                _written.append(path)
    except BaseException:  # the temporary files not renamed yet (a renamed one is gone: nothing to do)
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        _pending = None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_stale_temporaries(path: Path) -> None:
    """Remove ``path``'s temporary files left by processes that no longer run (killed mid-write)."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = stale.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            stale.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (a recycled pid counts: the file is then kept)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def read_written(path: str | Path) -> bytes:
    """The content of a file, also one written in a :func:`together` block not yet renamed into place.

    Args:
        path: the file.

    Returns:
        Its bytes: those of its temporary file while the block runs.
    """
    path = Path(path)
    waiting = [tmp for tmp, final in _pending or () if final == path]
    return (waiting[-1] if waiting else path).read_bytes()


def written() -> list[Path]:
    """The files this process has written so far, in order (each one complete).

    Returns:
        A copy of the list.
    """
    return list(_written)


def forget_written() -> None:
    """Start a new list of written files (a command starts)."""
    _written.clear()


def run_files_bytes(plans: int, replications: int) -> int:
    """Room the files of ``--out`` take (per-replication CSV and Parquet per plan, summary.json).

    Args:
        plans: plans run.
        replications: replications per plan.

    Returns:
        Bytes, with a margin (about twice what q3 writes).
    """
    return plans * replications * RUN_BYTES_PER_REPLICATION + plans * (64 << 10)


def write_problem(folder: str | Path, need_bytes: int = 0) -> str | None:
    """Why files cannot be written into ``folder``, checked before anything runs.

    The folder need not exist yet: its nearest existing parent must be a
    folder in which a file can be created (one is created and removed), and
    the disk must have ``need_bytes`` free plus :data:`MIN_FREE_BYTES`.

    Args:
        folder: where files will go.
        need_bytes: what they will take, in bytes (an estimate).

    Returns:
        The problem, or None when the folder looks writable.
    """
    folder = Path(folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} exists and is not a folder"
    try:
        fd, probe = tempfile.mkstemp(prefix=".simsales-probe.", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"cannot create a file in {existing}: {exc.strerror or exc}"
    free = shutil.disk_usage(existing).free
    if free < need_bytes + MIN_FREE_BYTES:
        return (f"only {_mb(free)} free on the disk of {existing}, and the output needs about "
                f"{_mb(need_bytes + MIN_FREE_BYTES)}: free some space or write elsewhere")
    return None


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 2**10:,.0f} kB"


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, as :func:`atomic_write` does.

    Args:
        path: the file to write.
        text: its content.

    Returns:
        ``path``.
    """
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def summary_document(result: RunResult) -> dict:
    """The JSON summary of a run.

    Args:
        result: the run.

    Returns:
        ``{"scenario", "seed", "replications", "engine", "revenue_plan", "plans"}``;
        ``plans`` maps each plan to its metrics' mean, P10, P50, P90 and ``p_plan``.
        With a month-by-month revenue plan, also ``revenue_plan_months`` (month ->
        target) and ``p_plan_on``: the months ``p_plan`` is measured on (those
        with a target; every month of the horizon when none is left out).
    """
    document = {
        "scenario": result.scenario,
        "seed": result.seed,
        "replications": result.replications,
        "engine": result.engine,
        "revenue_plan": result.revenue_plan,
        "plans": result.summary(),
    }
    target = result.revenue_target
    if target.months:
        document |= {"revenue_plan_months": dict(target.months), "p_plan_on": target.targeted}
    return document


def to_json(document: dict) -> str:
    """A document as indented JSON, ending in a newline (NaN is refused: :func:`clean` it first).

    Args:
        document: a JSON-ready mapping.

    Returns:
        The text.
    """
    return json.dumps(document, indent=2, sort_keys=False, allow_nan=False) + "\n"


def write_run(result: RunResult, out_dir: str | Path) -> list[Path]:
    """Write a run's per-replication results (CSV and Parquet per plan) and summary.json.

    Args:
        result: the run.
        out_dir: the folder to write into (created if missing).

    Returns:
        The files written (all of them, or none when interrupted: :func:`together`).
    """
    out_dir = Path(out_dir)
    written = []
    with together():  # all or none: never this run's CSV beside an earlier run's summary.json
        for name, plan in result.plans.items():
            frame = plan.metrics
            written.append(atomic_write(out_dir / f"replications_{name}.csv",
                                        lambda tmp, f=frame: f.to_csv(tmp)))
            written.append(atomic_write(out_dir / f"replications_{name}.parquet",
                                        lambda tmp, f=frame: f.to_parquet(tmp)))
        written.append(atomic_write_text(out_dir / "summary.json",
                                         to_json(clean(summary_document(result)))))
    return written


def clean(obj: object) -> object:
    """Replace NaN and infinities by None so the JSON is valid.

    Args:
        obj: a document of dicts, lists, tuples and plain values.

    Returns:
        A copy with every non-finite float as None (tuples become lists).
    """
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None
    return obj


def write_baseline(path: str | Path, document: dict) -> Path:
    """Write a baseline document atomically, in its file format (:func:`~simsales.analysis.baselines.render`).

    Args:
        path: the baseline file.
        document: a :func:`~simsales.analysis.baselines.baseline_document`.

    Returns:
        ``path``.
    """
    return atomic_write_text(path, render(document))
