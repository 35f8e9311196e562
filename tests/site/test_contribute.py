"""The contribute and review pages in Debian chromium, against a real `kb serve` over a
git repository: a curator invites with one command, and everything after happens in a
browser. An entry with an empty summary is refused at its field and nothing is stored;
fixed, it is submitted; a contributor's token cannot approve; a reviewer approves in
/review/ and the entry is live on the site and in the finder without a restart."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ARTIFACTS, DESKTOP, KB, PHONE, _restamp, env_with

pytestmark = pytest.mark.slow

TITLE = "Pharmacists in the ambulance control room"
SUMMARY = "Pharmacists joined the ambulance service's control room to advise crews on medicines by phone."
APPROACH = "Two pharmacists took calls from paramedics and care homes about medicines."
LIVE_WITHIN = 90.0  # seconds, generous for a loaded machine; the closing note gives the measured time
AXE_REPORT = ARTIFACTS / "axe-contribute-review.json"


def git(where: Path, *args: str) -> None:
    done = subprocess.run(["git", "-c", "user.name=Setup", "-c", "user.email=setup@example.org", *args], cwd=where, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def invite(content: Path, data: Path, name: str, role: str, base: str) -> str:
    """`kb token create`: the curator's one command. Its invite link, which comes before the token."""
    done = subprocess.run(
        [KB, "token", "create", "--name", name, "--role", role, "--base-url", base, "--content", str(content), "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return next(line for line in done.stdout.splitlines() if "/contribute/#token=" in line).strip()


@pytest.fixture(scope="module")
def served(built_mini: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The mini project in git, served by `kb serve` (publisher included), with a
    contributor's and a reviewer's invite links."""
    from tests.helpers import free_port, wait_until_responds

    content, data = built_mini
    root = tmp_path_factory.mktemp("contribute")
    shutil.copytree(content, root / "content")
    shutil.copytree(data, root / ".kb", ignore=shutil.ignore_patterns("onnx", "gaps.json"))
    (root / ".kb" / "onnx").symlink_to(data / "onnx")
    _restamp(root / "content", root / ".kb")
    (root / ".gitignore").write_text(".kb/\nsubmissions/\n")
    git(root, "init", "--quiet", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "Start")
    git(root, "config", "user.name", "kb host")
    git(root, "config", "user.email", "host@example.org")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (root / "serve.log").open("w")
    proc = subprocess.Popen(
        [KB, "serve", "--port", str(port), "--content", str(root / "content"), "--data", str(root / ".kb")],
        env=env_with(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_responds(f"{base}/api/health", proc, timeout=300)
        yield {
            "base": base,
            "root": root,
            "contributor": invite(root / "content", root / ".kb", "jane.contributor", "contributor", base),
            "reviewer": invite(root / "content", root / ".kb", "rev.curator", "reviewer", base),
            "log": root / "serve.log",
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def open_form(page, link: str) -> None:
    page.goto(link)
    page.locator("#kb-contribute-form:not([hidden])").wait_for(timeout=20_000)


def fill_case_study(page, summary: str = SUMMARY) -> None:
    page.get_by_label("Entry type").select_option(label="Case study")
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Summary", exact=True).fill(summary)
    page.get_by_label("Source document").select_option(label="Report A")
    page.get_by_label("Page", exact=True).fill("12")
    page.get_by_label("Organisation", exact=True).fill("North Ambulance Service")
    page.get_by_label("Organisation kind").select_option(label="other")
    page.get_by_label("Approach", exact=True).fill(APPROACH)
    page.get_by_label("Challenge", exact=True).fill("Crews called out doctors for questions a pharmacist could answer.")
    page.get_by_label("Your name").fill("Dr Jane Contributor")


def open_review(page, served: dict[str, object]) -> None:
    """The review page, signed in with the reviewer's invite link."""
    page.goto(str(served["reviewer"]).replace("/contribute/", "/review/"))
    page.locator("#kb-review-list h2").wait_for(timeout=20_000)


def submit(page) -> None:
    page.get_by_role("button", name="Submit for review").click()
    page.locator("#kb-contribute-done").get_by_role("heading", name="Submitted").wait_for(timeout=20_000)


def pending(served: dict[str, object]) -> list[Path]:
    folder = Path(str(served["root"])) / "submissions" / "pending"
    return sorted(p for p in folder.glob("*.yaml")) if folder.exists() else []


def axe_check(page, name: str, width: int) -> list[str]:
    """Serious or critical axe-core violations on the page as it is; all are kept in AXE_REPORT."""
    from axe_playwright_python.sync_playwright import Axe

    page.mouse.move(0, 0)  # not the hover state of the last button clicked, caught mid-transition
    page.wait_for_timeout(400)
    violations = Axe().run(page).response["violations"]
    report = json.loads(AXE_REPORT.read_text()) if AXE_REPORT.exists() else {}
    report[f"{name}-{width}"] = [f"{v['id']} ({v['impact']})" for v in violations]
    AXE_REPORT.write_text(json.dumps(report, indent=1))
    return [f"{v['id']}: {v['help']} e.g. {v['nodes'][0]['target']}" for v in violations if v["impact"] in ("serious", "critical")]


def test_the_whole_loop_from_invite_to_live_page(served, context_at) -> None:
    base = str(served["base"])
    page = context_at().new_page()
    open_form(page, str(served["contributor"]))
    token = str(served["contributor"]).split("#token=")[1]
    # The token left the address bar for this tab's session storage.
    assert "token" not in page.url
    assert page.evaluate("sessionStorage.getItem('kb-token')") == token
    assert "jane.contributor" in page.locator("#kb-contribute-who").inner_text()

    # An empty summary: shown at its field and listed at the top; nothing is stored.
    fill_case_study(page, summary="")
    page.get_by_role("button", name="Submit for review").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Summary" in alert.inner_text()
    summary = page.get_by_label("Summary", exact=True)
    assert summary.get_attribute("aria-invalid") == "true"
    described = summary.get_attribute("aria-describedby") or ""
    messages = [page.locator(f"#{i}").inner_text() for i in described.split()]
    assert "Fill this in." in messages
    assert pending(served) == []
    assert httpx.get(f"{base}/api/submissions", headers={"Authorization": f"Bearer {token}"}).json() == []
    page.screenshot(path=str(ARTIFACTS / "contribute-problem-1280.png"), full_page=False)

    # Fixed: "Check" shows the preview, as the site will render it; then it is sent.
    summary.fill(SUMMARY)
    page.get_by_role("button", name="Check").click()
    frame = page.frame_locator("iframe[title='Preview of your entry']")
    frame.get_by_role("heading", name=TITLE).wait_for(timeout=20_000)
    assert "North Ambulance Service" in frame.locator("article").inner_text()
    assert summary.get_attribute("aria-invalid") is None
    page.get_by_role("button", name="Submit for review").click()
    done = page.locator("#kb-contribute-done")
    done.get_by_role("heading", name="Submitted").wait_for(timeout=20_000)
    entry_id = "pharmacists-in-the-ambulance-control-room"
    assert entry_id in done.inner_text()
    assert [p.stem for p in pending(served)] == [entry_id]
    mine = page.locator("#kb-contribute-mine")
    mine.get_by_text("Waiting for a reviewer").wait_for()
    assert TITLE in mine.inner_text()

    # A contributor's token cannot approve: the API says 403, the review page says why.
    refused = page.evaluate(
        """async (id) => (await fetch('/api/submissions/' + id + '/approve',
             {method: 'POST', headers: {Authorization: 'Bearer ' + sessionStorage.getItem('kb-token')}})).status""",
        entry_id,
    )
    assert refused == 403
    page.goto(f"{base}/review/")
    page.get_by_text("reviewing needs a reviewer's token").wait_for(timeout=20_000)

    # The reviewer, in another browser: the pending list, the submission, Approve.
    reviewer = context_at().new_page()
    open_review(reviewer, served)
    reviewer.get_by_role("button", name=TITLE).click()
    detail = reviewer.locator("#kb-review-detail")
    detail.get_by_text("Report A: p12").wait_for(timeout=20_000)
    reviewer.frame_locator("iframe[title='Preview of the submission']").get_by_role("heading", name=TITLE).wait_for()
    reviewer.screenshot(path=str(ARTIFACTS / "review-detail-1280.png"), full_page=True)
    started = time.monotonic()
    reviewer.get_by_role("button", name="Approve").click()
    detail.get_by_text(re.compile(r"Live after \d+ s")).wait_for(timeout=LIVE_WITHIN * 1000)
    print(f"\nApprove to live in the browser: {time.monotonic() - started:.1f} s")

    # Live: its page, and the finder finds it; no restart happened.
    assert httpx.get(f"{base}/case-studies/{entry_id}/").status_code == 200
    reviewer.goto(f"{base}/finder/?query=pharmacists+in+the+ambulance+control+room")
    reviewer.locator("#kb-finder-results li").first.wait_for(timeout=20_000)
    assert TITLE in reviewer.locator("#kb-finder-results li").first.inner_text()
    # The contributor's list says so, with its page.
    page.goto(f"{base}/contribute/")
    page.locator("#kb-contribute-mine").get_by_role("link", name="see its page").wait_for(timeout=20_000)
    # The token never reached the server's log (it travels after # and in a header only).
    assert token not in Path(str(served["log"])).read_text()


def test_a_rejection_needs_a_reason_which_the_contributor_reads(served, context_at) -> None:
    contributor = context_at().new_page()
    open_form(contributor, str(served["contributor"]))
    fill_case_study(contributor)
    contributor.get_by_label("Title", exact=True).fill("Reablement physiotherapists on call at weekends")
    submit(contributor)

    reviewer = context_at().new_page()
    open_review(reviewer, served)
    reviewer.get_by_role("button", name="Reablement physiotherapists on call at weekends").click()
    reviewer.get_by_role("button", name="Reject").click()
    reason = reviewer.get_by_label("Reason")
    assert reason.get_attribute("aria-invalid") == "true"
    reviewer.get_by_text("Give the contributor a reason.").wait_for()
    reason.fill("Please cite the page of the report where the weekend rota is described.")
    reviewer.get_by_role("button", name="Reject").click()
    reviewer.get_by_text("Rejected.").wait_for(timeout=20_000)

    contributor.reload()
    contributor.locator("#kb-contribute-mine").get_by_text("weekend rota is described").wait_for(timeout=20_000)


def test_the_form_can_be_completed_with_the_keyboard_alone(served, context_at) -> None:
    page = context_at().new_page()
    open_form(page, str(served["contributor"]))
    page.evaluate("localStorage.clear()")
    page.reload()
    page.locator("#kb-contribute-form:not([hidden])").wait_for(timeout=20_000)

    def tab_to(name: str) -> None:
        for _ in range(400):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "() => { const e = document.activeElement; return (e.labels && e.labels[0] ? e.labels[0].textContent : '') || e.textContent || ''; }"
            )
            if focused.strip() == name:
                return
        pytest.fail(f"Tab never reached '{name}'")

    tab_to("Entry type")
    page.keyboard.press("Home")  # the first type: case study
    for name, text in [
        ("Title", "Link workers in a rural practice"),
        ("Summary", "Link workers joined a rural practice to connect patients with community groups."),
    ]:
        tab_to(name)
        page.keyboard.type(text)
    tab_to("Source document")
    page.keyboard.press("ArrowDown")  # from "Choose…" to the first document
    tab_to("Page")
    page.keyboard.type("4")
    tab_to("Organisation")
    page.keyboard.type("Rural Practice")
    tab_to("Organisation kind")
    page.keyboard.type("other")
    tab_to("Approach")
    page.keyboard.type("Two link workers took referrals from GPs and receptionists.")
    tab_to("Submit for review")
    page.keyboard.press("Enter")
    page.locator("#kb-contribute-done").get_by_role("heading", name="Submitted").wait_for(timeout=20_000)
    assert "link-workers-in-a-rural-practice" in page.locator("#kb-contribute-done").inner_text()


def test_the_form_has_a_control_for_every_field_of_each_model(served, context_at) -> None:
    """Generated from the schema: every field of the model is asked, but those the server sets."""
    from kb.models import ENTRY_MODELS
    from kb.web.openapi import SERVER_SET

    page = context_at().new_page()
    open_form(page, str(served["contributor"]))
    for entry_type, name in [("case-study", "Case study"), ("top-tip", "Top tip"), ("enabler", "Enabler"), ("barrier", "Barrier")]:
        page.get_by_label("Entry type").select_option(label=name)
        shown = page.eval_on_selector_all("#kb-contribute-fields > .kb-fields > .kb-field", "boxes => boxes.map(b => b.dataset.name)")
        expected = set(ENTRY_MODELS[entry_type].model_fields) - (set(SERVER_SET) - {"contributor"}) - {"type", "reviewed_by"}
        assert sorted(shown) == sorted(expected), entry_type
    assert page.locator("#kb-contribute-fields textarea[id]").count() >= 3  # long text gets a text area
    page.get_by_label("Entry type").select_option(label="Case study")
    page.get_by_role("button", name="Add metric").click()
    assert page.get_by_role("group", name="Metric 1").get_by_label("Measure").is_visible()
    page.get_by_role("button", name="Remove metric 1").click()
    assert page.get_by_role("group", name="Metric 1").count() == 0
    page.get_by_label("Filter themes").fill("demen")
    assert page.get_by_label("Dementia").is_visible()


def test_a_closed_tab_loses_nothing(served, context_at) -> None:
    browser_context = context_at()
    page = browser_context.new_page()
    open_form(page, str(served["contributor"]))
    page.get_by_label("Title", exact=True).fill("Half-written entry about social prescribing")
    page.get_by_label("Summary", exact=True).fill("Not finished yet.")
    page.wait_for_timeout(600)  # the draft is saved 0.3 s after typing stops
    page.close()
    again = browser_context.new_page()  # a new tab: a new session, so the invite link again
    open_form(again, str(served["contributor"]))
    assert again.get_by_label("Title", exact=True).input_value() == "Half-written entry about social prescribing"
    assert again.get_by_label("Summary", exact=True).input_value() == "Not finished yet."
    # Signing out (a shared computer) leaves nothing behind: neither the token nor the draft.
    again.get_by_role("button", name="Sign out").click()
    again.get_by_label("Invite link or token").wait_for(timeout=20_000)
    assert again.evaluate("[sessionStorage.getItem('kb-token'), localStorage.getItem('kb-contribute-draft')]") == [None, None]


def test_a_likely_duplicate_is_shown_while_typing(served, context_at) -> None:
    page = context_at().new_page()
    open_form(page, str(served["contributor"]))
    page.get_by_label("Title", exact=True).fill("Dementia outreach team trains care home staff")
    page.get_by_label("Summary", exact=True).fill("A multidisciplinary outreach team taught care home staff to support residents with dementia.")
    similar = page.locator("#kb-contribute-similar")
    similar.get_by_role("link", name="Dementia outreach team trains care home staff").wait_for(timeout=20_000)
    assert similar.get_by_role("link").first.get_attribute("href", timeout=1000).endswith("/case-studies/dementia-outreach/")
    page.evaluate("localStorage.clear()")


def test_values_are_shown_as_text_never_markup(served, context_at) -> None:
    page = context_at().new_page()
    open_form(page, str(served["contributor"]))
    fill_case_study(page)
    page.get_by_label("Title", exact=True).fill('<img src=x onerror="window.pwned=1">Markup title')
    page.get_by_role("button", name="Check").click()
    frame = page.frame_locator("iframe[title='Preview of your entry']")
    frame.get_by_role("heading", name=re.compile("Markup title")).wait_for(timeout=20_000)
    assert frame.locator("img[src=x]").count() == 0
    assert page.evaluate("window.pwned") is None
    csp = httpx.get(f"{served['base']}/contribute/").headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp
    page.evaluate("localStorage.clear()")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_no_serious_or_critical_axe_violation_on_either_page(served, context_at, viewport) -> None:
    width = viewport["width"]
    found: dict[str, list[str]] = {}
    page = context_at(viewport).new_page()
    open_form(page, str(served["contributor"]))
    page.evaluate("localStorage.clear()")
    found["contribute"] = axe_check(page, "contribute", width)
    page.screenshot(path=str(ARTIFACTS / f"contribute-{width}.png"), full_page=True)
    page.get_by_role("button", name="Check").click()  # an empty draft: every problem shown
    page.get_by_role("alert").wait_for()
    found["contribute-problems"] = axe_check(page, "contribute-problems", width)
    page.screenshot(path=str(ARTIFACTS / f"contribute-problems-{width}.png"), full_page=False)
    fill_case_study(page)
    title = f"Care navigators in a {width} px wide practice"  # one submission per width
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_role("button", name="Check").click()
    page.frame_locator("iframe[title='Preview of your entry']").get_by_role("heading", name=title).wait_for(timeout=20_000)
    found["contribute-preview"] = axe_check(page, "contribute-preview", width)
    page.locator("#kb-contribute-preview h2").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"contribute-preview-{width}.png"))
    submit(page)
    page.locator("#kb-contribute-mine table").wait_for()
    found["contribute-submitted"] = axe_check(page, "contribute-submitted", width)
    page.screenshot(path=str(ARTIFACTS / f"contribute-submitted-{width}.png"), full_page=True)

    reviewer = context_at(viewport).new_page()
    open_review(reviewer, served)
    reviewer.get_by_role("button", name=title).click()
    reviewer.frame_locator("iframe[title='Preview of the submission']").get_by_role("heading", name=title).wait_for(timeout=20_000)
    found["review"] = axe_check(reviewer, "review", width)
    reviewer.screenshot(path=str(ARTIFACTS / f"review-{width}.png"), full_page=True)
    reviewer.get_by_role("button", name="Reject").click()  # no reason: the error at its field
    reviewer.get_by_text("Give the contributor a reason.").wait_for()
    found["review-problem"] = axe_check(reviewer, "review-problem", width)
    signin = context_at(viewport).new_page()
    signin.goto(f"{served['base']}/review/")
    signin.get_by_label("Invite link or token").wait_for(timeout=20_000)
    found["sign-in"] = axe_check(signin, "sign-in", width)
    signin.screenshot(path=str(ARTIFACTS / f"sign-in-{width}.png"))
    assert {name: v for name, v in found.items() if v} == {}
