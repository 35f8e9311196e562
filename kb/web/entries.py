"""Reading the published entries and the taxonomy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from kb.core import summary_json
from kb.evidence import evidence_of
from kb.models import CaseStudy, SourceDocument, Taxonomy
from kb.web.deps import KnowledgeBaseDep
from kb.web.models import ERRORS, NOT_FOUND, CaseStudyAnswer, EntryAnswer, EntryPage, EntrySummary, EntryType, EvidenceLabel

router = APIRouter(tags=["entries"])


@router.get("/api/entries", response_model=EntryPage, responses=ERRORS)
def entries(
    kb: KnowledgeBaseDep,
    type: EntryType | None = Query(None),
    theme: str | None = Query(None, max_length=100),
    enabler: str | None = Query(None, max_length=100),
    barrier: str | None = Query(None, max_length=100),
    kind: str | None = Query(None, max_length=100),
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(50, ge=1, le=200),
) -> EntryPage:
    """Published entries, filtered by type and taxonomy, a page at a time."""
    chosen = kb.entries(type, theme=theme, enabler=enabler, barrier=barrier, kind=kind)
    page = chosen[offset : offset + limit]
    return EntryPage(total=len(chosen), offset=offset, limit=limit, items=[EntrySummary(**summary_json(e)) for e in page])


@router.get("/api/entries/{entry_id}", response_model=EntryAnswer, responses=NOT_FOUND)
def entry(entry_id: str, kb: KnowledgeBaseDep) -> Any:  # Any: EntryAnswer is a union of the entry models
    """One entry in full, with its sources; a case study with its evidence label (how
    strong its evidence is, derived from its figures, with the sources' own cautions)."""
    found = kb.get(entry_id)
    if isinstance(found, CaseStudy):
        evidence = EvidenceLabel.of(evidence_of(found, kb.content.documents))
        return CaseStudyAnswer(**dict(found), evidence=evidence)
    return found


@router.get("/api/sources", response_model=list[SourceDocument])
def sources(kb: KnowledgeBaseDep) -> list[SourceDocument]:
    """The source reports entries cite, each with its own caveats: what the report says
    limits how far its results can be trusted."""
    return list(kb.content.documents.values())


@router.get("/api/taxonomy", response_model=Taxonomy)
def taxonomy(kb: KnowledgeBaseDep) -> Taxonomy:
    """Themes, population groups, care settings and roles."""
    return kb.content.taxonomy
