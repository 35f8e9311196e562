"""A brief as one self-contained HTML page that prints cleanly: no scripts, no files
fetched, its style inline (one ``<style>`` element, allowed by its hash in the API's
Content-Security-Policy). Every value is escaped."""

from __future__ import annotations

import base64
import hashlib
from html import escape

from kb.brief import wording
from kb.brief.model import Brief, CaseStudyItem, Item, Section

STYLE = """
:root { color-scheme: light; }
body { font: 11pt/1.45 "Liberation Sans", Arial, Helvetica, sans-serif; color: #1d1d1b; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .6rem; color: #003087; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid #005eb8; color: #003087; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .3rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0 0 1rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
p.intro, p.meta, p.why, p.cite { color: #425563; }
p.why, p.cite, p.page { margin: .15rem 0; font-size: .92rem; }
p.org { font-weight: bold; margin: .2rem 0 .5rem; }
.none { border-left: 4px solid #005eb8; padding: .4rem .8rem; background: #f0f4f5; }
.table { overflow-x: auto; margin: .5rem 0 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; }
th, td { border: 1px solid #aeb7bd; padding: .25rem .4rem; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: #e8edee; }
a { color: #005eb8; overflow-wrap: anywhere; }
@media (max-width: 30rem) {
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .3rem; }
}
@media print {
  .table { overflow: visible; }
  @page { size: A4; margin: 18mm 16mm; }
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid-page; }
  h3 { break-after: avoid-page; }
  tr, li { break-inside: avoid; }
  a { color: inherit; }
}
"""


def style_hash() -> str:
    """The CSP source that allows the page's one ``<style>`` element and nothing else."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii") + "'"


def e(text: object) -> str:
    return escape(str(text), quote=True)


def a(label: str, url: str) -> str:
    return f'<a href="{e(url)}">{e(label)}</a>'


def render(brief: Brief) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(wording.heading(brief))}</title>",
        f"<style>{STYLE}</style></head>",
        "<body>",
        f"<header><h1>{e(wording.heading(brief))}</h1>",
        '<dl class="facts">' + "".join(f"<dt>{e(label)}</dt><dd>{e(value)}</dd>" for label, value in wording.facts(brief)) + "</dl>",
        "" if brief.nothing_close else f'<p class="intro">{e(wording.INTRO)}</p>',
        "</header>",
        "<main>",
    ]
    if brief.nothing_close:
        out.append(f'<p class="none">{e(wording.NOTHING_CLOSE)}</p>')
    else:
        out.append(f"<section><h2>{e(wording.CASE_STUDIES)}</h2>")
        if not brief.case_studies:
            out.append(f'<p class="none">{e(wording.no_items(brief))}</p>')
        out += [case_study(n, case) for n, case in enumerate(brief.case_studies, start=1)]
        out.append("</section>")
        out += [lessons(section) for section in brief.sections]
        out.append(sources(brief))
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def item_head(why: str, cited: str, url: str) -> str:
    return f'<p class="why"><b>Why chosen:</b> {e(why)}</p><p class="cite"><b>Source:</b> {e(cited)}</p><p class="page"><b>Page:</b> {a(url, url)}</p>'


def case_study(number: int, case: CaseStudyItem) -> str:
    out = [f"<article><h3>{number}. {e(case.title)}</h3>", f'<p class="org">{e(wording.where(case.organisation, case.place))}</p>']
    out.append(item_head(wording.why(case.reason), wording.cited(case.citations, case.more_places), case.url))
    out.append(f"<p>{e(case.summary)}</p><p><b>Approach in brief.</b> {e(case.approach)}</p>")
    if case.outcomes:
        out.append("<h4>Outcomes by Quadruple Aim</h4><ul>" + "".join(f"<li><b>{e(o.aim)}:</b> {e(o.text)}</li>" for o in case.outcomes) + "</ul>")
    out.append(f"<h4>Measured results</h4><p>{e(wording.evidence_line(case.evidence.label, case.evidence.explanation))}</p>")
    if case.results:
        columns, rows = wording.results_table(case)
        head = "".join(f'<th scope="col">{e(c)}</th>' for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
        out.append(f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')
    if case.caveats:
        out.append(
            "<h4>Caveats</h4><ul>"
            + "".join(f"<li>{e(c.text)}" + (f" ({e(c.citation.text())})" if c.citation else "") + "</li>" for c in case.caveats)
            + "</ul>"
        )
    out.append("</article>")
    return "\n".join(out)


def lessons(section: Section) -> str:
    out = [f"<section><h2>{e(section.heading)}</h2>"]
    if not section.items:
        out.append(f'<p class="none">{e(wording.NONE_IN_SECTION)}</p>')
    out += [lesson(item) for item in section.items]
    return "\n".join(out + ["</section>"])


def lesson(item: Item) -> str:
    out = [f"<article><h3>{e(item.title)}</h3>", f"<p>{e(item.summary)}</p>"]
    if item.question:
        out.append(f"<p><b>Question:</b> {e(item.question)}</p>")
    if item.mitigations:
        out.append("<p><b>What helps:</b></p><ul>" + "".join(f"<li>{e(m)}</li>" for m in item.mitigations) + "</ul>")
    out.append(item_head(wording.why(item.reason), wording.cited(item.citations, item.more_places), item.url))
    return "\n".join(out + ["</article>"])


def sources(brief: Brief) -> str:
    out = [f"<section><h2>{e(wording.SOURCES)}</h2><ol>"]
    for source in brief.sources:
        link = f" {a(source.url, source.url)}" if source.url else ""
        item = f"<li><i>{e(source.title)}</i>. {e(source.publisher)}, {e(source.date)}.{link}<br>Cited: {e('; '.join(source.places))}"
        if source.caveats:
            cautions = "".join(f"<li>{e(c.text)}" + (f" ({e(c.citation.where)})" if c.citation and c.citation.where else "") + "</li>" for c in source.caveats)
            item += f"<p>The report's own cautions:</p><ul>{cautions}</ul>"
        out.append(item + "</li>")
    out.append(f"</ol><h3>{e(wording.PAGES)}</h3><ul>")
    out += [f"<li>{a(page.title, page.url)}</li>" for page in brief.pages]
    return "\n".join(out + ["</ul></section>"])
