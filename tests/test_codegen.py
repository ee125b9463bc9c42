"""LLVM keeps the compiled engine's conditional moves on x86-64 (simsales.engines.fast.codegen)."""

from __future__ import annotations

import platform
import subprocess
import sys

import numpy as np
import pytest
from numba import njit

import simsales.engines.fast  # noqa: F401  (importing the engine sets the option)
from simsales.engines.fast import codegen

X86_64 = platform.machine().lower() in {"x86_64", "amd64"}

BISECT = '''
def bisect(a, x, lo, hi):
    while lo < hi:
        mid = (lo + hi) >> 1
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo
'''
"""A bisection on data, as the weighted routing's: a branch, or two conditional moves."""

WITHOUT = BISECT + '''
import numpy as np
from numba import njit
f = njit(bisect)
f(np.arange(8.0), 2.5, 0, 8)
print("cmov" in next(iter(f.inspect_asm().values())).split("cpython")[0])
'''
"""The same, compiled in a process that has not imported the engine."""


def _compiled_here() -> str:
    namespace: dict = {}
    exec(BISECT, namespace)
    f = njit(namespace["bisect"])
    f(np.arange(8.0), 2.5, 0, 8)
    return next(iter(f.inspect_asm().values())).split("cpython")[0]  # the function, not its wrapper


def test_no_llvm_option_is_set_elsewhere_than_x86_64(monkeypatch):
    calls = []
    monkeypatch.setattr(codegen.llvm, "set_option", lambda *args: calls.append(args))
    assert codegen.keep_conditional_moves("aarch64") is False
    assert codegen.keep_conditional_moves("arm64") is False
    assert calls == []  # LLVM would stop the process on an option its back end does not have
    assert codegen.keep_conditional_moves("x86_64") is True
    assert calls == [("simsales", codegen.CMOV_OPTION)]


@pytest.mark.skipif(not X86_64, reason="an option of LLVM's x86 back end")
def test_a_bisection_on_data_compiles_to_conditional_moves_once_the_engine_is_imported():
    without = subprocess.run([sys.executable, "-c", WITHOUT], capture_output=True, text=True, check=True)
    if without.stdout.strip() == "True":
        pytest.skip("this LLVM keeps the conditional moves anyway: nothing to tell apart")
    assert "cmov" in _compiled_here()
