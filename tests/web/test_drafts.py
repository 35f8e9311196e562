"""What the contribute page asks while an entry is written (kb.web.drafts): the form's
schema, a check of the whole draft with its preview, and the entries very like a draft
however unfinished. Nothing is stored by any of them."""

from __future__ import annotations

from typing import Any

from kb.models import ENTRY_MODELS
from tests.conftest import MINI_ENTRIES
from tests.helpers import call
from tests.web.conftest import sent

DEMENTIA = next(e for e in MINI_ENTRIES["case_studies"] if e["id"] == "dementia-outreach")


def test_the_form_is_the_entry_models_schema_with_names_for_its_ids(site: dict[str, Any]) -> None:
    app, auth = site["app"], site["auth"]
    assert call(app, "GET", "/api/drafts/form").status_code == 401
    form = call(app, "GET", "/api/drafts/form", headers=auth["college"]).json()
    assert form["types"]["case-study"] == "Case study" and form["types"]["top-tip"] == "Top tip"
    spec = call(app, "GET", "/api/openapi.json").json()
    # The same schema as the submission body's: one source of truth for the form and the check.
    assert form["body"] == spec["paths"]["/api/submissions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    for entry_type, model in ENTRY_MODELS.items():
        reference = form["body"]["discriminator"]["mapping"][entry_type].split("/")[-1]
        assert set(form["components"][reference]["properties"]) == set(model.model_fields), entry_type
    case = form["components"]["SubmittedCaseStudy"]["properties"]
    assert case["approach"]["x-kb-long"] is True and "x-kb-long" not in case["title"]
    assert form["choices"]["themes"]["dementia"] == "Dementia"
    assert form["choices"]["document"] == {"doc-a": "Report A"}
    assert form["choices"]["enablers"]["shared-learning"]
    assert {"added", "updated", "status", "reviewed_by"} == set(form["server_set"])
    assert form["fields"]["contributor"]["label"] == "Your name" and form["fields"]["document"]["label"] == "Source document"
    assert form["urls"]["case-study"] == "case-studies/"


def test_check_says_every_problem_at_its_field_and_stores_nothing(site: dict[str, Any]) -> None:
    app, auth = site["app"], site["auth"]
    pending = sorted(p.name for p in (site["submissions"] / "pending").iterdir())
    draft = sent("draft-one") | {"summary": "", "organisation_kind": "vangard"}
    checked = call(app, "POST", "/api/drafts/check", json=draft, headers=auth["college"])
    assert checked.status_code == 422, checked.text  # exactly as POST /api/submissions would refuse it
    problems = checked.json()["detail"]
    fields = {tuple(p["loc"]) for p in problems}
    assert ("body", "summary") in fields and ("body", "organisation_kind") in fields
    assert any("did you mean 'vanguard'" in p["msg"] for p in problems)
    assert all(p["line"] >= 1 and p["column"] >= 1 for p in problems)
    assert sorted(p.name for p in (site["submissions"] / "pending").iterdir()) == pending
    assert call(app, "POST", "/api/drafts/check", json=draft).status_code == 401


def test_check_warns_of_a_likely_duplicate_before_it_is_sent(site: dict[str, Any]) -> None:
    app, auth = site["app"], site["auth"]
    copy = {k: v for k, v in DEMENTIA.items() if k not in {"status", "added"}} | {"id": "outreach-again"}
    body = call(app, "POST", "/api/drafts/check", json=copy, headers=auth["college"]).json()
    assert body["valid"] is True
    assert [s["id"] for s in body["similar"]] == ["dementia-outreach"]
    assert body["warnings"][0].startswith("this draft is very similar to 'dementia-outreach'")
    assert not (site["submissions"] / "pending" / "outreach-again.yaml").exists()


def test_a_clean_draft_gets_its_page_as_the_site_will_show_it(site: dict[str, Any]) -> None:
    app, auth = site["app"], site["auth"]
    draft = sent("preview-me") | {"title": "<script>alert(1)</script> Pharmacists & paramedics", "themes": ["dementia"]}
    page = call(app, "POST", "/api/drafts/check", json=draft, headers=auth["college"]).json()["preview"]
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; Pharmacists &amp; paramedics</h1>" in page.replace('<a class="headerlink"', "</h1>").split("</h1>")[0] + "</h1>"
    )
    assert "<script" not in page
    assert '<a href="/themes/dementia/">Dementia</a>' in page  # links from the site's root, as mkdocs would write them
    assert "## " not in page and "What they did</h2>" in page.replace('<a class="headerlink"', "</h2>")


