"""The learning site: Markdown pages generated from the content at build time.

``pages(kb)`` returns every generated page as ``{path: markdown}``; the MkDocs plugin
(:class:`kb.site.plugin.KbPlugin`) adds them to the build, and ``build`` runs ``mkdocs build
--strict``. Generated Markdown is never written into the repository.

Safety: every text that comes from the content goes through :func:`md` (for Markdown)
or :func:`h` (for HTML blocks), so ``<script>`` or Markdown tricks render as text.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from kb.entry_types import AIMS, ENTRY_TYPES, LABELS, URL_SEGMENTS
from kb.errors import SiteBuildFailed
from kb.evidence import LEVELS, Evidence, evidence_of
from kb.models import Barrier, CaseStudy, Caveat, EntryBase, Framework, Metric, SourceRef
from kb.site.chart import outcomes_chart
from kb.site.cite import citation, source_citation
from kb.site.feed import FEED_PATH, atom_feed
from kb.site.finder_data import FINDER_DATA_PATH, finder_data
from kb.site.markup import entry_page, front_matter, h, link, md, paragraph, slug

if TYPE_CHECKING:
    from kb.content import Content
    from kb.core import KnowledgeBase

VOCAB_PAGES = {"themes": "themes", "population_groups": "population-groups", "roles": "roles", "care_settings": "care-settings"}
VOCAB_LABELS = {"themes": "Themes", "population_groups": "Population groups", "roles": "Roles", "care_settings": "Care settings"}
SIMILAR = 5
EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[a-z]{2,}", re.I)


# --- the pages ----------------------------------------------------------------------------


class SiteBuilder:
    """Turns the knowledge base into pages; one instance per build."""

    def __init__(self, kb: KnowledgeBase, similar: bool = True, site_url: str | None = None):
        self.kb = kb
        self.content: Content = kb.content
        self.entries = sorted(self.content.published(), key=lambda e: e.title.lower())
        self.by_id = {e.id: e for e in self.entries}
        self.case_studies: list[CaseStudy] = [e for e in self.entries if isinstance(e, CaseStudy)]
        self.evidence: dict[str, Evidence] = {c.id: evidence_of(c, self.content.documents) for c in self.case_studies}
        self.similar = similar
        self.site_url = site_url
        self.pages: dict[str, str] = {}

    def build(self) -> dict[str, str]:
        self.home()
        for entry_type in ENTRY_TYPES:
            self.type_index(entry_type)
        for entry in self.entries:
            self.pages[entry_page(entry.type, entry.id)] = self.entry(entry)
        self.top_tip_groups()
        self.organisations()
        self.vocabularies()
        self.sources_page()
        self.outcomes_page()
        self.whats_new()
        self.evidence_page()
        self.glossary_page()
        self.pages[FEED_PATH] = atom_feed(self.entries, self.site_url)
        self.pages[FINDER_DATA_PATH] = finder_data(self.entries, self.content, self.evidence)
        self.pages["tags.md"] = front_matter("Tags") + "# Tags\n\nEvery entry by its tags.\n\n<!-- material/tags -->\n"
        return self.pages

    # --- relations ---------------------------------------------------------------------

    def illustrating(self, entry: EntryBase) -> list[CaseStudy]:
        """Case studies linked to ``entry`` from either side."""
        listed = set(getattr(entry, "case_studies", []) or [])
        field = {"enabler": "enablers", "barrier": "barriers"}.get(entry.type)
        return [c for c in self.case_studies if c.id in listed or (field and entry.id in getattr(c, field))]

    def linked_from(self, case: CaseStudy, entry_type: str) -> list[EntryBase]:
        """Tips, enablers, barriers … that name this case study, or that it names."""
        own = set(getattr(case, {"enabler": "enablers", "barrier": "barriers"}.get(entry_type, ""), []) or [])
        return [e for e in self.entries if e.type == entry_type and (e.id in own or case.id in (getattr(e, "case_studies", []) or []))]

    def tag_names(self, entry: EntryBase) -> list[str]:
        names = [self.content.term_name("themes", t) for t in entry.themes]
        for vocab in ("population_groups", "care_settings", "roles"):
            names += [self.content.term_name(vocab, t) for t in getattr(entry, vocab, []) or []]
        return names

    # --- home and indexes ----------------------------------------------------------------

    def home(self) -> None:
        page = "index.md"
        tax = self.content.taxonomy
        out = [front_matter("Lessons for redesigning health and care teams"), "# Lessons for redesigning health and care teams\n\n"]
        out.append(
            f"What vanguards, primary care homes, Royal Colleges and Faculties learned about building "
            f"teams around people's needs: {len(self.case_studies)} case studies, "
            f"{sum(e.type == 'top-tip' for e in self.entries)} top tips, and the enablers, barriers and dilemmas "
            f"they met, each cited to its source report.\n\n"
        )
        out.append(
            f"**{link(page, 'finder.md', 'Find case studies for your challenge')}** — describe your challenge in your own words, or press / to search the site.\n\n"
        )
        out.append("## Start from your challenge\n\n")
        for vocab, label in (("themes", "By theme"), ("population_groups", "By population group"), ("roles", "By role")):
            terms = [t for t in getattr(tax, vocab) if self.cases_for_term(vocab, t.id)]
            out.append(
                f"### {label}\n\n"
                + "".join(f"- {link(page, f'{VOCAB_PAGES[vocab]}/{t.id}.md', t.name)} ({len(self.cases_for_term(vocab, t.id))})\n" for t in terms)
                + "\n"
            )
        for entry_type, label in (("enabler", "By what helps (enablers)"), ("barrier", "By what gets in the way (barriers)")):
            out.append(
                f"### {label}\n\n" + "".join(f"- {link(page, entry_page(e.type, e.id), e.title)}\n" for e in self.entries if e.type == entry_type) + "\n"
            )
        out.append("## Browse\n\n")
        for entry_type in ENTRY_TYPES:
            count = sum(e.type == entry_type for e in self.entries)
            out.append(f"- {link(page, f'{URL_SEGMENTS[entry_type]}/index.md', LABELS[entry_type])} ({count})\n")
        out.append(f"- {link(page, 'organisations/index.md', 'Organisations')}\n- {link(page, 'outcomes.md', 'Outcomes compared')}\n")
        out.append(f"- {link(page, 'whats-new.md', 'What’s new')} (also as a [feed]({FEED_PATH}))\n- {link(page, 'sources.md', 'The source reports')}\n")
        out.append(f"- {link(page, 'evidence.md', 'How we rate evidence')}\n- {link(page, 'glossary.md', 'Glossary')}\n- {link(page, 'tags.md', 'Tags')}\n")
        self.pages[page] = "".join(out)

    def type_index(self, entry_type: str) -> None:
        page = f"{URL_SEGMENTS[entry_type]}/index.md"
        out = [front_matter(LABELS[entry_type]), f"# {LABELS[entry_type]}\n\n"]
        for e in (e for e in self.entries if e.type == entry_type):
            who = f" — {md(e.organisation)}{self.evidence_tag(e)}" if isinstance(e, CaseStudy) else ""
            out.append(f"- {link(page, entry_page(e.type, e.id), e.title)}{who}  \n  {md(e.summary)}\n")
        self.pages[page] = "".join(out) + "\n"

    # --- one entry -------------------------------------------------------------------------

    def entry(self, entry: EntryBase) -> str:
        page = entry_page(entry.type, entry.id)
        out = [front_matter(entry.title, self.tag_names(entry), entry.summary), f"# {md(entry.title)}\n\n"]
        if isinstance(entry, CaseStudy):
            out.append(self.evidence_line(entry, page))
        out.append(f'<p class="kb-summary">{h(entry.summary)}</p>\n\n')
        if isinstance(entry, CaseStudy):
            out.append(self.case_study_body(entry, page))
        else:
            out.append(self.tags_line(entry, page) + self.contact_line(entry))
            out.append(self.other_body(entry, page))
        out.append(self.sources_section(entry))
        out.append(self.cite_section(entry, page))
        return "".join(out)

    def preview(self, entry: EntryBase) -> str:
        """The page of an entry not yet in the content (a draft, a submission), as it
        will be once published."""
        if isinstance(entry, CaseStudy):
            self.evidence[entry.id] = evidence_of(entry, self.content.documents)
            self.case_studies.append(entry)
        self.by_id[entry.id] = entry
        return self.entry(entry)

    # --- evidence, tags, contact and citation: the head and foot of an entry's page --------

    def evidence_line(self, case: CaseStudy, page: str) -> str:
        """The label under the title, linked to its explanation, with what it rests on."""
        ev = self.evidence[case.id]
        counts = [(ev.measured, "measured result"), (ev.surveyed, "survey result"), (ev.estimated, "estimate")]
        rests_on = ", ".join(f"{n} {name}{'' if n == 1 else 's'}" for n, name in counts if n)
        label = link(page, f"evidence.md#{ev.level}", ev.label)
        return f"**Evidence:** {label}{f' — {rests_on}' if rests_on else ''}\n{{: .kb-evidence .kb-evidence--{ev.level} }}\n\n"

    def evidence_tag(self, case: CaseStudy) -> str:
        """The label in a listing: plain text, since a link on every line is noise."""
        ev = self.evidence[case.id]
        return f' <span class="kb-evidence-tag kb-evidence--{ev.level}">{h(ev.label)}</span>'

    def tag_links(self, entry: EntryBase, page: str) -> list[tuple[str, str]]:
        """(vocabulary label, its terms as links) for each vocabulary the entry uses."""
        rows = []
        for vocab, folder in VOCAB_PAGES.items():
            if vocab == "roles":
                continue
            ids = getattr(entry, vocab, None) or []
            if ids:
                rows.append((VOCAB_LABELS[vocab], ", ".join(link(page, f"{folder}/{i}.md", self.content.term_name(vocab, i)) for i in ids)))
        return rows

    def tags_line(self, entry: EntryBase, page: str) -> str:
        rows = self.tag_links(entry, page)
        return ("".join(f"**{label}:** {links}  \n" for label, links in rows).rstrip(" \n") + "\n{: .kb-tags }\n\n") if rows else ""

    def contact_line(self, entry: EntryBase) -> str:
        return f"**Contact:** {contact_markup(entry.contact)}\n{{: .kb-contact }}\n\n" if entry.contact else ""

    def cite_section(self, entry: EntryBase, page: str) -> str:
        """A formatted citation of the entry, and of each source page it draws on."""
        url = self.site_url.rstrip("/") + "/" + entry_page(entry.type, entry.id).removesuffix(".md") + "/" if self.site_url else None
        out = ["## Cite this\n\n", f'<p class="kb-cite" data-kb-path="{h(page.removesuffix(".md"))}/">{citation(entry, url)}</p>\n\n']
        by_document: dict[str, list[SourceRef]] = defaultdict(list)  # one citation per report, with every page used
        for ref in entry.sources:
            by_document[ref.document].append(ref)
        out.append(
            "Its sources:\n\n"
            + "".join(f'<p class="kb-cite-source">{source_citation(self.content.documents.get(d), refs)}</p>\n' for d, refs in by_document.items())
            + "\n"
        )
        return "".join(out)

    def case_study_body(self, case: CaseStudy, page: str) -> str:
        out = ["## At a glance\n\n"]
        out.append(f"- **Organisation:** {link(page, f'organisations/{slug(case.organisation)}.md', case.organisation)}\n")
        if case.partners:
            out.append(f"- **Partners:** {', '.join(md(p) for p in case.partners)}\n")
        kinds = md(case.organisation_kind.replace("-", " "))
        if case.vanguard_types:
            kinds += " (" + ", ".join(md(v.replace("-", " ")) for v in case.vanguard_types) + ")"
        out.append(f"- **Kind:** {kinds}\n")
        if case.place:
            out.append(f"- **Place:** {md(case.place)}\n")
        if case.aliases:
            out.append(f"- **Also known as:** {', '.join(md(a) for a in case.aliases)}\n")
        out += [f"- **{label}:** {links}\n" for label, links in self.tag_links(case, page)]
        if case.contact:
            out.append(f"- **Contact:** {contact_markup(case.contact)}\n")
        out.append("\n")
        if case.challenge:
            out.append("## The challenge\n\n" + paragraph(case.challenge))
        out.append("## What they did\n\n" + paragraph(case.approach))
        if case.detail:
            out.append("## More detail\n\n" + paragraph(case.detail))
        if case.quote:
            out.append(f'<blockquote class="kb-quote">{h(case.quote)}</blockquote>\n\n')
        out.append("## Outcomes by the Quadruple Aim\n\n" + self.aims_grid(case))
        if case.metrics:
            notes = CaveatNotes()
            out.append("## Measured results\n\n| What was measured | Figure | Result as reported | Aim | Period | Caveats |\n|---|---|---|---|---|---|\n")
            for m in case.metrics:
                aim = next((label for _, key, label in AIMS if key == m.aim), "")
                out.append(f"| {md(m.measure)} | {figure(m)} | {md(m.as_reported)} | {aim} | {md(m.period or '')} | {notes.cite(m.caveats)} |\n")
            out.append("\n" + notes.listing())
        out.append(self.caveats_section(case))
        if case.roles:
            out.append("## Roles\n\n" + "".join(f"- {link(page, f'roles/{r}.md', self.content.term_name('roles', r))}\n" for r in case.roles) + "\n")
        related = []
        for entry_type in ("enabler", "barrier", "top-tip", "mdt-characteristic", "dilemma", "framework"):
            for e in self.linked_from(case, entry_type):
                related.append(f"- {LABELS[entry_type][:-1] if entry_type != 'top-tip' else 'Top tip'}: {link(page, entry_page(e.type, e.id), e.title)}\n")
        if related:
            out.append("## What it illustrates\n\n" + "".join(related) + "\n")
        if self.similar:
            out.append("## Similar case studies\n\n")
            similar = self.kb.similar(case.id, SIMILAR)
            out.append("".join(f"1. {link(page, entry_page(r.type, r.id), r.title)} — {md(r.organisation or '')}\n" for r in similar) + "\n")
        return "".join(out)

    def caveats_section(self, entry: EntryBase) -> str:
        """The entry's own caveats, then those of the reports it cites: readers weigh the
        figures above against them, so they sit on the same page."""
        own = [caveat_line(c) for c in entry.caveats]
        cited = dict.fromkeys(s.document for s in entry.sources)
        reports = [(self.content.documents[d], self.content.documents[d].caveats) for d in cited if d in self.content.documents]
        if not own and not any(caveats for _, caveats in reports):
            return ""
        out = ["## How far to trust these results\n\n"] + [f"- {line}\n" for line in own] + ["\n" if own else ""]
        for doc, caveats in reports:
            if caveats:
                out.append(f"What *{md(doc.title)}* says about its own evidence:\n\n" + "".join(f"- {caveat_line(c)}\n" for c in caveats) + "\n")
        return "".join(out)

    def aims_grid(self, case: CaseStudy) -> str:
        cells = []
        for field, _, label in AIMS:
            text = getattr(case.outcomes, field)
            body = f"<p>{h(text)}</p>" if text else '<p class="kb-not-reported">Not reported</p>'
            cells.append(f'<div class="kb-aim{"" if text else " kb-aim--empty"}"><h3>{label}</h3>{body}</div>')
        return '<div class="kb-aims">' + "".join(cells) + "</div>\n\n"

    def other_body(self, entry: EntryBase, page: str) -> str:
        out = []
        if getattr(entry, "question", None):
            out.append(f'<p class="kb-question"><strong>{h(entry.question)}</strong></p>\n\n')  # type: ignore[attr-defined]
        if entry.type == "top-tip":
            group = entry.group  # type: ignore[attr-defined]
            out.append(f"Part of the top tips on {link(page, f'top-tips/{slug(group)}.md', group)}.\n\n")
        if entry.detail:
            out.append("## In detail\n\n" + paragraph(entry.detail))
        if isinstance(entry, Framework) and entry.items:
            parts = (f"{n}. **{md(i.name)}**" + (f" — {md(i.description)}" if i.description else "") + "\n" for n, i in enumerate(entry.items, 1))
            out.append("## Its parts\n\n" + "".join(parts) + "\n")
        if isinstance(entry, Barrier) and entry.mitigations:
            out.append("## What helps\n\n" + "".join(f"- {md(m)}\n" for m in entry.mitigations) + "\n")
        if entry.caveats:
            out.append("## Caveats\n\n" + "".join(f"- {caveat_line(c)}\n" for c in entry.caveats) + "\n")
        cases = self.illustrating(entry)
        out.append("## Case studies that illustrate it\n\n")
        out.append(
            "".join(f"- {link(page, entry_page(c.type, c.id), c.title)} — {md(c.organisation)}{self.evidence_tag(c)}\n" for c in cases)
            if cases
            else "No case study is linked to this entry yet.\n"
        )
        return "".join(out) + "\n"

    def sources_section(self, entry: EntryBase) -> str:
        out = ["## Sources\n\n"]
        for s in entry.sources:
            doc = self.content.documents.get(s.document)
            title = doc.title if doc else s.document
            out.append(f"- *{md(title)}*" + (f" ({md(doc.publisher)}, {md(doc.date)})" if doc else "") + f": {md(s.label())}\n")
        dates = f"Added {entry.added.isoformat()}" + (f", updated {entry.updated.isoformat()}" if entry.updated else "")
        out.append(
            f"\n<small>{h(dates)} · contributed by {h(entry.contributor)}"
            + (f" · reviewed by {h(entry.reviewed_by)}" if entry.reviewed_by else "")
            + "</small>\n"
        )
        return "".join(out)

    # --- grouped pages -------------------------------------------------------------------

    def top_tip_groups(self) -> None:
        groups: dict[str, list[EntryBase]] = defaultdict(list)
        for e in self.entries:
            if e.type == "top-tip":
                groups[e.group].append(e)  # type: ignore[attr-defined]
        for group, tips in groups.items():
            page = f"top-tips/{slug(group)}.md"
            out = [front_matter(f"Top tips: {group}"), f"# Top tips: {md(group)}\n\n"]
            for tip in tips:
                out.append(f"## {md(tip.title)}\n\n{paragraph(tip.summary)}Read more: {link(page, entry_page(tip.type, tip.id), tip.title)}\n\n")
                cases = self.illustrating(tip)
                if cases:
                    out.append("Illustrated by: " + ", ".join(link(page, entry_page(c.type, c.id), c.title) for c in cases) + "\n\n")
            self.pages[page] = "".join(out)
        index = self.pages["top-tips/index.md"]
        self.pages["top-tips/index.md"] = index + "\n## By group\n\n" + "".join(f"- {link('top-tips/index.md', f'top-tips/{slug(g)}.md', g)}\n" for g in groups)

    def organisations(self) -> None:
        by_org: dict[str, list[CaseStudy]] = defaultdict(list)
        for c in self.case_studies:
            by_org[c.organisation].append(c)
        index = [front_matter("Organisations"), "# Organisations\n\n"]
        for name in sorted(by_org, key=str.lower):
            page = f"organisations/{slug(name)}.md"
            cases = by_org[name]
            out = [front_matter(name), f"# {md(name)}\n\n"]
            kinds = sorted({c.organisation_kind.replace("-", " ") for c in cases})
            places = sorted({c.place for c in cases if c.place})
            out.append(f"- **Kind:** {', '.join(md(k) for k in kinds)}\n" + (f"- **Place:** {', '.join(md(p) for p in places)}\n" if places else "") + "\n")
            aliases = sorted({a for c in cases for a in c.aliases})
            if aliases:
                out.append(f"Also known as: {', '.join(md(a) for a in aliases)}\n\n")
            out.append(
                "## Case studies\n\n"
                + "".join(f"- {link(page, entry_page(c.type, c.id), c.title)}{self.evidence_tag(c)}  \n  {md(c.summary)}\n" for c in cases)
            )
            self.pages[page] = "".join(out)
            index.append(f"- {link('organisations/index.md', page, name)} ({len(cases)})\n")
        self.pages["organisations/index.md"] = "".join(index)

    def cases_for_term(self, vocab: str, term_id: str) -> list[CaseStudy]:
        return [c for c in self.case_studies if term_id in (getattr(c, vocab, None) or [])]

    def vocabularies(self) -> None:
        for vocab, folder in VOCAB_PAGES.items():
            index = [front_matter(VOCAB_LABELS[vocab]), f"# {VOCAB_LABELS[vocab]}\n\n"]
            for term in getattr(self.content.taxonomy, vocab):
                page = f"{folder}/{term.id}.md"
                cases = self.cases_for_term(vocab, term.id)
                others = [e for e in self.entries if e.type != "case-study" and term.id in (getattr(e, vocab, None) or [])]
                out = [front_matter(term.name, description=term.description), f"# {md(term.name)}\n\n", paragraph(term.description)]
                if term.aliases:
                    out.append(f"Also searched as: {', '.join(md(a) for a in term.aliases)}\n\n")
                out.append(
                    "## Case studies\n\n"
                    + (
                        "".join(f"- {link(page, entry_page(c.type, c.id), c.title)} — {md(c.organisation)}{self.evidence_tag(c)}\n" for c in cases)
                        or "None yet.\n"
                    )
                    + "\n"
                )
                if others:
                    out.append("## Related guidance\n\n" + "".join(f"- {LABELS[e.type]}: {link(page, entry_page(e.type, e.id), e.title)}\n" for e in others))
                self.pages[page] = "".join(out)
                index.append(f"- {link(f'{folder}/index.md', page, term.name)} ({len(cases)})\n")
            self.pages[f"{folder}/index.md"] = "".join(index)

    def sources_page(self) -> None:
        page = "sources.md"
        out = [
            front_matter("The source reports"),
            "# The source reports\n\n",
            "Every entry cites the report, and the page or section, its facts come from.\n\n",
        ]
        for doc in self.content.documents.values():
            citing = [e for e in self.entries if any(s.document == doc.id for s in e.sources)]
            out.append(f"## {md(doc.title)}\n\n- **Publisher:** {md(doc.publisher)}\n- **Date:** {md(doc.date)}\n")
            if doc.version:
                out.append(f"- **Version:** {md(doc.version)}\n")
            out.append(f"- **Cited by:** {len(citing)} entries, by {md(doc.citation)}\n\n{paragraph(doc.summary)}")
            if doc.caveats:
                out.append("### What it says about its own evidence\n\n" + "".join(f"- {caveat_line(c)}\n" for c in doc.caveats) + "\n")
        self.pages[page] = "".join(out)

    def outcomes_page(self) -> None:
        page = "outcomes.md"
        out = [front_matter("Outcomes compared", hide=["navigation"]), "# Outcomes compared\n\n"]  # the panels want the width
        out.append(
            "Which approaches report which effects, by the four aims of the Quadruple Aim. Each panel lists the figures reported for one aim, "
            "with the case study and the figure as its source gives it (↑ up, ↓ down, → no change, • a level, not a change; the bar shows a percentage), "
            "then the case studies that report that aim in words only. The table below lists every measured result; select a column heading to sort it.\n\n"
        )
        out.append("## By aim\n\n" + outcomes_chart(self.case_studies, page))
        out.append(self.report_caveats())
        out.append(
            "## Every measured result\n\n| Case study | What was measured | Figure | Result as reported | Change | Aim | Period | Caveats |\n|---|---|---|---|---|---|---|---|\n"
        )
        notes = CaveatNotes()
        for c in self.case_studies:
            for m in c.metrics:
                aim = next((label for _, key, label in AIMS if key == m.aim), "")
                cited = notes.cite([*m.caveats, *c.caveats])  # the entry's caveats qualify each of its figures
                case_link = link(page, entry_page(c.type, c.id), c.title)
                out.append(
                    f"| {case_link} | {md(m.measure)} | {figure(m)} | {md(m.as_reported)} | {md(m.direction)} | {aim} | {md(m.period or '')} | {cited} |\n"
                )
        out.append("\n" + notes.listing())
        self.pages[page] = "".join(out) + "\n"

    def report_caveats(self) -> str:
        """Each source report's caveats, once, above the figures drawn from it."""
        out = []
        for doc in self.content.documents.values():
            if doc.caveats:
                out.append(f"### *{md(doc.title)}*\n\n" + "".join(f"- {caveat_line(c)}\n" for c in doc.caveats) + "\n")
        return ("## What the reports say about their own evidence\n\n" + "".join(out)) if out else ""

    def whats_new(self) -> None:
        page = "whats-new.md"
        out = [front_matter("What’s new"), "# What’s new\n\nEntries by the date they were last added or updated.\n\n"]
        by_day: dict[date, list[EntryBase]] = defaultdict(list)
        for e in self.entries:
            by_day[e.updated or e.added].append(e)
        for day in sorted(by_day, reverse=True)[:30]:
            out.append(
                f"## {day.isoformat()}\n\n"
                + "".join(
                    f"- {LABELS[e.type][:-1] if e.type != 'top-tip' else 'Top tip'}: {link(page, entry_page(e.type, e.id), e.title)}\n" for e in by_day[day]
                )
                + "\n"
            )
        self.pages[page] = "".join(out)

    def evidence_page(self) -> None:
        """How we rate evidence: the levels as kb.evidence defines them, strongest first,
        each with the case studies it applies to, then the reports' own cautions."""
        page = "evidence.md"
        out = [
            front_matter("How we rate evidence"),
            "# How we rate evidence\n\n",
            "Every case study carries one evidence label, worked out from the figures it reports (never typed in by hand). "
            "A case study is rated on its strongest kind of figure: a measured change in an outcome counts above survey results, "
            "survey results above estimates or projections, and any of them above a description alone. "
            "Counts that only describe a service (how many practices, how many staff) measure no change, so they do not count as measured results.\n\n",
        ]
        for level, (label, explanation) in LEVELS.items():
            cases = [c for c in self.case_studies if self.evidence[c.id].level == level]
            out.append(f"## {md(label)} {{#{level}}}\n\n{paragraph(explanation)}")
            out.append(
                f"{len(cases)} case {'study' if len(cases) == 1 else 'studies'}"
                + (":\n\n" + "".join(f"- {link(page, entry_page(c.type, c.id), c.title)} — {md(c.organisation)}\n" for c in cases) if cases else ".\n")
                + "\n"
            )
        out.append(
            "## Cautions\n\nA label says what kind of figure a case study gives, not how good the study behind it was. "
            "Each case study's page lists its own caveats and those of its source report under *How far to trust these results*.\n\n"
        )
        out.append(self.report_caveats())
        self.pages[page] = "".join(out)

    def glossary_page(self) -> None:
        """Every term of content/glossary.yaml; each also explained where it appears (an ``<abbr>``)."""
        page = "glossary.md"
        out = [front_matter("Glossary"), "# Glossary\n\n", "Terms and abbreviations used in the case studies and guidance, in plain words.\n\n"]
        for term in sorted(self.content.glossary, key=lambda t: t.term.lower()):
            heading = md(term.term) + (f" — {md(term.expansion)}" if term.expansion else "")
            out.append(f"## {heading} {{#{term.id}}}\n\n{paragraph(term.definition)}")
            if term.synonyms:
                out.append(f"Also called: {', '.join(md(s) for s in term.synonyms)}\n\n")
            if term.source != "general usage":
                doc = self.content.documents.get(term.source.document)
                out.append(f"Source: *{md(doc.title if doc else term.source.document)}*, {md(term.source.label())}\n\n")
            else:
                out.append("Source: general usage\n\n")
        if not self.content.glossary:
            out.append("No terms yet.\n")
        self.pages[page] = "".join(out)


