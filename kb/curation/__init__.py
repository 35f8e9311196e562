"""Curation: new entries, submissions over the API, and their review.

Two routes lead into ``content/``: a pull request with a YAML file (``kb new`` writes a
draft), or ``POST /api/submissions``, which stores a *pending* submission outside the
content folder until a curator approves it (``kb review approve``). Neither route can
publish without review: ``kb new`` writes ``status: draft`` (hidden from lists, search and
the site), and a pending submission is not in ``content/`` at all.

- :mod:`~kb.curation.entries`: ids, paths and entries as YAML; `kb new`'s draft
- :mod:`~kb.curation.checks`: an entry, or one field, checked as `kb validate` checks
- :mod:`~kb.curation.body`: what a submitted body may be, and reading it
- :mod:`~kb.curation.store`: pending submissions, and receiving one
- :mod:`~kb.curation.review`: seeing, approving and rejecting a submission
- :mod:`~kb.curation.tokens`: who may submit
- :mod:`~kb.curation.live`: the content as it is now, for a long-running server

Kept light: nothing here imports pydantic or the search until a check runs.
"""
