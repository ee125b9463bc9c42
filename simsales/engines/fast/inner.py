"""The engine's inner functions: compiled for compiled callers only, without Python's wrappers.

numba builds two wrappers around every function it compiles: one that lets
Python call it (it unboxes each argument: for the loop's helpers, which take
the loop's tables, dozens of arrays) and one that lets C call it.  The loop's
helpers are only ever called from compiled code, which calls the function
itself; their wrappers were built, optimised, turned into machine code and
written to the cache for nothing.  Built without them (numba's
``no_cpython_wrapper`` and ``no_cfunc_wrapper``), the first run's compile
takes about a tenth less processor time (docs/engines.md, "Compile time").
The machine code of each function is the same.

A function built without its Python wrapper must not be called from Python
(numba would jump to code that is not there): :func:`inner` returns a
dispatcher that refuses such a call with a :class:`TypeError`, and
:func:`callable_from_python` gives tests a copy they can call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import config, njit
from numba.core.registry import CPUDispatcher

__all__ = ["InnerDispatcher", "callable_from_python", "inner"]

WITHOUT_WRAPPERS = {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}
"""numba's options that leave out the Python and C wrappers."""


class InnerDispatcher(CPUDispatcher):
    """A numba dispatcher whose functions compiled code calls, and Python may not."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Refuse a call from Python.

        Raises:
            TypeError: always; compiled code calls the function without this method.
        """
        name = self.py_func.__qualname__
        raise TypeError(f"{self.py_func.__module__}.{name} is compiled for compiled callers only; "
                        f"from Python, call simsales.engines.fast.inner.callable_from_python({name})")


def inner(**options: Any) -> Callable[[Callable[..., Any]], InnerDispatcher]:
    """Compile a function for compiled callers only, cached on disk, without wrappers.

    Args:
        **options: numba's jit options (``error_model``, ``forceinline``, ``_nrt``, ...).

    Returns:
        A decorator that returns the function's :class:`InnerDispatcher` (the function
        itself where numba's JIT is disabled, ``NUMBA_DISABLE_JIT``, as ``njit`` does).
    """
    targetoptions = {"nopython": True, **options, **WITHOUT_WRAPPERS}

    def decorate(func: Callable[..., Any]) -> InnerDispatcher:
        if config.DISABLE_JIT:
            return func  # type: ignore[return-value]
        dispatcher = InnerDispatcher(py_func=func, locals={}, targetoptions=targetoptions)
        dispatcher.enable_caching()
        return dispatcher

    return decorate


def callable_from_python(dispatcher: InnerDispatcher) -> Callable[..., Any]:
    """A copy of an inner function that Python can call (tests), compiled on its first call.

    The copy is compiled afresh in each process and never cached: numba's cache
    keys an entry by the function and its argument types, not by the wrappers, so
    a cached copy could load the inner function's machine code, which has none.

    Args:
        dispatcher: an :class:`InnerDispatcher`.

    Returns:
        A numba dispatcher of the same Python function, with the same options and
        both wrappers.
    """
    if not isinstance(dispatcher, InnerDispatcher):  # numba's JIT disabled: the plain function
        return dispatcher
    leave_out = {"nopython", *WITHOUT_WRAPPERS}  # njit sets nopython itself
    options = {k: v for k, v in dispatcher.targetoptions.items() if k not in leave_out}
    return njit(**options)(dispatcher.py_func)
