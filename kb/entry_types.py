"""Names of the entry types, their content folders and their pages on the site.

Light on purpose (no pydantic): the query path and every door use these names.
"""

from __future__ import annotations

import re

# An entry's id, once: kb.models validates with it, and curation checks an id with it
# before any path is built from one (without importing pydantic).
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG = re.compile(SLUG_PATTERN)
MAX_ID = 80

ENTRY_TYPES: list[str] = ["case-study", "top-tip", "enabler", "barrier", "mdt-characteristic", "dilemma", "framework"]

# Each entry type lives in its own folder under content/.
FOLDERS: dict[str, str] = {
    "case-study": "case_studies",
    "top-tip": "top_tips",
    "enabler": "enablers",
    "barrier": "barriers",
    "mdt-characteristic": "mdt_characteristics",
    "dilemma": "dilemmas",
    "framework": "frameworks",
}
TYPE_OF_FOLDER: dict[str, str] = {folder: t for t, folder in FOLDERS.items()}

# The Quadruple Aim, in the order the reports give it: (outcomes field, metric aim, label).
# kb.models.Aim spells the same keys for the type checker (and checks it agrees).
AIMS: list[tuple[str, str, str]] = [
    ("population_health", "population-health", "Population health"),
    ("individual_experience", "individual-experience", "Individual experience"),
    ("cost", "cost", "Cost"),
    ("staff_experience", "staff-experience", "Staff experience"),
]

# Site paths, shared by the CLI's `url`, the API and the site, so links agree.
URL_SEGMENTS: dict[str, str] = {t: folder.replace("_", "-") for t, folder in FOLDERS.items()}
LABELS: dict[str, str] = {
    "case-study": "Case studies",
    "top-tip": "Top tips",
    "enabler": "Enablers",
    "barrier": "Barriers",
    "mdt-characteristic": "MDT characteristics",
    "dilemma": "Dilemmas",
    "framework": "Frameworks",
}


def entry_url(entry_type: str, entry_id: str) -> str:
    """The entry's page path on the learning site, e.g. ``case-studies/dudley-mcp/``."""
    return f"{URL_SEGMENTS[entry_type]}/{entry_id}/"
