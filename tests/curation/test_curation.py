"""Curation: kb new, duplicate warnings, tokens, POST /api/submissions, kb submit, review.

The API is driven through httpx against the ASGI app (and, for `kb submit`, a real
uvicorn server on a loopback port); the CLI through typer's runner.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from kb import files, terminal
from kb.cli import app as cli
from kb.core import KnowledgeBase
from kb.curation import tokens
from kb.curation.body import MAX_BODY_BYTES
from kb.web import ratelimit
from kb.web.app import create_app
from tests.conftest import MINI_ENTRIES, ROOT, env_with, new_case_study
from tests.helpers import free_port

runner = CliRunner()
SCHEMA_LINE = "# yaml-language-server: $schema=../../schema/{}.schema.json"
XSS = "<script>alert(1)</script>"


# --- helpers ---------------------------------------------------------------------------


@pytest.fixture
def project(fresh_mini: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The built mini project; submissions go to submissions/ beside its content."""
    monkeypatch.delenv("KB_SUBMISSIONS", raising=False)
    monkeypatch.delenv("KB_RATE_LIMIT", raising=False)
    return fresh_mini


@pytest.fixture
def token(project: tuple[Path, Path]) -> str:
    return tokens.create(project[1], "royal-college")


@pytest.fixture
def api(project: tuple[Path, Path]) -> Any:
    content, data = project
    return create_app(KnowledgeBase.open(content, data))


def pending_dir(content: Path) -> Path:
    return content.parent / "submissions" / "pending"


def new_case(entry_id: str, **extra: Any) -> dict[str, Any]:
    """A valid case study unlike any in the mini content."""
    return new_case_study(entry_id) | {"status": "draft"} | extra  # a sender may not publish: any other status is refused


def near_copy_of_navigators(entry_id: str = "navigators-again") -> dict[str, Any]:
    """A lightly edited copy of the mini content's `navigators` case study."""
    entry = copy.deepcopy(next(e for e in MINI_ENTRIES["case_studies"] if e["id"] == "navigators"))
    entry.update(id=entry_id, title="Care navigators from the voluntary sector", status="draft")
    entry["summary"] = entry["summary"].replace("Navigators", "Care navigators")
    return entry


def post(app: Any, body: Any, token: str | None, content_type: str = "application/json", headers: dict[str, str] | None = None) -> httpx.Response:
    return asyncio.run(_post_many(app, [body], token, content_type, headers))[0]


async def _post_many(
    app: Any, bodies: list[Any], token: str | None, content_type: str = "application/json", headers: dict[str, str] | None = None
) -> list[httpx.Response]:
    sent = {"Content-Type": content_type} | ({"Authorization": f"Bearer {token}"} if token is not None else {}) | (headers or {})

    def encode(body: Any) -> Any:
        if isinstance(body, (bytes, str)) or hasattr(body, "__aiter__"):
            return body
        return json.dumps(body, default=str) if "json" in content_type else yaml.safe_dump(body, sort_keys=False)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb.test", timeout=120) as client:
        return list(await asyncio.gather(*(client.post("/api/submissions", content=encode(b), headers=sent) for b in bodies)))


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


class Ran:
    """A CLI run; ``text`` is its whole output with rich's line wrapping undone."""

    def __init__(self, result: Any):
        self.exit_code = result.exit_code
        self.stdout = result.stdout
        self.output = result.output
        self.text = " ".join(result.output.split())


# Commands that take --data as well as --content (the others take --content only).
TAKES_DATA = {("validate",), ("index",), ("find",), ("similar",), ("new",), ("token", "create"), ("token", "list"), ("token", "revoke"), ("review", "approve")}


@pytest.fixture
def kb_cli(project: tuple[Path, Path]) -> Any:
    """`kb ARGS` on the project, its folders passed explicitly (never through KB_*)."""
    content, data = project

    def run(*args: str, input: str | None = None) -> Ran:
        if args[0] == "submit":
            return invoke(*args, input=input)
        takes_data = args[:1] in TAKES_DATA or args[:2] in TAKES_DATA
        return invoke(*args, "--content", str(content), *(["--data", str(data)] if takes_data else []), input=input)

    return run


def invoke(*args: str, input: str | None = None) -> Ran:
    result = runner.invoke(cli, list(args), input=input)
    assert "Traceback" not in result.output, result.output
    return Ran(result)


# --- tokens ----------------------------------------------------------------------------


