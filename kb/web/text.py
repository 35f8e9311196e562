"""What text the API accepts.

The characters kb refuses in documents (CONTRIBUTING.md, "Limits on input"): C0 and C1
controls but tab and line breaks, DEL, bidirectional embeddings, overrides and isolates,
non-characters. A query may not hold them either: echoed or shown, they make text
display other than it reads. Written as regex escapes so that the same text is the
server's check and the pattern the OpenAPI document declares.
"""

from __future__ import annotations

import re

from kb.documents import REFUSED_CHARACTERS
from kb.errors import QueryError

REFUSED = REFUSED_CHARACTERS
# What str.strip()/split() (and pydantic's stripping) remove, less the refused characters.
SPACE = r"\t\n\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
CLEAN_TEXT = f"^[^{REFUSED}]*$"
NONBLANK_TEXT = f"^[^{REFUSED}]*[^{REFUSED}{SPACE}][^{REFUSED}]*$"
REFUSED_CHARACTER = re.compile(f"[{REFUSED}]")


def check_text(field: str, value: str) -> None:
    """:class:`QueryError` (a 422 naming ``field``) if ``value`` holds a character kb
    refuses: named by code point, never echoed."""
    found = REFUSED_CHARACTER.search(value)
    if found is not None:
        raise QueryError(field, f"U+{ord(found.group()):04X} is a control or bidirectional formatting character; send plain text")
