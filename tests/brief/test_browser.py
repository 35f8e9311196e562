"""The HTML brief in a real browser (Debian's chromium, Playwright), served by a real
`kb serve` over the real content: its style is allowed by the CSP, it fits a phone, and
it prints. Screenshots and the printed PDF go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import ARTIFACTS, KB, REAL_CONTENT, env_with
from tests.helpers import kb_serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def brief_url(real_index: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    project = tmp_path_factory.mktemp("served")
    shutil.copytree(REAL_CONTENT, project / "content")
    with kb_serve(KB, project / "content", real_index, env=env_with()) as (base, _proc):
        yield base, f"{base}/api/brief?{urlencode({'q': 'frailty workforce', 'format': 'html'})}"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_html_brief_is_styled_fits_and_prints(brief_url, browser, width: int) -> None:  # type: ignore[no-untyped-def]
    base, url = brief_url
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert problems == []  # the CSP let the page's style through, and nothing else was asked for
    assert page.locator("h1").inner_text() == "Evidence brief: frailty workforce"
    assert page.eval_on_selector("h2", "e => getComputedStyle(e).borderBottomColor") == "rgb(0, 94, 184)"  # the style applied
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    first = page.get_by_role("link", name=f"{base}/case-studies/wellbeing-erewash-frailty-workforce/")
    assert first.count() >= 1
    page.screenshot(path=str(ARTIFACTS / f"brief-{width}.png"), full_page=True)
    if width == 1280:
        page.emulate_media(media="print")
        assert page.eval_on_selector("a", "e => getComputedStyle(e).color") == page.eval_on_selector("body", "e => getComputedStyle(e).color")
        page.screenshot(path=str(ARTIFACTS / "brief-print.png"), full_page=True)
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) >= 5  # A4 pages, the brief in full
        (ARTIFACTS / "brief-print.pdf").write_bytes(pdf)
    context.close()
