"""The Outcomes chart: one small panel per aim of the Quadruple Aim, drawn at build time.

Each panel lists the figures for its aim, each labelled with its case study (full
name, linked) and its figure as the source words it, with an arrow for the direction of
change and, for a percentage, a bar. Then the case studies that report the aim in words
only. The text is HTML, not drawn in an SVG: an SVG scales its text down with its width,
which made the old matrix's names about 6 px high. The sortable table below the panels
and the summary sentence are the text alternative.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.entry_types import AIMS
from kb.site.markup import entry_page, h, link, md

if TYPE_CHECKING:
    from kb.models import CaseStudy, Metric

ARROWS = {"increase": ("↑", "up"), "decrease": ("↓", "down"), "no-change": ("→", "no change"), "level": ("•", "level")}


def outcomes_chart(cases: list[CaseStudy], page: str) -> str:
    """Markdown (inside ``md_in_html`` blocks, so links are checked and rewritten)."""
    summary = chart_summary(cases)
    panels = [panel(cases, page, field, key, label) for field, key, label in AIMS]
    if any(m.aim is None for c in cases for m in c.metrics):
        panels.append(panel(cases, page, None, None, "Results the source ties to no one aim"))
    return f'<div class="kb-panels" role="group" aria-label="{h(summary)}" markdown="block">\n\n' + "\n".join(panels) + "\n</div>\n\n" + f"{md(summary)}\n\n"


def chart_summary(cases: list[CaseStudy]) -> str:
    parts = []
    for field, key, label in AIMS:
        figures = sum(m.aim == key for c in cases for m in c.metrics)
        reporting = sum(1 for c in cases if getattr(c.outcomes, field) or any(m.aim == key for m in c.metrics))
        parts.append(f"{label}: {plural(reporting, 'case study', 'case studies')}, {plural(figures, 'figure', 'figures')}")
    return "Outcomes by aim of the Quadruple Aim. " + "; ".join(parts) + "."


def panel(cases: list[CaseStudy], page: str, field: str | None, key: str | None, label: str) -> str:
    """One aim's panel; with no ``field``, the figures that name no aim."""
    results = [(c, m) for c in cases for m in c.metrics if m.aim == key]
    in_words = [c for c in cases if field and getattr(c.outcomes, field) and not any(m.aim == key for m in c.metrics)]
    wide = " kb-panel--wide" if field is None else ""
    out = [f'<section class="kb-panel{wide}" markdown="block">\n\n### {md(label)}\n\n']
    by_case: dict[str, list[Metric]] = {}
    for case, metric in results:
        by_case.setdefault(case.id, []).append(metric)
    shown = plural(len(results), "figure", "figures") + (f" from {plural(len(by_case), 'case study', 'case studies')}" if results else "")
    out.append(f"{shown}.\n{{: .kb-panel-intro }}\n\n")
    if results:
        named = {c.id: c for c, _ in results}
        out.append('<ol markdown="block">\n')
        for case_id, metrics in by_case.items():
            out.append(f'<li markdown="span">{case_results(named[case_id], metrics, page)}</li>\n')
        out.append("</ol>\n\n")
    if in_words:
        out.append("Reported in words, without a figure:\n{: .kb-panel-words }\n\n")
        out.append("".join(f"- {link(page, entry_page(c.type, c.id), c.title)}\n" for c in in_words) + "\n")
    out.append("</section>\n")
    return "".join(out)


def case_results(case: CaseStudy, metrics: list[Metric], page: str) -> str:
    """A case study's name (full, linked) and under it each of its figures for the aim."""
    lines = "".join(result_line(m) for m in metrics)
    return f'<span class="kb-result-case">{link(page, entry_page(case.type, case.id), case.title)}</span>{lines}'


def result_line(metric: Metric) -> str:
    arrow, direction = ARROWS[metric.direction]
    bar = ""
    if metric.unit == "percent":
        width = max(0.0, min(metric.value, 100.0))
        bar = (
            '<svg class="kb-result-bar" viewBox="0 0 100 4" preserveAspectRatio="none" aria-hidden="true" focusable="false">'
            f'<rect class="kb-bar-track" width="100" height="4"/><rect class="kb-bar-value" width="{width:g}" height="4"/></svg>'
        )
    period = f" ({md(metric.period)})" if metric.period else ""
    return (
        f'<span class="kb-result-line"><span class="kb-result-arrow" title="{direction}" aria-label="{direction}">{arrow}</span>'
        f"<span>{md(metric.as_reported)} — {md(metric.measure)}{period}{bar}</span></span>"
    )


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
