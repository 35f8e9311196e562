"""`kb brief` through typer's runner, and as a real process on a terminal (a pty)."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from kb.cli import app
from tests.brief.conftest import MINI_CHALLENGE, OFF_TOPIC
from tests.conftest import KB, env_with, paths

runner = CliRunner()


def brief(built: tuple[Path, Path], *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["brief", *args, *paths(*built)])


def test_markdown_to_standard_output_by_default(built_mini: tuple[Path, Path]) -> None:
    result = brief(built_mini, MINI_CHALLENGE)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"# Evidence brief: {MINI_CHALLENGE}\n")
    assert "### 1. Dementia outreach team trains care home staff" in result.stdout and "## Sources" in result.stdout


def test_json_and_filters(built_mini: tuple[Path, Path]) -> None:
    result = brief(built_mini, MINI_CHALLENGE, "--format", "json", "--theme", "frailty", "--base-url", "https://kb.example.org/kb")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [c["id"] for c in data["case_studies"]] == ["frailty-planning"] and data["filters"] == {"theme": "frailty"}
    assert data["case_studies"][0]["url"] == "https://kb.example.org/kb/case-studies/frailty-planning/"


def test_word_to_a_file(built_mini: tuple[Path, Path], tmp_path: Path) -> None:
    target = tmp_path / "board" / "brief.docx"
    result = brief(built_mini, MINI_CHALLENGE, "--format", "docx", "--out", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "wrote" in result.stderr and "--base-url" in result.stderr  # links point at this machine: said
    document = docx.Document(io.BytesIO(target.read_bytes()))
    assert document.paragraphs[0].text == f"Evidence brief: {MINI_CHALLENGE}"
    assert [p.name for p in target.parent.iterdir()] == ["brief.docx"]  # no temporary file left


def test_nothing_close_is_said(built_mini: tuple[Path, Path]) -> None:
    result = brief(built_mini, OFF_TOPIC)
    assert result.exit_code == 0
    assert "Nothing in the knowledge base is close to this challenge" in result.stdout
    assert "nothing in the knowledge base is close" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        ([""], "the query is empty"),
        (["x" * 1001], "the limit is 1000"),
        (["care\x1bhomes"], "control character U+001B (ESC)"),
        (["care", "--format", "pdf"], "unknown format 'pdf'; expected one of: md, html, docx, json"),
        (["care", "--theme", "frailtie"], "unknown theme 'frailtie' (did you mean 'frailty'?)"),
        (["care", "--kind", "vangard"], "did you mean 'vanguard'?"),
        (["care", "--base-url", "javascript:alert(1)"], "is not an http:// or https:// address"),
    ],
)
def test_bad_input_is_one_clear_error_and_writes_nothing(built_mini: tuple[Path, Path], tmp_path: Path, args: list[str], message: str) -> None:
    target = tmp_path / "brief.md"
    result = brief(built_mini, *args, "--out", str(target))
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr and message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output and not target.exists() and list(tmp_path.iterdir()) == []


def test_a_failed_write_is_one_clear_error(built_mini: tuple[Path, Path], tmp_path: Path) -> None:
    blocker = tmp_path / "papers"
    blocker.write_text("a file where the folder should be")
    result = brief(built_mini, MINI_CHALLENGE, "--out", str(blocker / "brief.md"))
    assert result.exit_code == 2 and "could not write" in result.stderr and "nothing was changed" in " ".join(result.stderr.split())
    assert "Traceback" not in result.output and [p.name for p in tmp_path.iterdir()] == ["papers"]


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")  # colours; OSC 8 links (text kept)


def run_on_a_terminal(args: list[str], columns: int = 100) -> tuple[int, str, str]:
    """`kb ARGS` with its standard output on a pseudo-terminal ``columns`` wide: the exit
    code, what it showed there (less colour codes) and its standard error."""
    leader, follower = pty.openpty()
    env = env_with(COLUMNS=str(columns), LINES="50", TERM="xterm")
    proc = subprocess.Popen([KB, *args], stdout=follower, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    proc.wait(timeout=120)
    shown = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r", "")
    return proc.returncode, shown, proc.stderr.read().decode() if proc.stderr else ""


def test_word_is_not_written_to_a_terminal_and_markdown_is_laid_out(built_mini: tuple[Path, Path]) -> None:
    code, shown, errors = run_on_a_terminal(["brief", MINI_CHALLENGE, "--format", "docx", *paths(*built_mini)])
    assert code == 2 and "a Word document cannot be shown in a terminal: write it to a file with --out brief.docx" in " ".join(errors.split())
    assert shown == ""
    code, shown, errors = run_on_a_terminal(["brief", MINI_CHALLENGE, *paths(*built_mini)])
    assert code == 0, errors
    lines = [line for line in shown.splitlines() if line.strip()]
    assert "Evidence brief" in lines[0] and "# " not in shown  # drawn for reading, not raw Markdown
    assert "Dementia outreach team trains care home staff" in shown and "Homes trained" in shown
    assert max(len(line) for line in lines) <= 100  # fits the terminal


def test_a_pipe_or_device_is_written_to_never_replaced(built_mini: tuple[Path, Path], tmp_path: Path) -> None:
    """`--out /dev/stdout` or a named pipe: the brief goes through it, and it stays a pipe
    (an atomic replace would put a file where the device was)."""
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = brief(built_mini, MINI_CHALLENGE, "--out", str(fifo))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert received and received[0].startswith(b"# Evidence brief") and stat.S_ISFIFO(fifo.stat().st_mode)
    folder = brief(built_mini, MINI_CHALLENGE, "--out", str(tmp_path))
    assert folder.exit_code == 2 and "Is a directory" in folder.stderr
