"""The scenario a calibration writes: the YAML-ready dict from dotted paths, and its commented text.

Values are set by dotted paths (``channels[0].leads_per_day``,
``funnel.offer.p``); :func:`document` nests them in the scenario's order
(top level, calendar, channels, routing, touch chain, funnel, team,
economics, plans).  :func:`yaml_text` writes the file with, above each
fitted field, a comment saying what data it came from, and a header that
lists what was kept at a default.
"""

from __future__ import annotations

import itertools
import re
import textwrap
from typing import Any

import numpy as np
import yaml

ORDER = (
    "name",
    "start",
    "horizon_days",
    "currency",
    "revenue_plan",
    "replications",
    "seed",
    "calendar",
    "channels",
    "routing",
    "touch_chain",
    "funnel",
    "team",
    "economics",
    "plans",
)
"""The scenario's top-level sections, in the order written."""
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_DIST_KEYS = {
    "fixed",
    "beta",
    "normal",
    "triangular",
    "uniform",
    "lognormal",
    "gamma",
    "exponential",
    "min",
    "max",
    "mean",
    "sd",
}
FLOW_WIDTH = 96
"""A mapping or list shorter than this (as flow YAML) is written on one line."""
COMMENT_WIDTH = 100


def tokens(path: str) -> list[str | int]:
    """A dotted path's keys: ``channels[0].name`` -> ``["channels", 0, "name"]``."""
    return [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _TOKEN.finditer(path)]


def document(values: dict[str, Any]) -> dict:
    """Nest values given by dotted path into the scenario's dict, sections in the scenario's order.

    Args:
        values: path -> value (``channels[0].name``, ``funnel.offer.p`` ...).

    Returns:
        The YAML-ready scenario dict.
    """
    root: dict = {}
    for path, value in values.items():
        keys = tokens(path)
        node: Any = root
        for key, nxt in itertools.pairwise(keys):
            empty: Any = [] if isinstance(nxt, int) else {}
            if isinstance(key, int):
                while len(node) <= key:
                    node.append(None)
                if node[key] is None:
                    node[key] = empty
                node = node[key]
            else:
                node = node.setdefault(key, empty)
        last = keys[-1]
        if isinstance(last, int):
            while len(node) <= last:
                node.append(None)
            node[last] = value
        elif isinstance(node.get(last), dict) and isinstance(value, dict):
            node[last] = {**value, **node[last]}  # a section set whole keeps the fields set one by one
        else:
            node[last] = value
    root = _plain(root)
    ordered = {k: root[k] for k in ORDER if k in root}
    return ordered | {k: v for k, v in root.items() if k not in ordered}


def _plain(value: Any) -> Any:
    """Numpy scalars as Python numbers and strings, all the way down (YAML writes only plain types)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):  # np.float64, np.int64, np.bool_, np.str_ ...
        return value.item()
    return value


def flow(value: Any) -> str:
    """A value as one line of flow YAML: ``{beta: [12.5, 88.5]}``."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False, allow_unicode=True)
    return text.removesuffix("\n...\n").strip()


def _leaf(value: Any) -> bool:
    """Written on one line: a scalar, a list of scalars, a distribution, or a short flat mapping."""
    if not isinstance(value, dict | list):
        return True
    if isinstance(value, dict) and set(value) <= _DIST_KEYS:
        return True
    items = value.values() if isinstance(value, dict) else value
    flat = all(
        not isinstance(v, dict | list)
        or (isinstance(v, list) and not any(isinstance(x, dict | list) for x in v))
        or (isinstance(v, dict) and set(v) <= _DIST_KEYS)
        for v in items
    )
    return flat and (isinstance(value, list) or len(flow(value)) <= FLOW_WIDTH)


def _comment(text: str, indent: int) -> list[str]:
    pad = " " * indent + "# "
    return textwrap.wrap(
        text,
        COMMENT_WIDTH - len(pad),
        initial_indent=pad,
        subsequent_indent=pad + "  ",
        break_on_hyphens=False,
    )


def _emit(node: Any, path: str, indent: int, comments: dict[str, str]) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    if isinstance(node, dict):
        for key, value in node.items():
            p = f"{path}.{key}" if path else str(key)
            if p in comments:
                lines += _comment(comments[p], indent)
            below = any(c.startswith((f"{p}.", f"{p}[")) for c in comments)
            if (
                _leaf(value)
                and not below
                and not (isinstance(value, list) and value and isinstance(value[0], dict))
            ):
                lines.append(f"{pad}{key}: {flow(value)}")
            else:
                lines.append(f"{pad}{key}:")
                lines += _emit(value, p, indent + 2, comments)
        return lines
    for i, item in enumerate(node):
        p = f"{path}[{i}]"
        if p in comments:
            lines += _comment(comments[p], indent)
        if _leaf(item):
            lines.append(f"{pad}- {flow(item)}")
            continue
        inner = _emit(item, p, indent + 2, comments)
        first = next(j for j, line in enumerate(inner) if not line.lstrip().startswith("#"))
        inner[first] = f"{pad}- {inner[first].lstrip()}"
        lines += inner
    return lines


def yaml_text(doc: dict, comments: dict[str, str], header: list[str]) -> str:
    """The scenario file: a header, then every field with its provenance comment above it.

    Args:
        doc: the scenario dict.
        comments: dotted path -> where the value came from.
        header: the header's paragraphs (each wrapped as a comment).

    Returns:
        The YAML text.
    """
    lines: list[str] = []
    for paragraph in header:
        lines += _comment(paragraph, 0) or ["#"]
    lines.append("")
    for key, value in doc.items():
        sub = _emit({key: value}, "", 0, comments)
        lines += sub
        if not _leaf(value):
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
