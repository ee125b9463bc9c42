"""The optimiser's closing notes say what a revenue scale of 0 means, in words a head of sales reads."""

from __future__ import annotations

from types import SimpleNamespace

from simsales.cli.optimize import _notes
from simsales.scenario.loader import load_scenario

from .conftest import Q3


def notes(scale: float) -> str:
    terms = SimpleNamespace(source="steady", time_to_hire_days=21, cost_per_hire=45000)
    outcome = SimpleNamespace(terms=terms, rounds=[(10, 30), (20, 23)], scale=scale)
    settings = SimpleNamespace(objective="margin", min_p_plan=None)
    return " ".join(_notes(outcome, settings, load_scenario(Q3)))  # type: ignore[arg-type]


def test_a_scale_of_zero_says_no_hire_pays_in_the_horizon():
    said = notes(0.0)
    assert "revenue scale from the anchors: 0.00 (the most-hiring plan gained no net revenue" in said
    assert "30 x 10, 23 x 20" in said


def test_a_positive_scale_is_the_number_alone():
    said = notes(0.45)
    assert "anchors: 0.45." in said and "gained no net revenue" not in said
