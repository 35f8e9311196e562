"""The ``kb`` command: parses options, calls the core, prints the result.

Nothing here computes results; the :class:`kb.core.KnowledgeBase` does. User mistakes
become one clear message and exit code 2 (1 for invalid content), never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from kb import terminal
from kb.core import KnowledgeBase, check_type, summary_json
from kb.errors import ContentInvalid, KbError, UnknownValue
from kb.gaps import GAPS_ENV, KEEP_DAYS
from kb.search.searcher import MODES

if TYPE_CHECKING:
    from kb.publishing.publisher import Publisher

app = typer.Typer(help="kb: lessons on redesigning health and care teams, searchable and citable.", no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)

ContentOpt = typer.Option(None, "--content", help="Content folder (default: $KB_CONTENT or ./content).")
DataOpt = typer.Option(None, "--data", help="Data folder for the index (default: $KB_DATA or .kb/ beside content).")
JsonOpt = typer.Option(False, "--json", help="Print JSON for programs instead of a table.")
# The filters of `kb find`, shared with `kb brief` (where they narrow the case studies).
ThemeOpt = typer.Option(None, "--theme", help="Only entries with this theme id.")
EnablerOpt = typer.Option(None, "--enabler", help="Only entries linked to this enabler id.")
BarrierOpt = typer.Option(None, "--barrier", help="Only entries linked to this barrier id.")
KindOpt = typer.Option(None, "--kind", help="Only case studies led by this kind of organisation.")
NoGapsOpt = typer.Option(False, "--no-gaps", help=f"Do not count searches with no close match for kb gaps (or set {GAPS_ENV}=off).")


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
            err.print(f"[red]{len(exc.problems)} problem(s) {exc.hint}[/]")
            raise typer.Exit(1) from None
        except (KbError, UsageProblem) as exc:
            err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from None

    return wrapper


def open_kb(content: Path | None, data: Path | None = None) -> KnowledgeBase:
    return KnowledgeBase.open(content, data)


def notice(message: str) -> None:
    err.print(f"[yellow]{escape(message)}[/]")


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


@app.command()
@friendly
def validate(content: Path | None = ContentOpt, data: Path | None = DataOpt) -> None:
    """Check every content file and the links between them. Never writes.

    Entries very like another of their type are named as warnings (using the search index
    if there is one); warnings never change the exit code."""
    problems, similar, notes = KnowledgeBase.check(content, data)
    for problem in problems:
        sys.stdout.write(f"{problem}\n")
    for pair in similar:
        err.print(Text(str(pair), style="yellow"), soft_wrap=True)
    for message in notes:
        note(message)
    if problems:
        err.print(f"[red]{len(problems)} problem(s).[/]")
        raise typer.Exit(1)
    kb = open_kb(content)
    err.print(f"[green]ok:[/] {len(kb.content.entries)} entries valid.")


@app.command("list")
@friendly
def list_(
    type: str | None = typer.Option(None, "--type", "-t", help="Entry type, e.g. case-study, top-tip, enabler, barrier."),
    as_json: bool = JsonOpt,
    content: Path | None = ContentOpt,
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
def show(entry_id: str = typer.Argument(..., metavar="ID"), as_json: bool = JsonOpt, content: Path | None = ContentOpt) -> None:
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
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
) -> None:
    """Build or refresh the search index (only changed entries are re-embedded)."""
    kb = open_kb(content, data)
    with terminal.progress_bar("Embedding passages") as progress:
        report = kb.build_index(progress, force=force)
    err.print(
        f"[green]index ready:[/] {report.entries} entries, {report.passages} passages "
        f"({report.embedded} embedded, {report.reused_entries} entries reused; {report.index}) in {report.seconds:.1f}s → {kb.data_dir}"
    )


@app.command()
@friendly
def find(
    query: str = typer.Argument(..., help="Your challenge, in your own words."),
    k: int = typer.Option(5, "-k", help="How many results (1–100)."),
    type: str = typer.Option("case-study", "--type", "-t", help="Entry type to search, or 'all'."),
    theme: str | None = ThemeOpt,
    enabler: str | None = EnablerOpt,
    barrier: str | None = BarrierOpt,
    kind: str | None = KindOpt,
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, dense or bm25."),
    long: bool = typer.Option(False, "--long", help="A table with each whole passage that matched, and the fused score."),
    no_gaps: bool = NoGapsOpt,
    as_json: bool = JsonOpt,
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
) -> None:
    """Find the entries most like your challenge, and why each matched."""
    if mode not in MODES:
        raise UnknownValue("mode", mode, list(MODES))
    kb = open_kb(content, data)
    if no_gaps:
        kb.record_gaps = False
    with terminal.progress_bar("Embedding passages", transient=True) as progress:
        answer = kb.answer(query, k, type, mode, progress=progress, notice=notice, theme=theme, enabler=enabler, barrier=barrier, kind=kind)
    if as_json:
        print_json({"query": query, "mode": mode} | answer.to_json())
    else:
        for line in terminal.answer_notes(answer):
            out.print(line)
        out.print(terminal.results_table(answer.results, query) if long else terminal.compact_results(answer.results, out.width))


@app.command()
@friendly
def brief(
    challenge: str = typer.Argument(..., help="Your challenge, in your own words."),
    format: str = typer.Option("md", "--format", "-f", help="md, html, docx or json."),
    out_file: Path | None = typer.Option(None, "--out", "-o", help="Write the brief to this file (whole or not at all) instead of standard output."),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        metavar="URL",
        envvar="KB_BASE_URL",
        help="The learning site the links point to (default http://127.0.0.1:8000/, as kb serve runs it).",
    ),
    theme: str | None = ThemeOpt,
    enabler: str | None = EnablerOpt,
    barrier: str | None = BarrierOpt,
    kind: str | None = KindOpt,
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
) -> None:
    """An evidence brief for your challenge, to take to a board: the closest case studies
    with their results and evidence, then tips, enablers, barriers, MDT characteristics
    and dilemmas, each with why it was chosen and where it is written. The filters narrow
    the case studies."""
    from kb.brief.formats import get_format
    from kb.files import write_output

    chosen = get_format(format)
    if chosen.binary and out_file is None and sys.stdout.isatty():
        raise UsageProblem(f"a Word document cannot be shown in a terminal: write it to a file with --out brief.{chosen.extension}")
    kb = open_kb(content, data)
    with terminal.progress_bar("Embedding passages", transient=True) as progress:
        made = kb.brief(challenge, base_url, progress=progress, notice=notice, theme=theme, enabler=enabler, barrier=barrier, kind=kind)
    if made.nothing_close:
        warn("nothing in the knowledge base is close to this challenge; the brief says so")
    elif base_url is None and (out_file is not None or chosen.binary):
        note(f"links point to {made.base_url} (kb serve on this machine); for a paper others will read, give your site's address with --base-url")
    data_out = chosen.render(made)
    if out_file is not None:
        write_output(out_file, data_out)
        err.print(f"[green]wrote[/] {escape(str(out_file))}")
    elif chosen.name == "md" and sys.stdout.isatty():
        out.print(terminal.brief_markdown(data_out.decode("utf-8")))
    else:
        sys.stdout.buffer.write(data_out)


@app.command()
@friendly
def similar(
    entry_id: str = typer.Argument(..., metavar="ID"),
    k: int = typer.Option(5, "-k", help="How many results (1–100)."),
    type: str = typer.Option("case-study", "--type", "-t", help="Entry type to return, or 'all'."),
    as_json: bool = JsonOpt,
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
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
    off_topic: Path | None = typer.Option(
        None, "--off-topic", help="Off-topic challenges to check 'no close match' on (default: off_topic.yaml beside the query file, if there)."
    ),
    as_json: bool = JsonOpt,
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
) -> None:
    """Measure search quality: hit@1/3/5, MRR and nDCG@5 for bm25, dense and hybrid, overall
    and per kind of query (typo, abbreviation, long, …; untagged queries are 'plain')."""
    from dataclasses import asdict

    from kb.search.evaluate import EvalFileError

    kb = open_kb(content, data)
    if off_topic is None and (query_file.parent / "off_topic.yaml").exists():
        off_topic = query_file.parent / "off_topic.yaml"
    try:
        with terminal.progress_bar("Embedding passages", transient=True) as progress:
            report = kb.evaluate(query_file, variants, progress=progress, notice=notice, off_topic_file=off_topic)
    except EvalFileError as exc:
        raise UsageProblem(str(exc)) from None
    if as_json:
        kinds = {kind: {"queries": report["counts"][kind], "modes": {m: asdict(s) for m, s in modes.items()}} for kind, modes in report["kinds"].items()}
        parts = {part: {name: asdict(s) for name, s in report[part].items()} for part in ("modes", "variants") if part in report}
        honesty = {"honesty": asdict(report["honesty"])} if "honesty" in report else {}
        print_json({"queries": report["queries"]} | parts | {"kinds": kinds} | honesty)
        return
    out.print(terminal.scores_table(report["modes"], f"Search quality on {report['queries']} queries"))
    out.print(terminal.kinds_table(report["kinds"], report["counts"]))
    if "honesty" in report:
        out.print(terminal.honesty_lines(report["honesty"]))
    if "variants" in report:
        out.print(terminal.scores_table(report["variants"], "Design alternatives"))


@app.command()
@friendly
def gaps(
    limit: int = typer.Option(20, "-n", min=1, max=1000, help=f"How many to list (queries are kept {KEEP_DAYS} days)."),
    as_json: bool = JsonOpt,
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
) -> None:
    """The challenges searched most often without a close answer: what to document next.

    Only the query text is kept, for a set time, never who asked; KB_GAPS=off keeps nothing."""
    found = open_kb(content, data).gaps(limit)
    if as_json:
        print_json([g.to_json() for g in found])
    else:
        out.print(terminal.gaps_table(found))


site_app = typer.Typer(help="The learning site (mkdocs-material).", no_args_is_help=True)
app.add_typer(site_app, name="site")


@site_app.command("build")
@friendly
def site_build(
    out_dir: Path | None = typer.Option(None, "--out", help="Output folder (default: site/ beside content/)."),
    offline: bool = typer.Option(False, "--offline", help="Build for opening from disk (Material's offline plugin)."),
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
) -> None:
    """Build the static learning site with mkdocs build --strict."""
    import time

    from kb.site import builder as site

    kb = open_kb(content, data)
    with terminal.progress_bar("Embedding passages") as progress:
        kb.searcher(progress, notice)
    started = time.perf_counter()
    with err.status("Building the site (mkdocs build --strict)…"):
        target = site.build(kb, out_dir, offline)
    err.print(f"[green]site built[/] in {time.perf_counter() - started:.1f}s → {escape(str(target))}" + (" (open index.html from disk)" if offline else ""))


@app.command()
@friendly
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes; each serves the same published version."),
    read_only: bool = typer.Option(False, "--read-only", help="A replica: answer reads, refuse every write (submissions) with 405."),
    primary: str | None = typer.Option(None, "--primary", metavar="URL", help="With --read-only: the server that takes writes, named in the 405."),
    sync_every: float | None = typer.Option(
        None, "--sync-every", metavar="SECONDS", min=1, help="Follow the content's git upstream: fetch and fast-forward this often."
    ),
    no_gaps: bool = NoGapsOpt,
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
) -> None:
    """Serve the learning site at / and the JSON API under /api; republish every change to
    the content while running."""
    import uvicorn

    from kb.publishing.process import PublisherProcess, publish_once
    from kb.publishing.state import read_state
    from kb.web.app import create_app

    if primary is not None and not read_only:
        raise typer.BadParameter("--primary names where writes go, for a --read-only server; add --read-only", param_hint="--primary")
    if primary is not None and not primary.startswith(("http://", "https://")):
        raise typer.BadParameter(f"'{primary}' is not an http:// or https:// URL", param_hint="--primary")
    if no_gaps:
        os.environ[GAPS_ENV] = "off"  # read by each KnowledgeBase, in this process and every worker
    kb = open_kb(content, data)
    # Built by a child process, so the serving processes never load torch.
    if publish_once(kb.root, kb.data_dir) != 0:
        state = read_state(kb.data_dir)
        if state is None:
            raise typer.Exit(1)
        warn(f"the content has problems (above): serving the last good version, {state.version} of {state.published_at}")
    publisher = PublisherProcess(kb.root, kb.data_dir, sync_every)
    err.print(f"[green]kb is serving[/] the learning site at http://{host}:{port}/ and the API at http://{host}:{port}/api/docs", soft_wrap=True)
    if read_only:
        err.print(f"read-only replica: submissions are refused with 405{f', naming {escape(primary)}' if primary else ''}")
    try:
        _run_server(create_app, uvicorn.run, kb, host, port, workers, read_only, primary)
    finally:
        publisher.stop()


def _run_server(
    create_app: Callable[..., Any], run: Callable[..., None], kb: KnowledgeBase, host: str, port: int, workers: int, read_only: bool, primary: str | None
) -> None:
    # No access log and no version banner (`server: uvicorn`). h11 rather than httptools:
    # h11 refuses a request line and headers over 64 KB at once, where httptools buffers
    # them without limit, in time that grows with the square of their size.
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "server_header": False,
        "http": "h11",
        "h11_max_incomplete_event_size": 64 * 1024,
    }
    if workers == 1:
        run(create_app(kb, read_only=read_only, primary=primary), **options)
        return
    # Several processes: each opens the published version by itself, and the cores are
    # shared out between them. (On this 2-core machine one worker with two non-spinning
    # ONNX threads did best: see bench/bench_api.py.)
    os.environ.setdefault("KB_ONNX_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    os.environ.update({"KB_CONTENT": str(kb.root), "KB_DATA": str(kb.data_dir)})
    os.environ.update({"KB_READ_ONLY": "1" if read_only else "", "KB_PRIMARY": primary or ""})  # read by app_from_env
    run("kb.web.app:app_from_env", factory=True, workers=workers, **options)


@app.command()
@friendly
def publish(
    watch: bool = typer.Option(False, "--watch", help="Keep running: publish every change to the content as it settles."),
    sync_every: float | None = typer.Option(None, "--sync-every", metavar="SECONDS", min=1, help="With --watch: follow the git upstream this often."),
    parent: int | None = typer.Option(None, "--parent", hidden=True, help="Stop when this process (the server) is gone."),
    force: bool = typer.Option(False, "--force", help="Publish again even if the content has not changed."),
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
) -> None:
    """Publish the content: validate it, refresh the index and build the site into a new
    version that `kb serve` switches to. Invalid content is not published."""
    from kb.publishing.publisher import Publisher

    kb = open_kb(content, data)
    publisher = Publisher(kb.root, kb.data_dir, kb.model)
    if watch:
        publisher.run(parent, sync_every)
        return
    report_publish(publisher, force)


def report_publish(publisher: Publisher, force: bool = False) -> None:
    outcome = publisher.publish(force=force)
    for problem in outcome.problems:
        sys.stderr.write(f"{problem}\n")
    if outcome.problems:
        err.print(f"[red]{len(outcome.problems)} problem(s): not published[/] (the last good version stays live)")
        raise typer.Exit(1)
    assert outcome.state is not None  # clean content is always published
    what = "published" if outcome.published else "already published"
    err.print(f"[green]{what}:[/] version {outcome.state.version}, {outcome.state.entries} entries ({outcome.seconds:.1f} s)")


@app.command()
@friendly
def sync(
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
) -> None:
    """A replica's update: fetch the content's git upstream, fast-forward, and publish."""
    from kb.publishing.publisher import Publisher
    from kb.publishing.sync import sync as follow

    kb = open_kb(content, data)
    err.print(follow(kb.root).message())
    report_publish(Publisher(kb.root, kb.data_dir, kb.model))


# --- curation (kb new, kb token, kb submit, kb review) ---------------------------------
# The logic lives in kb/curation/ (and kb/client.py for kb submit); these only parse, call and print.


def warn(message: str) -> None:
    # Text: a title is never read as markup; soft_wrap: one warning, one line (for grep)
    err.print(Text(f"warning: {message}", style="yellow"), soft_wrap=True)


def note(message: str) -> None:
    err.print(Text(message, style="dim"), soft_wrap=True)


def parse_set(pairs: list[str]) -> dict[str, Any]:
    """``FIELD=VALUE`` options; VALUE is read as YAML, so lists and numbers work."""
    from kb import documents

    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise UsageProblem(f"--set takes FIELD=VALUE, got '{pair}'")
        try:
            values[name.strip()] = documents.load(raw).data if raw.strip() else None
        except documents.DocumentError as exc:
            if "invalid YAML" not in exc.message:  # refused (a control character, an alias…)
                raise UsageProblem(f"--set {name.strip()}: {exc.message}") from None
            values[name.strip()] = raw
    return values


@app.command()
@friendly
def new(
    entry_type: str = typer.Argument(..., metavar="TYPE", help="case-study, top-tip, enabler, barrier, mdt-characteristic, dilemma or framework."),
    from_file: Path | None = typer.Option(None, "--from", help="Take the fields from this YAML or JSON file; ask nothing."),
    entry_id: str | None = typer.Option(None, "--id", help="The entry's id (default: from its title)."),
    title: str | None = typer.Option(None, "--title"),
    summary: str | None = typer.Option(None, "--summary"),
    contributor: str | None = typer.Option(None, "--contributor", help="Who wrote it (person or organisation)."),
    set_: list[str] = typer.Option([], "--set", help="FIELD=VALUE, VALUE read as YAML, e.g. --set themes=\\[frailty,dementia] (repeatable)."),
    no_input: bool = typer.Option(False, "--no-input", help="Ask nothing: fail, listing what is missing."),
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
) -> None:
    """Write a new draft entry under content/, asking for each field in turn.

    The file is a proposal (status: draft, hidden from lists, search and the site) until a
    reviewer publishes it. An existing entry is never overwritten."""
    from kb.curation import checks, entries
    from kb.entry_types import SLUG

    check_type(entry_type, allow_all=False)
    kb = open_kb(content, data)
    given, located = entries.read_entry_file(from_file) if from_file else ({}, None)
    options = {"id": entry_id, "title": title, "summary": summary, "contributor": contributor}
    given |= {k: v for k, v in options.items() if v is not None} | parse_set(set_)
    if isinstance(given.get("id"), str) and SLUG.match(given["id"]):
        entries.ensure_free(kb.root, given["id"])  # say so now, not after every question
    if not (from_file or no_input):
        from kb.prompts import Form

        given = Form(err, entry_type, kb.content, given).run()
    entry = entries.prepare_new(kb, entry_type, given, str(from_file) if from_file else None, located)
    similar, notes = checks.look_for_similar(kb, entry)  # before writing: the index is still fresh
    path = entries.write_entry(kb, entry)
    for other in similar:
        warn(other.message(f"'{entry.id}'"))
    for message in notes:
        note(message)
    err.print(f"[green]wrote[/] a draft {entry.type}; a reviewer sets status: published when accepting it")
    sys.stdout.write(f"{path}\n")


token_app = typer.Typer(help="Submission tokens for POST /api/submissions (kept as hashes in the data folder).", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
@friendly
def token_create(
    name: str = typer.Option(..., "--name", help="Who the token is for, e.g. rcn-curators."),
    role: str = typer.Option("contributor", "--role", help="contributor (sends entries) or reviewer (also approves and rejects them)."),
    base_url: str = typer.Option("http://127.0.0.1:8000", "--base-url", envvar="KB_BASE_URL", help="The kb site's address, for the invite link."),
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
) -> None:
    """Create a token; an invite link, then the token on the last line. Shown once: only
    its hash is kept."""
    from kb.curation import tokens

    kb = open_kb(content, data)
    token = tokens.create(kb.data_dir, name, role)
    err.print(f"{role} token for [bold]{escape(name)}[/] (shown once: kb keeps only its hash; revoke with kb token revoke {escape(name)}).")
    err.print("Send them this link; it opens the form with the token (nothing after # reaches a server):")
    sys.stdout.write(tokens.invite_link(base_url, token) + "\n" + token + "\n")


@token_app.command("list")
@friendly
def token_list(as_json: bool = JsonOpt, content: Path | None = ContentOpt, data: Path | None = DataOpt) -> None:
    """Names, when created and whether revoked; never the tokens."""
    from kb.curation import tokens

    records = [r.public() for r in tokens.load(open_kb(content, data).data_dir)]
    if as_json:
        print_json(records)
    else:
        out.print(terminal.tokens_table(records))


@token_app.command("revoke")
@friendly
def token_revoke(name: str = typer.Argument(..., metavar="NAME"), content: Path | None = ContentOpt, data: Path | None = DataOpt) -> None:
    """Stop a token working, at once (the server reads the list on every submission)."""
    from kb.curation import tokens

    record = tokens.revoke(open_kb(content, data).data_dir, name)
    err.print(f"[green]revoked[/] {escape(record.name)} ({record.revoked})")


@app.command()
@friendly
def submit(
    file: Path = typer.Argument(..., metavar="FILE", help="The entry, as a .yaml or .json file."),
    api: str = typer.Option("http://127.0.0.1:8000", "--api", envvar="KB_API", help="The kb server (or $KB_API)."),
    token: str = typer.Option("", "--token", envvar="KB_TOKEN", help="Your submission token (or $KB_TOKEN, which keeps it out of shell history)."),
) -> None:
    """Send an entry to a kb server for review."""
    from kb.client import submit_file
    from kb.curation.store import similar_warning

    receipt = submit_file(file, api, token)
    for similar in receipt.get("similar", []):
        warn(similar_warning(f"'{receipt['id']}'", similar))
    err.print(f"[green]submitted[/] '{escape(receipt['id'])}' for review (pending; sent as {escape(receipt['submitted_by'])} at {receipt['submitted_at']})")
    sys.stdout.write(f"{receipt['id']}\n")


review_app = typer.Typer(help="Review submissions: list, show, approve, reject.", no_args_is_help=True)
app.add_typer(review_app, name="review")


def open_store(content: Path | None, data: Path | None = None) -> tuple[KnowledgeBase, Any]:
    from kb.curation.store import SubmissionStore

    kb = open_kb(content, data)
    return kb, SubmissionStore.for_content(kb.root)


@review_app.command("list")
@friendly
def review_list(as_json: bool = JsonOpt, content: Path | None = ContentOpt) -> None:
    """Submissions waiting for review, oldest first."""
    _, store = open_store(content)
    pending = [s.summary_json() for s in store.pending()]
    if as_json:
        print_json(pending)
    else:
        out.print(terminal.submissions_table(pending))


@review_app.command("show")
@friendly
def review_show(entry_id: str = typer.Argument(..., metavar="ID"), content: Path | None = ContentOpt) -> None:
    """A submission in full, and a diff against an entry with the same title, or else the most similar one."""
    from kb.curation.review import review
    from kb.curation.store import similar_warning

    kb, store = open_store(content)
    seen = review(kb, store, entry_id)
    sub = seen.submission
    err.print(Text(f"{sub.type} '{sub.id}', sent by {sub.submitted_by} at {sub.submitted_at}", style="bold"))
    for similar in sub.similar:
        warn(similar_warning(f"'{sub.id}'", similar))
    sys.stdout.write(seen.text)
    if seen.compared is not None:
        err.print(Text(f"\ncompared with {seen.compared} (the same title, or the most similar entry); the changes from it:", style="yellow"))
        sys.stdout.write(seen.diff or "(no differences)\n")


def default_reviewer() -> str:
    import getpass

    try:
        return os.environ.get("KB_REVIEWER") or getpass.getuser()
    except Exception:  # noqa: BLE001 (no login name in some containers, raised variously): ask for one
        raise UsageProblem("say who is reviewing: --reviewer NAME (or set KB_REVIEWER)") from None


@review_app.command("approve")
@friendly
def review_approve(
    entry_id: str = typer.Argument(..., metavar="ID"),
    reviewer: str | None = typer.Option(None, "--reviewer", help="Who approves it (default: $KB_REVIEWER or your login)."),
    no_push: bool = typer.Option(False, "--no-push", help="Commit but do not push (or set KB_PUSH=0)."),
    content: Path | None = ContentOpt,
    data: Path | None = DataOpt,
) -> None:
    """Publish a submission: into content/ with status, reviewer and dates.

    In a git work tree the new file alone is committed (the contributor as author) and
    pushed to the branch's upstream, if it has one. A running `kb serve` republishes it
    within seconds; without one, `kb find` refreshes the index when next run."""
    from kb.curation.review import approve

    kb, store = open_store(content, data)
    done = approve(kb, store, entry_id, reviewer or default_reviewer(), push=False if no_push else None)
    err.print(f"[green]approved:[/] {escape(str(done.path))} (published, reviewed by {escape(done.entry.reviewed_by or '')})")
    if done.git is not None:
        (warn if done.git.warning else note)(done.git.message)
    # No index build here: the publisher beside `kb serve` does it (one builder per host).
    sys.stdout.write(f"{done.path}\n")


@review_app.command("reject")
@friendly
def review_reject(
    entry_id: str = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option(..., "--reason", help="Why, for the contributor."),
    reviewer: str | None = typer.Option(None, "--reviewer", help="Who rejects it (default: $KB_REVIEWER or your login)."),
    content: Path | None = ContentOpt,
) -> None:
    """Turn a submission down; it is kept, with the reason, under submissions/rejected/."""
    from kb.curation.review import reject

    _, store = open_store(content)
    record = reject(store, entry_id, reason, reviewer or default_reviewer())
    err.print(f"[green]rejected[/] '{escape(entry_id)}'; kept with the reason at {escape(str(record))}")


def main() -> None:
    """Run a command, then leave without the interpreter's teardown.

    Unloading onnxruntime, faiss and scipy takes ~0.15 s, a sixth of a cold `kb find`.
    Every file kb writes is closed (and renamed into place) before a command returns,
    so only the standard streams need flushing.
    """
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # e.g. `kb list | head` closed the pipe
            stream.flush()
    os._exit(code)
