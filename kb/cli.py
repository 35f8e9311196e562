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
from kb.core import KnowledgeBase, check_type, summary_json
from kb.errors import ContentInvalid, KbError, UnknownValue
from kb.search import MODES

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
        except (KbError, UsageProblem) as exc:
            err.print(f"[red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2)

    return wrapper


def open_kb(content: Optional[Path], data: Optional[Path] = None) -> KnowledgeBase:
    return KnowledgeBase.open(content, data)


def notice(message: str) -> None:
    err.print(f"[yellow]{message}[/]")


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


@app.command("index")
@friendly
def index_(
    force: bool = typer.Option(False, "--force", help="Re-embed every entry, not only changed ones."),
    content: Optional[Path] = ContentOpt,
    data: Optional[Path] = DataOpt,
) -> None:
    """Build or refresh the search index (only changed entries are re-embedded)."""
    kb = open_kb(content, data)
    with terminal.progress_bar("Embedding passages") as progress:
        report = kb.build_index(progress, force=force)
    err.print(
        f"[green]index ready:[/] {report.entries} entries, {report.passages} passages "
        f"({report.embedded} embedded, {report.reused_entries} entries reused) in {report.seconds:.1f}s → {kb.data_dir}"
    )


@app.command()
@friendly
def find(
    query: str = typer.Argument(..., help="Your challenge, in your own words."),
    k: int = typer.Option(5, "-k", help="How many results (1–100)."),
    type: str = typer.Option("case-study", "--type", "-t", help="Entry type to search, or 'all'."),
    theme: Optional[str] = typer.Option(None, "--theme", help="Only entries with this theme id."),
    enabler: Optional[str] = typer.Option(None, "--enabler", help="Only entries linked to this enabler id."),
    barrier: Optional[str] = typer.Option(None, "--barrier", help="Only entries linked to this barrier id."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Only case studies led by this kind of organisation."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, dense or bm25."),
    as_json: bool = JsonOpt,
    content: Optional[Path] = ContentOpt,
    data: Optional[Path] = DataOpt,
) -> None:
    """Find the entries most like your challenge, and why each matched."""
    if mode not in MODES:
        raise UnknownValue("mode", mode, list(MODES))
    kb = open_kb(content, data)
    with terminal.progress_bar("Embedding passages", transient=True) as progress:
        results = kb.find(query, k, type, mode, progress=progress, notice=notice, theme=theme, enabler=enabler, barrier=barrier, kind=kind)
    if as_json:
        print_json([r.to_json() for r in results])
    else:
        out.print(terminal.results_table(results, query))


@app.command()
@friendly
def similar(
    entry_id: str = typer.Argument(..., metavar="ID"),
    k: int = typer.Option(5, "-k", help="How many results (1–100)."),
    type: str = typer.Option("case-study", "--type", "-t", help="Entry type to return, or 'all'."),
    as_json: bool = JsonOpt,
    content: Optional[Path] = ContentOpt,
    data: Optional[Path] = DataOpt,
) -> None:
    """Entries most like a given entry."""
    kb = open_kb(content, data)
    with terminal.progress_bar("Embedding passages", transient=True) as progress:
        results = kb.similar(entry_id, k, type, progress=progress, notice=notice)
    if as_json:
        print_json([r.to_json() for r in results])
    else:
        out.print(terminal.results_table(results, None))


@app.command("eval")
@friendly
def eval_(
    query_file: Path = typer.Argument(Path("tests/eval/queries.yaml"), help="YAML file of queries with graded relevance."),
    variants: bool = typer.Option(False, "--variants", help="Also score the design alternatives (RRF, one vector per entry, …)."),
    as_json: bool = JsonOpt,
    content: Optional[Path] = ContentOpt,
    data: Optional[Path] = DataOpt,
) -> None:
    """Measure search quality: hit@1/3/5, MRR and nDCG@5 for bm25, dense and hybrid."""
    from dataclasses import asdict

    from kb.evaluate import EvalFileError

    kb = open_kb(content, data)
    try:
        with terminal.progress_bar("Embedding passages", transient=True) as progress:
            report = kb.evaluate(query_file, variants, progress=progress, notice=notice)
    except EvalFileError as exc:
        raise UsageProblem(str(exc)) from None
    if as_json:
        print_json({"queries": report["queries"]} | {part: {name: asdict(s) for name, s in report[part].items()} for part in ("modes", "variants") if part in report})
        return
    out.print(terminal.scores_table(report["modes"], f"Search quality on {report['queries']} queries"))
    if "variants" in report:
        out.print(terminal.scores_table(report["variants"], "Design alternatives"))


site_app = typer.Typer(help="The learning site (mkdocs-material).", no_args_is_help=True)
app.add_typer(site_app, name="site")


@site_app.command("build")
@friendly
def site_build(
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: site/ beside content/)."),
    offline: bool = typer.Option(False, "--offline", help="Build for opening from disk (Material's offline plugin)."),
    content: Optional[Path] = ContentOpt,
    data: Optional[Path] = DataOpt,
) -> None:
    """Build the static learning site with mkdocs build --strict."""
    import time

    from kb import site

    kb = open_kb(content, data)
    with terminal.progress_bar("Embedding passages") as progress:
        kb.searcher(progress, notice)
    started = time.perf_counter()
    with err.status("Building the site (mkdocs build --strict)…"):
        target = site.build(kb, out_dir, offline)
    err.print(f"[green]site built[/] in {time.perf_counter() - started:.1f}s → {target}" + (" (open index.html from disk)" if offline else ""))


@app.command()
@friendly
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    content: Optional[Path] = ContentOpt,
    data: Optional[Path] = DataOpt,
) -> None:
    """Serve the learning site at / and the JSON API under /api."""
    import uvicorn

    from kb.api import create_app

    kb = open_kb(content, data)
    with terminal.progress_bar("Embedding passages") as progress:
        kb.searcher(progress, notice)
    site_dir = ensure_site(kb)
    application = create_app(kb, site_dir)
    err.print(f"[green]kb is serving[/] the learning site at http://{host}:{port}/ and the API at http://{host}:{port}/api/docs")
    uvicorn.run(application, host=host, port=port, log_level="warning")


def ensure_site(kb: KnowledgeBase) -> Optional[Path]:
    """The built site, rebuilt first when missing or older than the content."""
    try:
        from kb import site
    except ImportError:
        return None
    if site.needs_build(kb):
        err.print("[yellow]building the learning site…[/]")
        site.build(kb)
    return site.site_dir(kb)


# --- curation (kb new, kb token, kb submit, kb review) ---------------------------------
# (curation commands go here; their logic lives in kb/curation.py)


def main() -> None:
    app()
