"""Every error kb reports to a person, as a specific exception with a helpful message.

Kept free of heavy imports so the fast query path can raise and catch them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, at a place in a file."""

    path: str
    line: int
    column: int
    message: str
    # The field it concerns, dotted ('sources.0.document'), so the API can name it; not
    # part of equality or order, and not printed (the message already names it).
    field: str = dataclass_field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class KbError(Exception):
    """Base class: a mistake kb can explain; the CLI prints it without a traceback."""


class ContentNotFound(KbError):
    """There is no content folder where one was expected."""


class ContentInvalid(KbError):
    """The content has problems; ``problems`` lists them all."""

    hint = "in the content; fix them first (kb validate)."  # the CLI's line after the list

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in the content:\n{shown}{more}")


class UnknownEntry(KbError, LookupError):
    """No entry has this id."""

    def __init__(self, entry_id: str, choices: Iterable[str]):
        self.entry_id = entry_id
        super().__init__(f"no entry with id '{entry_id}'{did_you_mean(entry_id, choices)}")


class UnknownValue(KbError, ValueError):
    """A type or filter value that the content does not have."""

    def __init__(self, field: str, value: str, choices: list[str]):
        self.field = field
        self.value = value
        listed = ", ".join(choices[:12]) + (" …" if len(choices) > 12 else "")
        super().__init__(f"unknown {field} '{value}'{did_you_mean(value, choices)}; expected one of: {listed}")


class QueryError(KbError, ValueError):
    """A query parameter that cannot be answered; ``field`` names it."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class EncoderUnavailable(KbError, RuntimeError):
    """The embedding model cannot be loaded."""


class IndexMissing(KbError, RuntimeError):
    """No index has been built in the data folder yet."""


class WriteFailed(KbError, OSError):
    """A file could not be written (a full disk, a read-only folder); nothing was changed."""

    def __init__(self, path: object, cause: OSError):
        self.path = path
        self.cause = cause
        super().__init__(f"could not write {path}: {cause.strerror or cause}; nothing was changed (the previous file, if any, is as it was)")


class SiteBuildFailed(KbError):
    """``mkdocs build --strict`` failed (a warning or an error)."""


# --- curation --------------------------------------------------------------------------


class EntryInvalid(ContentInvalid):
    """A new entry or a submission has problems; ``problems`` lists them all."""

    hint = "in the entry; fix them and try again."


class EntryExists(KbError, FileExistsError):
    """An entry with this id is already in the content: kb never overwrites one."""

    def __init__(self, entry_id: str, where: str):
        self.entry_id = entry_id
        super().__init__(f"an entry with id '{entry_id}' already exists ({where}); choose another id")


class SubmissionExists(KbError, FileExistsError):
    """A submission with this id is already waiting for review."""

    def __init__(self, entry_id: str):
        self.entry_id = entry_id
        super().__init__(f"a submission with id '{entry_id}' is already waiting for review; choose another id")


class UnknownSubmission(KbError, LookupError):
    """No pending submission has this id."""

    def __init__(self, entry_id: str, choices: Iterable[str]):
        self.entry_id = entry_id
        choices = list(choices)
        waiting = f"; waiting: {', '.join(choices[:12])}" if choices else "; none are waiting (kb review list)"
        super().__init__(f"no pending submission with id '{entry_id}'{did_you_mean(entry_id, choices)}{waiting}")


class InvalidId(KbError, ValueError):
    """An id that is not a slug, so it must never become part of a path."""

    def __init__(self, entry_id: str):
        self.entry_id = entry_id
        super().__init__(f"'{entry_id}' is not an entry id (lowercase letters, digits and single hyphens, at most 80 characters)")


class TokenError(KbError, ValueError):
    """A submission token cannot be created, found or revoked as asked."""


class SubmitFailed(KbError, RuntimeError):
    """`kb submit` could not hand the entry over; the message says why and what to do."""


class PublishFailed(KbError, RuntimeError):
    """An approved entry could not be committed or pushed with git; the file is kept."""


class SyncFailed(KbError, RuntimeError):
    """`kb sync` could not bring the content up to date with its upstream; nothing was changed."""