def test_token_create_list_revoke(project: tuple[Path, Path], kb_cli) -> None:
    _, data = project
    created = kb_cli("token", "create", "--name", "rcn-curators")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("kbt_") and len(token) > 40
    stored = (data / "tokens.json").read_text()
    assert token not in stored and tokens.digest(token) in stored  # only the hash is kept
    assert tokens.identify(data, token) == "rcn-curators"
    assert tokens.identify(data, token + "x") is None

    again = kb_cli("token", "create", "--name", "rcn-curators")
    assert again.exit_code == 2 and "already exists" in again.text
    assert kb_cli("token", "create", "--name", "bad name/../x").exit_code == 2

    listed = json.loads(kb_cli("token", "list", "--json").stdout)
    assert listed == [{"name": "rcn-curators", "role": "contributor", "created": listed[0]["created"], "revoked": None}]
    assert token not in kb_cli("token", "list").output

    assert kb_cli("token", "revoke", "rcn-curators").exit_code == 0
    assert tokens.identify(data, token) is None
    assert json.loads(kb_cli("token", "list", "--json").stdout)[0]["revoked"]
    missing = kb_cli("token", "revoke", "rcn-curator")
    assert missing.exit_code == 2 and "did you mean 'rcn-curators'" in missing.text


# --- POST /api/submissions -------------------------------------------------------------


def test_submission_is_stored_pending_with_who_and_when(api, project, token: str, kb_cli) -> None:
    content, _ = project
    response = post(api, new_case("ambulance-pharmacists"), token)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] == "ambulance-pharmacists" and body["status"] == "pending"
    assert body["submitted_by"] == "royal-college" and body["submitted_at"].startswith("20")
    assert body["similar"] == [] and body["warnings"] == []
    stored = yaml.safe_load((pending_dir(content) / "ambulance-pharmacists.yaml").read_text())
    assert stored["submission"]["submitted_by"] == "royal-college"
    assert stored["entry"]["title"] == "Pharmacists in the ambulance control room"
    assert stored["entry"]["status"] == "draft"  # pending is never published, whatever was sent
    # Pending entries live outside content/: not listed, not searchable.
    listed = json.loads(kb_cli("list", "--json").stdout)
    assert "ambulance-pharmacists" not in [e["id"] for e in listed]
    assert KnowledgeBase.validate(content) == []


def test_yaml_bodies_are_accepted(api, token: str) -> None:
    for i, kind in enumerate(("application/yaml", "text/yaml", "application/x-yaml; charset=utf-8")):
        response = post(api, new_case(f"yaml-entry-{i}"), token, content_type=kind)
        assert response.status_code == 201, (kind, response.text)


def test_a_near_duplicate_is_named_as_similar(api, token: str) -> None:
    response = post(api, near_copy_of_navigators(), token)
    assert response.status_code == 201, response.text
    body = response.json()
    assert [s["id"] for s in body["similar"]] == ["navigators"]
    assert body["similar"][0]["similarity"] >= 0.89
    assert "similar" in body["warnings"][0] and "'navigators'" in body["warnings"][0]


def test_invalid_entries_are_422_listing_every_problem_with_its_field(api, token: str) -> None:
    entry = new_case("broken-entry", organisation_kind="vangard", approch="typo")
    del entry["summary"]
    response = post(api, entry, token, content_type="application/yaml")
    assert response.status_code == 422
    detail = response.json()["detail"]
    fields = {tuple(d["loc"]) for d in detail}
    assert {("body", "summary"), ("body", "organisation_kind"), ("body", "approch")} <= fields
    assert any("did you mean 'vanguard'" in d["msg"] for d in detail)
    assert all(d["line"] >= 1 and d["column"] >= 1 for d in detail)
    # Once the model is satisfied, every reference is checked too, as kb validate does.
    refs = new_case("broken-refs", themes=["frailtie"], sources=[{"document": "doc-b", "page": 1}])
    detail = post(api, refs, token).json()["detail"]
    assert {tuple(d["loc"]) for d in detail} == {("body", "sources", 0, "document"), ("body", "themes", 0)}
    assert any("did you mean 'frailty'" in d["msg"] for d in detail)
    for bad in (b"\xff\xfe", b"id: [unclosed", b"- a list\n- not an entry\n"):
        response = post(api, bad, token, content_type="application/yaml")
        assert response.status_code == 422 and response.json()["detail"][0]["msg"], bad
    assert post(api, b"{not json", token).status_code == 422


