"""Baselines: what a run recorded for later regression checks, and reading it back.

A *baseline* is a JSON document holding how a run was made (simsales
version, scenario name and a SHA-256 of the scenario file, seed,
replications, engine), per-plan summary statistics and the per-replication
value of every metric.  Values are rounded to :data:`DIGITS` significant
digits, so a rerun rounded the same way reproduces them exactly while
last-bit noise across machines does not show.  :func:`render` is the file's
text (one metric per line, so a diff reads metric by metric);
:func:`simsales.report.files.write_baseline` writes it.  What counts as a
move is :mod:`simsales.analysis.regression`.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simsales import __version__
from simsales.montecarlo import RunResult, summarise
from simsales.scenario.loader import InputError

FORMAT = 1
"""The version of the baseline document; :func:`load_baseline` reads only this one."""

DIGITS = 10
"""Significant digits a baseline keeps of every value."""


def exact(value: float | None) -> int | float | None:
    """A value as a baseline stores it.

    Args:
        value: any number, or None.

    Returns:
        None for None, NaN and infinities; an int for a whole number; else
        the value rounded to :data:`DIGITS` significant digits.
    """
    if value is None:
        return None
    x = float(value)
    if not math.isfinite(x):
        return None
    if x.is_integer() and abs(x) < 2**53:
        return int(x)
    return float(f"{x:.{DIGITS}g}")


def scenario_digest(path: str | Path) -> str:
    """SHA-256 of a scenario file's text, line endings normalised (a CRLF checkout is the same file).

    Args:
        path: the scenario file.

    Returns:
        The hex digest.
    """
    text = Path(path).read_bytes().replace(b"\r\n", b"\n")
    return hashlib.sha256(text).hexdigest()


def _rounded(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return exact(obj) if isinstance(obj, int | float) else obj


def baseline_document(result: RunResult, scenario_file: str | Path) -> dict:
    """The baseline of a run.

    Args:
        result: the run.
        scenario_file: the scenario file that made it (hashed, not re-read).

    Returns:
        The document: ``format``, ``simsales``, ``scenario`` (name, file,
        sha256), ``seed``, ``replications``, ``engine``, ``revenue_plan``
        (currency) and ``plans`` (per plan: ``summary`` and the per-metric
        ``replications``), values as :func:`exact` stores them.
    """
    plans = {}
    for name, plan in result.plans.items():
        plans[name] = {
            "summary": _rounded(summarise(plan.metrics, result.revenue_plan)),
            "replications": {metric: [exact(v) for v in plan.metrics[metric]]
                             for metric in plan.metrics.columns},
        }
    return {
        "format": FORMAT,
        "simsales": __version__,
        "scenario": {"name": result.scenario, "file": Path(scenario_file).as_posix(),
                     "sha256": scenario_digest(scenario_file)},
        "seed": result.seed,
        "replications": result.replications,
        "engine": result.engine,
        "revenue_plan": exact(result.revenue_plan),
        "plans": plans,
    }


def render(document: dict) -> str:
    """The baseline file's text: JSON with sorted keys, one leaf per line.

    A leaf is a list, or a mapping of plain values, so every metric's
    replications, and every metric's summary, sit on one line and a diff
    of two baselines reads metric by metric.

    Args:
        document: a :func:`baseline_document`.

    Returns:
        The JSON text, ending in a newline.
    """
    def leaf(value: Any) -> bool:
        return not isinstance(value, dict) or not any(isinstance(v, dict | list) for v in value.values())

    def emit(value: Any, depth: int) -> str:
        if leaf(value):
            return json.dumps(value, sort_keys=True, allow_nan=False, separators=(", ", ": "))
        pad = "  " * (depth + 1)
        items = [f"{pad}{json.dumps(k)}: {emit(v, depth + 1)}" for k, v in sorted(value.items())]
        return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"

    return emit(document, 0) + "\n"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioRef(_Model):
    """The scenario a baseline was made from: its name, file and the file's SHA-256."""

    name: str
    file: str
    sha256: str


class PlanBaseline(_Model):
    """One plan of a baseline: summary statistics and per-replication values by metric."""

    summary: dict[str, Any]
    replications: dict[str, list[float | None]]

    def values(self, metric: str) -> np.ndarray:
        """Per-replication values of one metric.

        Args:
            metric: a metric name.

        Returns:
            One float per replication, NaN where the metric is undefined.
        """
        return np.array([np.nan if v is None else v for v in self.replications[metric]], dtype=float)


class Baseline(_Model):
    """A baseline document, validated (see :func:`baseline_document` for the fields)."""

    format: Literal[1]
    simsales: str
    scenario: ScenarioRef
    seed: int
    replications: int = Field(ge=1)
    engine: str
    revenue_plan: float
    plans: dict[str, PlanBaseline]

    @model_validator(mode="after")
    def _lengths(self) -> Baseline:
        for name, plan in self.plans.items():
            for metric, values in plan.replications.items():
                if len(values) != self.replications:
                    raise ValueError(f"plans.{name}.replications.{metric} has {len(values)} values, "
                                     f"expected {self.replications}")
        return self


def load_baseline(path: str | Path) -> Baseline:
    """Read and validate a baseline file.

    Args:
        path: the JSON file.

    Returns:
        The validated baseline.

    Raises:
        InputError: the file is missing, unreadable, not JSON, of another
            format, or not a valid baseline (the CLI exits with status 2).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), f"no such baseline; create it with "
                                    f"`simsales baseline SCENARIO -o {path}`") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not valid JSON ({exc.msg}); the baseline is corrupt, "
                                    "recreate it with `simsales baseline`", line=exc.lineno) from None
    if not isinstance(data, dict) or "plans" not in data or "scenario" not in data:
        raise InputError(str(path), "not a simsales baseline (no 'scenario' and 'plans')")
    if data.get("format") != FORMAT:
        raise InputError(str(path), f"baseline format {data.get('format')!r} is not supported by "
                                    f"simsales {__version__} (expected {FORMAT})", field="format")
    try:
        return Baseline.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise InputError(str(path), f"corrupt baseline: {error['msg'].removeprefix('Value error, ')}",
                         field=where) from None


def check_same_scenario(baseline: Baseline, scenario_name: str, path: str | Path) -> None:
    """Refuse a baseline made from another scenario: that is bad input, not a regression.

    Args:
        baseline: the loaded baseline.
        scenario_name: the ``name`` of the scenario being checked.
        path: the baseline file, for the message.

    Raises:
        InputError: the baseline's scenario has another name.
    """
    if baseline.scenario.name != scenario_name:
        raise InputError(str(path), f"this baseline is for scenario {baseline.scenario.name!r} "
                                    f"({baseline.scenario.file}), not {scenario_name!r}; pass the "
                                    "right --baseline, or if the scenario was renamed, remake it "
                                    "with `simsales baseline`", field="scenario.name")
