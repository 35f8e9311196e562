"""Live publishing: content changes become the served site and index without a restart.

``publisher`` watches the content and builds each valid change into a new index version
and a new site folder, then names both in ``state``'s file; ``sync`` follows a git
upstream on a replica. The serving side (``kb.web.edition``) only reads what is named.
"""
