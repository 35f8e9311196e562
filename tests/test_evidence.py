"""The evidence label: derived from a case study's figures, the same everywhere."""

from __future__ import annotations

import pytest

from kb.content import load_content
from kb.evidence import LEVEL_ORDER, evidence_of
from kb.models import CaseStudy
from tests.conftest import REAL_CONTENT, case_study


def metric(**extra: object) -> dict[str, object]:
    return {"measure": "A&E attendances", "value": 5, "unit": "percent", "as_reported": "5% fewer", **extra}


@pytest.mark.parametrize(
    ("metrics", "level"),
    [
        ([], "described"),
        ([metric(direction="level", unit="count")], "described"),
        ([metric(direction="decrease", estimated=True)], "estimated"),
        ([metric(survey=True), metric(direction="decrease", estimated=True)], "survey"),
        ([metric(direction="decrease"), metric(survey=True)], "measured"),
    ],
)
def test_the_level_is_the_strongest_basis_among_its_figures(metrics: list[dict[str, object]], level: str) -> None:
    case = CaseStudy.model_validate(case_study("x", "X", "Org", "S.", "A.", metrics=metrics))
    assert evidence_of(case).level == level


def test_caveats_come_from_the_entry_its_figures_and_its_sources_once_each() -> None:
    caveat = {"text": "Too early to judge.", "source": {"document": "doc-a", "page": 3}}
    case = CaseStudy.model_validate(case_study("x", "X", "Org", "S.", "A.", caveats=[caveat], metrics=[metric(direction="decrease", caveats=[caveat])]))
    assert [c.text for c in evidence_of(case).caveats] == ["Too early to judge."]


def test_every_real_case_study_gets_a_label_and_every_level_but_one_is_used() -> None:
    content, problems = load_content(REAL_CONTENT)
    assert problems == []
    levels = {evidence_of(e, content.documents).level for e in content.entries.values() if isinstance(e, CaseStudy)}
    assert levels <= set(LEVEL_ORDER)
    assert {"measured", "survey", "described"} <= levels
