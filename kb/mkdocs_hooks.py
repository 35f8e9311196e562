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
