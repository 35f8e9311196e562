"""Shared fixtures: a small content folder the tests write, and the real content."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
REAL_CONTENT = ROOT / "content"
KB = str(ROOT / ".venv" / "bin" / "kb") if (ROOT / ".venv" / "bin" / "kb").exists() else "kb"

TAXONOMY = {
    "themes": [
        {"id": "dementia", "name": "Dementia"},
        {"id": "frailty", "name": "Frailty"},
        {"id": "workforce-planning", "name": "Workforce planning"},
        {"id": "technology", "name": "Technology", "aliases": ["telehealth"]},
        {"id": "integration", "name": "Integration"},
    ],
    "population_groups": [{"id": "frail-older-people", "name": "Frail older people"}],
    "care_settings": [{"id": "care-homes", "name": "Care homes"}, {"id": "primary-care", "name": "Primary care"}],
    "roles": [{"id": "care-navigator", "name": "Care navigator"}],
}
SOURCES = {
    "documents": [
        {"id": "doc-a", "title": "Report A", "publisher": "Publisher", "date": "2017-08", "citation": "page"},
    ]
}


def case_study(entry_id: str, title: str, organisation: str, summary: str, approach: str, **extra) -> dict:
    entry = {
        "id": entry_id,
        "type": "case-study",
        "title": title,
        "organisation": organisation,
        "organisation_kind": "vanguard",
        "summary": summary,
        "approach": approach,
        "themes": ["integration"],
        "sources": [{"document": "doc-a", "page": 3}],
        "contributor": "tests",
        "status": "published",
        "added": "2026-01-02",
    }
    entry.update(extra)
    return entry


MINI_ENTRIES = {
    "case_studies": [
        case_study(
            "dementia-outreach",
            "Dementia outreach team trains care home staff",
            "City CCG",
            "A multidisciplinary outreach team taught care home staff to support residents with dementia.",
            "Mental health nurses, physiotherapists and occupational therapists ran a training programme in care homes.",
            themes=["dementia"],
            care_settings=["care-homes"],
            enablers=["shared-learning"],
            metrics=[{"measure": "Homes trained", "value": 12, "unit": "count", "as_reported": "12 homes", "aim": "population-health"}],
            outcomes={"population_health": "Residents kept well in their home."},
        ),
        case_study(
            "frailty-planning",
            "Planning the frailty workforce around patient needs",
            "Erewash Vanguard",
            "The vanguard modelled the skills older frail patients need before designing teams.",
            "Competencies were mapped for a cohort of frail older people across two localities.",
            themes=["frailty", "workforce-planning"],
            population_groups=["frail-older-people"],
        ),
        case_study(
            "navigators",
            "Voluntary sector care navigators",
            "Island Partnership",
            "Navigators based in a charity link GP patients to community support for non-clinical needs.",
            "Trust was built between GPs and the voluntary sector so practices refer to navigators.",
            roles=["care-navigator"],
            care_settings=["primary-care"],
            organisation_kind="primary-care-home",
            barriers=["money-flows"],
        ),
        case_study(
            "rural-telemedicine",
            "Telemedicine for a remote town",
            "Bay Health",
            "Video consultations connect a remote community hospital with specialists far away.",
            "Clinicians hold outpatient reviews over video links instead of long journeys.",
            themes=["technology"],
            organisation_kind="other",
        ),
    ],
    "enablers": [
        {
            "id": "shared-learning",
            "type": "enabler",
            "title": "Shared learning across professions",
            "summary": "Teams that train together work together.",
            "case_studies": ["dementia-outreach"],
            "sources": [{"document": "doc-a", "section": "Part Three / Clinical education"}],
            "contributor": "tests",
            "added": "2026-01-02",
        }
    ],
    "barriers": [
        {
            "id": "money-flows",
            "type": "barrier",
            "title": "Money flows between organisations",
            "summary": "Budgets held apart make joint teams hard to fund.",
            "case_studies": ["navigators"],
            "mitigations": ["Pool budgets."],
            "sources": [{"document": "doc-a", "section": "Part Four / Financial flows"}],
            "contributor": "tests",
            "added": "2026-01-03",
        }
    ],
    "top_tips": [
        {
            "id": "tip-know-your-people",
            "type": "top-tip",
            "group": "Modelling and planning the workforce",
            "title": "Know your population",
            "summary": "Shape care around a defined population.",
            "case_studies": ["frailty-planning"],
            "sources": [{"document": "doc-a", "page": 9}],
            "contributor": "tests",
            "added": "2026-01-04",
        }
    ],
}


# A glossary term no mini entry uses ("OT"), though one says "occupational therapists".
OT = {
    "id": "ot",
    "term": "OT",
    "expansion": "occupational therapist",
    "definition": "A therapist who helps people do everyday tasks.",
    "synonyms": ["occupational therapists"],
    "source": "general usage",
}


def with_glossary(content: Path, *terms: dict) -> None:
    """Give a content folder a glossary of ``terms``."""
    (content / "glossary.yaml").write_text(yaml.safe_dump({"terms": list(terms)}, sort_keys=False))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the caller's KB_* variables: each passes its paths explicitly, so a
    stray KB_CONTENT can neither hide a bug (a path ignored) nor make a test pass."""
    for name in [n for n in os.environ if n.startswith("KB_") and n != "KB_SOURCES"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # nothing is ever fetched from a model hub


MINI_IDS = {entry["id"] for entries in MINI_ENTRIES.values() for entry in entries}


def new_case_study(entry_id: str, **extra: object) -> dict:
    """A valid case study unlike any in the mini content: what a contributor sends."""
    return case_study(
        entry_id,
        "Pharmacists in the ambulance control room",
        "Coastal Ambulance Trust",
        "Clinical pharmacists answer medicines questions from paramedics by phone.",
        "Two pharmacists joined the clinical hub and took calls about medicines on scene.",
        **extra,
    )


def write_content(root: Path) -> Path:
    """Write the small content folder under ``root/content`` and return it."""
    content = root / "content"
    content.mkdir(parents=True)
    (content / "taxonomy.yaml").write_text(yaml.safe_dump(TAXONOMY, sort_keys=False))
    (content / "sources.yaml").write_text(yaml.safe_dump(SOURCES, sort_keys=False))
    for folder, entries in MINI_ENTRIES.items():
        (content / folder).mkdir()
        for entry in entries:
            (content / folder / f"{entry['id']}.yaml").write_text(yaml.safe_dump(entry, sort_keys=False, allow_unicode=True))
    return content


@pytest.fixture
def mini_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small, valid content folder (its data folder would be ``.kb`` beside it)."""
    return write_content(tmp_path)


@pytest.fixture
def real_content() -> Path:
    return REAL_CONTENT


def copy_real_content(dest: Path) -> Path:
    shutil.copytree(REAL_CONTENT, dest / "content")
    return dest / "content"


def paths(content: Path, data: Path | None = None) -> list[str]:
    """The CLI options naming a project's folders: tests never rely on KB_* variables."""
    return ["--content", str(content), *(["--data", str(data)] if data else [])]


def env_with(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(overrides)
    return env


@pytest.fixture(scope="session")
def built_mini(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small content folder with a real index built once for the session.

    Tests that change content copy it first (see ``fresh_mini``)."""
    from kb.core import KnowledgeBase

    root = tmp_path_factory.mktemp("mini")
    content = write_content(root)
    KnowledgeBase.open(content, root / ".kb").build_index()
    return content, root / ".kb"


@pytest.fixture
def fresh_mini(built_mini: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A private copy of the built mini project (content + index) that a test may change."""
    content, data = built_mini
    shutil.copytree(content, tmp_path / "content")
    # Not onnx (180 MB: shared) nor what other tests' searches counted for kb gaps.
    shutil.copytree(data, tmp_path / ".kb", ignore=shutil.ignore_patterns("onnx", "gaps.json"))
    (tmp_path / ".kb" / "onnx").symlink_to(data / "onnx")
    # Copies get new mtimes: re-stamp the manifest so the copy counts as fresh.
    _restamp(tmp_path / "content", tmp_path / ".kb")
    return tmp_path / "content", tmp_path / ".kb"


def _restamp(content: Path, data: Path) -> None:
    import json

    from kb.search import index

    version = index.current_dir(data)
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["files"] = index.content_signature(content)
    manifest["content_root"] = str(content)
    (version / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of the real content, built once into a temporary data folder."""
    from kb.core import KnowledgeBase

    data = tmp_path_factory.mktemp("real") / ".kb"
    KnowledgeBase.open(REAL_CONTENT, data).build_index()
    return data


# --- the learning site in a real browser (tests/site) ---------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots (git-ignored)


@pytest.fixture(scope="session")
def site_server(real_index: Path, tmp_path_factory: pytest.TempPathFactory):
    """`kb serve` over a copy of the real content (mtimes kept, so the index stays fresh):
    (base URL, project folder)."""
    from tests.helpers import kb_serve

    project = tmp_path_factory.mktemp("served")
    shutil.copytree(REAL_CONTENT, project / "content")
    with kb_serve(KB, project / "content", real_index, env=env_with()) as (base, _proc):
        yield base, project


@pytest.fixture(scope="module")  # not session: Playwright's sync API keeps an event loop running, which later asyncio.run() calls refuse
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: run `make browser` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def context_at(browser):
    """New browser contexts at a given viewport (a desktop unless told), closed afterwards."""
    contexts = []

    def make(viewport: dict[str, int] = DESKTOP):
        ARTIFACTS.mkdir(exist_ok=True)
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(browser):
    """A page 1280 px wide (a desktop); screenshots go to ARTIFACTS."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()
