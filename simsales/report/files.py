"""Writing results to disk (run results, summaries, baselines): atomically, so nothing is ever half-written.

Every file is written to a temporary file in the same folder and renamed
into place; an existing file is replaced only by a complete new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from simsales.analysis.baselines import render
from simsales.montecarlo import RunResult


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Write a file so that it is never seen half-written.

    Args:
        path: the file to write (its folder is created if missing).
        write: writes the content to the temporary path it is given.

    Returns:
        ``path``.

    Raises:
        Exception: whatever ``write`` raises; the temporary file is removed
            and an existing ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
    """
    return {
        "scenario": result.scenario,
        "seed": result.seed,
        "replications": result.replications,
        "engine": result.engine,
        "revenue_plan": result.revenue_plan,
        "plans": result.summary(),
    }


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
        The files written.
    """
    out_dir = Path(out_dir)
    written = []
    for name, plan in result.plans.items():
        frame = plan.metrics
        written.append(atomic_write(out_dir / f"replications_{name}.csv",
                                    lambda tmp, f=frame: f.to_csv(tmp)))
        written.append(atomic_write(out_dir / f"replications_{name}.parquet",
                                    lambda tmp, f=frame: f.to_parquet(tmp)))
    written.append(atomic_write_text(out_dir / "summary.json", to_json(clean(summary_document(result)))))
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
