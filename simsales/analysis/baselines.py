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
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simsales import __version__
from simsales.montecarlo import RunResult
from simsales.scenario.fields import at_most
from simsales.scenario.limits import MAX_REPLICATIONS
from simsales.scenario.loader import InputError
from simsales.scenario.schema import PipelineSource

FORMAT = 1
"""The version of the baseline document; :func:`load_baseline` reads only this one."""

DIGITS = 10
"""Significant digits a baseline keeps of every value."""

RECREATE = "recreate it with `simsales baseline`"
"""What to do about a corrupt baseline (the end of every such error)."""

_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


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


def pipeline_digest(source: PipelineSource | None) -> str | None:
    """SHA-256 of the CRM export a scenario's run starts from (``pipeline:``), and of its mapping file.

    A run from an open pipeline reads the export's files as well as the
    scenario file, so a refreshed export changes the forecast of an
    unchanged scenario file.  Every file under the export's folder counts
    (by its path in the folder and its text, line endings normalised as in
    :func:`scenario_digest`), whether the reader uses it or not: a file
    that is not read only costs an exact comparison, never hides a change.

    Args:
        source: the scenario's pipeline, its paths absolute (as
            :func:`simsales.cli.common.load` leaves them); None: no pipeline.

    Returns:
        The hex digest, or None without a pipeline.
    """
    if source is None:
        return None
    digest = hashlib.sha256()
    folder = Path(source.dir)
    files = [(f"export/{f.relative_to(folder).as_posix()}", f)
             for f in sorted(folder.rglob("*")) if f.is_file()]
    if source.mapping is not None:
        files.append(("mapping", Path(source.mapping)))
    for name, path in files:
        text = path.read_bytes().replace(b"\r\n", b"\n")
        digest.update(f"{name}\0{len(text)}\0".encode())
        digest.update(text)
    return digest.hexdigest()