@pytest.mark.parametrize("bad_id", ["../x", "a/b", "/etc/passwd", "..", "x/../../y", "A-Capital", "tab\tid", "x" * 81])
def test_path_tricks_in_ids_are_refused(api, project, token: str, bad_id: str, kb_cli) -> None:
    content, _ = project

    def written() -> list[str]:  # everything but the rate limiter's count of the request
        return [f for f in files_under(content.parent) if not f.startswith(".kb/ratelimit")]

    before = written()
    response = post(api, new_case(bad_id), token)
    assert response.status_code == 422
    assert any(d["loc"] == ["body", "id"] for d in response.json()["detail"])
    assert written() == before  # nothing written anywhere
    shown = kb_cli("review", "show", bad_id)
    assert shown.exit_code == 2 and "is not an entry id" in shown.text


def test_wrong_missing_or_revoked_tokens_are_401(api, project, token: str) -> None:
    for sent in (None, "kbt_not-a-token", ""):
        response = post(api, new_case("who-are-you"), sent)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert post(api, new_case("who-are-you"), token, headers={"Authorization": f"Basic {token}"}).status_code == 401
    tokens.revoke(project[1], "royal-college")
    assert post(api, new_case("who-are-you"), token).status_code == 401  # at once, no restart
    assert not pending_dir(project[0]).exists() or files_under(pending_dir(project[0])) == []


def test_id_clashes_are_409_and_never_overwrite(api, project, token: str) -> None:
    content, _ = project
    existing = content / "case_studies" / "navigators.yaml"
    before = existing.read_text()
    response = post(api, new_case("navigators"), token)
    assert response.status_code == 409 and "already exists" in response.json()["detail"]
    assert existing.read_text() == before
    assert post(api, new_case("shared-learning"), token).status_code == 409  # ids are unique across types
    assert post(api, new_case("first-come"), token).status_code == 201
    stored = (pending_dir(content) / "first-come.yaml").read_text()
    second = post(api, new_case("first-come", summary="A different summary."), token)
    assert second.status_code == 409 and "waiting for review" in second.json()["detail"]
    assert (pending_dir(content) / "first-come.yaml").read_text() == stored


def test_bodies_over_1_mb_are_413(api, project, token: str) -> None:
    big = new_case("too-big", detail="x" * (MAX_BODY_BYTES + 10))
    assert post(api, big, token).status_code == 413  # by Content-Length

    async def chunks() -> Any:  # no Content-Length: the size read is what counts
        for _ in range(11):
            yield b"#" * 100_000

    response = post(api, chunks(), token, content_type="application/yaml")
    assert response.status_code == 413
    assert files_under(pending_dir(project[0])) == []


def test_other_media_types_are_415(api, token: str) -> None:
    assert post(api, "id: x", token, content_type="text/plain").status_code == 415


def test_rate_limit_per_token_is_429(project, monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("KB_RATE_LIMIT", "2")
    app = create_app(KnowledgeBase.open(*project))
    other = tokens.create(project[1], "vanguard")
    assert post(app, new_case("limited-1"), token).status_code == 201
    assert post(app, new_case("limited-2"), token).status_code == 201
    third = post(app, new_case("limited-3"), token)
    assert third.status_code == 429 and int(third.headers["retry-after"]) >= 1
    assert post(app, new_case("limited-3"), other).status_code == 201  # per token
    monkeypatch.setenv("KB_RATE_LIMIT", "lots")
    with pytest.raises(Exception, match="KB_RATE_LIMIT"):
        create_app(KnowledgeBase.open(*project))


@pytest.mark.parametrize("entry_id", ["a", "doc-2017", "a" * 80, "a" * 81, "A", "a--b", "-a", "a-", "a b", "a/b", "..", ""])
def test_ids_that_make_paths_are_the_ids_the_models_accept(entry_id: str) -> None:
    """One rule (kb.entry_types): what curation lets into a path, the models validate."""
    from pydantic import TypeAdapter, ValidationError

    from kb.curation.entries import check_id
    from kb.errors import InvalidId
    from kb.models import Slug

    try:
        TypeAdapter(Slug).validate_python(entry_id)
        valid = True
    except ValidationError:
        valid = False
    try:
        check_id(entry_id)
        checked = True
    except InvalidId:
        checked = False
    assert checked == valid


def test_rate_limiter_window_slides() -> None:
    now = [0.0]
    limiter = ratelimit.RateLimiter(2, window=60, clock=lambda: now[0])
    assert limiter.check("a") is None and limiter.check("a") is None
    assert limiter.check("a") == pytest.approx(60)
    assert limiter.check("b") is None
    now[0] = 30.0
    assert limiter.check("a") == pytest.approx(30)
    now[0] = 60.5
    assert limiter.check("a") is None


def test_rate_limit_is_shared_by_worker_processes(tmp_path: Path) -> None:
    """`kb serve --workers N`: each process has its own limiter over one count file per token."""
    workers = [ratelimit.RateLimiter(3, state_dir=tmp_path) for _ in range(3)]
    assert [w.check("college") for w in workers] == [None, None, None]
    assert workers[0].check("college") is not None and workers[2].check("college") is not None
    assert workers[1].check("vanguard") is None
    for count_file in tmp_path.glob("*.json"):
        count_file.write_text("{damaged")  # fails closed for one window, never crashes
    assert [w.check(name) is None for w in workers for name in ("college", "vanguard")] == [False] * 6


def test_twenty_concurrent_submissions_are_all_stored(project, monkeypatch: pytest.MonkeyPatch, token: str, kb_cli) -> None:
    monkeypatch.setenv("KB_RATE_LIMIT", "100")
    app = create_app(KnowledgeBase.open(*project))
    ids = [f"concurrent-{i}" for i in range(20)]
    responses = asyncio.run(_post_many(app, [new_case(i) for i in ids], token))
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses if r.status_code != 201]
    assert files_under(pending_dir(project[0])) == sorted(f"{i}.yaml" for i in ids)  # none lost, no temp files
    listed = json.loads(kb_cli("review", "list", "--json").stdout)
    assert sorted(s["id"] for s in listed) == sorted(ids)


