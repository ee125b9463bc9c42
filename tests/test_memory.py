"""simsales.montecarlo.memory: freed memory is kept for the next replication (glibc only).

Each case runs in a fresh process, since the setting is process-wide.
"""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# An engine call's pattern: a few 400 KB arrays made and freed, over and over.
PATTERN = """
import resource, sys
import numpy as np
from simsales.montecarlo.memory import keep_freed_memory
applied = keep_freed_memory() if sys.argv[1] == "keep" else False
faults = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def call():
    arrays = [np.ones(50_000) for _ in range(8)]
    return sum(float(a[-1]) for a in arrays)
for _ in range(3):
    call()
start = faults()
for _ in range(50):
    call()
print(applied, (faults() - start) / 50)
"""


def faults_per_call(mode: str) -> tuple[bool, float]:
    out = subprocess.run([sys.executable, "-c", PATTERN, mode], capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0] == "True", float(out[1])


@pytest.mark.skipif(not GLIBC, reason="the setting exists on glibc only")
def test_kept_memory_is_not_faulted_in_again():
    applied_default, default = faults_per_call("default")
    applied, kept = faults_per_call("keep")
    assert applied and not applied_default
    # 8 x 400 KB is about 800 pages: glibc's defaults fault most of them in on every call.
    assert default > 200, "the pattern no longer reproduces the faults (glibc changed?)"
    assert kept < 0.05 * default


@pytest.mark.skipif(GLIBC, reason="elsewhere than glibc")
def test_elsewhere_it_does_nothing():
    from simsales.montecarlo.memory import keep_freed_memory

    assert keep_freed_memory() is False


@pytest.mark.slow
@pytest.mark.skipif(not GLIBC, reason="the setting exists on glibc only")
def test_the_memory_benchmark_compares_both_settings_in_fresh_processes():
    import importlib.util

    from .conftest import ROOT

    spec = importlib.util.spec_from_file_location("bench_memory", ROOT / "benchmarks" / "bench_memory.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.run(replications=2, rounds=1)
    assert result["keep"]["keep_freed_memory"] and not result["default"]["keep_freed_memory"]
    assert result["keep"]["faults_per_replication"] < 0.5 * result["default"]["faults_per_replication"]
    assert "page faults" in bench.table(result)
