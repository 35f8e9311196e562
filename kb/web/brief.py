"""The evidence brief for a challenge, as Markdown, HTML, Word or JSON (`kb brief`)."""

from __future__ import annotations

import asyncio
from typing import Literal, get_args

import numpy as np
from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from kb.brief.assemble import check_challenge
from kb.brief.formats import FORMATS, file_name
from kb.brief.model import Brief
from kb.web.deps import BatcherDep, KnowledgeBaseDep
from kb.web.models import ERRORS, Responses
from kb.web.search import Barrier, Challenge, Enabler, Kind, Theme
from kb.web.text import check_text

router = APIRouter(tags=["brief"])

BriefFormat = Literal["md", "html", "docx", "json"]
assert list(get_args(BriefFormat)) == list(FORMATS)  # spelled out so that the spec lists them; kb.brief.formats is the one list

# How each format is handed over: a page to read in the browser (and print), a file to save.
DISPOSITION = {"md": "attachment", "html": "inline", "docx": "attachment"}
_OTHER_FORMATS: Responses = {
    200: {
        "description": "The brief, in the format asked for (JSON as below).",
        "content": {FORMATS[name].media_type.split(";")[0]: {"schema": {"type": "string"}} for name in ("md", "html", "docx")},
    }
}


@router.get("/api/brief", response_model=Brief, responses=_OTHER_FORMATS | ERRORS)
async def brief(
    request: Request,
    kb: KnowledgeBaseDep,
    batcher: BatcherDep,
    q: Challenge,
    format: BriefFormat = Query("md", description="md (Markdown), html (a page that prints), docx (Word) or json."),
    theme: Theme = None,
    enabler: Enabler = None,
    barrier: Barrier = None,
    kind: Kind = None,
) -> Response:
    """An evidence brief for the challenge: the closest case studies, with their results,
    evidence label and caveats, then top tips, enablers, barriers, MDT characteristics
    and dilemmas, each with why it was chosen and where it is written (`kb brief`). The
    filters narrow the case studies. Links point into the learning site this server
    serves."""
    check_text("q", q)
    texts = kb.dense_texts(check_challenge(q))
    vectors = np.stack(await asyncio.gather(*(batcher.embed(t) for t in texts)))  # with other requests' queries, as /api/search
    # Six searches, then a render (Word takes a tenth of a second): off the event loop.
    made = await run_in_threadpool(
        lambda: kb.brief(q, base_url=str(request.base_url), vectors=vectors, theme=theme, enabler=enabler, barrier=barrier, kind=kind)
    )
    chosen = FORMATS[format]
    body = await run_in_threadpool(chosen.render, made)
    headers = {}
    if format in DISPOSITION:
        headers["Content-Disposition"] = f'{DISPOSITION[format]}; filename="{file_name(made, chosen)}"'
    return Response(body, media_type=chosen.media_type, headers=headers)
