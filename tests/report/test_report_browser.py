"""The report as a reader sees it: rendered by headless Chromium, every section there, every image loaded.

Chromium comes from Debian's ``chromium`` package (``.ci/run`` installs it and
sets ``MSE_REQUIRE_BROWSER=1``, so that in CI a missing browser fails instead
of skipping); Playwright drives it. A screenshot of each page is kept in
``test-output/`` (or ``$MSE_TEST_OUTPUT``) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest
from report_fixtures import SECTIONS, yearly_population

import mse

REQUIRED = os.environ.get("MSE_REQUIRE_BROWSER") == "1"
BROWSER = os.environ.get("MSE_BROWSER") or shutil.which("chromium") or shutil.which("chromium-browser")
OUTPUT = Path(os.environ.get("MSE_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output"))

if not REQUIRED:
    if BROWSER is None:
        pytest.skip("no Chromium here (Debian package chromium; CI installs it)", allow_module_level=True)
    pytest.importorskip("playwright.sync_api", reason="Playwright is part of the test extra")

from playwright.sync_api import sync_playwright  # noqa: E402  (after the skip: Playwright is optional outside CI)

# The flags keep a sandboxed, offline Chromium from reaching out at start (its connections would be refused).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def render(page_path: Path, screenshot: Path) -> dict[str, object]:
    """Open ``page_path`` in Chromium; what the page shows, what it logged and failed to load."""
    assert BROWSER is not None, "MSE_REQUIRE_BROWSER=1 but no chromium on PATH; install Debian's chromium package"
    console_errors: list[str] = []
    failed_requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=BROWSER, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: console_errors.append(str(error)))
            page.on("requestfailed", lambda request: failed_requests.append(request.url))
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            shown = page.evaluate(
                """() => ({
                    sections: Array.from(document.querySelectorAll("main > section"))
                        .filter(s => s.offsetHeight > 0).map(s => s.id),
                    headings: Array.from(document.querySelectorAll("main > section > h2")).map(h => h.textContent),
                    images: Array.from(document.images).map(i => ({loaded: i.complete && i.naturalWidth > 0,
                                                                   alt: i.alt})),
                    links: Array.from(document.querySelectorAll("nav a")).map(a => a.getAttribute("href")),
                    title: document.title,
                })"""
            )
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return {**shown, "console_errors": console_errors, "failed_requests": failed_requests}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reports")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.MSEWarning)
        kosovo = mse.load_dataset("kosovo")
        stepwise = mse.estimate(kosovo, method="stepwise", random_seed=1)
        yearly = yearly_population()
        by_year = mse.estimate(yearly, method="bic_aic", n_boot=60, random_seed=1)
    return {
        "kosovo": mse.report.build_report(stepwise, kosovo).save(folder / "kosovo.html"),
        "yearly_protected": mse.report.build_report(
            by_year, yearly, by=["year", ("year", "sex")], changes=[("year", 2016, 2018)], suppress_below=10, round_to=5
        ).save(folder / "yearly_protected.html"),
    }


@pytest.mark.parametrize("name", ["kosovo", "yearly_protected"])
def test_the_page_renders_whole_in_chromium(reports, name):
    shown = render(reports[name], OUTPUT / f"report-{name}.png")
    assert shown["sections"] == SECTIONS
    assert shown["links"] == [f"#{anchor}" for anchor in SECTIONS]
    assert shown["images"], "a report has at least the plot of the capture histories"
    assert all(image["loaded"] for image in shown["images"]), shown["images"]
    assert shown["console_errors"] == []
    assert shown["failed_requests"] == []  # self-contained: nothing fetched
    assert (OUTPUT / f"report-{name}.png").stat().st_size > 10_000


def test_the_yearly_report_shows_the_trend_and_the_change(reports):
    shown = render(reports["yearly_protected"], OUTPUT / "report-yearly_protected.png")
    alts = [image["alt"] for image in shown["images"]]
    assert any(alt.startswith("Estimates by year") for alt in alts)
    page = reports["yearly_protected"].read_text(encoding="utf-8")
    assert "Change in the estimate from year 2016 to 2018" in page
    assert "Disclosure control: counts below 10 suppressed; numbers of people rounded to multiples of 5." in page
