"""The criteria by which the two engines agree statistically (docs/engines.md, "Equivalence").

Both engines run the same replications with the same seed: replication r
of either has the same uncertain parameters, leads and roster, and the two
differ only in the dynamics' draws.  For each metric:

* **No detectable difference** (the issue's): the means differ by at most
  3 combined standard errors, computed as for two independent samples.
* **Within 2%, on the metrics a case names as ``resolved``**: the paired
  differences (replication by replication) have a standard error that the
  shared parameters do not inflate.  A named metric must be resolved (3
  paired standard errors at most 2% of the mean; for SLA minutes at most
  max(2%, 1 minute)), else it fails as "cannot resolve 2%", and its means
  must be within 2%.  A case names only what its replications resolve
  (with a handful of replications the paired standard error is itself too
  uncertain to lean on: the shipped scenarios' 5 and 10 name none).  Read
  literally, "within 3 SE and within 2%" on an unresolved metric is a coin
  toss: a difference above 2% but inside the noise.
  ``benchmarks/engine_agreement.py`` runs the shipped scenarios with the
  replications to resolve 2%.
* **Same distribution**: a two-sample KS test at 1% on the metrics named
  ``ks`` (revenue and deals won by default), unless both take one value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["Resolution", "disagreements", "resolution"]

SLA_FLOOR_MIN = 1.0
"""The smallest difference in SLA minutes worth resolving (the 2% of a few minutes is seconds)."""


@dataclass(frozen=True)
class Resolution:
    """One metric compared between the engines, in the metric's unit.

    Attributes:
        difference: the absolute difference of the means.
        three_se: 3 combined standard errors (two independent samples).
        three_paired_se: 3 standard errors of the mean paired difference.
        tolerance: 2% of the reference's mean (for an SLA at least :data:`SLA_FLOOR_MIN`).
    """

    difference: float
    three_se: float
    three_paired_se: float
    tolerance: float

    @property
    def resolved(self) -> bool:
        """Whether these replications can tell a difference of ``tolerance``."""
        return self.three_paired_se <= self.tolerance


def resolution(des: pd.DataFrame, fast: pd.DataFrame, metric: str) -> Resolution:
    """A metric's difference of means, its noise and the tolerance of 2%.

    Args:
        des: the reference engine's per-replication metrics, one row per replication.
        fast: the fast engine's, the same replications in the same order.
        metric: a column of both; an SLA (``sla_...``, minutes) has a
            tolerance of at least :data:`SLA_FLOOR_MIN`.

    Returns:
        The comparison.
    """
    if not des.index.equals(fast.index):
        raise ValueError("the engines' tables must hold the same replications in the same order")
    a, b = des[metric].to_numpy(float), fast[metric].to_numpy(float)
    three_se = 3 * math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    three_paired_se = 3 * float(np.std(a - b, ddof=1)) / math.sqrt(a.size)
    tolerance = 0.02 * abs(a.mean())
    if metric.startswith("sla_"):
        tolerance = max(tolerance, SLA_FLOOR_MIN)
    return Resolution(abs(a.mean() - b.mean()), three_se, three_paired_se, tolerance)


def disagreements(des: pd.DataFrame, fast: pd.DataFrame, means: Sequence[str],
                  resolved: Sequence[str] = (), ks: Sequence[str] = ("revenue_net", "won")) -> list[str]:
    """What breaks the criteria (module docstring) between the engines' metric tables.

    Args:
        des: the reference engine's per-replication metrics.
        fast: the fast engine's, same replications.
        means: the metrics whose means are compared.
        resolved: those of them this case must resolve, and agree on, to 2%.
        ks: the metrics whose distributions are compared (KS at 1%).

    Returns:
        One line per failure; empty when the engines agree.
    """
    unknown = set(resolved) - set(means)
    if unknown:
        raise ValueError(f"resolved metrics not among the means: {sorted(unknown)}")
    out = []
    for metric in means:
        r = resolution(des, fast, metric)
        said = (f"{metric}: des {des[metric].mean():.6g} fast {fast[metric].mean():.6g} "
                f"differ by {r.difference:.3g}")
        if r.difference > r.three_se:
            out.append(f"{said} > 3 SE {r.three_se:.3g}")
        if metric not in resolved:
            continue
        if not r.resolved:
            out.append(f"{metric}: {len(des)} replications cannot resolve 2%: 3 paired SE "
                       f"{r.three_paired_se:.3g} > {r.tolerance:.3g}")
        elif r.difference > r.tolerance:
            out.append(f"{said} > 2% ({r.tolerance:.3g}; 3 paired SE {r.three_paired_se:.3g})")
    for metric in ks:
        a, b = des[metric].to_numpy(float), fast[metric].to_numpy(float)
        if np.ptp(np.concatenate([a, b])) == 0:
            continue  # one value everywhere (nothing is sold in the queueing cases)
        p = stats.ks_2samp(a, b).pvalue
        if p < 0.01:
            out.append(f"{metric}: KS p = {p:.4f}")
    return out