def figure(metric: Metric) -> str:
    """The value with its qualifier ('almost 100%'), never the bare number alone."""
    return md(metric.figure()) + (" (estimate)" if metric.estimated else "")


class CaveatNotes:
    """Caveats as numbered notes under a table: one caveat often qualifies several figures,
    and written out in every row it would fill a phone's screen."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.lines: list[str] = []

    def cite(self, caveats: list[Caveat]) -> str:
        """The cell: "see note 1, 2", numbering each caveat the first time it is cited."""
        cited = []
        for caveat in caveats:
            line = caveat_line(caveat)
            if line not in self.numbers:
                self.numbers[line] = len(self.numbers) + 1
                self.lines.append(line)
            cited.append(str(self.numbers[line]))
        return f"see note {', '.join(dict.fromkeys(cited))}" if cited else ""

    def listing(self) -> str:
        if not self.lines:
            return ""
        return "**Notes on these figures**\n\n" + "".join(f"{n}. {line}\n" for n, line in enumerate(self.lines, 1)) + "\n"


def contact_markup(contact: str | None) -> str:
    """An email address as a mailto link, a web address as a link, anything else as text."""
    text = (contact or "").strip()
    if EMAIL.fullmatch(text):
        return f'<a href="mailto:{h(text)}">{h(text)}</a>'
    if text.startswith("https://"):
        return f'<a href="{h(text)}">{h(text)}</a>'
    return md(text)


def caveat_line(caveat: Caveat) -> str:
    return md(caveat.text) + (f" ({md(caveat.source.label())})" if caveat.source else "")


def pages(kb: KnowledgeBase, similar: bool = True, site_url: str | None = None) -> dict[str, str]:
    """Every generated file as ``{path under docs: text}``: the pages (Markdown), the feed
    and the finder's facet data."""
    return SiteBuilder(kb, similar, site_url).build()


