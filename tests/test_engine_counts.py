"""benchmarks/engine_counts.py reads callgrind's output right (valgrind itself is not needed here)."""

from __future__ import annotations

import importlib.util

import pytest

from .conftest import ROOT

spec = importlib.util.spec_from_file_location("engine_counts", ROOT / "benchmarks" / "engine_counts.py")
counts = importlib.util.module_from_spec(spec)
spec.loader.exec_module(counts)

ADVANCE = "_ZN8simsales7engines4fast6period7advanceB2v1B6c8tJTIeE5ArrayIdLi1E"
FLUSH = "_ZN8simsales7engines4fast8handover5flushB3v97E"

# Events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim; positions: address, line.
OUTPUT = """\
# callgrind format
version: 1
positions: instr line
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim
summary: 0

ob=(1) /usr/bin/python3
fl=(1) ???
fn=(1) main
0x1000 0 10 2 1 0 1 0 0 1 0 3 1 0 0
+4 0 5
cfn=(3) pow
calls=1 0x2000 0
+2 0 999 999 999 999 999 999 999 999 999 999 999 999 999
* 0 7 0 0 0 0 0 0 0 0 0 0 0 1
fn=(2) 0x0000000000500000
0x500000 0 20 0 0 0 3 0 0 2 0 4 2
+8 0 1
0x500100 0 4 1 0 0 0 0 0 0 1
0x590000 0 100
fn=(1)
0x1010 0 2
fn=(3)
0x3000 0 6
"""


def test_short_names_of_the_engine_and_others():
    assert counts.short_name(ADVANCE) == "period.advance"
    assert counts.short_name(FLUSH) == "handover.flush"
    assert counts.short_name("_ZN5numba2np8arrayobj5emptyB2v1E") == "numba.np.arrayobj.empty"
    assert counts.short_name("malloc") == "malloc"


def test_self_costs_by_function(tmp_path):
    path = tmp_path / "callgrind.out"
    path.write_text(OUTPUT)
    costs = counts.read_callgrind(path, [(0x500000, ADVANCE), (0x500100, FLUSH)])
    # The line under calls= is the callee's inclusive cost: not main's own.
    assert costs["main"] == {"Ir": 10 + 5 + 7 + 2, "Dr": 2, "Dw": 1, "I1mr": 0, "D1mr": 1, "D1mw": 0,
                             "ILmr": 0, "DLmr": 1, "DLmw": 0, "Bc": 3, "Bcm": 1, "Bi": 0, "Bim": 1}
    assert costs[ADVANCE]["Ir"] == 21 and costs[ADVANCE]["D1mr"] == 3 and costs[ADVANCE]["DLmr"] == 2
    assert costs[ADVANCE]["Bcm"] == 2
    assert costs[FLUSH]["Ir"] == 4 and costs[FLUSH]["Dr"] == 1 and costs[FLUSH]["DLmw"] == 1
    # Far past the last function compiled at run time: callgrind's own name stays.
    assert costs["0x0000000000500000"]["Ir"] == 100
    assert costs["pow"]["Ir"] == 6  # named in the cfn= line that called it first


def test_figures_per_lead(tmp_path):
    path = tmp_path / "callgrind.out"
    path.write_text(OUTPUT)
    result = counts.per_lead(counts.read_callgrind(path, [(0x500000, ADVANCE), (0x500100, FLUSH)]),
                             leads=2, top=2)
    assert result["leads"] == 2
    assert result["total"]["instructions"] == pytest.approx((24 + 21 + 4 + 100 + 6) / 2)
    assert result["total"]["l2_misses"] == pytest.approx((1 + 0 + 2 + 1) / 2)  # DLmr + DLmw
    assert result["total"]["mispredicted"] == pytest.approx((1 + 1 + 2) / 2)  # Bcm + Bim
    assert [f["function"] for f in result["functions"]] == ["0x0000000000500000", "main"]
