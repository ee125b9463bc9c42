"""The YAML loader every file simsales reads goes through.

YAML's safe loader, with one change: PyYAML turns any scalar shaped like a date
into a ``datetime.date`` and raises a bare ``ValueError`` when the day is not in
its month (``2026-07-32``, ``2026-02-29``).  Here such a scalar stays text, so
the schema that reads the field names the file, the line, the field and what was
expected, instead of a traceback.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["PyYamlLoader", "YamlLoader", "load_yaml", "repeated_keys"]


class YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's, when built in: 7 times faster
    """YAML's safe loader; a date that does not exist stays text."""


class PyYamlLoader(yaml.SafeLoader):
    """:class:`YamlLoader` on PyYAML's pure-Python reader (what runs where libyaml is not built in)."""


def _date_or_text(loader: yaml.constructor.SafeConstructor, node: yaml.ScalarNode) -> Any:
    """A YAML timestamp as a date or datetime, or as its text when no such day exists."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


for _loader in (YamlLoader, PyYamlLoader):
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _date_or_text)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` through :class:`YamlLoader`.

    Args:
        text: YAML text.

    Returns:
        The document (None for an empty one).

    Raises:
        yaml.YAMLError: the text is not YAML.
    """
    return yaml.load(text, Loader=YamlLoader)  # a safe loader


def repeated_keys(text: str) -> list[tuple[str, int, int]]:
    """Every key given twice in one mapping of a YAML document (YAML silently keeps the last).

    Args:
        text: YAML text (already known to parse).

    Returns:
        ``(path, line, first_line)`` per repeat: the key's dotted path, the
        1-based line of the repeat and of its first appearance.
    """
    out: list[tuple[str, int, int]] = []

    def walk(node: yaml.Node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                line, name = key.start_mark.line + 1, str(key.value)
                where = f"{path}.{name}" if path else name
                if name in seen:
                    out.append((where, line, seen[name]))
                seen.setdefault(name, line)
                walk(value, where)
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                walk(value, f"{path}[{i}]")

    root = yaml.compose(text, Loader=YamlLoader)
    if root is not None:
        walk(root, "")
    return out
