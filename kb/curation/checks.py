"""Checking a new entry: as `kb validate` checks a file, one field as `kb new` asks for
it, and (advisory only) against the entries it may duplicate.

The wording of a model's problems is :mod:`kb.content`'s, so `kb new`, the API and `kb
validate` say the same thing. Heavy imports (pydantic, the search) wait until a check
runs: `kb submit` and `kb review list` import this package without needing them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from kb.errors import Problem, did_you_mean

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError
    from pydantic.fields import FieldInfo

    from kb.content import Content
    from kb.core import KnowledgeBase
    from kb.documents import Located
    from kb.models import EntryBase
    from kb.search.encoder import Encoder
    from kb.search.similarity import SimilarEntry


def check_entry(data: Any, content: Content, shown: str, located: Located | None = None) -> tuple[EntryBase | None, list[Problem]]:
    """Validate one entry exactly as `kb validate` does a file: its model, then every
    reference against the content. The entry only if there is no problem."""
    from kb.content import parse_entry, reference_problems

    entry, problems = parse_entry(data, shown, located)
    if entry is not None:
        problems += reference_problems(entry, content, shown, located)
    return (entry if not problems else None), sorted(problems)


def field_problems(entry_type: str, name: str, value: Any, content: Content) -> list[str]:
    """What is wrong with one field's value, checked as the user types it."""
    from pydantic import TypeAdapter, ValidationError

    from kb.content import REFERENCE_FIELDS, reference_choices
    from kb.models import ENTRY_MODELS

    model = ENTRY_MODELS[entry_type]
    try:
        TypeAdapter(_field_type(model.model_fields[name])).validate_python(value)
    except ValidationError as exc:
        return error_messages(exc, model)
    if name in REFERENCE_FIELDS:
        choices = reference_choices(content, REFERENCE_FIELDS[name])
        return [f"unknown {name.rstrip('s').replace('_', ' ')} '{v}'{did_you_mean(v, choices)}" for v in value if v not in choices]
    return []


def _field_type(info: FieldInfo) -> Any:
    """The field's type with its constraints (a slug's pattern, a length), as the model has it."""
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def error_messages(exc: ValidationError, model: type[BaseModel]) -> list[str]:
    """pydantic's errors in `kb validate`'s words (:func:`kb.content.pydantic_problems`),
    for a question that has already named its field: without their leading "field 'x': ".

    pydantic's own messages (no kb wording) keep the part they concern, since it may be
    inside the answer ("as_reported: String should have at least 1 character").
    ``model`` only serves "did you mean" for an unknown key."""
    from kb.content import pydantic_problems

    problems = pydantic_problems(exc, model, "", None)  # one problem per error, in order
    return [_for_question(problem, error["msg"]) for problem, error in zip(problems, exc.errors(), strict=True)]


def _for_question(problem: Problem, pydantic_says: str) -> str:
    said = problem.message.removeprefix(f"field '{problem.field}': ")
    return f"{problem.field}: {said}" if said == pydantic_says and problem.field else said


def look_for_similar(
    kb: KnowledgeBase, entry: EntryBase, encoder: Encoder | None = None, content: Content | None = None
) -> tuple[list[SimilarEntry], list[str]]:
    """Entries very like ``entry``, with notes on anything not compared.

    Advisory: it helps a reviewer and never gates, so whatever goes wrong here (no index,
    a damaged one, no encoder) becomes a note and the entry is still written or stored."""
    from kb.search.similarity import similar_to

    try:
        return similar_to(entry, content or kb.content, kb.data_dir, encoder)
    except Exception as exc:  # noqa: BLE001 (see above: never lose an entry over a warning)
        return [], [f"similar entries were not looked for: {type(exc).__name__}: {exc}"]
