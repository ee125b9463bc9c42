"""What a calibration is made of: a fitted field, its provenance, and observed-against-fitted series.

Each fitting module returns a :class:`Part`: scenario values by dotted
path (``channels[0].leads_per_day``), a comment per value saying what data
it came from, the series the diagnostics report draws (:class:`Fit`), the
fields left at a default, and warnings.  :func:`merge` puts the parts
together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Fit:
    """One fitted quantity, observed against fitted, for the diagnostics report.

    Attributes:
        field: the scenario field it fits (dotted path).
        title: what is shown, for people.
        x: the x values (numbers, or labels for bars).
        observed: what the data show at each x.
        fitted: what the fitted scenario implies at each x (NaN: nothing).
        lower: the observed value's interval, lower end (None: none).
        upper: the observed value's interval, upper end.
        kind: ``bar`` (categories), ``line`` (a curve) or ``step`` (a CDF).
        xlabel: the x axis, with its unit.
        ylabel: the y axis, with its unit.
        n: the cases behind it.
        note: what to read in it.
        band_of: whose interval ``lower``/``upper`` is: ``observed`` or ``fitted``.
    """

    field: str
    title: str
    x: list[Any]
    observed: np.ndarray
    fitted: np.ndarray
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    kind: str = "line"
    xlabel: str = ""
    ylabel: str = ""
    n: int = 0
    note: str = ""
    band_of: str = "observed"


@dataclass
class Part:
    """What one fitting module found.

    Attributes:
        values: scenario values by dotted path (``funnel.offer.p``).
        comments: per path, where its value came from (n, period).
        fits: observed against fitted, for the report.
        defaults: paths kept at a default because the data cannot identify them.
        warnings: what to distrust.
        absorbed: rules the fitted values already hold (rule path -> which value holds it, and how):
            a base scenario's value of such a rule, kept beside the fit, counts it twice.
    """

    values: dict[str, Any] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    fits: list[Fit] = field(default_factory=list)
    defaults: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    absorbed: dict[str, str] = field(default_factory=dict)

    def set(self, path: str, value: Any, comment: str) -> None:
        """Record a fitted value and where it came from.

        Args:
            path: its dotted path in the scenario.
            value: the YAML-ready value.
            comment: the data it came from, e.g. ``"from 41,233 leads, 2026-04-01..2026-06-30"``.
        """
        self.values[path] = value
        self.comments[path] = comment

    def default(self, path: str, value: Any, why: str) -> None:
        """Record a value the data cannot identify, kept at a default.

        Args:
            path: its dotted path.
            value: the default written.
            why: why the data cannot tell it.
        """
        self.values[path] = value
        self.comments[path] = f"default: {why}"
        self.defaults.append(path)

    def absorbs(self, rule: str, why: str) -> None:
        """Record a rule the fitted values already hold, e.g. cooling's losses in the fitted offer rate.

        Args:
            rule: the rule's dotted path (``funnel.cooling``), not fitted itself.
            why: which fitted value holds it, and how.
        """
        self.absorbed[rule] = why


def merge(parts: list[Part]) -> Part:
    """All parts in one (later parts win on the same path, with their fits: an earlier part's fits of it go).

    Args:
        parts: the parts, in order.

    Returns:
        One part.
    """
    out = Part()
    for p in parts:
        out.fits = [f for f in out.fits if f.field not in p.values]
        out.values.update(p.values)
        out.comments.update(p.comments)
        out.fits += p.fits
        out.defaults += [d for d in p.defaults if d not in out.defaults]
        out.warnings += p.warnings
        out.absorbed.update(p.absorbed)
    return out


def count(n: float) -> str:
    """A count as people read it: ``41,233``."""
    return f"{round(n):,}"


def sig(x: float, digits: int = 4) -> float:
    """``x`` to ``digits`` significant digits (what the YAML shows)."""
    return float(f"{x:.{digits}g}") if np.isfinite(x) else float(x)
