"""The calibration's diagnostics report: one self-contained HTML page, charts inline.

It leads with the answer: what was fitted, from how much data, and what to
distrust (the warnings, the probabilities the data pin down loosely, the
fields kept at a default).  Then every fitted field with the data it came
from, and one chart per fitted quantity, observed against fitted
(:mod:`simsales.report.diagnostics_figures`): volumes by day, weekday and
hour, contact chance by lead age and attempt, stage conversions with their
intervals (against the naive "open = lost" rate), client delays, skill
and ramp.  Nothing is loaded from anywhere else.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from scipy import stats

from simsales import __version__
from simsales.calibrate import Calibration, Fit
from simsales.calibrate.document import flow, tokens
from simsales.crm.schema import ROW_NOUNS
from simsales.report.diagnostics_figures import fit_figure, png_data
from simsales.report.files import atomic_write_text
from simsales.report.first_screen import STYLE
from simsales.report.html import table
from simsales.report.units import counted

WIDE = 0.2
"""A probability whose 90% interval is wider than this is flagged as loosely known."""
SECTIONS = (("Channels", "channels"), ("Routing", "routing"), ("Touch chain", "touch_chain"),
            ("Funnel", "funnel"), ("Team", "team"))
EXTRA_STYLE = """
ul.distrust li { margin: 0.2em 0; } td.path { font-family: monospace; white-space: nowrap; }
td.value { font-family: monospace; max-width: 28em; overflow-wrap: anywhere; }
"""


def _walk(node: Any, path: str = ""):
    """Every leaf of the document with its dotted path."""
    if isinstance(node, dict) and not ({"beta"} >= set(node) and node):
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list) and node and isinstance(node[0], dict) and "beta" not in node[0]:
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")
    elif isinstance(node, list) and node and all(isinstance(v, dict) and "beta" in v for v in node):
        for i, v in enumerate(node):
            yield f"{path}[{i}]", v
    else:
        yield path, node


def loose(cal: Calibration) -> list[str]:
    """Probabilities the data pin down loosely: a 90% interval wider than :data:`WIDE`.

    Args:
        cal: the calibration.

    Returns:
        One sentence per such field.
    """
    out = []
    for path, value in _walk(cal.document):
        if isinstance(value, dict) and "beta" in value:
            a, b = value["beta"]
            lo, hi = stats.beta.ppf([0.05, 0.95], a, b)
            if hi - lo > WIDE:
                out.append(f"{path} is loosely known: 90% between {lo:.0%} and {hi:.0%}")
    return out


def _answer(cal: Calibration) -> str:
    counts = ", ".join(counted(n, *ROW_NOUNS[name]) for name, n in cal.counts.items())
    fitted = [p for p in cal.comments
              if p not in cal.defaults and not cal.comments[p].startswith(("default", "kept from"))]
    distrust = cal.warnings + loose(cal)
    items = "".join(f"<li>{escape(d)}</li>" for d in distrust) or "<li>nothing stands out</li>"
    return (
        f'<div class="verdict"><p><b>{counted(len(fitted), "field")} fitted from {escape(counts)}, '
        f"{escape(cal.period)}.</b> Every probability is a Beta posterior that carries what the data "
        "cannot tell; deals still open at the export count as unfinished, not lost.</p>"
        f'<p><b>Distrust:</b></p><ul class="distrust">{items}</ul>'
        + (f"<p><b>Kept from {escape(cal.base)} ({len(cal.kept)}, the export cannot tell them):</b> "
           f"{escape(', '.join(cal.kept))}.</p>" if cal.kept else "")
        + f"<p><b>Kept at a default ({len(cal.defaults)}, the export cannot tell them):</b> "
        f"{escape(', '.join(cal.defaults))}.</p></div>"
    )


def _fields(cal: Calibration) -> str:
    rows = []
    for path, comment in cal.comments.items():
        shown = _lookup(cal.document, path)
        rows.append([f'<span class="path">{escape(path)}</span>', escape(flow(shown)), escape(comment)])
    return table(["field", "value", "from"], rows, css="left")


def _lookup(doc: dict, path: str) -> Any:
    node: Any = doc
    try:
        for key in tokens(path):
            node = node[key]
    except (KeyError, IndexError, TypeError):
        return None
    return node


def _figure(fit: Fit) -> str:
    data = png_data(fit_figure(fit))
    note = f'<p class="how">{escape(fit.note)}</p>' if fit.note else ""
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(fit.title)}">'
        f"<figcaption>{escape(fit.title)}: <code>{escape(fit.field)}</code>, from {counted(fit.n, 'case')}"
        f"</figcaption>{note}</figure>"
    )


def render(cal: Calibration, source: str) -> str:
    """The whole page.

    Args:
        cal: the calibration.
        source: the export's folder as the user named it.

    Returns:
        The HTML document.
    """
    title = f"Calibration diagnostics: {cal.document.get('name', '')}"
    charts = []
    for heading, prefix in SECTIONS:
        mine = [f for f in cal.fits if f.field.startswith(prefix)]
        if mine:
            charts.append(f"<h3>{escape(heading)}</h3>" + "".join(_figure(f) for f in mine))
    notes = "".join(f"<li>{escape(n)}</li>" for n in cal.notes)
    sections = [
        ("Observed against fitted", "".join(charts) or "<p>No fit to show.</p>"),
        ("Every field and where it came from", _fields(cal)),
        ("What the reader assumed", f"<ul>{notes}</ul>" if notes else "<p>Nothing.</p>"),
    ]
    body = "".join(f"<h2>{escape(h)}</h2>\n{html}\n" for h, html in sections)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}{EXTRA_STYLE}</style></head><body>\n"
        f"<h1>{escape(title)}</h1>\n"
        f'<p class="meta">{escape(source)} · {escape(cal.period)} · scenario from '
        f"{escape(str(cal.document.get('start')))} for {counted(cal.document.get('horizon_days'), 'day')} · "
        f"simsales {escape(__version__)}</p>\n{_answer(cal)}\n{body}</body></html>\n"
    )


def write_diagnostics(cal: Calibration, folder: str | Path, source: str) -> Path:
    """Write ``diagnostics.html`` into ``folder``, atomically.

    Args:
        cal: the calibration.
        folder: the report folder (created if missing).
        source: the export's folder as the user named it.

    Returns:
        The file written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(folder / "diagnostics.html", render(cal, source))