# --- building ------------------------------------------------------------------------------

# The site's configuration and assets ship inside the package, so an installed kb builds
# the site from any folder.
CONFIG_FILE = Path(__file__).resolve().parent / "mkdocs.yml"


def config_file(kb: KnowledgeBase) -> Path:
    return CONFIG_FILE


def site_dir(kb: KnowledgeBase) -> Path:
    return kb.root.parent / "site"


def needs_build(kb: KnowledgeBase, out: Path | None = None) -> bool:
    """Missing, or older than the content, the index or the site's own sources."""
    marker = (out or site_dir(kb)) / "index.html"
    if not marker.exists():
        return True
    built = marker.stat().st_mtime
    config = config_file(kb)
    inputs = list(kb.root.rglob("*.yaml")) + [config] + list((config.parent / "docs").rglob("*")) + list((config.parent / "overrides").rglob("*"))
    manifest = kb.data_dir / "CURRENT"
    if manifest.exists():
        inputs.append(manifest)
    return any(p.stat().st_mtime > built for p in inputs if p.exists())


def build(kb: KnowledgeBase, out: Path | None = None, offline: bool = False) -> Path:
    """``mkdocs build --strict`` into ``out`` (default ``site/``), swapped in atomically."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, MkDocsException

    target = (out or site_dir(kb)).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    kb.searcher()  # similar case studies need a fresh index; refresh it before the build
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        config = load_config(str(config_file(kb)), site_dir=str(tmp), strict=True)
        config.plugins["kb"].use(kb)  # type: ignore[attr-defined]
        config.plugins["material/offline"].config.enabled = offline
        mkdocs_build(config)
    except (Abort, MkDocsException) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SiteBuildFailed(f"mkdocs build --strict failed: {exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    return target
