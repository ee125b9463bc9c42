"""The same numbers on any machine: the shipped baseline reproduced on a lesser processor.

The README promises that a scenario and seed give the same numbers on any
machine.  A baseline made here (a processor with AVX-512 and FMA) is checked
in a process that behaves as an older x86-64 would: numpy with none of its
run-time SIMD paths (``NPY_DISABLE_CPU_FEATURES``: its float64 ``exp`` and
``log`` have AVX-512 loops whose last bits could differ), the compiled engine
built for a generic x86-64 (``NUMBA_CPU_NAME=generic``, its own cache), and
glibc's maths without its FMA and AVX2 variants (``GLIBC_TUNABLES``).
``simsales check`` in its reproduction mode passes only if every replication
matches the baseline exactly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lesser_processor(cache_dir: Path) -> dict[str, str]:
    """The environment of a process that computes as a plain x86-64 would."""
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # numpy 1.x
        from numpy.core import _multiarray_umath as umath  # type: ignore[no-redef]
    dispatch = " ".join(getattr(umath, "__cpu_dispatch__", []))
    return {
        **os.environ,
        "NPY_DISABLE_CPU_FEATURES": dispatch,
        "NUMBA_CPU_NAME": "generic",
        "NUMBA_CACHE_DIR": str(cache_dir),
        "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4,-AVX512F,-AVX512DQ",
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", ["q3"])
def test_shipped_baseline_reproduces_on_a_lesser_processor(name, tmp_path):
    env = lesser_processor(tmp_path / "numba")
    probe = subprocess.run(
        [sys.executable, "-c", "import numpy._core._multiarray_umath as m; "
         "print(sorted(k for k in m.__cpu_dispatch__ if m.__cpu_features__.get(k)))"],
        capture_output=True, text=True, env=env, check=False,
    )
    if probe.returncode == 0:  # numpy 2: the dispatched paths are really off in the child
        assert probe.stdout.strip() == "[]", probe.stdout
    done = subprocess.run(
        [sys.executable, "-m", "simsales", "check", f"scenarios/{name}.yaml",
         "--baseline", f"baselines/{name}.json", "-n", "3"],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "must match exactly" in done.stdout
    assert "PASS" in done.stdout

