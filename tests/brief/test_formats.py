"""Each format's structure, read back with a parser for it (html.parser, python-docx,
json), its escaping of hostile text, and the same bytes for the same brief."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import re
import zipfile
from html.parser import HTMLParser

import docx
import pytest

from kb.brief import render_html, render_md, wording
from kb.brief.formats import FORMATS, file_name, get_format
from kb.brief.model import Brief
from kb.errors import UnknownValue
from kb.web.security import BRIEF_POLICY
from tests.brief.conftest import HOSTILE


class Tags(HTMLParser):
    """The elements of a page, with their attributes and the text in each heading."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[tuple[str, str]] = []
        self._heading: str | None = None
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-4]", tag):
            self._heading = tag
            self.headings.append((tag, ""))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self._heading = None
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._heading:
            tag, text = self.headings[-1]
            self.headings[-1] = (tag, text + data)
        if self._in_style:
            self.styles.append(data)


def parse_html(brief: Brief) -> Tags:
    tags = Tags()
    tags.feed(render_html.render(brief))
    return tags


def test_markdown_structure(mini_brief: Brief) -> None:
    text = render_md.render(mini_brief)
    headings = re.findall(r"^(#+) (.*)$", text, re.M)
    assert headings[0] == ("#", f"Evidence brief: {mini_brief.challenge}")
    top = [title for level, title in headings if level == "##"]
    assert top == [
        "Case studies",
        "Top tips",
        "What helps (enablers)",
        "What gets in the way (barriers)",
        "Working as one team (MDT characteristics)",
        "Dilemmas to discuss",
        "Sources",
    ]
    assert "### 1. Dementia outreach team trains care home staff" in text
    assert "| Measure | Figure | As reported | Basis | Source |" in text  # no period given: no Period column
    assert "| Homes trained | 12 | 12 homes | Description | Report A (2017), p3 |" in text
    assert text.count("*Why chosen:*") == text.count("*Source:*") == text.count("*Page:*") == len(mini_brief.pages)
    assert "**Date:** 5 January 2026" in text and f"version {mini_brief.content_version.fingerprint}" in text
    assert wording.NONE_IN_SECTION in text  # the mini content has no MDT characteristics or dilemmas


def test_markdown_escapes_every_value(hostile_brief: Brief) -> None:
    text = render_md.render(hostile_brief)
    assert "<script>" not in text and not re.search(r"(?<!\\)\]\(http://evil", text) and not re.search(r"(?<!\\)\*bold", text)
    assert r"\<script\>" in text and r"\[link\](http://evil.example)" in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 2 and "Period" in rows[0]  # the header and the one result
    assert [len(re.split(r"(?<!\\)\|", row)) for row in rows] == [8, 8]  # a pipe in a value never adds a column


