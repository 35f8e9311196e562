"""The formats a brief comes in: the one list the CLI and the API both offer, each with
its renderer, media type and file extension."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from kb.brief.model import Brief
from kb.errors import UnknownValue


def render_json(brief: Brief) -> bytes:
    return (json.dumps(brief.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _markdown(brief: Brief) -> bytes:
    from kb.brief import render_md

    return render_md.render(brief).encode("utf-8")


def _html(brief: Brief) -> bytes:
    from kb.brief import render_html

    return render_html.render(brief).encode("utf-8")


def _docx(brief: Brief) -> bytes:
    from kb.brief import render_docx  # python-docx (lxml) is loaded only for Word

    return render_docx.render(brief)


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str
    render: Callable[[Brief], bytes]
    binary: bool = False  # not text: never written to a terminal


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("md", "text/markdown; charset=utf-8", "md", _markdown),
        Format("html", "text/html; charset=utf-8", "html", _html),
        Format("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", _docx, binary=True),
        Format("json", "application/json", "json", render_json),
    )
}


def get_format(name: str) -> Format:
    """The format called ``name``, or :class:`UnknownValue` naming the choices."""
    if name not in FORMATS:
        raise UnknownValue("format", name, list(FORMATS))
    return FORMATS[name]


def file_name(brief: Brief, fmt: Format) -> str:
    """A plain ASCII file name for a download: 'kb-brief-frailty-workforce-2026-11-29.docx'."""
    words = re.sub(r"[^a-z0-9]+", "-", brief.challenge.lower()).strip("-")[:48].strip("-")
    return "-".join(part for part in ("kb-brief", words, brief.date) if part) + f".{fmt.extension}"
