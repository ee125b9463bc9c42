"""Do the engines agree within 2% on the shipped scenarios? Enough replications to tell.

    python benchmarks/engine_agreement.py [--days 14] [--replications q3=200,big=60] [--json]

CI checks every plan of both shipped scenarios with a few replications
(tests/test_engine_equivalence.py): enough to catch a difference of a few
standard errors, not to resolve 2%.  This runs the same comparison, by the
same criteria (tests/agreement.py), with as many replications as you give
it, and reports per scenario, plan and metric: both means, their relative
difference, 3 standard errors of the paired difference relative to the
mean (``3 pSE``, the resolution: at most 2% means a 2% difference would
show), and the verdict:

* ``agrees``: within 3 combined SE, and resolved to 2% and within it;
* ``agrees, not resolved``: within 3 combined SE, but 3 pSE is above 2%;
* ``DIFFERS``: more than 3 combined SE apart, or resolved and more than
  2% apart, or (revenue, won) the KS test at 1% fails.

The reference engine takes seconds per plan and replication on the shipped
scenarios (q3 about 3 s, big.yaml about 9 s for 14 days on a 2-core VM):
the defaults take about an hour of CPU; both cores are used.

Exit status 1 if a metric differs; no timing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.agreement import disagreements, resolution  # noqa: E402
from tests.test_engine_equivalence import KS_METRICS, SHIPPED, both_engines, first_days  # noqa: E402

METRICS = ("revenue_net", "won", "contacts", "contact_rate", "contact_rate_target", "total_invoices",
           "utilisation", "talk_share_actual", "crm_share_actual", "handovers", "share_attempted_5min",
           "sla_work_p50_min", "sla_work_p90_min", "sla_p50_min", "sla_p90_min")
"""What is compared: the money, the funnel's volumes, the team's time and the SLA."""


def verdicts(name: str, days: int, replications: int) -> list[dict]:
    """Both engines on the first ``days`` days of a shipped scenario, every plan, one row per metric.

    Args:
        name: ``q3`` or ``big``.
        days: days of the horizon kept (plans' later months dropped).
        replications: replications per plan, each engine.

    Returns:
        Rows: scenario, plan, metric, both means, the relative difference and resolution, the verdict.
    """
    rows = []
    for plan, (des, fast) in both_engines(first_days(SHIPPED[name], days), replications).items():
        for metric in METRICS:
            r = resolution(des, fast, metric)
            resolved = [metric] if r.resolved else []
            differs = bool(disagreements(des, fast, [metric], resolved=resolved,
                                         ks=[m for m in KS_METRICS if m == metric]))
            mean = abs(des[metric].mean()) or 1.0
            verdict = "DIFFERS" if differs else "agrees" if r.resolved else "agrees, not resolved"
            rows.append({"scenario": name, "plan": plan, "metric": metric, "des": float(des[metric].mean()),
                         "fast": float(fast[metric].mean()), "difference": r.difference / mean,
                         "three_paired_se": r.three_paired_se / mean, "verdict": verdict,
                         "replications": replications})
    return rows


def main() -> None:
    """Run the comparison and print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=14, help="days of each scenario's horizon kept")
    parser.add_argument("--replications", default="q3=200,big=60",
                        help="replications per plan, per scenario: NAME=N,...")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    counts = {k: int(v) for k, v in (item.split("=") for item in args.replications.split(","))}
    rows = [row for name, n in counts.items() for row in verdicts(name, args.days, n)]
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(f"{'scenario':8} {'plan':14} {'metric':22} {'des':>12} {'fast':>12} {'diff':>7} {'3 pSE':>7}  "
              "verdict")
        for r in rows:
            print(f"{r['scenario']:8} {r['plan']:14} {r['metric']:22} {r['des']:12.5g} {r['fast']:12.5g} "
                  f"{r['difference']:7.2%} {r['three_paired_se']:7.2%}  {r['verdict']}")
    sys.exit(1 if any(r["verdict"] == "DIFFERS" for r in rows) else 0)


if __name__ == "__main__":
    main()
