"""How entries and results look in a terminal (rich tables and panels).

Only the CLI uses this; every value shown comes from the core.
"""

from __future__ import annotations

from typing import Any, Iterable

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kb.content import Content
from kb.models import CaseStudy, EntryBase, entry_url

AIM_LABELS = {
    "population_health": "Population health",
    "individual_experience": "Individual experience",
    "cost": "Cost",
    "staff_experience": "Staff experience",
}


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


def entry_panel(entry: EntryBase, content: Content) -> Panel:
    parts: list[Any] = [Text(entry.summary, style="italic"), Text("")]
    if isinstance(entry, CaseStudy):
        facts = Table.grid(padding=(0, 2))
        facts.add_row("Organisation", entry.organisation)
        if entry.partners:
            facts.add_row("Partners", ", ".join(entry.partners))
        facts.add_row("Kind", entry.organisation_kind + (f" ({', '.join(entry.vanguard_types)})" if entry.vanguard_types else ""))
        if entry.place:
            facts.add_row("Place", entry.place)
        parts += [facts, Text("")]
        parts += _section("Challenge", entry.challenge)
        parts += _section("Approach", entry.approach)
        aims = Table(title="Outcomes (Quadruple Aim)", show_header=False, expand=True)
        aims.add_column(style="bold", width=22)
        aims.add_column()
        for key, label in AIM_LABELS.items():
            aims.add_row(label, getattr(entry.outcomes, key) or Text("not reported", style="dim"))
        parts += [aims]
        if entry.metrics:
            metrics = Table(title="Metrics", expand=True)
            for col in ("measure", "as reported", "aim", "period"):
                metrics.add_column(col)
            for m in entry.metrics:
                metrics.add_row(m.measure, m.as_reported + (" (est.)" if m.estimated else ""), m.aim or "", m.period or "")
            parts += [metrics]
    parts += _section("Detail", entry.detail)
    for field in ("mitigations",):
        items = getattr(entry, field, None)
        if items:
            parts += _section(field.capitalize(), "\n".join(f"• {i}" for i in items))
    for field in ("items",):
        items = getattr(entry, field, None)
        if items:
            parts += _section("Parts", "\n".join(f"• {i.name}" + (f": {i.description}" if i.description else "") for i in items))
    links = Table.grid(padding=(0, 2))
    for field, vocab in (("themes", "themes"), ("roles", "roles"), ("enablers", "enablers"), ("barriers", "barriers"),
                         ("population_groups", "population_groups"), ("care_settings", "care_settings"), ("case_studies", "case_studies")):
        values = getattr(entry, field, None)
        if values:
            links.add_row(field.replace("_", " ").capitalize(), ", ".join(content.term_name(vocab, v) for v in values))
    if entry.aliases:
        links.add_row("Also known as", ", ".join(entry.aliases))
    links.add_row("Sources", "; ".join(f"{content.documents[s.document].title[:60]}… {s.label()}" if s.document in content.documents else s.label() for s in entry.sources))
    links.add_row("Page", entry_url(entry.type, entry.id))
    parts += [links]
    return Panel(Group(*parts), title=f"[bold]{escape(entry.title)}[/]", subtitle=f"{entry.type} · {entry.id}")
