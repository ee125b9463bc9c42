"""report.html in a real browser (headless Chromium, 1280 x 800): what a head of sales sees.

Every image loads, nothing is wider than the page, the verdict is on the
first screen and the headline cards stand in one row, with four plans and
long plan labels.  Skipped when Chromium or playwright is missing, except
under CI (``CI`` set), where ``.ci/run`` installs Debian's chromium: there a
missing browser fails the test.
"""

from __future__ import annotations

import os
import shutil
from itertools import pairwise
from pathlib import Path

import pytest

from simsales import montecarlo
from simsales.report.writer import write_report

from .conftest import SMALL

WIDTH, HEIGHT = 1280, 800
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LONG_LABELS = {"hold": "Hold the team as it is", "grow": "Grow by five managers in July",
               "grow_late": "Grow by five managers in July, hired slowly",
               "grow_cheap": "Grow by five managers in July, cheap hires"}


def chromium() -> str:
    """The Chromium binary, or skip (fail under CI) when it or playwright is missing."""
    binary = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "playwright is not installed"
    else:
        missing = "" if binary else "chromium is not installed"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI installs it (.ci/run)")
        pytest.skip(missing)
    return str(binary)


@pytest.fixture(scope="module")
def report(small, tmp_path_factory) -> Path:
    """The report of four plans with long labels, three replications each."""
    grow = small.plan("grow")
    plans = [small.plan("hold"), grow,
             grow.model_copy(update={"name": "grow_late", "time_to_hire_days": 14}),
             grow.model_copy(update={"name": "grow_cheap", "cost_per_hire": 10_000.0})]
    scenario = small.model_copy(update={"plans": [p.model_copy(update={"label": LONG_LABELS[p.name]})
                                                  for p in plans]})
    result = montecarlo.run(scenario, replications=3)
    out = tmp_path_factory.mktemp("browser")
    return write_report(result, scenario, out, str(SMALL)).html


@pytest.fixture(scope="module")
def page_facts(report) -> dict:
    """What the browser measured on report.html at 1280 x 800."""
    binary = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri(), wait_until="load")
            facts = page.evaluate("""() => {
                const root = document.documentElement;
                const box = (el) => { const r = el.getBoundingClientRect();
                                      return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                                              width: r.width}; };
                const wide = [...document.body.querySelectorAll('*')]
                    .map((el) => ({tag: el.tagName, id: el.id, cls: el.className, ...box(el)}))
                    .filter((b) => b.width > root.clientWidth || b.right > root.clientWidth + 0.5
                                   || b.left < -0.5);
                const verdict = document.getElementById('verdict');
                return {
                    images: [...document.images].map((img) => ({alt: img.alt, complete: img.complete,
                                                                width: img.naturalWidth})),
                    scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide: wide,
                    verdict: verdict ? box(verdict) : null,
                    cards: [...document.querySelectorAll('#headline .card')].map(box),
                };
            }""")
        finally:
            browser.close()
    facts["requests"] = requests
    return facts


def test_every_image_loads(page_facts):
    assert len(page_facts["images"]) >= 6
    for image in page_facts["images"]:
        assert image["complete"] and image["width"] > 0, f"image not loaded: {image['alt']}"


def test_nothing_overflows_the_page_width(page_facts):
    assert page_facts["scrollWidth"] <= page_facts["clientWidth"] == WIDTH
    assert page_facts["wide"] == [], f"elements wider than the page: {page_facts['wide'][:5]}"


def test_the_verdict_is_on_the_first_screen(page_facts):
    verdict = page_facts["verdict"]
    assert verdict is not None, "no element with id 'verdict'"
    assert 0 <= verdict["top"] < verdict["bottom"] <= HEIGHT


def test_four_headline_cards_stand_in_one_row_on_the_first_screen(page_facts):
    cards = page_facts["cards"]
    assert len(cards) == 4
    assert len({round(c["top"]) for c in cards}) == 1, "the headline cards wrap"
    assert all(c["bottom"] <= HEIGHT for c in cards)
    assert all(a["right"] <= b["left"] for a, b in pairwise(cards))


def test_the_page_fetches_nothing(page_facts, report):
    assert page_facts["requests"][0] == report.as_uri()
    assert all(url.startswith(("data:", "file:")) for url in page_facts["requests"])