def test_html_structure_and_print_style(mini_brief: Brief) -> None:
    page = parse_html(mini_brief)
    assert [t for t, _ in page.tags if t in ("script", "link", "img", "iframe")] == []  # self-contained: nothing fetched, nothing run
    assert ("h1", f"Evidence brief: {mini_brief.challenge}") == page.headings[0]
    assert [text for tag, text in page.headings if tag == "h2"][-1] == "Sources"
    assert ("html", {"lang": "en-GB"}) in page.tags
    tables = [t for t, _ in page.tags if t == "table"]
    assert len(tables) == sum(1 for c in mini_brief.case_studies if c.results)
    links = [a["href"] for t, a in page.tags if t == "a"]
    assert set(links) >= {p.url for p in mini_brief.pages} and all(str(h).startswith("http") for h in links)
    assert "@media print" in page.styles[0] and "@page" in page.styles[0]
    # The API's CSP allows exactly this <style>, by its hash.
    digest = base64.b64encode(hashlib.sha256(page.styles[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in BRIEF_POLICY


def test_html_escapes_every_value(hostile_brief: Brief) -> None:
    html = render_html.render(hostile_brief)
    assert "<script>" not in html and "&lt;script&gt;" in html
    page = parse_html(hostile_brief)
    assert [t for t, _ in page.tags if t == "script"] == []
    assert all(
        a["href"] in {"https://kb.example.org/case-studies/evil/", "https://kb.example.org/top-tips/tip/", "https://example.org/report.pdf"}
        for t, a in page.tags
        if t == "a"
    )


def read_docx(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def test_word_structure_headings_tables_and_links(mini_brief: Brief) -> None:
    document = read_docx(FORMATS["docx"].render(mini_brief))
    styled = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith(("Title", "Heading"))]
    assert styled[0] == ("Title", f"Evidence brief: {mini_brief.challenge}")
    assert [text for style, text in styled if style == "Heading 1"] == [
        "Case studies",
        "Top tips",
        "What helps (enablers)",
        "What gets in the way (barriers)",
        "Working as one team (MDT characteristics)",
        "Dilemmas to discuss",
        "Sources",
    ]
    assert ("Heading 2", "1. Dementia outreach team trains care home staff") in styled
    assert ("Heading 3", "Measured results") in styled
    [table] = document.tables
    assert [c.text for c in table.rows[0].cells] == ["Measure", "Figure", "As reported", "Basis", "Source"]
    assert [c.text for c in table.rows[1].cells] == ["Homes trained", "12", "12 homes", "Description", "Report A (2017), p3"]
    links = [h.address for p in document.paragraphs for h in p.hyperlinks]
    assert set(links) >= {p.url for p in mini_brief.pages}
    assert sum(1 for p in document.paragraphs if p.text.startswith("Why chosen:")) == len(mini_brief.pages)
    assert sum(1 for p in document.paragraphs if p.text.startswith("Source:")) == len(mini_brief.pages)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    properties = document.core_properties
    assert properties.title == f"Evidence brief: {mini_brief.challenge}" and properties.created.date().isoformat() == mini_brief.date


def test_word_keeps_hostile_text_as_text(hostile_brief: Brief) -> None:
    document = read_docx(FORMATS["docx"].render(hostile_brief))
    assert any(p.text == HOSTILE for p in document.paragraphs)
    assert document.tables[0].rows[1].cells[0].text == HOSTILE


def test_the_same_brief_gives_the_same_bytes_in_every_format(mini_brief: Brief) -> None:
    copy = Brief(**{f.name: getattr(mini_brief, f.name) for f in dataclasses.fields(Brief)})
    for fmt in FORMATS.values():
        assert fmt.render(mini_brief) == fmt.render(copy), fmt.name
    dates = {info.date_time for info in zipfile.ZipFile(io.BytesIO(FORMATS["docx"].render(mini_brief))).infolist()}
    assert dates == {(2026, 1, 5, 0, 0, 0)}  # not the time of saving


def test_json_is_the_brief(mini_brief: Brief) -> None:
    data = json.loads(FORMATS["json"].render(mini_brief))
    assert data == json.loads(json.dumps(dataclasses.asdict(mini_brief)))
    assert data["nothing_close"] is False and data["case_studies"][0]["results"][0]["basis"] == "description"
    assert all(item["citations"] and item["reason"]["sentence"] for section in data["sections"] for item in section["items"])


def test_formats_and_file_names(mini_brief: Brief) -> None:
    assert list(FORMATS) == ["md", "html", "docx", "json"]
    with pytest.raises(UnknownValue, match="unknown format 'pdf'; expected one of: md, html, docx, json"):
        get_format("pdf")
    name = file_name(mini_brief, FORMATS["docx"])
    assert name.startswith("kb-brief-dementia-training-in-care-homes") and name.endswith("-2026-01-05.docx")
    assert file_name(dataclasses.replace(mini_brief, challenge="«»"), FORMATS["md"]) == "kb-brief-2026-01-05.md"
