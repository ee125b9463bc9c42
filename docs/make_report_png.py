"""Make docs/report-q3.png, the README's picture of q3's report: its first screen in Chromium, 1280 x 800.

Run from the project root (needs Debian's chromium and Python's playwright, as tests/test_report_browser.py):

    python docs/make_report_png.py [--replications 200]

It runs ``simsales report scenarios/q3.yaml`` into a temporary folder and takes the screenshot there,
so the picture is of the code as it is.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1280, 800


def main() -> None:
    """Run the report and screenshot its first screen into docs/report-q3.png."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--browser", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "simsales", "report", "scenarios/q3.yaml",
                        "-n", str(args.replications), "--out", folder], check=True, cwd=ROOT)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.browser, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.goto((Path(folder) / "report.html").as_uri(), wait_until="load")
            target = ROOT / "docs" / "report-q3.png"
            part = target.with_suffix(".png.part")
            page.screenshot(path=str(part), type="png")
            part.replace(target)  # whole or not at all
            browser.close()
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
