"""The MkDocs plugin that adds the pages generated from the content to the build.

Named ``kb`` in mkdocs.yml's ``plugins`` (registered as an entry point in pyproject.toml).
``kb site build`` hands its KnowledgeBase to this instance with :meth:`KbPlugin.use`
before building; a plain ``mkdocs build`` opens the content named by the
``content_dir`` option (relative to mkdocs.yml). State lives on the instance, never in module globals
or environment variables.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.plugins import BasePlugin

from kb.site.abbreviations import Abbreviations
from kb.site.feed import FEED_PATH

if TYPE_CHECKING:
    from kb.core import KnowledgeBase

# Material's offline plugin loads the iframe-worker shim from unpkg.com; this machine (and a
# site opened from a shared drive) may have no internet, so point it at our vendored copy.
SHIM = "https://unpkg.com/iframe-worker/shim"


class KbPluginConfig(Config):  # type: ignore[no-untyped-call]
    # For a plain `mkdocs build`, relative to mkdocs.yml. (Not `data`: Config keeps its
    # own values in an attribute of that name.)
    content_dir = config_options.Type(str, default="content")
    data_dir = config_options.Optional(config_options.Type(str))


class KbPlugin(BasePlugin[KbPluginConfig]):  # type: ignore[no-untyped-call]
    def __init__(self) -> None:
        self.kb: KnowledgeBase | None = None
        self.abbreviations: Abbreviations | None = None

    def use(self, kb: KnowledgeBase) -> None:
        """Build from this knowledge base rather than from the ``content`` option."""
        self.kb = kb

    def on_config(self, config: Any) -> Any:
        if self.kb is None:
            from kb.core import KnowledgeBase

            base = Path(config.config_file_path).parent
            data = base / self.config.data_dir if self.config.data_dir else None
            self.kb = KnowledgeBase.open(base / self.config.content_dir, data)
        self.abbreviations = Abbreviations(self.kb.content.glossary)
        config.extra["kb_feed"] = FEED_PATH  # the templates' feed link (overrides/main.html)
        return config

    def on_files(self, files: Any, config: Any) -> Any:
        from mkdocs.structure.files import File

        from kb.site.builder import pages

        assert self.kb is not None  # set in on_config
        for path, text in pages(self.kb, site_url=config.site_url).items():
            files.append(File.generated(config, path, content=text))
        return files

    def on_page_content(self, html: str, page: Any, config: Any, files: Any) -> str:
        assert self.abbreviations is not None  # set in on_config
        return self.abbreviations.apply(html)

    def on_post_page(self, output: str, page: Any, config: Any) -> str:
        if SHIM not in output:
            return output
        folder = posixpath.dirname(page.file.dest_uri)
        depth = folder.count("/") + (1 if folder else 0)
        return output.replace(SHIM, "../" * depth + "javascripts/iframe-worker-shim.js")