def _rounded(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return exact(obj) if isinstance(obj, int | float) else obj


def baseline_document(result: RunResult, scenario_file: str | Path,
                      pipeline: PipelineSource | None = None) -> dict:
    """The baseline of a run.

    Args:
        result: the run.
        scenario_file: the scenario file that made it (hashed, not re-read).
        pipeline: the CRM export the run started from (hashed; None: none).

    Returns:
        The document: ``format``, ``simsales``, ``scenario`` (name, file,
        sha256, and with a pipeline ``pipeline_sha256``: :func:`pipeline_digest`),
        ``seed``, ``replications``, ``engine``, ``revenue_plan``
        (currency) and ``plans`` (per plan: ``summary``, as the run's
        :meth:`~simsales.montecarlo.RunResult.summary`, and the per-metric
        ``replications``), values as :func:`exact` stores them.
    """
    plans = {}
    summary = result.summary()  # p_plan as the run reports it (RunResult.revenue_target)
    for name, plan in result.plans.items():
        plans[name] = {
            "summary": _rounded(summary[name]),
            "replications": {metric: [exact(v) for v in plan.metrics[metric]]
                             for metric in plan.metrics.columns},
        }
    scenario = {"name": result.scenario, "file": Path(scenario_file).as_posix(),
                "sha256": scenario_digest(scenario_file)}
    if pipeline is not None:
        scenario["pipeline_sha256"] = pipeline_digest(pipeline)
    return {
        "format": FORMAT,
        "simsales": __version__,
        "scenario": scenario,
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
    """The scenario a baseline was made from: name, file, SHA-256 of the file and of its pipeline, if any."""

    name: str
    file: str
    sha256: str
    pipeline_sha256: str | None = None


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
    replications: Annotated[int, Field(ge=1), at_most(MAX_REPLICATIONS)]
    engine: str
    revenue_plan: float
    plans: dict[str, PlanBaseline]

    @field_validator("plans")
    @classmethod
    def _some_plan(cls, plans: dict[str, PlanBaseline]) -> dict[str, PlanBaseline]:
        if not plans:
            raise ValueError("no plan recorded (a baseline holds every plan of its run)")
        return plans

    @model_validator(mode="after")
    def _lengths(self) -> Baseline:
        for name, plan in self.plans.items():
            for metric, values in plan.replications.items():
                if len(values) != self.replications:
                    raise ValueError(f"plans.{name}.replications.{metric} has {len(values)} values, "
                                     f"expected {self.replications}")
        return self


class _NotFinite:
    """A ``NaN`` or ``Infinity`` read from a baseline's JSON (a baseline stores them as null)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _first_not_finite(obj: Any, path: str = "") -> tuple[str, str] | None:
    """The field path and text of the first ``NaN``/``Infinity`` in a parsed document, or None."""
    if isinstance(obj, _NotFinite):
        return path, obj.text
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in items:
        sub = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
        found = _first_not_finite(value, sub)
        if found is not None:
            return found
    return None


def structure_problem(baseline: Baseline) -> tuple[str, str] | None:
    """What makes a validated baseline document inconsistent, as a baseline file cannot be.

    :func:`baseline_document` records every plan of a run with the same
    metrics, each named as :data:`simsales.montecarlo.metrics.METRICS` names
    them; a file whose plans record different metrics (or none), or a metric
    name that no version of simsales writes, was damaged.

    Args:
        baseline: the validated document.

    Returns:
        ``(field, message)`` for the first problem, or None.
    """
    recorded = set().union(*(plan.replications for plan in baseline.plans.values()))
    for name, plan in baseline.plans.items():
        metrics = set(plan.replications)
        where = f"plans.{name}.replications"
        if not metrics:
            return where, "no metric recorded"
        odd = sorted(m for m in metrics if not _METRIC_NAME.match(m))
        if odd:
            return f"{where}.{odd[0]}", f"{odd[0]!r} is not a metric name"
        if metrics != recorded:
            missing = sorted(recorded - metrics)
            return where, (f"the plans record different metrics: plan {name!r} lacks {', '.join(missing)}, "
                           "which other plans record")
    return None


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
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_NotFinite)
    except FileNotFoundError:
        raise InputError(str(path), f"no such baseline; create it with "
                                    f"`simsales baseline SCENARIO -o {path}`") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not valid JSON ({exc.msg}); the baseline is corrupt, {RECREATE}",
                         line=exc.lineno) from None
    except RecursionError:
        raise InputError(str(path), f"JSON nested too deeply to read; the baseline is corrupt, "
                                    f"{RECREATE}") from None
    not_finite = _first_not_finite(data)
    if not_finite is not None:
        raise InputError(str(path), f"corrupt baseline: {not_finite[1]} is not a value a baseline stores (it "
                                    f"writes a value that is not a finite number as null); {RECREATE}",
                         field=not_finite[0])
    if not isinstance(data, dict) or "plans" not in data or "scenario" not in data:
        raise InputError(str(path), "not a simsales baseline (no 'scenario' and 'plans')")
    if data.get("format") != FORMAT:
        raise InputError(str(path), f"baseline format {data.get('format')!r} is not supported by "
                                    f"simsales {__version__} (expected {FORMAT})", field="format")
    try:
        baseline = Baseline.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise InputError(str(path), f"corrupt baseline: {error['msg'].removeprefix('Value error, ')}; "
                                    f"{RECREATE}", field=where) from None
    problem = structure_problem(baseline)
    if problem is not None:
        raise InputError(str(path), f"corrupt baseline: {problem[1]}; {RECREATE}", field=problem[0])
    return baseline


def check_same_scenario(baseline: Baseline, scenario_name: str, path: str | Path,
                        plans: Sequence[str] | None = None, digest: str | None = None) -> None:
    """Refuse a baseline made from another scenario: that is bad input, not a regression.

    With the scenario's plans and its file's digest, a baseline made from
    this very file (the same SHA-256) must hold exactly its plans: one that
    lacks some, or holds others, was damaged (a plan added or removed shows
    only when the file was edited).

    Args:
        baseline: the loaded baseline.
        scenario_name: the ``name`` of the scenario being checked.
        path: the baseline file, for the message.
        plans: the scenario's plan names (None: not checked).
        digest: :func:`scenario_digest` of the scenario file (None: not checked).

    Raises:
        InputError: the baseline's scenario has another name, or it was made
            from this file and its plans are not the file's.
    """
    if baseline.scenario.name != scenario_name:
        raise InputError(str(path), f"this baseline is for scenario {baseline.scenario.name!r} "
                                    f"({baseline.scenario.file}), not {scenario_name!r}; pass the "
                                    "right --baseline, or if the scenario was renamed, remake it "
                                    "with `simsales baseline`", field="scenario.name")
    if plans is None or digest is None or digest != baseline.scenario.sha256:
        return
    missing = [p for p in plans if p not in baseline.plans]
    extra = [p for p in baseline.plans if p not in plans]
    if missing or extra:
        said = "; ".join(part for part in (
            f"no plan {', '.join(map(repr, missing))}" if missing else "",
            f"plan {', '.join(map(repr, extra))}, which the file does not have" if extra else "") if part)
        raise InputError(str(path), f"corrupt baseline: made from this very scenario file (same SHA-256), "
                                    f"yet it records {said}; {RECREATE}", field="plans")
