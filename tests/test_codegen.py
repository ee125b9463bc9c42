"""LLVM keeps the compiled engine's conditional moves on x86-64 (simsales.engines.fast.codegen)."""

from __future__ import annotations

import inspect
import platform
import subprocess
import sys

import numpy as np
import pytest
from numba import njit

import simsales.engines.fast  # noqa: F401  (importing the engine sets the option)
from simsales.engines.fast import codegen
from simsales.engines.fast.routing import bisect_right

X86_64 = platform.machine().lower() in {"x86_64", "amd64"}

# The weighted routing's bisection (a branch on data, or two conditional moves), as its source: the
# other process must compile it without importing the engine, whose import sets the option.
SOURCE = inspect.getsource(bisect_right.py_func).splitlines(keepends=True)
BISECT = "import numpy as np\n" + "".join(line for line in SOURCE if not line.startswith("@"))

WITHOUT = BISECT + '''
from numba import njit
f = njit(bisect_right)
f(np.arange(8.0), 2.5, 0, 8)
print("cmov" in next(iter(f.inspect_asm().values())).split("cpython")[0])
'''
"""The bisection compiled in a process that has not imported the engine."""


def _compiled_here() -> str:
    f = njit(bisect_right.py_func)  # compiled afresh here, not loaded from numba's cache
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
