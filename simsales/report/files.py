"""Writing results to disk: atomically, so nothing is ever half-written.

Every file is written to a temporary file in the same folder and renamed
into place; an existing file is replaced only by a complete new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from simsales.montecarlo.runner import RunResult


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then rename ``tmp_path`` to ``path``."""
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
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def summary_document(result: RunResult) -> dict:
    """The JSON summary: ``{"scenario", "seed", "replications", "engine", "plans"}``."""
    return {
        "scenario": result.scenario,
        "seed": result.seed,
        "replications": result.replications,
        "engine": result.engine,
        "revenue_plan": result.revenue_plan,
        "plans": result.summary(),
    }


def to_json(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=False, allow_nan=False) + "\n"


def write_run(result: RunResult, out_dir: str | Path) -> list[Path]:
    """Per-replication results (CSV and Parquet per plan) and summary.json."""
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
    """Replace NaN and infinities by None so the JSON is valid."""
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None
    return obj
