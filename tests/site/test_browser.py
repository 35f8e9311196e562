"""The learning site in a real browser: Debian's chromium, driven by Playwright.

The site and API come from a real `kb serve` on a free loopback port, over the real
content. Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, KB, env_with

pytestmark = pytest.mark.browser


@pytest.fixture
def server(site_server):
    return site_server


def test_home_page_renders(server, page) -> None:
    base, _ = server
    page.goto(base + "/")
    assert page.locator("h1").first.inner_text().startswith("Lessons for redesigning health and care teams")
    assert page.get_by_role("heading", name="Start from your challenge").is_visible()
    assert page.get_by_role("link", name="Find case studies for your challenge").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)


def test_click_through_to_a_case_study_with_outcomes_and_similar(server, page) -> None:
    base, _ = server
    page.goto(base + "/")
    page.get_by_role("link", name="Case studies").first.click()
    page.get_by_role("link", name="Extensive care service for people aged 60 and over with long-term conditions (Fylde Coast)").click()
    page.wait_for_url("**/case-studies/fylde-coast-extensive-care-service/")
    assert page.get_by_role("heading", name="Outcomes by the Quadruple Aim").is_visible()
    assert page.locator(".kb-aim").count() == 4
    assert "14% reduction in A&E attendances" in page.locator("article").inner_text()
    similar = page.locator("h2:has-text('Similar case studies') + ol li")
    assert similar.count() == 5
    page.screenshot(path=str(ARTIFACTS / "case-study.png"), full_page=True)


def test_site_search_finds_an_organisation(server, page) -> None:
    base, _ = server
    page.goto(base + "/")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("/")  # Material's keyboard shortcut to the search box
    assert page.evaluate("document.activeElement.classList.contains('md-search__input')")
    page.keyboard.type("Wakefield")
    result = page.locator(".md-search-result__item", has_text="Wakefield").first
    result.wait_for(timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "search.png"))
    result.locator("a").first.click()
    page.wait_for_url("**/wakefield**")


def test_finder_page_returns_results_from_kb_serve(server, page) -> None:
    base, _ = server
    page.goto(base + "/finder/")
    page.locator("#kb-finder-query").focus()
    page.keyboard.type("teaching nursing home staff to support residents with memory loss")
    page.keyboard.press("Enter")  # keyboard only: no mouse needed
    page.locator("#kb-finder-results li").first.wait_for(timeout=20_000)
    items = page.locator("#kb-finder-results li")
    assert 1 <= items.count() <= 10  # the close ones (at most ten at first) of every entry type; facets narrow them
    assert "Dementia outreach" in items.first.inner_text()
    assert "Why it matched:" in items.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "finder.png"), full_page=True)
    items.first.locator("a").click()
    page.wait_for_url("**/case-studies/nottingham-city-dementia-outreach/")


def build_offline(project: Path, out: Path) -> None:
    subprocess.run(
        [KB, "site", "build", "--offline", "--out", str(out), "--content", str(project / "content")],
        cwd=project,
        env=env_with(),
        check=True,
        capture_output=True,
        timeout=600,
    )


def test_finder_without_the_api_says_so(server, page, tmp_path: Path) -> None:
    _base, project = server
    build_offline(project, tmp_path / "offline")
    page.goto((tmp_path / "offline" / "finder.html").as_uri())
    page.locator("#kb-finder-query").fill("frailty")
    page.keyboard.press("Enter")
    status = page.locator("#kb-finder-status")
    status.wait_for()
    assert "site search" in status.inner_text()
    page.screenshot(path=str(ARTIFACTS / "finder-offline.png"))


def test_offline_site_search_works_from_disk(server, page, tmp_path: Path) -> None:
    _, project = server
    build_offline(project, tmp_path / "offline")
    page.goto((tmp_path / "offline" / "index.html").as_uri())
    page.wait_for_load_state("load")
    page.locator("input.md-search__input").wait_for(state="visible")  # shown once search is ready
    page.locator("input.md-search__input").click()
    page.keyboard.type("Sunderland")
    page.locator(".md-search-result__item", has_text="Sunderland").first.wait_for(timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "offline-search.png"))
