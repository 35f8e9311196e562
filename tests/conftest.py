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
    """A small, valid content folder; KB_CONTENT and KB_DATA point at it."""
    content = write_content(tmp_path)
    monkeypatch.setenv("KB_CONTENT", str(content))
    monkeypatch.setenv("KB_DATA", str(tmp_path / ".kb"))
    return content


@pytest.fixture
def real_content(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KB_CONTENT", str(REAL_CONTENT))
    return REAL_CONTENT


def copy_real_content(dest: Path) -> Path:
    shutil.copytree(REAL_CONTENT, dest / "content")
    return dest / "content"


def env_with(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(overrides)
    return env
