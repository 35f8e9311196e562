"""MkDocs hook: adds the pages generated from the content to the build.

Named in mkdocs.yml (``hooks:``). ``kb site build`` hands over its KnowledgeBase with
:func:`use`; a plain ``mkdocs build`` opens one from ``KB_CONTENT`` or ``./content``.
"""

from __future__ import annotations

from typing import Any

from kb.core import KnowledgeBase

_kb: KnowledgeBase | None = None


def use(kb: KnowledgeBase | None) -> None:
    global _kb
    _kb = kb


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    from kb.site import pages

    kb = _kb or KnowledgeBase.open()
    for path, markdown in pages(kb).items():
        files.append(File.generated(config, path, content=markdown))
    return files


# Material's offline plugin loads the iframe-worker shim from unpkg.com; this machine (and a
# site opened from a shared drive) may have no internet, so point it at our vendored copy.
SHIM = "https://unpkg.com/iframe-worker/shim"


def on_post_page(output: str, page: Any, config: Any) -> str:
    if SHIM not in output:
        return output
    import posixpath

    depth = posixpath.dirname(page.file.dest_uri).count("/") + (1 if posixpath.dirname(page.file.dest_uri) else 0)
    return output.replace(SHIM, "../" * depth + "javascripts/iframe-worker-shim.js")
