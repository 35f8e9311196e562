"""The learning site: generated pages, escaping, strict builds, offline builds."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kb.cli import app
from kb.core import KnowledgeBase
from kb.site import builder as site
from kb.site import markup
from kb.site.feed import atom_feed

EVIL = '<script>alert("x")</script> **bold** [click](javascript:alert(1)) <img src=x onerror=alert(2)> {: onclick="y"} # not a heading'


def make_evil(content: Path) -> None:
    path = content / "case_studies" / "navigators.yaml"
    data = yaml.safe_load(path.read_text())
    data["title"] = "Navigators " + EVIL
    data["summary"] = EVIL
    data["approach"] = EVIL
    data["organisation"] = "Island <b>Partnership</b>"
    data["outcomes"] = {"cost": EVIL}
    data["metrics"] = [{"measure": EVIL, "value": 1, "unit": "count", "as_reported": "| a | b |"}]
    data["aliases"] = [EVIL]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def article(html: str) -> str:
    return re.search(r"<article.*?</article>", html, re.S).group(0)


@pytest.fixture
def mini_site(fresh_mini, tmp_path: Path) -> tuple[KnowledgeBase, Path]:
    content, data = fresh_mini
    kb = KnowledgeBase.open(content, data)
    return kb, site.build(kb, tmp_path / "out")


def test_strict_build_makes_every_page(mini_site) -> None:
    _, out = mini_site
    for page in (
        "index.html",
        "case-studies/dementia-outreach/index.html",
        "enablers/shared-learning/index.html",
        "barriers/money-flows/index.html",
        "top-tips/tip-know-your-people/index.html",
        "top-tips/modelling-and-planning-the-workforce/index.html",
        "organisations/city-ccg/index.html",
        "themes/dementia/index.html",
        "outcomes/index.html",
        "whats-new/index.html",
        "sources/index.html",
        "tags/index.html",
        "finder/index.html",
    ):
        assert (out / page).exists(), page


def test_case_study_page_has_outcomes_grid_metrics_and_similar(mini_site) -> None:
    _, out = mini_site
    page = article((out / "case-studies/dementia-outreach/index.html").read_text())
    assert "Residents kept well in their home." in page
    assert page.count("Not reported") == 3  # three of the four aims have nothing
    assert "12 homes" in page and "Similar case studies" in page
    similar = page.split("Similar case studies")[1].split("<h2")[0]
    assert similar.count("<li>") == 3  # the other three case studies
    assert "Shared learning across professions" in page  # the enabler that lists it


def test_enabler_and_barrier_pages_list_their_case_studies(mini_site) -> None:
    _, out = mini_site
    assert "Dementia outreach team trains care home staff" in article((out / "enablers/shared-learning/index.html").read_text())
    barrier = article((out / "barriers/money-flows/index.html").read_text())
    assert "Voluntary sector care navigators" in barrier and "Pool budgets." in barrier


def test_outcomes_page_has_a_panel_per_aim_with_a_text_alternative_and_a_sortable_table(mini_site) -> None:
    _, out = mini_site
    page = article((out / "outcomes/index.html").read_text())
    panels = re.findall(r'<section class="kb-panel[^"]*">(.*?)</section>', page, re.S)  # no figure without an aim here: four panels
    assert [re.search(r"<h3[^>]*>(.*?)<", p).group(1) for p in panels] == [
        "Population health",
        "Individual experience",
        "Cost",
        "Staff experience",
    ]
    health = panels[0]
    assert "1 figure from 1 case study." in health and "12 homes — Homes trained" in health
    assert 'href="../case-studies/dementia-outreach/"' in health  # the case study, full name, linked
    assert "Dementia outreach team trains care home staff" in health
    assert "Outcomes by aim of the Quadruple Aim. Population health: 1 case study, 1 figure; Individual experience: 0 case studies" in page  # text alternative
    assert "<table>" in page and "tablesort" in (out / "outcomes/index.html").read_text()


def test_whats_new_lists_by_date(mini_site) -> None:
    _, out = mini_site
    page = article((out / "whats-new/index.html").read_text())
    assert page.index("2026-01-04") < page.index("2026-01-03") < page.index("2026-01-02")


def test_content_is_escaped_everywhere(fresh_mini, tmp_path: Path) -> None:
    content, data = fresh_mini
    make_evil(content)
    kb = KnowledgeBase.open(content, data)
    out = site.build(kb, tmp_path / "out")
    for html_file in out.rglob("*.html"):
        text = html_file.read_text()
        assert "<script>alert" not in text, html_file
        assert "<img src=x" not in text and "onerror=alert" not in text.replace("onerror=alert(2)&gt;", ""), html_file
        assert 'href="javascript:' not in text, html_file
        assert "<b>Partnership</b>" not in text, html_file
    page = (out / "case-studies/navigators/index.html").read_text()
    assert "&lt;script&gt;alert" in page and "**bold**" in page  # shown as text, not markup


def test_offline_build_works_from_disk(fresh_mini, tmp_path: Path) -> None:
    content, data = fresh_mini
    result = CliRunner().invoke(app, ["site", "build", "--offline", "--out", str(tmp_path / "offline"), "--content", str(content), "--data", str(data)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "offline"
    assert (out / "case-studies" / "navigators.html").exists()  # no directory URLs on disk
    assert (out / "search" / "search_index.js").exists()  # search without fetch


def test_needs_build_follows_the_content(fresh_mini, tmp_path: Path) -> None:
    import os
    import time

    content, data = fresh_mini
    kb = KnowledgeBase.open(content, data)
    out = tmp_path / "s"
    assert site.needs_build(kb, out)
    site.build(kb, out)
    assert not site.needs_build(kb, out)
    later = time.time() + 5
    os.utime(content / "case_studies" / "navigators.yaml", (later, later))
    assert site.needs_build(kb, out)


def test_escape_helpers() -> None:
    assert markup.md("<b>*x*</b> [a](b)") == "&lt;b&gt;\\*x\\*&lt;/b&gt; \\[a\\]\\(b\\)"
    assert markup.h('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"
    assert markup.slug("Royal College of GPs & BGS") == "royal-college-of-gps-bgs"


def test_qualifier_and_caveats_show_beside_the_figures(mini_content: Path) -> None:
    from tests.test_cli import hedge_and_caveat

    hedge_and_caveat(mini_content)
    pages = site.pages(KnowledgeBase.open(mini_content), similar=False)
    case = pages["case-studies/dementia-outreach.md"]
    assert "| almost 12 |" in case and "| see note 1 |" in case and "1. Counted by the team itself\\." in case
    assert "## How far to trust these results" in case and "A pilot in one city\\." in case and "Too early to judge\\. (p1)" in case
    outcomes = pages["outcomes.md"]
    assert "| almost 12 |" in outcomes and "| see note 1, 2 |" in outcomes
    assert "1. Counted by the team itself\\." in outcomes and "2. A pilot in one city\\." in outcomes
    assert "What the reports say about their own evidence" in outcomes and "Too early to judge" in pages["sources.md"]


# --- building from anywhere, and from an installed wheel --------------------------------


def _built_titles(out: Path) -> str:
    return (out / "case-studies" / "index.html").read_text()


@pytest.mark.slow
def test_site_build_uses_the_content_it_is_given_from_any_folder(fresh_mini, real_index: Path, tmp_path: Path) -> None:
    """`kb site build --content DIR` builds DIR, from another folder, whatever KB_CONTENT says."""
    import subprocess

    from tests.conftest import KB, REAL_CONTENT, env_with

    content, data = fresh_mini
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    clean = {k: v for k, v in env_with().items() if not k.startswith("KB_")}
    for env in (clean, {**clean, "KB_CONTENT": str(REAL_CONTENT), "KB_DATA": str(real_index)}):  # no KB_*, then a decoy
        out = tmp_path / f"out-{len(env)}"
        done = subprocess.run(
            [KB, "site", "build", "--content", str(content), "--data", str(data), "--out", str(out)],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        listing = _built_titles(out)
        assert "Voluntary sector care navigators" in listing and "Isle of Wight" not in listing  # the mini content, not the decoy
    assert list(elsewhere.iterdir()) == []  # nothing written where it ran


@pytest.mark.slow
def test_an_installed_wheel_builds_the_site_outside_a_checkout(fresh_mini, tmp_path: Path) -> None:
    """The wheel carries mkdocs.yml and the site's assets: install it into a fresh
    environment (its dependencies borrowed from the test environment, kb itself not)
    and build from another folder."""
    import subprocess
    import sys
    import sysconfig

    from tests.conftest import ROOT

    content, data = fresh_mini
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(fresh)], check=True, timeout=120)
    site_packages = next((fresh / "lib").glob("python3*/site-packages"))
    # Only the dependencies: a path added by a .pth is not itself scanned for .pth files,
    # so the test environment's editable kb stays out.
    (site_packages / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(fresh / "bin" / "python"), "-m", "pip", "install", "--no-deps", "-q", *map(str, wheels.glob("*.whl"))],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(fresh / "bin" / "python"), "-c", "import kb; print(kb.__file__)"], cwd=elsewhere, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(site_packages)), where.stdout
    out = tmp_path / "out"
    done = subprocess.run(
        [str(fresh / "bin" / "kb"), "site", "build", "--content", str(content), "--data", str(data), "--out", str(out)],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Voluntary sector care navigators" in _built_titles(out)
    assert (out / "stylesheets" / "kb.css").exists() and (out / "javascripts" / "finder.js").exists() and (out / "finder" / "index.html").exists()


# --- issue 15: evidence, tags, contact, citation, glossary, feed, finder data -------------

GLOSSARY = {
    "terms": [
        {
            "id": "ahp",
            "term": "AHP",
            "expansion": "allied health professional",
            "definition": "A member of a regulated profession beside nursing and medicine.",
            "synonyms": ["allied health professionals"],
            "source": "general usage",
        },
        {
            "id": "a-and-e",
            "term": "A&E",
            "expansion": "accident & emergency",
            "definition": "The emergency department.",
            "source": {"document": "doc-a", "page": 2},
        },
        {"id": "vanguard", "term": "vanguard", "definition": "A site that led a new care model.", "source": {"document": "doc-a", "page": 1}},
    ]
}


def test_case_study_head_is_title_evidence_summary_then_tags(mini_site) -> None:
    _, out = mini_site
    page = article((out / "case-studies/dementia-outreach/index.html").read_text())
    assert '<nav class="md-tags" hidden>' in page  # Material's chips stay off the top of the page
    title = page.index("<h1")
    evidence = page.index('class="kb-evidence kb-evidence--described"')
    summary = page.index('class="kb-summary"')
    tags = page.index("<strong>Themes:</strong>")
    assert title < evidence < summary < tags
    assert re.search(r'<a href="../../evidence/#described">Described only</a>', page)
    assert '<a href="../../care-settings/care-homes/">Care homes</a>' in page


def test_other_entries_show_their_tags_after_the_summary(mini_content: Path) -> None:
    path = mini_content / "enablers" / "shared-learning.yaml"
    data = yaml.safe_load(path.read_text())
    data["themes"] = ["dementia"]
    path.write_text(yaml.safe_dump(data))
    page = site.pages(KnowledgeBase.open(mini_content), similar=False)["enablers/shared-learning.md"]
    assert (
        page.index("# Shared learning")
        < page.index('class="kb-summary"')
        < page.index("**Themes:** [Dementia](../themes/dementia.md)")
        < page.index("{: .kb-tags }")
    )
    assert page.index("{: .kb-tags }") < page.index("Case studies that illustrate it")


def test_listings_show_each_case_studys_evidence(mini_site) -> None:
    _, out = mini_site
    listing = article((out / "case-studies/index.html").read_text())
    assert listing.count('class="kb-evidence-tag') == 4
    assert article((out / "themes/dementia/index.html").read_text()).count("kb-evidence-tag") == 1


def test_how_we_rate_evidence_comes_from_the_levels(mini_site) -> None:
    from kb.evidence import LEVELS

    _, out = mini_site
    page = article((out / "evidence/index.html").read_text())
    for level, (label, explanation) in LEVELS.items():
        assert re.search(rf'<h2 id="{level}">{re.escape(label)}', page), level
        assert html.escape(explanation, quote=True) in page
    described = page.split('id="described"')[1]
    assert "Dementia outreach team trains care home staff" in described  # a count describes; it measures no change


def test_cite_this_gives_the_entry_and_its_source_pages(mini_site) -> None:
    _, out = mini_site
    page = article((out / "case-studies/dementia-outreach/index.html").read_text())
    cite = page.split('id="cite-this"')[1]
    assert "City CCG (2026). <cite>Dementia outreach team trains care home staff</cite>." in cite
    assert "added 2026-01-02" in cite and "Contributed by tests" in cite and 'class="kb-cite-url"' in cite
    assert "Publisher (2017). <cite>Report A</cite>. p3." in cite


def test_cite_uses_the_site_url_when_configured(mini_content: Path) -> None:
    pages = site.pages(KnowledgeBase.open(mini_content), similar=False, site_url="https://kb.example.org/")
    assert "https://kb.example.org/case-studies/navigators/</span>" in pages["case-studies/navigators.md"]
    assert "https://kb.example.org/case-studies/navigators/" in pages["feed.xml"]


def test_a_contact_shows_where_present(mini_content: Path) -> None:
    path = mini_content / "case_studies" / "navigators.yaml"
    data = yaml.safe_load(path.read_text())
    data["contact"] = "navigators@island.example.org"
    path.write_text(yaml.safe_dump(data))
    tip = mini_content / "top_tips" / "tip-know-your-people.yaml"
    data = yaml.safe_load(tip.read_text())
    data["contact"] = "Workforce lead <script>x</script>"
    tip.write_text(yaml.safe_dump(data))
    pages = site.pages(KnowledgeBase.open(mini_content), similar=False)
    assert '- **Contact:** <a href="mailto:navigators@island.example.org">navigators@island.example.org</a>' in pages["case-studies/navigators.md"]
    assert "**Contact:** Workforce lead &lt;script&gt;x&lt;/script&gt;" in pages["top-tips/tip-know-your-people.md"]
    assert "Contact" not in pages["case-studies/frailty-planning.md"]


def test_feed_lists_the_latest_entries_newest_first(mini_site) -> None:
    import feedparser

    _, out = mini_site
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "kb — new and updated entries"
    assert len(feed.entries) == 7  # every entry, since there are fewer than 20
    assert feed.entries[0].title == "Know your population" and feed.entries[0].updated.startswith("2026-01-04")
    assert [e.updated for e in feed.entries] == sorted((e.updated for e in feed.entries), reverse=True)
    for item in feed.entries:
        assert (out / item.link / "index.html").exists(), item.link
    for page in out.rglob("*.html"):
        if page.name != "404.html":
            assert 'rel="alternate" type="application/atom+xml"' in page.read_text(), page


def test_feed_takes_at_least_the_latest_twenty(mini_content: Path) -> None:
    import feedparser

    from kb.site.feed import LATEST

    kb = KnowledgeBase.open(mini_content)
    entries = [kb.content.entries["navigators"].model_copy(update={"id": f"n-{i}", "added": date(2026, 2, 1 + i % 28)}) for i in range(40)]
    feed = feedparser.parse(atom_feed(entries))
    assert len(feed.entries) == LATEST >= 20 and feed.entries[0].updated.startswith("2026-02-28")


def test_finder_data_has_every_facet(mini_site) -> None:
    import json

    _, out = mini_site
    data = json.loads((out / "finder-data.json").read_text())
    assert [f["name"] for f in data["facets"]] == ["type", "evidence", "theme", "population_group", "care_setting"]
    frailty = data["entries"]["frailty-planning"]
    assert frailty == {
        "type": ["case-study"],
        "evidence": ["described"],
        "theme": ["frailty", "workforce-planning"],
        "population_group": ["frail-older-people"],
        "care_setting": [],
    }
    assert data["entries"]["shared-learning"]["evidence"] == []
    assert data["singular"]["case-study"] == "Case study"


def test_glossary_page_and_abbreviations_on_every_page(fresh_mini, tmp_path: Path) -> None:
    content, data = fresh_mini
    (content / "glossary.yaml").write_text(yaml.safe_dump(GLOSSARY))
    path = content / "case_studies" / "navigators.yaml"
    entry = yaml.safe_load(path.read_text())
    entry["approach"] = "AHPs and an AHP lead cut A&E visits."
    path.write_text(yaml.safe_dump(entry))
    out = site.build(KnowledgeBase.open(content, data), tmp_path / "out")
    glossary = article((out / "glossary/index.html").read_text())
    assert glossary.index('id="a-and-e"') < glossary.index('id="ahp"') < glossary.index('id="vanguard"')
    assert "A member of a regulated profession" in glossary and "Also called: allied health professionals" in glossary
    page = article((out / "case-studies/navigators/index.html").read_text())
    assert '<abbr title="allied health professional">AHPs</abbr> and an <abbr title="allied health professional">AHP</abbr> lead' in page
    assert '<abbr title="accident &amp; emergency">A&amp;E</abbr>' in page
    assert "abbr" not in (out / "case-studies/navigators/index.html").read_text().split("<article")[0]  # never inside the head's attributes


def test_abbreviations_leave_code_attributes_and_other_words_alone() -> None:
    from kb.models import GlossaryTerm
    from kb.site.abbreviations import Abbreviations

    terms = [GlossaryTerm(**t) for t in GLOSSARY["terms"]]
    apply = Abbreviations(terms).apply
    assert apply('<a href="/AHP" title="AHP">AHP</a>') == '<a href="/AHP" title="AHP"><abbr title="allied health professional">AHP</abbr></a>'
    assert apply("<code>AHP</code> <pre>AHP</pre> <abbr>AHP</abbr>") == "<code>AHP</code> <pre>AHP</pre> <abbr>AHP</abbr>"
    assert apply("MAHP AHP-led AHPS AHPx vanguard") == "MAHP AHP-led AHPS AHPx vanguard"  # no expansion for vanguard
    assert apply("<p>AHP</p>") == '<p><abbr title="allied health professional">AHP</abbr></p>'
    assert Abbreviations([]).apply("<p>AHP</p>") == "<p>AHP</p>"
