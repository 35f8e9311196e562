"""How strong a case study's evidence is: one label, derived from its data, used everywhere.

The site, the API, the finder and the planner's brief all show the same label, so the
rule lives here once. It is derived, never typed in by a contributor: a case study with
a measured change in an outcome is rated on that; one whose only figures come from a
survey, an estimate or a projection says so; one with no figures, or only descriptive
counts (how many practices, how many staff), is "described only".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kb.models import CaseStudy, Caveat, Metric, SourceDocument

Level = Literal["measured", "survey", "estimated", "described"]
Basis = Literal["measured", "survey", "estimate", "description"]

# Strongest first. The page "How we rate evidence" explains each in these words.
LEVELS: dict[Level, tuple[str, str]] = {
    "measured": ("Measured results", "At least one outcome was measured as a change (up, down or no change), as the source reports it."),
    "survey": ("Survey results", "The figures come from surveys of staff or patients: what people said, not what was counted."),
    "estimated": ("Estimates or projections", "The figures are estimates or projections that the source itself calls so."),
    "described": ("Described only", "The source describes what was done; it gives no measured outcome."),
}
LEVEL_ORDER: list[Level] = list(LEVELS)


def basis(metric: Metric) -> Basis:
    """What a single figure rests on."""
    if metric.estimated:
        return "estimate"
    if metric.survey:
        return "survey"
    if metric.direction == "level":
        return "description"  # a count or share describes the service; it measures no change
    return "measured"


@dataclass(frozen=True)
class Evidence:
    """A case study's evidence label, what it rests on and the sources' own cautions."""

    level: Level
    label: str
    explanation: str
    measured: int  # figures of each basis, for "3 measured results, 1 estimate"
    surveyed: int
    estimated: int
    caveats: tuple[Caveat, ...]


def evidence_of(case: CaseStudy, documents: dict[str, SourceDocument] | None = None) -> Evidence:
    """Rate a case study; with ``documents``, its sources' general caveats are included."""
    bases = [basis(m) for m in case.metrics]
    counts = {b: bases.count(b) for b in ("measured", "survey", "estimate")}
    if counts["measured"]:
        level: Level = "measured"
    elif counts["survey"]:
        level = "survey"
    elif counts["estimate"]:
        level = "estimated"
    else:
        level = "described"
    label, explanation = LEVELS[level]
    return Evidence(level, label, explanation, counts["measured"], counts["survey"], counts["estimate"], _caveats(case, documents or {}))


def _caveats(case: CaseStudy, documents: dict[str, SourceDocument]) -> tuple[Caveat, ...]:
    seen: list[Caveat] = []
    cited = dict.fromkeys(ref.document for ref in case.sources)
    pools = [case.caveats, *(m.caveats for m in case.metrics), *(documents[d].caveats for d in cited if d in documents)]
    for pool in pools:
        for caveat in pool:
            if caveat not in seen:
                seen.append(caveat)
    return tuple(seen)
