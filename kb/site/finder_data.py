"""What the finder needs to show facets: each entry's type, themes, population groups,
care settings and evidence label, and the names to show for them.

Written at build time as ``finder-data.json`` beside the pages, so the finder counts and
filters the results the search service returns without asking anyone else.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kb.entry_types import LABELS
from kb.evidence import LEVELS, Evidence
from kb.models import EntryBase

if TYPE_CHECKING:
    from kb.content import Content

FINDER_DATA_PATH = "finder-data.json"
# Facet → its label, in the order the finder shows them. The finder's address (and the
# brief link it offers) uses these names as parameters.
FACETS: dict[str, str] = {
    "type": "Entry type",
    "evidence": "Evidence",
    "theme": "Theme",
    "population_group": "Population group",
    "care_setting": "Care setting",
}


def finder_data(entries: list[EntryBase], content: Content, evidence: dict[str, Evidence]) -> str:
    tax = content.taxonomy
    names: dict[str, dict[str, str]] = {
        "type": dict(LABELS),
        "evidence": {level: label for level, (label, _) in LEVELS.items()},
        "theme": {t.id: t.name for t in tax.themes},
        "population_group": {t.id: t.name for t in tax.population_groups},
        "care_setting": {t.id: t.name for t in tax.care_settings},
    }
    values: dict[str, dict[str, list[str]]] = {}
    for e in entries:
        values[e.id] = {
            "type": [e.type],
            "evidence": [evidence[e.id].level] if e.id in evidence else [],
            "theme": list(e.themes),
            "population_group": list(getattr(e, "population_groups", None) or []),
            "care_setting": list(getattr(e, "care_settings", None) or []),
        }
    data: dict[str, Any] = {
        "singular": {t: singular(label) for t, label in LABELS.items()},
        "facets": [{"name": name, "label": label, "values": names[name]} for name, label in FACETS.items()],
        "entries": values,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=False)


def singular(label: str) -> str:
    """'Case studies' → 'Case study', 'Top tips' → 'Top tip': a result says what it is."""
    return label[:-3] + "y" if label.endswith("ies") else label.removesuffix("s")
