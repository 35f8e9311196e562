"""A brief as a Word document (python-docx), to paste into a board paper: real headings
(so Word's navigation pane and table of contents see them), each case study's results as
a Word table, and working links. A4, with page numbers.

The same brief gives the same bytes: the document's dates are the brief's, and the zip
entries' timestamps are fixed (python-docx would stamp them with the time of saving).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from kb.brief import wording
from kb.brief.model import Brief, CaseStudyItem, Item, Section

LINK_COLOUR = "005EB8"  # NHS blue
HEADING_COLOUR = RGBColor(0x00, 0x30, 0x87)  # NHS dark blue
# Shares of the results table's width by column; the table is the text width (A4 less
# 20 mm margins: 170 mm).
COLUMN_SHARES = {"Measure": 34, "Figure": 18, "As reported": 44, "Period": 18, "Basis": 18, "Source": 38}
TEXT_WIDTH_MM = 170


def render(brief: Brief) -> bytes:
    document = Document()
    _set_up(document, brief)
    heading(document, wording.heading(brief), 0)
    for label, value in wording.facts(brief):
        _labelled(document.add_paragraph(), label, value)
    if brief.nothing_close:
        styled(document, wording.NOTHING_CLOSE, "Intense Quote")
    else:
        _quiet(document.add_paragraph(wording.INTRO))
        heading(document, wording.CASE_STUDIES, 1)
        if not brief.case_studies:
            document.add_paragraph(wording.no_items(brief))
        for number, case in enumerate(brief.case_studies, start=1):
            _case_study(document, number, case)
        for section in brief.sections:
            _lessons(document, section)
        _sources(document, brief)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_timestamps(buffer.getvalue(), dt.date.fromisoformat(brief.date))


# --- the document's frame ----------------------------------------------------------------


def _set_up(document: DocumentObject, brief: Brief) -> None:
    """A4 with 20 mm margins, a plain sans-serif, page numbers, and fixed properties."""
    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Mm(20)
        footer = section.footer.paragraphs[0]
        footer.add_run(f"{wording.heading(brief)} · {wording.long_date(brief.date)} · page ")
        _field(footer, "PAGE")
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        document.styles[name].font.name = "Arial"
        document.styles[name].font.color.rgb = HEADING_COLOUR
    document.styles["Title"].font.size = Pt(22)
    made = dt.datetime.combine(dt.date.fromisoformat(brief.date), dt.time())
    properties = document.core_properties
    properties.title = wording.heading(brief)
    properties.subject = brief.challenge
    properties.author = properties.last_modified_by = "kb"
    properties.comments = f"Content version {brief.content_version.fingerprint}"
    properties.created = properties.modified = made
    properties.revision = 1


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A Word field (e.g. PAGE), which Word fills in as it lays out the pages."""
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    simple.append(run)
    paragraph._p.append(simple)


