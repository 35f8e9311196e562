"""Hostile input: documents built to hang, exhaust or crash kb get a located refusal.

The same cases go through every door a document enters by: the loader, `kb validate`,
`kb new --from`, `kb submit`, and `POST /api/submissions` on a real `kb serve` process
(whose memory is watched). Hypothesis then mutates valid entries in every way a loader
can meet. Figures (slowest refusal, memory growth) come from bench/bench_hostile.py.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kb import documents, files
from kb.cli import app as cli
from kb.core import KnowledgeBase
from kb.curation import tokens
from kb.curation.store import SubmissionStore
from kb.web.ratelimit import RateLimiter
from tests.conftest import KB, case_study, env_with
from tests.helpers import kb_serve, rss_mb

runner = CliRunner()


@dataclass(frozen=True)
class Hostile:
    name: str
    body: bytes
    json: bool  # sent as application/json (else YAML)
    says: str  # part of the refusal's message
    line: int = 1


def _entry_yaml(**extra: Any) -> str:
    sent = {"status": "draft"} | extra  # a sender may not publish: any other status is refused
    return yaml.safe_dump(case_study("hostile", "A title", "An organisation", "A summary.", "An approach.", **sent), sort_keys=False)


def _laughs() -> bytes:
    """The "billion laughs": nine anchors, each a list of nine references to the one before."""
    lines = ["lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return ("\n".join(lines) + "\n").encode()


HOSTILE = [
    Hostile("billion laughs", _laughs(), False, "anchors and aliases", 1),
    Hostile("yaml nested 20,000 deep", b"a: " + b"[" * 20_000 + b"]" * 20_000, False, "nest", 1),
    Hostile("yaml blocks nested 40 deep", "".join("  " * i + f"k{i}:\n" for i in range(40)).encode(), False, "nested more than 32 deep", 33),
    Hostile("json nested 50,000 deep", b"[" * 50_000 + b"]" * 50_000, True, "nested more than 32 deep", 1),
    Hostile("NUL in yaml", _entry_yaml().replace("A summary.", "A sum\x00mary.").encode(), False, "U+0000 (NUL)", 6),
    Hostile("escaped NUL in yaml", _entry_yaml().replace("A summary.", '"A sum\\0mary."').encode(), False, "U+0000 (NUL)", 6),
    Hostile("escaped NUL in json", b'{"id": "x", "title": "a\\u0000b"}', True, "U+0000 (NUL)", 1),
    Hostile("escape character", b"title: \x1b[31mred\n", False, "U+001B (ESC)", 1),
    Hostile("right-to-left override", "title: invoice\u202egnp.exe\n".encode(), False, "RIGHT-TO-LEFT OVERRIDE", 1),
    Hostile("lone surrogate in json", b'{"title": "\\ud800"}', True, "not a character", 1),
    Hostile("invalid utf-8", b"title: ok\nsummary: caf\xe9\n", False, "not UTF-8", 2),
    Hostile("python tag", b"title: !!python/object/apply:os.system [echo hi]\n", False, "tags", 1),
    Hostile("custom tag", b"title: !secret x\n", False, "tags", 1),
    Hostile("merge key", b"title: x\nmetrics:\n  - <<: {measure: a}\n", False, "merge keys", 3),
    Hostile("duplicate key", b"title: one\ntitle: two\n", False, "duplicate key 'title'", 2),
    Hostile("duplicate key in json", b'{"title": "one",\n "title": "two"}', True, "duplicate key 'title'", 2),
    Hostile("impossible date", b"added: 2026-13-45\n", False, "cannot be read", 1),
    Hostile("number of 5,000 digits", b"value: " + b"9" * 5000 + b"\n", False, "cannot be read", 1),
    Hostile("two documents", b"title: a\n---\ntitle: b\n", False, "single document", 2),
    Hostile("over 256 KB", b"summary: " + b"x" * (300 * 1024) + b"\n", False, "too large", 1),
    Hostile("20,000 values", b"themes: [" + b"a, " * 20_000 + b"a]\n", False, "more than 10,000", 1),
]
IDS = [h.name for h in HOSTILE]


def load(case: Hostile) -> documents.Located:
    return documents.load_any(documents.decode(case.body), json_first=case.json)


# --- the loader --------------------------------------------------------------------------


@pytest.mark.parametrize("case", HOSTILE, ids=IDS)
def test_the_loader_refuses_each_case_with_its_place(case: Hostile) -> None:
    with pytest.raises(documents.DocumentError) as refused:
        load(case)
    assert case.says in refused.value.message
    assert refused.value.position.line == case.line, refused.value.message


def test_ordinary_documents_still_load_with_positions() -> None:
    located = documents.load('id: ok\ntitle: "Caf\u00e9 \u0645\u0631\u062d\u0628\u0627 e\u0301"\nadded: 2026-01-02\nlist:\n  - a\n')
    assert located.data["title"] == "Caf\u00e9 \u0645\u0631\u062d\u0628\u0627 e\u0301"  # accents, Arabic, combining marks are text
    assert located.position(("list", 0)) == documents.Position(5, 5)
    assert documents.load("\ufeffid: bom\n").data == {"id": "bom"}  # an editor's byte-order mark is fine
    assert documents.load_json('{"id": "ok",\n "n": [1, 2]}').position(("n", 1)) == documents.Position(2, 11)


def test_state_files_are_read_with_limits_and_damage_is_reported(tmp_path: Path) -> None:
    tokens.create(tmp_path, "college")
    (tmp_path / tokens.TOKENS_FILE).write_text("[" * 50_000 + "]" * 50_000)
    with pytest.raises(tokens.TokenError, match="damaged"):
        tokens.load(tmp_path)
    limiter = RateLimiter(2, state_dir=tmp_path / "ratelimit")
    assert limiter.check("college") is None
    next((tmp_path / "ratelimit").glob("*.json")).write_text('{"a": ' * 10_000)
    assert limiter.check("college") is not None  # damaged counts fail closed


# --- the command line --------------------------------------------------------------------


def test_kb_validate_reports_every_hostile_file_located(tmp_path: Path) -> None:
    """A real `kb validate` process over a folder holding every YAML case: it finishes,
    names each file with line and column, and prints no traceback."""
    content = _mini(tmp_path)
    cases = [h for h in HOSTILE if not h.json]
    for i, case in enumerate(cases):
        (content / "case_studies" / f"hostile-{i:02d}.yaml").write_bytes(case.body)
    done = subprocess.run([KB, "validate", "--content", str(content)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout
    reported = {line.split(".yaml:")[0][-10:]: line.split(".yaml:")[1] for line in done.stdout.splitlines() if "hostile-" in line}
    for i, case in enumerate(cases):
        assert reported[f"hostile-{i:02d}"].startswith(f"{case.line}:") and case.says in reported[f"hostile-{i:02d}"], (case.name, done.stdout[:3000])


def _mini(tmp_path: Path) -> Path:
    from tests.conftest import write_content

    return write_content(tmp_path)


@pytest.mark.parametrize("case", [h for h in HOSTILE if not h.json][:12], ids=[h.name for h in HOSTILE if not h.json][:12])
def test_kb_new_from_a_hostile_file_is_refused_located(mini_content: Path, tmp_path: Path, case: Hostile) -> None:
    hostile = tmp_path / "entry.yaml"
    hostile.write_bytes(case.body)
    before = sorted(p.name for p in mini_content.rglob("*"))
    result = runner.invoke(cli, ["new", "case-study", "--from", str(hostile), "--content", str(mini_content)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{hostile}:{case.line}:" in result.output and case.says in " ".join(result.output.split())
    assert sorted(p.name for p in mini_content.rglob("*")) == before  # nothing written


def test_kb_submit_refuses_a_hostile_file_before_sending(tmp_path: Path) -> None:
    hostile = tmp_path / "laughs.yaml"
    hostile.write_bytes(_laughs())
    # Nothing listens on port 9: a refusal that mentions the server would mean it was sent.
    result = runner.invoke(cli, ["submit", str(hostile), "--api", "http://127.0.0.1:9", "--token", "kbt_x"])
    assert result.exit_code == 1 and f"{hostile}:1:" in result.output and "anchors and aliases" in result.output


# --- the API, on a real server ---------------------------------------------------------


@pytest.mark.slow
def test_a_real_server_refuses_every_case_with_422_and_flat_memory(fresh_mini: tuple[Path, Path]) -> None:
    content, data = fresh_mini
    token = tokens.create(data, "attacker")
    headers = {"Authorization": f"Bearer {token}"}
    env = env_with(KB_RATE_LIMIT="10000")
    with kb_serve(KB, content, data, env=env) as (base, proc), httpx.Client(base_url=base, timeout=10, headers=headers) as client:
        warm = client.post("/api/submissions", content=_entry_yaml().replace("hostile", "warm-up").encode(), headers={"Content-Type": "application/yaml"})
        assert warm.status_code == 201, warm.text  # loads the encoder before memory is measured
        before = rss_mb(proc.pid)
        for _ in range(3):
            for case in HOSTILE:
                media = "application/json" if case.json else "application/yaml"
                response = client.post("/api/submissions", content=case.body, headers={"Content-Type": media})
                assert response.status_code in (413, 422), (case.name, response.status_code, response.text[:300])
                if response.status_code == 422:
                    problem = response.json()["detail"][0]
                    assert {"loc", "msg", "line", "column"} <= problem.keys() and problem["line"] == case.line, (case.name, problem)
                    assert case.says in problem["msg"], (case.name, problem)
        growth = rss_mb(proc.pid) - before
        assert client.get("/api/health").status_code == 200
    assert growth < 50, f"the server grew by {growth:.0f} MB"
    assert not list((content.parent / "submissions" / "pending").glob("hostile*"))


# --- generated documents (Hypothesis) --------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=50),
    st.text(st.characters(categories=["Mn", "Cf", "Co", "Zs", "So"]), max_size=20),  # combining marks, format characters
    st.sampled_from(["\u202e", "\u0000", "\ud800", "\U0001f600", "e\u0301", "x" * 5000, "2026-13-45", "<script>", "../../etc/passwd"]),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
_FIELDS = ["id", "type", "title", "organisation", "summary", "approach", "themes", "sources", "metrics", "outcomes", "added", "status", "unknown"]
_SNIPPETS = [
    "&a ",
    "*a",
    "!!python/object:x ",
    "<<: ",
    "!!binary ",
    "[" * 40,
    "{" * 40,
    "\x00",
    "\u202e",
    "\t",
    "%YAML 1.1\n",
    "---\n",
    "? ",
    "|\n",
    "'",
    '"',
    "\\",
    "\ud800",
]


@st.composite
def mutated_entries(draw: st.DrawFn) -> tuple[str, bool]:
    """A valid-looking entry, then changed: a field replaced, text inserted or cut."""
    entry = case_study(draw(st.from_regex(r"[a-z]{1,12}(-[a-z]{1,8})?", fullmatch=True)), "T", "O", "S.", "A.")
    for _ in range(draw(st.integers(0, 3))):
        entry[draw(st.sampled_from(_FIELDS))] = draw(_VALUES)
    as_json = draw(st.booleans())
    text = json.dumps(entry, default=str) if as_json else yaml.safe_dump(entry, sort_keys=False, allow_unicode=True)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(_SNIPPETS) | st.text(max_size=8)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
    return text, as_json


FUZZ = settings(deadline=1000, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(mutated_entries())
def test_generated_documents_load_or_are_refused_located(generated: tuple[str, bool]) -> None:
    text, as_json = generated
    body = text.encode("utf-8", "surrogatepass")  # lone surrogates arrive as bytes that are not UTF-8
    try:
        located = documents.load_any(documents.decode(body), json_first=as_json)
    except documents.DocumentError as refused:
        assert refused.position.line >= 1 and refused.position.column >= 1 and refused.message
        return
    assert located.data is None or isinstance(located.data, (dict, list, str, int, float, bool)) or located.data is not None


@pytest.fixture(scope="module")
def fuzz_project(built_mini: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, str, Path]:
    """One app over a private copy of the built mini project, for every generated body."""
    from kb.web.app import create_app

    root = tmp_path_factory.mktemp("fuzz")
    content = shutil.copytree(built_mini[0], root / "content")
    data = shutil.copytree(built_mini[1], root / ".kb", ignore=shutil.ignore_patterns("onnx"))
    (data / "onnx").symlink_to(built_mini[1] / "onnx")
    from tests.conftest import _restamp

    _restamp(content, data)
    os.environ["KB_RATE_LIMIT"] = "100000"
    try:
        kb = KnowledgeBase.open(content, data)
        app = create_app(kb)
    finally:
        del os.environ["KB_RATE_LIMIT"]
    return app, kb, tokens.create(data, "fuzzer"), content


@FUZZ
@given(generated=mutated_entries())
def test_generated_submissions_never_get_a_server_error(fuzz_project: tuple[Any, Any, str, Path], generated: tuple[str, bool]) -> None:
    import asyncio

    app, _kb, token, _content = fuzz_project
    text, as_json = generated
    media = "application/json" if as_json else "application/yaml"

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb") as client:
            body = text.encode("utf-8", "surrogatepass")
            return await client.post("/api/submissions", content=body, headers={"Authorization": f"Bearer {token}", "Content-Type": media})

    response = asyncio.run(send())
    assert response.status_code in (201, 409, 413, 422), (response.status_code, response.text[:300])
    detail = response.json()
    if response.status_code == 422:
        assert all({"loc", "msg", "line", "column"} <= p.keys() for p in detail["detail"])


@settings(deadline=2000, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(generated=mutated_entries())
def test_generated_files_in_the_content_are_reported_by_validate(fuzz_project: tuple[Any, Any, str, Path], generated: tuple[str, bool]) -> None:
    _app, _kb, _token, content = fuzz_project
    text, _ = generated
    target = content / "case_studies" / "generated.yaml"
    target.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        result = runner.invoke(cli, ["validate", "--content", str(content)])
    finally:
        target.unlink()
    assert result.exit_code in (0, 1) and "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


# --- faults: killed processes and full disks -------------------------------------------


@pytest.mark.slow
def test_a_server_killed_during_submissions_loses_nothing(fresh_mini: tuple[Path, Path]) -> None:
    """kill -9 while submissions arrive: what was approved stays published, what was
    pending stays whole, and nothing half-written appears."""
    content, data = fresh_mini
    token = tokens.create(data, "college")
    pending = content.parent / "submissions" / "pending"
    env = env_with(KB_RATE_LIMIT="10000")
    with kb_serve(KB, content, data, env=env) as (base, proc):
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/yaml"}
        first = httpx.post(f"{base}/api/submissions", content=_entry_yaml().replace("hostile", "kept-one").encode(), headers=auth, timeout=30)
        assert first.status_code == 201
        kept = (pending / "kept-one.yaml").read_bytes()
        approved = httpx.post(f"{base}/api/submissions", content=_entry_yaml().replace("hostile", "approved-one").encode(), headers=auth, timeout=30)
        assert approved.status_code == 201
        review = runner.invoke(cli, ["review", "approve", "approved-one", "--reviewer", "Curator", "--content", str(content), "--data", str(data)])
        assert review.exit_code == 0, review.output
        published = (content / "case_studies" / "approved-one.yaml").read_bytes()
        import threading

        def flood() -> None:
            for i in range(200):
                try:
                    httpx.post(f"{base}/api/submissions", content=_entry_yaml().replace("hostile", f"flood-{i}").encode(), headers=auth, timeout=30)
                except httpx.TransportError:
                    return

        sender = threading.Thread(target=flood)
        sender.start()
        time.sleep(1.5)
        os.kill(proc.pid, signal.SIGKILL)
        sender.join(timeout=60)
    assert (pending / "kept-one.yaml").read_bytes() == kept  # intact
    assert (content / "case_studies" / "approved-one.yaml").read_bytes() == published  # not lost
    for stored in pending.glob("*.yaml"):  # every stored submission is whole and readable
        assert SubmissionStore(pending.parent).get(stored.stem).entry["id"] == stored.stem
    assert KnowledgeBase.validate(content) == []  # nothing half-published
    with kb_serve(KB, content, data, env=env) as (base, _proc):  # and it starts again
        assert httpx.get(f"{base}/api/entries/navigators").status_code == 200
        assert httpx.get(f"{base}/api/entries/approved-one").status_code == 200


@pytest.mark.slow
def test_an_index_build_killed_midway_leaves_the_live_index_working(fresh_mini: tuple[Path, Path]) -> None:
    content, data = fresh_mini
    live = (data / "CURRENT").read_text()
    build = subprocess.Popen([KB, "index", "--force", "--content", str(content), "--data", str(data)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list(data.glob(".index-*")) and build.poll() is None and time.time() < deadline:
        time.sleep(0.05)  # wait until it is writing its new version
    build.send_signal(signal.SIGKILL)
    build.wait()
    assert (data / "CURRENT").read_text() == live
    kb = KnowledgeBase.open(content, data)
    assert kb.find("care navigators", 1)[0].id == "navigators"
    kb.build_index(force=True)  # the next build clears what the killed one left
    assert not list(data.glob(".index-*")) and (data / "CURRENT").read_text() != live


def test_a_full_disk_leaves_the_previous_file_and_says_so(mini_content: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = mini_content / "enablers" / "shared-learning.yaml"
    before = target.read_bytes()

    def disk_full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(files.WriteFailed, match="No space left on device; nothing was changed"):
        files.write_atomic(target, "id: replaced\n")
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_a_really_full_disk_gives_a_clear_cli_error(tmp_path: Path) -> None:
    """A real, tiny filesystem (tmpfs) filled up: `kb token create` says so and changes nothing."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        data = disk / ".kb"
        tokens.create(data, "first")
        before = (data / tokens.TOKENS_FILE).read_bytes()
        try:
            with open(disk / "filler", "wb") as filler:
                while True:
                    filler.write(b"\0" * 4096)
                    filler.flush()
        except OSError as full:
            assert full.errno == errno.ENOSPC
        result = runner.invoke(cli, ["token", "create", "--name", "second", "--data", str(data), "--content", str(_mini(tmp_path))])
        assert result.exit_code == 2 and "No space left on device" in " ".join(result.output.split()), result.output
        assert (data / tokens.TOKENS_FILE).read_bytes() == before
    finally:
        subprocess.run(["umount", str(disk)], check=False)