def test_similar_looks_at_whatever_the_draft_has_so_far(site: dict[str, Any]) -> None:
    app, auth = site["app"], site["auth"]
    started = {"type": "case-study", "title": DEMENTIA["title"], "summary": DEMENTIA["summary"]}
    found = call(app, "POST", "/api/similar", json=started, headers=auth["college"])
    assert found.status_code == 200, found.text
    assert [s["id"] for s in found.json()["similar"]] == ["dementia-outreach"]
    assert found.json()["warnings"][0].startswith("this draft is very similar to 'dementia-outreach'")
    # Of another type, nothing: duplicates are within a type.
    other = call(app, "POST", "/api/similar", json=started | {"type": "top-tip"}, headers=auth["college"]).json()
    assert other["similar"] == []
    unrelated = {"type": "case-study", "title": "Paramedics in the control room", "summary": "Paramedics answered calls about falls at home."}
    assert call(app, "POST", "/api/similar", json=unrelated, headers=auth["college"]).json()["similar"] == []
    # No text yet: nothing to compare. What it has is checked as a submission's would be.
    assert call(app, "POST", "/api/similar", json={"type": "case-study"}, headers=auth["college"]).json() == {"similar": [], "warnings": []}
    for wrong, where in [
        ({}, ["body", "type"]),
        ({"type": "no-such-type", "title": "x"}, ["body", "type"]),
        ({"type": "case-study", "title": 7}, ["body", "title"]),
        ({"type": "enabler", "updated": 0}, ["body", "updated"]),  # a number is no date, unfinished or not
    ]:
        refused = call(app, "POST", "/api/similar", json=wrong, headers=auth["college"])
        assert refused.status_code == 422 and where in [p["loc"] for p in refused.json()["detail"]], refused.text
    half = started | {"sources": [{"page": 3}], "themes": ["dementia"]}  # a source without its document is a problem
    assert [p["loc"] for p in call(app, "POST", "/api/similar", json=half, headers=auth["college"]).json()["detail"]] == [["body", "sources", 0, "document"]]
    for not_a_draft in ([1, 2], "text"):
        refused = call(app, "POST", "/api/similar", json=not_a_draft, headers=auth["college"])
        assert refused.status_code == 422 and "one mapping of fields" in refused.json()["detail"][0]["msg"], refused.text
    broken = call(app, "POST", "/api/similar", content=b'{"type": "case-study",', headers=auth["college"] | {"Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["detail"][0]["line"] == 1
    assert call(app, "POST", "/api/similar", json=started).status_code == 401
    assert not (site["submissions"] / "pending" / "dementia-outreach.yaml").exists()


def test_me_says_whose_token_it_is(site: dict[str, Any]) -> None:
    app, auth = site["app"], site["auth"]
    assert call(app, "GET", "/api/me", headers=auth["college"]).json() == {"name": "college", "role": "contributor"}
    assert call(app, "GET", "/api/me", headers=auth["curator"]).json() == {"name": "curator", "role": "reviewer"}
    assert call(app, "GET", "/api/me").status_code == 401


def test_a_submission_for_review_has_its_preview_and_a_diff_against_the_most_similar_entry(site: dict[str, Any]) -> None:
    app, auth = site["app"], site["auth"]
    copy = {k: v for k, v in DEMENTIA.items() if k not in {"status", "added"}} | {
        "id": "outreach-retold",
        "title": "Outreach team teaches care homes about dementia",
    }
    assert call(app, "POST", "/api/submissions", json=copy, headers=auth["college"]).status_code == 201
    detail = call(app, "GET", "/api/submissions/outreach-retold", headers=auth["curator"]).json()
    assert detail["similar_entry"] == "dementia-outreach"  # no entry has its title: the most similar one
    assert "-title: Dementia outreach team trains care home staff" in detail["diff"]
    assert "+title: Outreach team teaches care homes about dementia" in detail["diff"]
    assert "Outreach team teaches care homes about dementia" in detail["preview"]