def _fixed_timestamps(data: bytes, day: dt.date) -> bytes:
    """The same zip with every entry dated ``day``: byte-identical for the same brief."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(day.year, day.month, day.day, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


# --- text --------------------------------------------------------------------------------


def styled(document: DocumentObject, text: str, style: str) -> Paragraph:
    """A paragraph in the named style. (python-docx's own ``style=`` scans every style
    for the default on each paragraph: two thirds of the time a brief took to render.)"""
    paragraph = document.add_paragraph(text)
    paragraph._p.style = document.styles[style].style_id
    return paragraph


def heading(document: DocumentObject, text: str, level: int) -> Paragraph:
    """A real Word heading (the title at level 0), as ``Document.add_heading`` makes it."""
    return styled(document, text, "Title" if level == 0 else f"Heading {level}")


def link(paragraph: Paragraph, label: str, url: str) -> None:
    """A real hyperlink (python-docx has no call for one: the relationship and the
    ``w:hyperlink`` element are made here), blue and underlined."""
    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    colour = OxmlElement("w:color")
    colour.set(qn("w:val"), LINK_COLOUR)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    properties.append(colour)
    properties.append(underline)
    text = OxmlElement("w:t")
    text.text = label
    text.set(qn("xml:space"), "preserve")
    run.append(properties)
    run.append(text)
    hyperlink.append(run)
    paragraph._p.append(hyperlink)


def _labelled(paragraph: Paragraph, label: str, value: str) -> Paragraph:
    paragraph.add_run(f"{label}: ").bold = True
    paragraph.add_run(value)
    paragraph.paragraph_format.space_after = Pt(2)
    return paragraph


def _quiet(paragraph: Paragraph) -> None:
    for run in paragraph.runs:
        run.font.color.rgb = RGBColor(0x42, 0x55, 0x63)


def _item_head(document: DocumentObject, why: str, cited: str, url: str) -> None:
    for label, value in (("Why chosen", why), ("Source", cited)):
        paragraph = _labelled(document.add_paragraph(), label, value)
        _quiet(paragraph)
    page = document.add_paragraph()
    page.add_run("Page: ").bold = True
    link(page, url, url)


def _bullets(document: DocumentObject, lines: list[tuple[str, str]]) -> None:
    """Bulleted lines, each with an optional bold label."""
    for label, text in lines:
        paragraph = styled(document, "", "List Bullet")
        if label:
            paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(text)


# --- sections ----------------------------------------------------------------------------


def _case_study(document: DocumentObject, number: int, case: CaseStudyItem) -> None:
    heading(document, f"{number}. {case.title}", 2)
    document.add_paragraph().add_run(wording.where(case.organisation, case.place)).bold = True
    _item_head(document, wording.why(case.reason), wording.cited(case.citations, case.more_places), case.url)
    document.add_paragraph(case.summary)
    approach = document.add_paragraph()
    approach.add_run("Approach in brief. ").bold = True
    approach.add_run(case.approach)
    if case.outcomes:
        heading(document, "Outcomes by Quadruple Aim", 3)
        _bullets(document, [(o.aim, o.text) for o in case.outcomes])
    heading(document, "Measured results", 3)
    document.add_paragraph(wording.evidence_line(case.evidence.label, case.evidence.explanation))
    if case.results:
        _results_table(document, case)
    if case.caveats:
        heading(document, "Caveats", 3)
        _bullets(document, [("", c.text + (f" ({c.citation.text()})" if c.citation else "")) for c in case.caveats])


def _results_table(document: DocumentObject, case: CaseStudyItem) -> None:
    columns, rows = wording.results_table(case)
    table = document.add_table(rows=1, cols=len(columns))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, name in zip(table.rows[0].cells, columns, strict=True):
        cell.paragraphs[0].add_run(name).bold = True
    _repeat_as_header(table)
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.paragraphs[0].add_run(value)
    total = sum(COLUMN_SHARES[name] for name in columns)
    widths = [Mm(TEXT_WIDTH_MM * COLUMN_SHARES[name] / total) for name in columns]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid, which LibreOffice reads
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width  # each cell, which Word reads
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    document.add_paragraph()  # Word joins a table to what follows it without a paragraph between


def _repeat_as_header(table: Table) -> None:
    """The first row repeats at the top of each page the table runs onto."""
    properties = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _lessons(document: DocumentObject, section: Section) -> None:
    heading(document, section.heading, 1)
    if not section.items:
        document.add_paragraph(wording.NONE_IN_SECTION)
    for item in section.items:
        _lesson(document, item)


def _lesson(document: DocumentObject, item: Item) -> None:
    heading(document, item.title, 2)
    document.add_paragraph(item.summary)
    if item.question:
        _labelled(document.add_paragraph(), "Question", item.question)
    if item.mitigations:
        document.add_paragraph().add_run("What helps:").bold = True
        _bullets(document, [("", m) for m in item.mitigations])
    _item_head(document, wording.why(item.reason), wording.cited(item.citations, item.more_places), item.url)


def _sources(document: DocumentObject, brief: Brief) -> None:
    heading(document, wording.SOURCES, 1)
    for source in brief.sources:
        paragraph = styled(document, "", "List Number")
        paragraph.add_run(source.title).italic = True
        paragraph.add_run(f". {source.publisher}, {source.date}.")
        if source.url:
            paragraph.add_run(" ")
            link(paragraph, source.url, source.url)
        _labelled(document.add_paragraph(), "Cited", "; ".join(source.places))
        if source.caveats:
            document.add_paragraph("The report's own cautions:")
            _bullets(document, [("", c.text + (f" ({c.citation.where})" if c.citation and c.citation.where else "")) for c in source.caveats])
    heading(document, wording.PAGES, 2)
    for page in brief.pages:
        link(styled(document, "", "List Bullet"), page.title, page.url)
