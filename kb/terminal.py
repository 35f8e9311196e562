"""How entries and results look in a terminal (rich tables and panels).

Only the CLI uses this; every value shown comes from the core.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from kb.entry_types import AIMS, entry_url
from kb.gaps import GAPS_ENV, KEEP_DAYS

if TYPE_CHECKING:
    from kb.content import Content
    from kb.models import CaseStudy, EntryBase
    from kb.search.explain import Answer

AIM_LABELS = {field: label for field, _, label in AIMS}


def entry_table(entries: Iterable[EntryBase]) -> Table:
    table = Table(show_lines=False, header_style="bold")
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("type")
    table.add_column("title")
    table.add_column("organisation")
    count = 0
    for entry in entries:
        count += 1
        table.add_row(escape(entry.id), entry.type, escape(entry.title), escape(getattr(entry, "organisation", None) or ""))
    table.caption = f"{count} entries"
    return table


def _section(title: str, body: str | None) -> list[Any]:
    if not body:
        return []
    return [Text(title, style="bold"), Text(body), Text("")]


def caveat_lines(entry: EntryBase, content: Content) -> str:
    """The entry's caveats; for a case study, also those of each report it cites, as they
    qualify its outcomes and figures (the site's case study page shows the same)."""
    lines = [f"• {c.text}" + (f" ({c.source.label()})" if c.source else "") for c in entry.caveats]
    cited = dict.fromkeys(s.document for s in entry.sources) if entry.type == "case-study" else {}
    for doc in (content.documents[d] for d in cited if d in content.documents):
        lines += [f"• {doc.title[:40]}…: {c.text}" + (f" ({c.source.label()})" if c.source else "") for c in doc.caveats]
    return "\n".join(lines)


LINK_FIELDS = ("themes", "roles", "enablers", "barriers", "population_groups", "care_settings", "case_studies")


def entry_panel(entry: EntryBase, content: Content) -> Panel:
    # Every value from the content is a Text (or escaped): a contributor's "[bold]" or
    # "<script>" is shown as typed, never read as rich markup.
    from kb.models import Barrier, CaseStudy, Framework  # here: `kb find` never needs pydantic

    parts: list[Any] = [Text(entry.summary, style="italic"), Text("")]
    if isinstance(entry, CaseStudy):
        parts += _case_study_parts(entry)
    parts += _section("Detail", entry.detail)
    parts += _section("Caveats", caveat_lines(entry, content))
    if isinstance(entry, Barrier) and entry.mitigations:
        parts += _section("Mitigations", "\n".join(f"• {m}" for m in entry.mitigations))
    if isinstance(entry, Framework) and entry.items:
        parts += _section("Parts", "\n".join(f"• {i.name}" + (f": {i.description}" if i.description else "") for i in entry.items))
    parts += [_links(entry, content)]
    return Panel(Group(*parts), title=f"[bold]{escape(entry.title)}[/]", subtitle=f"{entry.type} · {entry.id}")


def _case_study_parts(entry: CaseStudy) -> list[Any]:
    """Who did it, the challenge and approach, outcomes by aim and the measured results."""
    facts = Table.grid(padding=(0, 2))
    facts.add_row("Organisation", Text(entry.organisation))
    if entry.partners:
        facts.add_row("Partners", Text(", ".join(entry.partners)))
    facts.add_row("Kind", Text(entry.organisation_kind + (f" ({', '.join(entry.vanguard_types)})" if entry.vanguard_types else "")))
    if entry.place:
        facts.add_row("Place", Text(entry.place))
    parts: list[Any] = [facts, Text(""), *_section("Challenge", entry.challenge), *_section("Approach", entry.approach)]
    aims = Table(title="Outcomes (Quadruple Aim)", show_header=False, expand=True)
    aims.add_column(style="bold", width=22)
    aims.add_column()
    for key, label in AIM_LABELS.items():
        said = getattr(entry.outcomes, key)
        aims.add_row(label, Text(said or "not reported", style="" if said else "dim"))
    parts.append(aims)
    if entry.metrics:
        metrics = Table(title="Metrics", expand=True)
        for col in ("measure", "figure", "as reported", "aim", "period", "caveats"):
            metrics.add_column(col)
        for m in entry.metrics:
            figure = m.figure() + (" (est.)" if m.estimated else "")
            metrics.add_row(Text(m.measure), Text(figure), Text(m.as_reported), m.aim or "", Text(m.period or ""), Text(" ".join(c.text for c in m.caveats)))
        parts.append(metrics)
    return parts


def _links(entry: EntryBase, content: Content) -> Table:
    """What the entry is filed under and linked to, its other names, sources and page."""
    links = Table.grid(padding=(0, 2))
    for field in LINK_FIELDS:
        values = getattr(entry, field, None)
        if values:
            links.add_row(field.replace("_", " ").capitalize(), Text(", ".join(content.term_name(field, v) for v in values)))
    if entry.aliases:
        links.add_row("Also known as", Text(", ".join(entry.aliases)))
    cited = (f"{content.documents[s.document].title[:60]}… {s.label()}" if s.document in content.documents else s.label() for s in entry.sources)
    links.add_row("Sources", Text("; ".join(cited)))
    links.add_row("Page", entry_url(entry.type, entry.id))
    return links


@contextmanager
def progress_bar(description: str, transient: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr, driven by the core's ``(done, total)`` callback.

    Nothing is drawn unless the callback is called (a query on a fresh index draws nothing).
    """
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=transient
    )
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task(description, total=total)
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()


def highlight(text: str, words: list[str]) -> Text:
    out = Text(text)
    for word in words:
        out.highlight_regex(rf"(?i)\b{re.escape(word)}\b", style="bold yellow")
    return out


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rsplit(" ", 1)[0] + "…"


def answer_notes(answer: Answer) -> list[Text]:
    """What search made of the query, above the results: the glossary's expansions, a
    corrected query, and a plain warning when nothing is close."""
    lines = []
    if answer.expansions:
        lines.append(Text("; ".join(f"{e.term} → {e.expansion}" for e in answer.expansions), style="cyan"))
    if answer.did_you_mean:
        lines.append(Text(f"Did you mean “{answer.did_you_mean}”? Searched for that too.", style="yellow"))
    if answer.results and answer.no_close_match:
        nearest = "; ".join(_shorten(r.title, 50) for r in answer.results[:3])
        lines.append(Text(f"No close match: the nearest entries are {nearest}.", style="bold yellow"))
    return lines


ANSWER_WIDTH = 100  # the compact answer fits a 100-column terminal
SNIPPET_LINES = 2
INDENT = "   "


def _bare(token: str) -> str:
    return re.sub(r"^\W+|\W+$", "", token.lower())


def snippet(text: str, words: list[str], width: int, lines: int = SNIPPET_LINES) -> list[str]:
    """At most ``lines`` lines of at most ``width`` characters from ``text``: the stretch
    holding most of ``words`` (the query's words found in it), cut at word boundaries and
    marked "…" where text was left out."""
    tokens = text.split()
    wanted = {w.lower() for w in words}
    hits = [i for i, token in enumerate(tokens) if _bare(token) in wanted]
    best: tuple[int, int, list[str]] = (-1, 0, [])
    for start in dict.fromkeys([0, *(max(0, h - 3) for h in hits)]):  # a little context before a hit
        wrapped = _fit(tokens, start, width, lines)
        inside = sum(start <= h < start + _count(wrapped) for h in hits)
        if inside > best[0]:
            best = (inside, start, wrapped)
    return best[2]


def _count(wrapped: list[str]) -> int:
    return sum(len([t for t in line.split() if t != "…"]) for line in wrapped)


def _fit(tokens: list[str], start: int, width: int, lines: int) -> list[str]:
    """The longest run of ``tokens`` from ``start`` that wraps into ``lines`` lines."""
    import textwrap

    end = len(tokens)
    while True:
        shown = (["…"] if start else []) + tokens[start:end] + (["…"] if end < len(tokens) else [])
        wrapped = textwrap.wrap(" ".join(shown), width, break_long_words=True)
        if len(wrapped) <= lines or end <= start + 1:
            return wrapped[:lines]
        end -= max(1, (len(wrapped) - lines) * 4)  # drop a few words at a time, then one by one
        end = max(end, start + 1)


def compact_results(results: list[Any], width: int) -> Group | Text:
    """`kb find`'s answer: per result its title, organisation and relevance on one line, then
    one or two lines of the passage that matched around the query's words (highlighted),
    then its page. Nothing is wider than ``width``."""
    if not results:
        return Text("No matching entries. Try other words, fewer filters or --type all.", style="yellow")
    width = min(width, ANSWER_WIDTH)
    parts: list[Any] = []
    for rank, r in enumerate(results, 1):
        head = Text(f"{rank}. ", style="bold") + Text(f"{r.relevance:.2f}{'' if r.close else ' not close'} ", style="green" if r.close else "yellow")
        head += Text(r.title, style="bold")
        if r.organisation and r.organisation not in r.title:
            head.append(f" · {r.organisation}", style="dim")
        parts.append(_line(head))
        for line in snippet(r.match, r.match_terms, width - len(INDENT)):
            parts.append(_line(Text(INDENT) + highlight(line, r.match_terms)))
        parts.append(_line(Text(f"{INDENT}{r.url}", style="cyan")))
    return Group(*parts)


def _line(text: Text) -> Text:
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def results_table(results: list[Any], query: str | None) -> Table | Text:
    if not results:
        return Text("No matching entries. Try other words, fewer filters or --type all.", style="yellow")
    table = Table(header_style="bold", show_lines=True, title=f"Most like: {query}" if query else None)
    table.add_column("#", justify="right")
    table.add_column("entry", ratio=2)
    table.add_column("score", justify="right")
    table.add_column("why it matched", ratio=3)
    for rank, r in enumerate(results, 1):
        who = Text(r.title, style="bold")
        if r.organisation:
            who.append(f"\n{r.organisation}", style="dim")
        who.append(f"\n{r.id} · {r.url}", style="cyan")
        why = Text(f"{r.match_field}: ", style="dim") + highlight(r.match if len(r.match) < 400 else r.match[:400] + "…", r.match_terms)
        table.add_row(str(rank), who, f"{r.score:.3f}", why)
    return table


def brief_markdown(text: str) -> Any:
    """A brief's Markdown laid out for a terminal: headings, lists and tables drawn to
    its width (piped, the Markdown itself is written)."""
    from rich.markdown import Markdown

    return Markdown(text, hyperlinks=True)  # a link shows its text, and opens in terminals that can


def scores_table(scores: dict[str, Any], title: str) -> Table:
    table = Table(title=title, header_style="bold")
    table.add_column("ranking")
    for column in ("hit@1", "hit@3", "hit@5", "MRR", "nDCG@5"):
        table.add_column(column, justify="right")
    for name, s in scores.items():
        table.add_row(name, *(f"{v:.3f}" for v in (s.hit1, s.hit3, s.hit5, s.mrr, s.ndcg5)))
    return table


def kinds_table(kinds: dict[str, dict[str, Any]], counts: dict[str, int]) -> Table:
    """hit@3 and MRR per kind of query and mode: where search is weak, at a glance."""
    table = Table(title="Per kind of query: hit@3 / MRR", header_style="bold")
    table.add_column("kind", no_wrap=True)
    table.add_column("queries", justify="right")
    modes = list(next(iter(kinds.values()), {}))
    for mode in modes:
        table.add_column(mode, justify="right", no_wrap=True)
    for kind, scores in kinds.items():
        table.add_row(escape(kind), str(counts[kind]), *(f"{scores[mode].hit3:.3f} / {scores[mode].mrr:.3f}" for mode in modes))
    return table


def honesty_lines(h: Any) -> Text:
    """How often hybrid search said "no close match", rightly and wrongly."""
    text = Text()
    text.append(f"No close match said for {h.off_topic_flagged} of {h.off_topic} off-topic challenges ({h.flagged_share:.0%}; target 90% or more)\n")
    text.append(f"and wrongly for {h.answerable_flagged} of {h.answerable} answerable queries ({h.false_flag_share:.0%}; target 5% or less)")
    for query in h.wrongly_flagged:
        text.append(f"\n  wrongly: {query}", style="dim")
    return text


def gaps_table(gaps: list[Any]) -> Table | Text:
    """`kb gaps`: the queries most often without a close answer."""
    if not gaps:
        return Text(f"No searches without a close match in the last {KEEP_DAYS} days (or counting is off: {GAPS_ENV}).", style="green")
    table = Table(header_style="bold", title="Searched without a close match, most often first")
    table.add_column("times", justify="right")
    table.add_column("query")
    table.add_column("last asked", no_wrap=True)
    table.add_column("best relevance", justify="right")
    for g in gaps:
        table.add_row(str(g.count), Text(g.query), g.last_seen, f"{g.best_relevance:.2f}")
    return table


def tokens_table(records: list[dict[str, Any]]) -> Table | Text:
    if not records:
        return Text("No submission tokens yet: kb token create --name NAME", style="yellow")
    table = Table(header_style="bold")
    for column in ("name", "role", "created", "revoked"):
        table.add_column(column)
    for r in records:
        table.add_row(escape(r["name"]), r["role"], r["created"], Text(r["revoked"] or "live", style="red" if r["revoked"] else "green"))
    return table


def submissions_table(items: list[dict[str, Any]]) -> Table | Text:
    """Pending submissions; every value is shown as text (a title may hold anything)."""
    if not items:
        return Text("No submissions waiting for review.", style="green")
    table = Table(header_style="bold", caption=f"{len(items)} waiting")
    table.add_column("id", no_wrap=True)
    for column in ("type", "title", "sent by", "at", "similar to"):
        table.add_column(column)
    for s in items:
        similar = ", ".join(f"{x['id']} ({x['similarity']:.2f})" for x in s.get("similar", []))
        table.add_row(
            Text(s["id"], style="cyan"), Text(s["type"]), Text(s["title"]), Text(s["submitted_by"]), Text(s["submitted_at"]), Text(similar, style="yellow")
        )
    return table
