"""The Outcomes chart: which case studies report which aim, drawn as SVG at build time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.entry_types import AIMS
from kb.site.markup import h

if TYPE_CHECKING:
    from kb.models import CaseStudy


def outcomes_chart(cases: list[CaseStudy]) -> str:
    """An SVG matrix (case studies × aims), drawn at build time, with a text alternative."""
    rows = [c for c in cases if any(getattr(c.outcomes, f) for f, _, _ in AIMS) or c.metrics]
    label_w, cell, top = 400, 150, 40
    width, height = label_w + cell * len(AIMS), top + 26 * len(rows) + 10
    counts = {(c.id, key): sum(m.aim == key for m in c.metrics) for c in rows for _, key, _ in AIMS}
    reported = sum(1 for c in rows for f, _, _ in AIMS if getattr(c.outcomes, f))
    summary = f"Chart: which of {len(rows)} case studies report outcomes for each aim of the Quadruple Aim; {reported} outcomes reported in all. " + "; ".join(
        f"{label}: {sum(1 for c in rows if getattr(c.outcomes, f))} case studies" for f, _, label in AIMS
    )
    parts = [
        f'<figure class="kb-chart"><svg role="img" aria-labelledby="kb-chart-title" viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="kb-chart-title">{h(summary)}</title>',
    ]
    for i, (_, _, label) in enumerate(AIMS):
        parts.append(f'<text x="{label_w + cell * i + cell / 2}" y="24" text-anchor="middle" class="kb-chart-head">{h(label)}</text>')
    for r, c in enumerate(rows):
        y = top + 26 * r
        name = c.title if len(c.title) <= 52 else c.title[:50] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" class="kb-chart-label">{h(name)}</text>')
        for i, (field, key, _) in enumerate(AIMS):
            cx = label_w + cell * i + cell / 2
            if getattr(c.outcomes, field):
                n = counts[(c.id, key)]
                parts.append(f'<circle cx="{cx}" cy="{y + 12}" r="{8 + min(n, 4) * 1.5}" class="kb-dot{" kb-dot--measured" if n else ""}"/>')
                if n:
                    parts.append(f'<text x="{cx}" y="{y + 16}" text-anchor="middle" class="kb-dot-count">{n}</text>')
            else:
                parts.append(f'<line x1="{cx - 5}" x2="{cx + 5}" y1="{y + 12}" y2="{y + 12}" class="kb-none"/>')
    parts.append(
        f"</svg><figcaption>{h(summary)}. A filled circle means the case study reports that aim; a number, how many measured results back it; a dash, not reported.</figcaption></figure>"
    )
    return "".join(parts)
