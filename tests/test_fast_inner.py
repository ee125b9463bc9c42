"""The engine's inner functions (simsales.engines.fast.inner): built without wrappers, safe from Python."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest
from numba import njit
from numba.core.dispatcher import Dispatcher

import simsales.engines.fast as fast_package
from simsales.engines.fast import days, queues
from simsales.engines.fast.inner import WITHOUT_WRAPPERS, InnerDispatcher, callable_from_python

ENTRY_POINTS = {"run_split", "run_loop", "hand_over_part", "rest_part", "guides", "_segments",
                "expire_at_horizon"}
"""The fast engine's compiled functions that Python calls: they keep numba's Python wrapper."""


def compiled_functions() -> dict[str, Dispatcher]:
    """Every numba dispatcher defined in a module of simsales.engines.fast, by name."""
    found = {}
    for info in pkgutil.iter_modules(fast_package.__path__):
        module = importlib.import_module(f"{fast_package.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, Dispatcher) and obj.py_func.__module__ == module.__name__:
                found[name] = obj
    return found


def test_every_compiled_helper_is_inner_and_the_entry_points_are_not():
    functions = compiled_functions()
    assert functions.keys() >= ENTRY_POINTS
    assert len(functions) > 40  # the walk found the helpers, not only the entry points
    for name, dispatcher in functions.items():
        if name in ENTRY_POINTS:
            assert not isinstance(dispatcher, InnerDispatcher), f"{name} is called from Python"
        else:
            assert isinstance(dispatcher, InnerDispatcher), f"{name}: @inner, or an entry point here"
            assert {k: dispatcher.targetoptions[k] for k in WITHOUT_WRAPPERS} == WITHOUT_WRAPPERS
            assert dispatcher._cache.__class__.__name__ != "NullCache", f"{name} is not cached"


def test_a_python_call_of_an_inner_function_is_refused_not_run():
    with pytest.raises(TypeError, match=r"queues\.uniform is compiled for compiled callers only.*"
                                        r"callable_from_python\(uniform\)"):
        queues.uniform(np.uint64(7), np.uint64(3))


@njit
def _days_by_compiled_caller(minutes: np.ndarray) -> np.ndarray:
    out = np.empty(minutes.size, np.int64)
    for i in range(minutes.size):
        out[i] = days.day_of(minutes[i])
    return out


def test_the_python_copy_gives_what_compiled_callers_get_and_is_never_cached():
    minutes = np.array([0.0, 1439.999, 1440.0, 2880.0 - 1e-9, 1e7 + 0.5, 5 * 1440.0])
    copy = callable_from_python(days.day_of)
    assert [copy(m) for m in minutes] == list(_days_by_compiled_caller(minutes)) == [0, 0, 1, 1, 6944, 5]
    assert not isinstance(copy, InnerDispatcher)
    assert copy._cache.__class__.__name__ == "NullCache"  # a cached copy could load the wrapper-less code
    assert copy.py_func is days.day_of.py_func
