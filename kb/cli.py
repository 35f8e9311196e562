"""The ``kb`` command: parses options, calls the core, prints the result.

Nothing here computes results; the :class:`kb.core.KnowledgeBase` does. User mistakes
become one clear message and exit code 2 (1 for invalid content), never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from rich.console import Console

from kb import terminal
from kb.content import ContentInvalid, ContentNotFound
from kb.core import KnowledgeBase, UnknownEntry, UnknownValue, check_type, summary_json

app = typer.Typer(help="kb: lessons on redesigning health and care teams, searchable and citable.", no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)

ContentOpt = typer.Option(None, "--content", help="Content folder (default: $KB_CONTENT or ./content).")
DataOpt = typer.Option(None, "--data", help="Data folder for the index (default: $KB_DATA or .kb/ beside content).")
JsonOpt = typer.Option(False, "--json", help="Print JSON for programs instead of a table.")


class UsageProblem(Exception):
    """A mistake in how the command was called (exit 2)."""


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the core's specific errors into a message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ContentInvalid as exc:
            for problem in exc.problems:
                sys.stderr.write(f"{problem}\n")
            err.print(f"[red]{len(exc.problems)} problem(s) in the content; fix them first (kb validate).[/]")
            raise typer.Exit(1)
        except (ContentNotFound, UnknownEntry, UnknownValue, UsageProblem) as exc:
            err.print(f"[red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2)

    return wrapper


def open_kb(content: Optional[Path], data: Optional[Path] = None) -> KnowledgeBase:
    return KnowledgeBase.open(content, data)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


@app.command()
@friendly
def validate(content: Optional[Path] = ContentOpt) -> None:
    """Check every content file and the links between them. Never writes."""
    problems = KnowledgeBase.validate(content)
    for problem in problems:
        sys.stdout.write(f"{problem}\n")
    if problems:
        err.print(f"[red]{len(problems)} problem(s).[/]")
        raise typer.Exit(1)
    kb = open_kb(content)
    err.print(f"[green]ok:[/] {len(kb.content.entries)} entries valid.")


@app.command("list")
@friendly
def list_(
    type: Optional[str] = typer.Option(None, "--type", "-t", help="Entry type, e.g. case-study, top-tip, enabler, barrier."),
    as_json: bool = JsonOpt,
    content: Optional[Path] = ContentOpt,
) -> None:
    """List entries, optionally of one type."""
    check_type(type)
    kb = open_kb(content)
    entries = kb.entries(type)
    if as_json:
        print_json([summary_json(e) for e in entries])
    else:
        out.print(terminal.entry_table(entries))


@app.command()
@friendly
def show(entry_id: str = typer.Argument(..., metavar="ID"), as_json: bool = JsonOpt, content: Optional[Path] = ContentOpt) -> None:
    """Show one entry in full."""
    kb = open_kb(content)
    entry = kb.get(entry_id)
    if as_json:
        print_json(json.loads(entry.model_dump_json()) | {"url": summary_json(entry)["url"]})
    else:
        out.print(terminal.entry_panel(entry, kb.content))


@app.command()
@friendly
def schema(out_dir: Path = typer.Option(Path("schema"), "--out", help="Folder to write the JSON Schema files into.")) -> None:
    """Write JSON Schema for each content file type (for editors)."""
    from kb.schema import write_schemas

    for path in write_schemas(out_dir):
        err.print(f"wrote {path}")


def main() -> None:
    app()
