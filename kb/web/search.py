"""Searching the index: by a challenge in the user's words, or by an entry."""

from __future__ import annotations

import asyncio
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query

from kb.search.searcher import MAX_K, MAX_QUERY_CHARS, Mode, check_query
from kb.web.deps import BatcherDep, KnowledgeBaseDep
from kb.web.models import ERRORS, NOT_FOUND, SearchResponse, SearchResult, SearchType
from kb.web.text import check_text

router = APIRouter(tags=["search"])

# A challenge and the filters, as /api/search and /api/brief both take them.
Challenge = Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="The challenge, in your own words.")]
Theme = Annotated[str | None, Query(max_length=100)]
Enabler = Annotated[str | None, Query(max_length=100)]
Barrier = Annotated[str | None, Query(max_length=100)]
Kind = Annotated[str | None, Query(max_length=100)]


@router.get("/api/search", response_model=SearchResponse, responses=ERRORS)
async def search(  # async: queries wait together for the batcher, then rank in a few ms
    kb: KnowledgeBaseDep,
    batcher: BatcherDep,
    q: Challenge,
    k: int = Query(5, ge=1, le=MAX_K, description="How many results."),
    type: SearchType = Query("case-study", description="Entry type, or 'all'."),
    theme: Theme = None,
    enabler: Enabler = None,
    barrier: Barrier = None,
    kind: Kind = None,
    mode: Mode = Query("hybrid"),
) -> SearchResponse:
    """The entries most like the query, each with the passage that matched and how close
    it is; the glossary's expansions of the query, a corrected query when a word is
    unknown, and whether nothing is close: the same as `kb find --json`."""
    check_text("q", q)
    text = check_query(q, k)  # before embedding: a blank query costs nothing
    vectors = np.stack(await asyncio.gather(*(batcher.embed(t) for t in kb.dense_texts(text))))
    answer = kb.answer(text, k, type, mode, vectors=vectors, theme=theme, enabler=enabler, barrier=barrier, kind=kind)
    return SearchResponse(query=q, mode=mode, **answer.to_json())


@router.get("/api/entries/{entry_id}/similar", response_model=list[SearchResult], responses=NOT_FOUND | ERRORS)
def similar(
    entry_id: str,
    kb: KnowledgeBaseDep,
    k: int = Query(5, ge=1, le=MAX_K),
    type: SearchType = Query("case-study"),
) -> list[SearchResult]:
    """Entries most like this one."""
    return [SearchResult(**r.to_json()) for r in kb.similar(entry_id, k, type)]
