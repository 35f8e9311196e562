"""The content as a long-running server should check submissions against: as it is now."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.content import Content
    from kb.core import KnowledgeBase


class LiveContent:
    """Re-read when a file changed (a curator approved an entry since start-up); the last
    valid version if it no longer validates, so a half-edited file cannot stop submissions."""

    def __init__(self, kb: KnowledgeBase):
        from kb.search.index import content_signature

        self.root = kb.root
        self._signature = content_signature(kb.root)
        self._content = kb.content
        self._lock = threading.Lock()  # one re-read at a time from the server's threads

    def get(self) -> Content:
        from kb.content import load_content
        from kb.search.index import content_signature

        with self._lock:
            signature = content_signature(self.root)
            if signature != self._signature:
                content, problems = load_content(self.root)
                if not problems:
                    self._content = content
                self._signature = signature
            return self._content
