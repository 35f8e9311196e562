"""The learning site: generated pages, escaping, strict builds, offline builds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kb.cli import app
from kb.core import KnowledgeBase
from kb.site import builder as site
from kb.site import markup

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


def test_outcomes_page_has_a_chart_with_alt_text_and_a_sortable_table(mini_site) -> None:
    _, out = mini_site
    page = (out / "outcomes/index.html").read_text()
    assert 'role="img"' in page and '<title id="kb-chart-title">Chart: which of' in page
    assert "<table>" in article(page) and "tablesort" in page


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
