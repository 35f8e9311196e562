"""The planner's evidence brief: what others did about a challenge, what it achieved and
how sure we are, what helped and what got in the way, each item cited (issue 17).

``assemble`` builds a :class:`~kb.brief.model.Brief` from the content and the index;
``formats`` renders it as Markdown, HTML, Word or JSON.
"""