def test_concurrent_submissions_of_one_id_store_exactly_one(project, monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("KB_RATE_LIMIT", "100")
    app = create_app(KnowledgeBase.open(*project))
    bodies = [new_case("same-id", summary=f"Version {i} of the same entry.") for i in range(20)]
    codes = sorted(r.status_code for r in asyncio.run(_post_many(app, bodies, token)))
    assert codes == [201] + [409] * 19
    assert files_under(pending_dir(project[0])) == ["same-id.yaml"]


def test_a_writer_failing_midway_leaves_no_file(api, project, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    content, _ = project
    pending_dir(content).mkdir(parents=True)
    (pending_dir(content) / "earlier.yaml").write_text("# an earlier submission\n")
    before = {p: p.read_bytes() for p in pending_dir(content).iterdir()}

    def dies(*_args: Any) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(files.os, "link", dies)
    response = post(api, new_case("never-written"), token)
    assert response.status_code == 503 and "nothing was kept" in response.json()["detail"]
    assert {p: p.read_bytes() for p in pending_dir(content).iterdir()} == before  # unchanged, no stray temp
    with pytest.raises(OSError):
        files.write_new(content / "enablers" / "half.yaml", "id: half\n")
    assert not list((content / "enablers").glob("*half*"))
    monkeypatch.undo()
    assert post(api, new_case("never-written"), token).status_code == 201  # and the retry works


def test_a_writer_killed_midway_leaves_no_partial_entry(project, tmp_path: Path, kb_cli) -> None:
    """SIGKILL between writing the temporary file and linking it: the entry's name never
    appears, and the leftover hidden temp file is ignored by review, validate and index."""
    content, _ = project
    target = pending_dir(content) / "killed.yaml"
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from kb.files import write_new\n"
        "os.link = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"write_new(Path({str(target)!r}), 'id: killed\\n' * 1000)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env_with(PYTHONPATH=str(ROOT)), capture_output=True)
    assert done.returncode == -signal.SIGKILL
    assert not target.exists()
    assert [p.name for p in pending_dir(content).iterdir() if not p.name.startswith(".")] == []
    assert kb_cli("review", "list", "--json").stdout.strip() == "[]"
    entry_target = content / "top_tips" / "killed-tip.yaml"
    subprocess.run([sys.executable, "-c", script.replace(str(target), str(entry_target))], cwd=ROOT, env=env_with(PYTHONPATH=str(ROOT)), capture_output=True)
    assert not entry_target.exists()
    assert KnowledgeBase.validate(content) == []


def test_openapi_documents_the_submission_endpoint(api) -> None:
    async def spec() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://kb.test") as client:
            return (await client.get("/api/openapi.json")).json()

    operation = asyncio.run(spec())["paths"]["/api/submissions"]["post"]
    assert {"201", "401", "409", "413", "415", "422", "429"} <= set(operation["responses"])
    assert {"application/json", "application/yaml"} <= set(operation["requestBody"]["content"])
    assert operation["security"] == [{"HTTPBearer": []}]


# --- script in a field: stored as-is, rendered as text ---------------------------------


def test_script_in_a_field_is_stored_as_is_and_rendered_as_text(api, project, token: str, kb_cli) -> None:
    content, _ = project
    entry = new_case(
        "script-entry",
        title=f"Pharmacists {XSS} in [bold]control[/bold]",
        summary=f"Clinical pharmacists {XSS} answer questions.",
        organisation="[red]Coastal[/red] Trust",
    )
    assert post(api, entry, token).status_code == 201
    stored = yaml.safe_load((pending_dir(content) / "script-entry.yaml").read_text())["entry"]
    assert stored["title"] == entry["title"] and stored["summary"] == entry["summary"]
    assert kb_cli("review", "approve", "script-entry", "--reviewer", "Curator").exit_code == 0
    shown = json.loads(kb_cli("show", "script-entry", "--json").stdout)
    assert shown["title"] == entry["title"] and shown["summary"] == entry["summary"] and shown["organisation"] == "[red]Coastal[/red] Trust"
    # In a terminal: shown as typed, never taken as rich markup.
    assert kb_cli("show", "script-entry").exit_code == 0
    kb = KnowledgeBase.open(*project)
    shown_entry = kb.get("script-entry")
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(terminal.entry_panel(shown_entry, kb.content))
    console.print(terminal.entry_table([shown_entry]))
    console.print(
        terminal.submissions_table(
            [{"id": "x", "type": "case-study", "title": entry["title"], "submitted_by": "[i]me[/i]", "submitted_at": "now", "similar": []}]
        )
    )
    rendered = console.export_text()
    assert rendered.count(entry["title"]) == 3 and entry["summary"] in rendered
    assert "[red]Coastal[/red] Trust" in rendered and "[i]me[/i]" in rendered
    # On the site (if the site generator is there): escaped, never a live tag.
    site = pytest.importorskip("kb.site.builder")
    pages = site.pages(KnowledgeBase.open(*project), similar=False)
    text = "\n".join(pages.values())
    assert "&lt;script&gt;alert(1)" in text
    assert XSS not in text


# --- kb new ----------------------------------------------------------------------------


def test_kb_new_interactive_asks_each_field_and_checks_as_it_goes(project, kb_cli) -> None:
    content, _ = project
    answers = [
        "Peer learning sets for practice nurses",  # title
        "",  # id: accept the suggestion from the title
        "Practice nurses meet monthly to share what works.",  # summary
        "dementia-outreach",  # case studies
        "",  # detail
        "frailtie",  # themes: a typo, refused with a suggestion
        "frailty, workforce-planning",  # themes again
        "",  # aliases: none
        "doc-b",  # source document: unknown, asked again
        "doc-a",
        "12",  # page
        "",  # section
        "",  # no more sources
        "",  # contributor is required: asked again
        "Royal College of Nursing",
    ]
    result = kb_cli("new", "enabler", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "did you mean 'frailty'" in result.text and "contributor is required" in result.text
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path == content / "enablers" / "peer-learning-sets-for-practice-nurses.yaml"
    text = path.read_text()
    assert text.splitlines()[0] == SCHEMA_LINE.format("enabler")
    data = yaml.safe_load(text)
    assert data["status"] == "draft" and data["themes"] == ["frailty", "workforce-planning"]
    assert data["sources"] == [{"document": "doc-a", "page": 12}] and data["case_studies"] == ["dementia-outreach"]
    assert kb_cli("validate").exit_code == 0
    assert "peer-learning-sets-for-practice-nurses" not in kb_cli("list", "--json").stdout  # a draft until reviewed


def test_kb_new_interactive_stops_cleanly_when_input_ends(project, kb_cli) -> None:
    result = kb_cli("new", "case-study", input="A title\n")
    assert result.exit_code == 2 and "nothing was written" in result.text
    assert sorted(p.name for p in (project[0] / "case_studies").iterdir()) == [
        "dementia-outreach.yaml",
        "frailty-planning.yaml",
        "navigators.yaml",
        "rural-telemedicine.yaml",
    ]


def test_kb_new_from_file_or_options(project, tmp_path: Path, kb_cli) -> None:
    content, _ = project
    source = tmp_path / "entry.yaml"
    source.write_text(yaml.safe_dump(new_case("from-a-file", metrics=[{"measure": "Calls", "value": 40, "unit": "count", "as_reported": "40 calls"}])))
    made = kb_cli("new", "case-study", "--from", str(source))
    assert made.exit_code == 0, made.output
    written = content / "case_studies" / "from-a-file.yaml"
    assert made.stdout.strip() == str(written)
    data = yaml.safe_load(written.read_text())
    assert data["status"] == "draft" and data["metrics"][0]["value"] == 40  # draft, whatever the file said
    assert written.read_text().startswith(SCHEMA_LINE.format("case-study") + "\nid: from-a-file\ntype: case-study\n")

    json_source = tmp_path / "entry.json"
    json_source.write_text(json.dumps(new_case("from-json")))
    assert kb_cli("new", "case-study", "--from", str(json_source)).exit_code == 0

    made = kb_cli(
        "new",
        "top-tip",
        "--no-input",
        "--title",
        "Start with the population",
        "--summary",
        "Design around who you serve.",
        "--contributor",
        "tests",
        "--set",
        "group=Modelling and planning the workforce",
        "--set",
        "sources=[{document: doc-a, page: 2}]",
        "--set",
        "themes=[frailty]",
    )
    assert made.exit_code == 0, made.output
    assert (content / "top_tips" / "start-with-the-population.yaml").exists()
    assert KnowledgeBase.validate(content) == []

    # Never overwrites: the file is untouched and the message says so.
    before = written.read_text()
    again = kb_cli("new", "case-study", "--from", str(source))
    assert again.exit_code == 2 and "already exists" in again.text and written.read_text() == before
    assert kb_cli("new", "case-study", "--from", str(source), "--id", "navigators").exit_code == 2

    # Problems are listed, located in the given file.
    source.write_text(yaml.safe_dump(new_case("bad-kind", organisation_kind="vangard")))
    bad = kb_cli("new", "case-study", "--from", str(source))
    assert bad.exit_code == 1 and f"{source}:" in bad.text and "did you mean 'vanguard'" in bad.text
    missing = kb_cli("new", "enabler", "--no-input", "--title", "Only a title")
    assert missing.exit_code == 1 and "missing required field 'summary'" in missing.text
    assert kb_cli("new", "case-studies", "--no-input").exit_code == 2


def test_kb_new_warns_about_a_similar_entry(project, tmp_path: Path, kb_cli) -> None:
    source = tmp_path / "copy.yaml"
    source.write_text(yaml.safe_dump(near_copy_of_navigators("navigators-copy")))
    result = kb_cli("new", "case-study", "--from", str(source))
    assert result.exit_code == 0
    assert "similar to 'navigators'" in result.text and "similarity 0.9" in result.text
    distinct = tmp_path / "distinct.yaml"
    distinct.write_text(yaml.safe_dump(new_case("distinct-case")))
    assert "similar" not in kb_cli("new", "case-study", "--from", str(distinct)).output


# --- kb validate's duplicate warning ---------------------------------------------------


def test_validate_warns_about_similar_entries_without_failing(project, kb_cli) -> None:
    content, data = project
    (content / "case_studies" / "navigators-again.yaml").write_text(yaml.safe_dump(near_copy_of_navigators() | {"status": "draft"}))
    result = kb_cli("validate")
    assert result.exit_code == 0, result.output
    assert "navigators-again" in result.text and "similar to 'navigators'" in result.text
    # Without torch (the ONNX encoder embeds the new draft) and without building anything.
    index_before = sorted(p.name for p in data.iterdir())
    script = (
        "import sys; sys.modules['torch'] = None; sys.modules['sentence_transformers'] = None\nfrom kb.cli import main; sys.argv = ['kb', 'validate']; main()"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env_with(KB_CONTENT=str(content), KB_DATA=str(data)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "similar to 'navigators'" in done.stderr.replace("\n", " ")
    assert sorted(p.name for p in data.iterdir()) == index_before


def test_validate_without_an_index_only_notes_it(mini_content: Path) -> None:
    result = invoke("validate", "--content", str(mini_content))
    assert result.exit_code == 0 and "7 entries valid" in result.text
    assert "not compared for duplicates" in result.text


def test_validate_with_a_broken_index_still_validates(project, kb_cli) -> None:
    _, data = project
    (data / (data / "CURRENT").read_text() / "vectors.npy").write_text("not numpy")
    result = kb_cli("validate")
    assert result.exit_code == 0 and "entries were not compared for duplicates" in result.text


def test_real_content_has_no_near_duplicates(real_content: Path, real_index: Path) -> None:
    problems, pairs, notes = KnowledgeBase.check(real_content, real_index)
    assert problems == [] and pairs == [] and notes == []


# --- review ----------------------------------------------------------------------------


def test_review_list_show_approve_reject(api, project, token: str, kb_cli) -> None:
    content, data = project
    assert post(api, new_case("ambulance-pharmacists"), token).status_code == 201
    same_title = near_copy_of_navigators("navigators-retold") | {"title": "Voluntary sector care navigators"}
    assert post(api, same_title, token).status_code == 201

    listed = json.loads(kb_cli("review", "list", "--json").stdout)
    assert [s["id"] for s in listed] == ["ambulance-pharmacists", "navigators-retold"]
    assert {"id", "title", "submitted_by", "submitted_at"} <= set(listed[0])
    assert listed[1]["similar"][0]["id"] == "navigators"
    assert "navigators-retold" in kb_cli("review", "list").stdout

    shown = kb_cli("review", "show", "navigators-retold")
    assert shown.exit_code == 0
    assert "--- content/case_studies/navigators.yaml" in shown.stdout and "+++ submission/navigators-retold.yaml" in shown.stdout
    assert "+id: navigators-retold" in shown.stdout and "similar" in shown.text
    plain = kb_cli("review", "show", "ambulance-pharmacists")
    assert "title: Pharmacists in the ambulance control room" in plain.stdout and "---" not in plain.stdout
    assert kb_cli("review", "show", "nope").exit_code == 2

    approved = kb_cli("review", "approve", "ambulance-pharmacists", "--reviewer", "Ann Curator")
    assert approved.exit_code == 0, approved.output
    path = content / "case_studies" / "ambulance-pharmacists.yaml"
    entry = yaml.safe_load(path.read_text())
    assert path.read_text().startswith(SCHEMA_LINE.format("case-study"))
    assert entry["status"] == "published" and entry["reviewed_by"] == "Ann Curator"
    assert str(entry["added"]) == str(entry["updated"]) == time.strftime("%Y-%m-%d")
    assert "ambulance-pharmacists" in [e["id"] for e in json.loads(kb_cli("list", "--json").stdout)]
    found = json.loads(kb_cli("find", "pharmacists answering paramedics' medicine questions", "--json").stdout)
    assert found["results"][0]["id"] == "ambulance-pharmacists"
    assert KnowledgeBase.open(content, data).index_status() == "fresh"
    assert not (pending_dir(content) / "ambulance-pharmacists.yaml").exists()
    assert len(list((content.parent / "submissions" / "approved").glob("ambulance-pharmacists.*.yaml"))) == 1
    assert kb_cli("review", "approve", "ambulance-pharmacists").exit_code == 2  # no longer pending

    assert kb_cli("review", "reject", "navigators-retold", "--reason", "   ").exit_code == 2
    rejected = kb_cli("review", "reject", "navigators-retold", "--reason", "Duplicates the navigators case study.", "--reviewer", "Ann Curator")
    assert rejected.exit_code == 0, rejected.output
    [record] = (content.parent / "submissions" / "rejected").glob("navigators-retold.*.yaml")
    kept = yaml.safe_load(record.read_text())
    assert kept["decision"]["reason"] == "Duplicates the navigators case study." and kept["entry"]["id"] == "navigators-retold"
    assert json.loads(kb_cli("review", "list", "--json").stdout) == []
    assert "navigators-retold" not in kb_cli("list", "--json").stdout
    # The same id may be sent again after a rejection (the record keeps its own name).
    assert post(api, same_title, token).status_code == 201


def test_approve_rechecks_against_todays_content(api, project, token: str, kb_cli) -> None:
    content, _ = project
    assert post(api, new_case("late-one"), token).status_code == 201
    (content / "case_studies" / "late-one.yaml").write_text(yaml.safe_dump(new_case("late-one")))  # someone merged a PR first
    result = kb_cli("review", "approve", "late-one", "--reviewer", "Ann")
    assert result.exit_code == 2 and "already exists" in result.text
    assert (pending_dir(content) / "late-one.yaml").exists()  # still pending, nothing lost


def test_pending_and_draft_entries_stay_off_the_site(api, project, token: str) -> None:
    site = pytest.importorskip("kb.site.builder")
    content, data = project
    assert post(api, new_case("pending-only"), token).status_code == 201
    draft = new_case("draft-only") | {"status": "draft"}
    (content / "case_studies" / "draft-only.yaml").write_text(yaml.safe_dump(draft))
    text = "\n".join(site.pages(KnowledgeBase.open(content, data), similar=False).values())
    assert "pending-only" not in text and "draft-only" not in text and "ambulance control room" not in text


# --- kb submit against a real server ---------------------------------------------------


@pytest.fixture
def server(api) -> Iterator[str]:
    import uvicorn

    port = free_port()
    instance = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not instance.started:
        assert time.time() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=30)


def test_kb_submit_reports_each_outcome(server: str, project, token: str, tmp_path: Path, kb_cli) -> None:
    content, _ = project
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(new_case("sent-by-cli")))
    sent = kb_cli("submit", str(good), "--api", server, "--token", token)
    assert sent.exit_code == 0, sent.output
    assert sent.stdout.strip() == "sent-by-cli" and (pending_dir(content) / "sent-by-cli.yaml").exists()

    as_json = tmp_path / "copy.json"
    as_json.write_text(json.dumps(near_copy_of_navigators("json-copy")))
    warned = kb_cli("submit", str(as_json), "--api", server + "/api/", "--token", token)
    assert warned.exit_code == 0 and "similar to 'navigators'" in warned.text

    clash = kb_cli("submit", str(good), "--api", server, "--token", token)
    assert clash.exit_code == 2 and "already waiting for review" in clash.text

    refused = kb_cli("submit", str(good), "--api", server, "--token", "kbt_wrong")
    assert refused.exit_code == 2 and "refused the token" in refused.text

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(new_case("bad-one", organisation_kind="vangard", themes=["nope"]), sort_keys=False))
    invalid = kb_cli("submit", str(bad), "--api", server, "--token", token)
    assert invalid.exit_code == 1 and f"{bad}:" in invalid.text and "did you mean 'vanguard'" in invalid.text

    huge = tmp_path / "huge.yaml"
    huge.write_text(yaml.safe_dump(new_case("huge-one", detail="x" * 1_100_000)))
    too_big = kb_cli("submit", str(huge), "--api", server, "--token", token)
    assert too_big.exit_code == 1 and f"{huge}:1:1: the document is too large" in too_big.text  # refused before sending

    unreachable = kb_cli("submit", str(good), "--api", f"http://127.0.0.1:{free_port()}", "--token", token)
    assert unreachable.exit_code == 2 and "could not reach" in unreachable.text
    assert kb_cli("submit", str(good), "--api", server).exit_code == 2  # no token at all
    assert kb_cli("submit", str(tmp_path / "missing.yaml"), "--api", server, "--token", token).exit_code == 2


def test_kb_new_interactive_case_study_with_choices_outcomes_and_metrics(project, kb_cli) -> None:
    content, _ = project
    answers = [
        "",  # id from the title given as an option
        "Pharmacists answer paramedics' medicines questions from the control room.",  # summary
        "Coastal Ambulance Trust",  # organisation
        "",  # partners: none
        "vangard",  # organisation kind: not a choice
        "vanguard",
        "urgent-and-emergency-care",  # vanguard types
        "",  # place
        "",  # challenge
        "Two pharmacists joined the clinical hub.",  # approach (required)
        "Fewer people taken to hospital.",
        "",
        "",
        "",  # outcomes by aim
        "Calls answered",
        "forty",
        "40",
        "count",
        "",
        "40 calls a week",
        "",
        "",
        "n",  # one metric (a word, then the number)
        "",  # no more metrics
        "care-navigator",
        "",
        "",
        "",
        "",  # roles, enablers, barriers, population groups, care settings
        "",  # quote
        "",  # detail
        "integration",  # themes
        "",  # aliases
        "doc-a",
        "",
        "Part Two / Urgent care",
        "",  # one source, by section
    ]
    result = kb_cli("new", "case-study", "--title", "Pharmacists in the control room", "--contributor", "tests", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "'vangard' is not one of" in result.text and "did you mean 'vanguard'" in result.text
    assert "'forty' is not a number" in result.text
    data = yaml.safe_load((content / "case_studies" / "pharmacists-in-the-control-room.yaml").read_text())
    assert data["organisation_kind"] == "vanguard" and data["vanguard_types"] == ["urgent-and-emergency-care"]
    assert data["outcomes"] == {"population_health": "Fewer people taken to hospital."}
    assert data["metrics"] == [{"measure": "Calls answered", "value": 40, "unit": "count", "as_reported": "40 calls a week"}]
    assert data["sources"] == [{"document": "doc-a", "section": "Part Two / Urgent care"}] and data["status"] == "draft"
    assert KnowledgeBase.validate(content) == []
    taken = kb_cli("new", "case-study", "--id", "navigators", input="A title\n")
    assert taken.exit_code == 2 and "already exists" in taken.text  # before any question


def test_answers_are_judged_in_kb_validate_words_without_the_field_name() -> None:
    """The question names the field, so its answer's problems do not; pydantic's own
    messages keep the part of the answer they concern."""
    from pydantic import ValidationError

    from kb.curation.checks import error_messages
    from kb.models import Metric

    with pytest.raises(ValidationError) as caught:
        Metric.model_validate({"measure": "Calls", "value": 1, "unit": "percnt", "as_reported": ""})
    unit, as_reported = error_messages(caught.value, Metric)
    assert unit.startswith("'percnt' is not one of 'percent', ") and unit.endswith("(did you mean 'percent'?)")
    assert as_reported == "as_reported: String should have at least 1 character"
