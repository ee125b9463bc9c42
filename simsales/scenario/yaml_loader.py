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

__all__ = ["PyYamlLoader", "YamlLoader", "load_yaml"]


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
