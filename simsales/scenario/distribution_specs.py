"""Reading a distribution from its YAML form (the forms are listed in :mod:`simsales.scenario.distributions`).

Parameters may be written in any number form (``{uniform: ["10%", "20%"]}``,
``{triangular: [40k, 50k, 60k]}``, see :mod:`simsales.scenario.numbers`);
every parameter must be finite, and each distribution checks its own
(``beta`` needs a, b > 0; ``triangular`` lo <= mode <= hi; ...).
"""

from __future__ import annotations

import math
from typing import Any

from simsales.scenario.checks import did_you_mean
from simsales.scenario.distributions import (
    DISTRIBUTION_TYPES,
    Beta,
    Distribution,
    DistributionError,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
)
from simsales.scenario.numbers import NumberFormError, is_percent, parse_number, shown

_KINDS = ("fixed", "beta", "normal", "triangular", "uniform", "lognormal", "gamma", "exponential")
"""The kinds of distribution, as a scenario writes them."""
_FORMS = {"beta": "[a, b]", "normal": "[mean, sd]", "triangular": "[lo, mode, hi]", "uniform": "[lo, hi]"}


def _numbers(value: Any, n: int, name: str) -> list[float]:
    if not isinstance(value, list | tuple) or len(value) != n:
        raise DistributionError(f"{name} takes a list of {n} numbers {_FORMS.get(name, '')}, got {value!r}")
    return [_number(v, name) for v in value]


def _number(value: Any, name: str) -> float:
    try:
        return parse_number(value)
    except NumberFormError as exc:
        raise DistributionError(f"{name} takes numbers: {exc}") from None


def _ordered(kind: type, values: list[float]) -> Distribution:
    """A distribution of ordered parameters; out of order because some are percentages, it says so.

    ``{triangular: [0.5, 60, 0.7]}``: 60 is probably 60% among shares, and
    as 0.6 the order would hold, so the error asks "did you mean 0.6 (60%)?".
    """
    try:
        return kind(*values)
    except DistributionError as exc:
        shares = [v / 100 if is_percent(v) else v for v in values]
        if shares != values and any(0 <= v <= 1 for v in values) and shares == sorted(shares) \
                and all(0 <= x <= 1 for x in shares):
            meant = ", ".join(f"{v / 100:g} ({v:g}%)" for v in values if is_percent(v))
            raise DistributionError(f"{exc}; did you mean {meant}?") from None
        raise


def _mean_sd(value: Any, name: str) -> tuple[float, float]:
    if not isinstance(value, dict) or set(value) != {"mean", "sd"}:
        odd = [k for k in value if k not in ("mean", "sd")] if isinstance(value, dict) else []
        hint = did_you_mean(str(odd[0]), ("mean", "sd")) if odd else ""
        raise DistributionError(f"{name} takes {{mean: m, sd: s}}, got {value!r}{hint}")
    return _number(value["mean"], name), _number(value["sd"], name)


def _bounds(spec: dict) -> tuple[float, float]:
    lo = _number(spec["min"], "min") if "min" in spec else -math.inf
    hi = _number(spec["max"], "max") if "max" in spec else math.inf
    return lo, hi


def _flow_mapping(text: str) -> Any:
    import yaml

    from simsales.scenario.yaml_loader import load_yaml

    try:
        return load_yaml(text)
    except yaml.YAMLError:
        raise DistributionError(f"cannot read {text!r} as a distribution") from None


def parse_distribution(spec: Any) -> Distribution:
    """Build a distribution from its YAML form (see the module docstring).

    Args:
        spec: a number, a one-key mapping such as ``{beta: [40, 60]}``, its
            flow-style text (a distribution's ``repr`` reads back), or a
            distribution already built.

    Returns:
        The distribution, in the unit of the field that holds it.

    Raises:
        DistributionError: the spec has an unknown form or bad parameters.
    """
    if isinstance(spec, DISTRIBUTION_TYPES):
        return spec
    if isinstance(spec, str) and spec.lstrip().startswith("{"):
        spec = _flow_mapping(spec)  # the repr of a distribution reads back
    if isinstance(spec, int | float | str) and not isinstance(spec, bool):
        try:
            return Fixed(parse_number(spec))
        except NumberFormError as exc:
            raise DistributionError(f"{exc}, or a distribution such as {{beta: [a, b]}}") from None
    if not isinstance(spec, dict) or not spec:
        raise DistributionError(
            f"expected a number or a distribution such as {{beta: [a, b]}}, got {shown(spec)}"
        )
    keys = set(spec)
    if keys <= {"mean", "sd", "min", "max"} and {"mean", "sd"} <= keys:
        mu, sd = _number(spec["mean"], "normal"), _number(spec["sd"], "normal")
        return Normal(mu, sd, *_bounds(spec))
    if "normal" in keys and keys <= {"normal", "min", "max"}:
        mu, sd = _numbers(spec["normal"], 2, "normal")
        return Normal(mu, sd, *_bounds(spec))
    if len(keys) != 1:
        odd = sorted(str(k) for k in keys if k not in (*_KINDS, "min", "max", "mean", "sd"))
        if odd:  # a misspelt bound or kind, rather than two kinds
            hint = did_you_mean(odd[0], (*_KINDS, "min", "max"))
            raise DistributionError(f"unknown key {odd[0]!r}{hint} (a distribution is one kind, such as "
                                    "{normal: [mean, sd]}, a normal with optional min and max)")
        raise DistributionError(f"a distribution has one kind, got keys {sorted(keys)}")
    (kind, value), = spec.items()
    if kind == "fixed":
        return Fixed(_number(value, kind))
    if kind == "beta":
        return Beta(*_numbers(value, 2, kind))
    if kind in ("triangular", "uniform"):
        n, make = (3, Triangular) if kind == "triangular" else (2, Uniform)
        return _ordered(make, _numbers(value, n, kind))
    if kind == "lognormal":
        return LogNormal(*_mean_sd(value, kind))
    if kind == "gamma":
        return Gamma(*_mean_sd(value, kind))
    if kind == "exponential":
        return Exponential(_number(value, kind))
    raise DistributionError(f"unknown distribution {kind!r}{did_you_mean(kind, _KINDS)} (the kinds are "
                            f"{', '.join(_KINDS)})")
