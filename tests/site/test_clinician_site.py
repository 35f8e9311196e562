"""The learning site as clinicians need it (issue 15), in Debian chromium over a real
`kb serve` of the real content: nothing fetched from another host, no serious or critical
axe-core violation on any page type, visible keyboard focus, evidence at a glance,
readable outcomes, a feed, clean print and citation, the finder, the glossary.

Every page type is screenshotted at 1280 and 390 px wide into tests/artifacts/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from kb.evidence import LEVELS
from tests.conftest import ARTIFACTS, DESKTOP, PHONE, REAL_CONTENT

pytestmark = pytest.mark.browser


def first_id(folder: str) -> str:
    return sorted(p.stem for p in (REAL_CONTENT / folder).glob("*.yaml"))[0]


CASE = "fylde-coast-extensive-care-service"
# One page of every type the site has: (name for the screenshot, path).
PAGES = [
    ("home", "/"),
    ("case-studies", "/case-studies/"),
    ("case-study", f"/case-studies/{CASE}/"),
    ("top-tip", f"/top-tips/{first_id('top_tips')}/"),
    ("top-tip-group", "/top-tips/"),
    ("enabler", f"/enablers/{first_id('enablers')}/"),
    ("barrier", f"/barriers/{first_id('barriers')}/"),
    ("mdt-characteristic", f"/mdt-characteristics/{first_id('mdt_characteristics')}/"),
    ("dilemma", f"/dilemmas/{first_id('dilemmas')}/"),
    ("framework", f"/frameworks/{first_id('frameworks')}/"),
    ("themes", "/themes/"),
    ("theme", "/themes/frailty/"),
    ("population-group", "/population-groups/"),
    ("organisations", "/organisations/"),
    ("finder", "/finder/"),
    ("outcomes", "/outcomes/"),
    ("glossary", "/glossary/"),
    ("evidence", "/evidence/"),
    ("whats-new", "/whats-new/"),
    ("sources", "/sources/"),
    ("tags", "/tags/"),
]
AXE_REPORT = ARTIFACTS / "axe-results.json"


# --- 1. nothing leaves the host ------------------------------------------------------------


def test_no_page_asks_another_host_for_anything(site_server, context_at) -> None:
    base, _ = site_server
    host = urlsplit(base).netloc
    context = context_at(DESKTOP)
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    for _, path in PAGES:
        assert page.goto(base + path).ok, path
        page.wait_for_load_state("networkidle")
    page.goto(base + "/")  # the search worker and its index, and the finder's API calls
    page.keyboard.press("/")
    page.keyboard.type("Wakefield")
    page.locator(".md-search-result__item").first.wait_for(timeout=20_000)
    page.goto(base + "/finder/?query=frailty")
    page.locator("#kb-finder-results li").first.wait_for(timeout=20_000)
    page.wait_for_load_state("networkidle")
    elsewhere = [url for url in requested if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != host]
    (ARTIFACTS / "external-requests.json").write_text(json.dumps({"requests": len(requested), "external": elsewhere}, indent=1))
    assert len(requested) > 50 and any("search_index.json" in u for u in requested) and any("/api/search" in u for u in requested)
    assert elsewhere == []


# --- 2. accessibility -------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_no_serious_or_critical_axe_violation_on_any_page_type(site_server, context_at, viewport) -> None:
    from axe_playwright_python.sync_playwright import Axe

    base, _ = site_server
    page = context_at(viewport).new_page()
    axe = Axe()
    report: dict[str, dict[str, int | list[str]]] = {}
    serious: dict[str, list[str]] = {}
    for name, path in PAGES:
        assert page.goto(base + path + ("?query=frail+older+people" if name == "finder" else "")).ok, path
        page.wait_for_load_state("networkidle")
        if name == "finder":
            page.locator("#kb-finder-results li").first.wait_for(timeout=20_000)
        violations = axe.run(page).response["violations"]
        report[name] = {"violations": len(violations), "rules": [f"{v['id']} ({v['impact']})" for v in violations]}
        found = [f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})" for v in violations if v["impact"] in ("serious", "critical")]
        if found:
            serious[name] = found
        page.screenshot(path=str(ARTIFACTS / f"page-{name}-{viewport['width']}.png"), full_page=name not in ("tags", "whats-new", "themes"))
    previous = json.loads(AXE_REPORT.read_text()) if AXE_REPORT.exists() else {}
    previous[str(viewport["width"])] = report
    AXE_REPORT.write_text(json.dumps(previous, indent=1))
    assert serious == {}


def test_keyboard_reaches_the_content_with_a_visible_focus(site_server, context_at) -> None:
    base, _ = site_server
    page = context_at(DESKTOP).new_page()
    page.goto(base + f"/case-studies/{CASE}/")
    page.keyboard.press("Tab")
    skip = page.evaluate("document.activeElement.textContent.trim()")
    assert skip == "Skip to content"
    outlines = []
    for _ in range(6):
        page.keyboard.press("Tab")
        outlines.append(
            page.evaluate(
                "(() => { const s = getComputedStyle(document.activeElement); return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; })()"
            )
        )
    for tag, style, width, colour in outlines:
        assert style == "solid" and width >= 3 and colour == "rgb(255, 235, 59)", (tag, style, width, colour)
    page.screenshot(path=str(ARTIFACTS / "focus-1280.png"))


def test_the_header_is_nhs_blue_with_white_text(site_server, context_at) -> None:
    base, _ = site_server
    page = context_at(DESKTOP).new_page()
    page.goto(base + "/")
    header = page.evaluate("(() => { const s = getComputedStyle(document.querySelector('.md-header')); return [s.backgroundColor, s.color]; })()")
    assert header == ["rgb(0, 94, 184)", "rgb(255, 255, 255)"]


# --- 3 and 9. evidence at a glance; tags after the title and summary -----------------------


def test_case_study_opens_with_title_evidence_and_summary_on_a_phone(site_server, context_at) -> None:
    base, _ = site_server
    page = context_at(PHONE).new_page()
    page.goto(base + f"/case-studies/{CASE}/")
    top = {sel: page.locator(sel).first.bounding_box()["y"] for sel in ("article h1", ".kb-evidence", ".kb-summary", "text=Themes:")}
    assert top["article h1"] < top[".kb-evidence"] < top[".kb-summary"] < top["text=Themes:"]
    assert top[".kb-summary"] < PHONE["height"]  # the first screen answers "what is it, and how strong is the evidence"
    assert not page.locator(".md-tags").is_visible()
    assert page.locator(".kb-evidence").inner_text().startswith("Evidence: Measured results")
    page.screenshot(path=str(ARTIFACTS / "case-study-top-390.png"))
    page.locator(".kb-evidence a").click()
    page.wait_for_url("**/evidence/#measured")
    for label, explanation in LEVELS.values():
        assert page.get_by_role("heading", name=label).is_visible()
        assert explanation in page.locator("article").inner_text()


def test_listings_and_finder_show_the_evidence_label(site_server, context_at) -> None:
    base, _ = site_server
    page = context_at(DESKTOP).new_page()
    page.goto(base + "/case-studies/")
    labels = page.locator("article .kb-evidence-tag").all_inner_texts()
    assert len(labels) == len(list((REAL_CONTENT / "case_studies").glob("*.yaml")))
    assert set(labels) <= {label for label, _ in LEVELS.values()} and len(set(labels)) >= 2


# --- 4. outcomes people can read -----------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_outcomes_panels_are_readable(site_server, context_at, viewport) -> None:
    base, _ = site_server
    page = context_at(viewport).new_page()
    page.goto(base + "/outcomes/")
    headings = [h.rstrip("¶") for h in page.locator(".kb-panel h3").all_inner_texts()]
    assert headings == ["Population health", "Individual experience", "Cost", "Staff experience", "Results the source ties to no one aim"]
    sizes = page.evaluate(
        """Array.from(document.querySelectorAll('.kb-panels *')).filter(e => e.childNodes.length && Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim()))
           .map(e => parseFloat(getComputedStyle(e).fontSize))"""
    )
    assert len(sizes) > 50 and min(sizes) >= 12, min(sizes)
    titles = page.locator(".kb-result-case a").all_inner_texts()
    assert "Extensive care service for people aged 60 and over with long-term conditions (Fylde Coast)" in titles  # full names, not cut
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # nothing runs off a phone's screen
    page.locator(".kb-panels").screenshot(path=str(ARTIFACTS / f"outcomes-panels-{viewport['width']}.png"))
    assert page.locator("article table th").first.inner_text() == "Case study"  # the sortable table stays
    page.locator("article table th", has_text="Figure").click()
    assert page.locator("article table th[aria-sort]").count() == 1


# --- 7. feed --------------------------------------------------------------------------------------


def test_every_page_links_the_feed_of_the_latest_entries(site_server, context_at) -> None:
    import feedparser

    base, _ = site_server
    page = context_at(DESKTOP).new_page()
    for _, path in PAGES:
        page.goto(base + path)
        href = page.locator('head link[rel="alternate"][type="application/atom+xml"]').get_attribute("href")
        assert page.evaluate("h => new URL(h, location.href).pathname", href) == "/feed.xml"
    response = page.request.get(base + "/feed.xml")
    feed = feedparser.parse(response.body(), response_headers={**response.headers, "content-location": base + "/feed.xml"})
    assert not feed.bozo and len(feed.entries) >= 20
    page.goto(feed.entries[0].link)
    assert page.locator("article h1").inner_text().rstrip("¶") == feed.entries[0].title


# --- 8. print and cite -----------------------------------------------------------------------------


def test_a_case_study_prints_cleanly_and_can_be_cited(site_server, context_at) -> None:
    base, _ = site_server
    page = context_at(DESKTOP).new_page()
    url = base + f"/case-studies/{CASE}/"
    page.goto(url)
    cite = page.locator(".kb-cite").inner_text()
    assert cite.startswith("Fylde Coast Local Health Economy (2026). Extensive care service for people aged 60")
    assert cite.endswith("Available at: " + url)
    sources = page.locator(".kb-cite-source").all_inner_texts()
    assert (
        len(sources) == 2 and "(2017)" in sources[0] and "p14, (Appendix 5, p47); p19, (Appendix 5, p47)." in sources[0]
    )  # one per report, its pages together
    page.emulate_media(media="print")
    for hidden in (".md-header", ".md-tabs", ".md-sidebar--primary", ".md-footer"):
        assert not page.locator(hidden).first.is_visible(), hidden
    after = page.evaluate("getComputedStyle(document.querySelector('article a[data-kb-href]'), '::after').content")
    assert base in after  # the link's full address, printed after it
    page.screenshot(path=str(ARTIFACTS / "case-study-print.png"), full_page=True)
    pdf = page.pdf(path=str(ARTIFACTS / "case-study.pdf"), format="A4")
    assert pdf.startswith(b"%PDF")


# --- 5. the finder ------------------------------------------------------------------------------------


# A challenge whose close answers include case studies with measured results (the finder
# shows only the close ones when search says which are).
FACETED = "fewer A&E attendances and hospital admissions for frail older people"


def test_finder_facets_highlights_and_an_address_to_share(site_server, context_at) -> None:
    base, _ = site_server
    page = context_at(DESKTOP).new_page()
    page.goto(base + "/finder/")
    page.locator("#kb-finder-query").fill(FACETED)
    page.keyboard.press("Enter")
    page.locator("#kb-finder-results li").first.wait_for(timeout=20_000)
    assert parse_qs(urlsplit(page.url).query) == {"query": [FACETED]}
    page.locator("#kb-finder-facets legend").first.wait_for()
    legends = page.locator("#kb-finder-facets legend").all_inner_texts()
    assert legends[:3] == ["Entry type", "Evidence", "Theme"] and "Population group" in legends
    assert page.locator("#kb-finder-results mark").count() >= 1  # the query's words in the matched passage
    marks = {m.lower() for m in page.locator("#kb-finder-results mark").all_inner_texts()}
    assert marks & {"frail", "older", "people", "hospital", "admissions", "attendances"}
    page.screenshot(path=str(ARTIFACTS / "finder-facets-1280.png"), full_page=True)

    case_box = page.locator("#kb-finder-facets input[name=type][value=case-study]")
    count = int(re.search(r"\((\d+)\)", case_box.locator("xpath=..").inner_text()).group(1))
    case_box.check()
    page.wait_for_url("**type=case-study**")
    assert page.locator("#kb-finder-results li").count() == min(count, 10)
    assert all(text.strip().startswith("— Case study") for text in page.locator("#kb-finder-results .kb-finder-org").all_inner_texts())
    evidence_box = page.locator("#kb-finder-facets input[name=evidence][value=measured]")
    evidence_box.check()
    page.wait_for_url("**evidence=measured**")
    assert set(page.locator("#kb-finder-results .kb-evidence-tag").all_inner_texts()) == {"Measured results"}
    brief = urlsplit(page.locator("#kb-finder-brief").get_attribute("href"))
    assert brief.path == "/api/brief"
    assert parse_qs(brief.query) == {"q": [FACETED], "format": ["docx"], "type": ["case-study"], "evidence": ["measured"]}

    shared = page.url
    page.go_back()
    page.wait_for_function("!location.search.includes('evidence=')")
    assert not page.locator("#kb-finder-facets input[name=evidence][value=measured]").is_checked()
    other = context_at(PHONE).new_page()  # the address alone brings the same search back
    other.goto(shared)
    other.locator("#kb-finder-results li").first.wait_for(timeout=20_000)
    assert other.locator("#kb-finder-query").input_value() == FACETED
    assert other.locator("#kb-finder-facets input[name=evidence][value=measured]").is_checked()
    fold = other.locator(".kb-facets-fold")
    assert fold.evaluate("d => d.open") is False and fold.locator("summary").inner_text() == "Filter the results (2 chosen)"  # results first on a phone
    other.screenshot(path=str(ARTIFACTS / "finder-facets-390.png"), full_page=True)
    fold.locator("summary").click()
    assert other.locator("#kb-finder-facets legend").first.is_visible()


def test_finder_shows_expansions_did_you_mean_and_no_close_match(site_server, context_at) -> None:
    """The search service's notes (issue 14) as the finder renders them: the real answer,
    with the notes added on the way, as that service will send them."""
    base, _ = site_server
    page = context_at(DESKTOP).new_page()

    def with_notes(route) -> None:
        answer = route.fetch()
        body = answer.json()
        body.update(expansions=[{"term": "AHP", "expansion": "allied health professional"}], did_you_mean="physiotherapy", no_close_match=True)
        for n, result in enumerate(body["results"]):
            result.update(relevance=0.2, close=n < 3)
        route.fulfill(response=answer, json=body)

    page.route("**/api/search?*", with_notes)
    page.goto(base + "/finder/?query=physiotherapie+AHP")
    page.locator("#kb-finder-results li").first.wait_for(timeout=20_000)
    notes = page.locator("#kb-finder-notes").inner_text()
    assert "Also searched for: AHP (allied health professional)" in notes
    assert "Nothing in the knowledge base is a close match for “physiotherapie AHP”" in notes
    assert page.locator("#kb-finder-results li").count() == 3  # only the close ones count
    page.screenshot(path=str(ARTIFACTS / "finder-no-close-match-1280.png"), full_page=True)
    page.get_by_role("link", name="physiotherapy").click()
    page.wait_for_url("**query=physiotherapy")


def test_finder_shows_values_as_text_never_markup(site_server, context_at) -> None:
    base, _ = site_server
    page = context_at(DESKTOP).new_page()
    evil = '<img src=x onerror="window.pwned=1">'

    def hostile(route) -> None:
        answer = route.fetch()
        body = answer.json()
        body["results"][0].update(title=evil, match=evil + " frailty", organisation=evil)
        body.update(did_you_mean=evil, expansions=[{"term": evil, "expansion": evil}])
        route.fulfill(response=answer, json=body)

    page.route("**/api/search?*", hostile)
    page.goto(base + "/finder/?query=frailty")
    page.locator("#kb-finder-results li").first.wait_for(timeout=20_000)
    assert evil in page.locator("#kb-finder-results li").first.inner_text()
    assert page.locator("#kb-finder-results img, #kb-finder-notes img").count() == 0
    assert page.evaluate("window.pwned") is None


# --- 6. glossary ------------------------------------------------------------------------------------------


def test_glossary_page_and_abbreviations_explained_where_they_appear(site_server, context_at) -> None:
    import yaml

    base, _ = site_server
    terms = yaml.safe_load((REAL_CONTENT / "glossary.yaml").read_text())["terms"]
    page = context_at(DESKTOP).new_page()
    page.goto(base + "/glossary/")
    for term in terms:
        assert page.locator(f"#{term['id']}").is_visible()
    page.goto(base + "/mdt-characteristics/")
    mdt = next(t for t in terms if t["term"] == "MDT")
    abbr = page.locator("article abbr", has_text="MDT").first
    assert abbr.get_attribute("title") == mdt["expansion"]


def test_the_offline_build_has_the_new_pages(site_server, tmp_path: Path) -> None:
    from tests.site.test_browser import build_offline

    _, project = site_server
    build_offline(project, tmp_path / "offline")
    for name in ("evidence.html", "glossary.html", "feed.xml", "finder-data.json"):
        assert (tmp_path / "offline" / name).exists(), name
    outcomes = (tmp_path / "offline" / "outcomes.html").read_text()
    assert f'href="case-studies/{CASE}.html"' in outcomes  # the panels' links work from disk too
