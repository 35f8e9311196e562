"""Loading and validating the content folder.

``load_content`` reads every YAML file with the safe loader, validates each against its
model, then checks the whole (unique ids, resolving references and sources). Problems
are collected, never raised one at a time, so ``kb validate`` can report them all; each
points at a file, line and column. Nothing here writes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from kb import documents
from kb.documents import Located
from kb.entry_types import FOLDERS, TYPE_OF_FOLDER
from kb.errors import Problem, did_you_mean
from kb.models import (
    ENTRY_MODELS,
    CaseStudy,
    EntryBase,
    GlossaryFile,
    GlossaryTerm,
    SourceDocument,
    SourceRef,
    SourcesFile,
    Taxonomy,
)

TAXONOMY_FILE = "taxonomy.yaml"
SOURCES_FILE = "sources.yaml"
GLOSSARY_FILE = "glossary.yaml"  # optional: a content folder without one has an empty glossary


@dataclass
class Content:
    """Everything in a content folder, validated."""

    root: Path
    taxonomy: Taxonomy
    documents: dict[str, SourceDocument]
    glossary: list[GlossaryTerm] = field(default_factory=list)
    entries: dict[str, EntryBase] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    _links: dict[str, list[EntryBase]] | None = field(default=None, repr=False)

    def linking_to(self, entry_id: str) -> list[EntryBase]:
        """Entries whose ``case_studies`` name ``entry_id`` (built once, then looked up)."""
        if self._links is None:
            self._links = {}
            for entry in self.entries.values():
                for target in getattr(entry, "case_studies", None) or []:
                    self._links.setdefault(target, []).append(entry)
        return self._links.get(entry_id, [])

    def published(self) -> list[EntryBase]:
        """Entries readers see: drafts stay out of lists, search and the site."""
        return [e for e in self.entries.values() if e.status != "draft"]

    def case_studies(self) -> list[CaseStudy]:
        return [e for e in self.published() if isinstance(e, CaseStudy)]

    def term_name(self, vocabulary: str, term_id: str) -> str:
        for term in self.taxonomy.vocabularies().get(vocabulary, []):
            if term.id == term_id:
                return term.name
        entry = self.entries.get(term_id)
        return entry.title if entry else term_id


def entry_hash(entry: BaseModel) -> str:
    return hashlib.sha256(entry.model_dump_json().encode()).hexdigest()[:16]


# --- reading one file ------------------------------------------------------------------


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read(path: Path, problems: list[Problem]) -> documents.Located | None:
    try:
        return documents.load(documents.read_text(path))
    except documents.DocumentError as exc:
        problems.append(Problem(_display(path), exc.position.line, exc.position.column, exc.message))
    except OSError as exc:
        problems.append(Problem(_display(path), 1, 1, f"cannot read the file: {exc.strerror or exc}"))
    return None


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def pydantic_problems(exc: ValidationError, model: type[BaseModel], shown: str, located: documents.Located | None) -> list[Problem]:
    """Turn pydantic's errors into located, human messages."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        kind = err["type"]
        name = _field_name(loc)
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1])
            message = f"unknown key '{loc[-1]}'{did_you_mean(str(loc[-1]), allowed)}"
            pos = located.position(loc, key=True) if located else documents.Position(1, 1)
        elif kind == "missing":
            message = f"missing required field '{name}'"
            pos = located.position(loc[:-1]) if located else documents.Position(1, 1)
        else:
            given = err.get("input")
            message = f"field '{name}': {err['msg']}"
            if kind == "literal_error" and isinstance(given, str):
                expected = err.get("ctx", {}).get("expected", "")
                options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
                message = f"field '{name}': '{given}' is not one of {expected}{did_you_mean(given, options)}"
            elif kind == "string_pattern_mismatch":
                message = f"field '{name}': '{given}' is not a slug (lowercase letters, digits and single hyphens)"
            pos = located.position(loc) if located else documents.Position(1, 1)
        problems.append(Problem(shown, pos.line, pos.column, message, name))
    return problems


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (sub)model at ``loc``, for "did you mean"."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return []
        current = _model_in(info.annotation)
    return list(getattr(current, "model_fields", {}))


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _validate_file(path: Path, model: type[BaseModel], problems: list[Problem]) -> tuple[Any, documents.Located | None]:
    located = _read(path, problems)
    if located is None:
        return None, None
    shown = _display(path)
    if not isinstance(located.data, dict):
        problems.append(Problem(shown, 1, 1, f"expected a mapping of fields for {model.__name__}, got {type(located.data).__name__}"))
        return None, located
    try:
        return model.model_validate(located.data), located
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, model, shown, located))
        return None, located


def parse_entry(data: Any, shown: str, located: documents.Located | None, expected_type: str | None = None) -> tuple[EntryBase | None, list[Problem]]:
    """Validate one entry's data (from a file or a submission) against its type's model."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return None, [Problem(shown, 1, 1, "expected a mapping of fields (an entry), got " + type(data).__name__)]
    entry_type = data.get("type")
    pos = located.position(("type",)) if located else documents.Position(1, 1)
    if entry_type is None:
        hint = f" (this folder holds '{expected_type}')" if expected_type else ""
        return None, [Problem(shown, 1, 1, f"missing required field 'type'{hint}", "type")]
    if not isinstance(entry_type, str) or entry_type not in ENTRY_MODELS:  # a list is not hashable
        return None, [
            Problem(
                shown,
                pos.line,
                pos.column,
                f"field 'type': unknown entry type '{entry_type}'{did_you_mean(str(entry_type), ENTRY_MODELS)}; expected one of {', '.join(ENTRY_MODELS)}",
                "type",
            )
        ]
    if expected_type and entry_type != expected_type:
        return None, [
            Problem(
                shown,
                pos.line,
                pos.column,
                f"field 'type': '{entry_type}' entries belong in content/{FOLDERS[entry_type]}/, not content/{FOLDERS[expected_type]}/",
                "type",
            )
        ]
    model = ENTRY_MODELS[entry_type]
    try:
        return model.model_validate(data), problems
    except ValidationError as exc:
        return None, pydantic_problems(exc, model, shown, located)


# --- the whole folder ------------------------------------------------------------------


def load_content(root: Path) -> tuple[Content, list[Problem]]:
    """Load and validate a content folder; return what loaded and every problem found."""
    problems: list[Problem] = []
    taxonomy, _ = _validate_file(root / TAXONOMY_FILE, Taxonomy, problems) if (root / TAXONOMY_FILE).exists() else (None, None)
    if taxonomy is None:
        if not (root / TAXONOMY_FILE).exists():
            problems.append(Problem(_display(root / TAXONOMY_FILE), 1, 1, "missing taxonomy file"))
        taxonomy = Taxonomy(themes=[], population_groups=[], care_settings=[], roles=[])
    sources, _ = _validate_file(root / SOURCES_FILE, SourcesFile, problems) if (root / SOURCES_FILE).exists() else (None, None)
    if sources is None and not (root / SOURCES_FILE).exists():
        problems.append(Problem(_display(root / SOURCES_FILE), 1, 1, "missing sources file (the source documents entries cite)"))
    documents = {d.id: d for d in sources.documents} if sources else {}
    content = Content(root=root, taxonomy=taxonomy, documents=documents, glossary=_glossary(root, documents, problems))

    locations: dict[str, tuple[str, Located]] = {}
    broken: set[str] = set()  # files that failed: links to them are not reported again
    for path in _entry_files(root, problems):
        shown = _display(path)
        located = _read(path, problems)
        if located is None:
            broken.add(path.stem)
            continue
        entry, found = parse_entry(located.data, shown, located, TYPE_OF_FOLDER[path.parent.name])
        problems.extend(found)
        if entry is None:
            broken.add(path.stem)
            continue
        if entry.id != path.stem:
            pos = located.position(("id",))
            problems.append(Problem(shown, pos.line, pos.column, f"field 'id': '{entry.id}' must equal the file name '{path.stem}'"))
            continue
        if entry.id in content.entries:
            pos = located.position(("id",))
            problems.append(Problem(shown, pos.line, pos.column, f"duplicate id '{entry.id}' (also in {_display(content.files[entry.id])})"))
            continue
        content.entries[entry.id] = entry
        content.files[entry.id] = path
        locations[entry.id] = (shown, located)

    problems.extend(_taxonomy_problems(root, taxonomy))
    for entry_id, entry in content.entries.items():
        shown, located = locations[entry_id]
        problems.extend(reference_problems(entry, content, shown, located, ignore=broken))
    return content, sorted(problems)


def _glossary(root: Path, documents: dict[str, SourceDocument], problems: list[Problem]) -> list[GlossaryTerm]:
    if not (root / GLOSSARY_FILE).exists():
        return []
    glossary, located = _validate_file(root / GLOSSARY_FILE, GlossaryFile, problems)
    if glossary is None or located is None:
        return []
    seen: dict[str, int] = {}
    for i, term in enumerate(glossary.terms):
        if term.id in seen:
            pos = located.position(("terms", i, "id"))
            problems.append(Problem(_display(root / GLOSSARY_FILE), pos.line, pos.column, f"duplicate glossary id '{term.id}' (also term {seen[term.id] + 1})"))
        seen.setdefault(term.id, i)
        if isinstance(term.source, SourceRef) and term.source.document not in documents:
            pos = located.position(("terms", i, "source", "document"))
            message = f"unknown document '{term.source.document}'{did_you_mean(term.source.document, documents)}"
            problems.append(Problem(_display(root / GLOSSARY_FILE), pos.line, pos.column, message))
    return list(glossary.terms)


def _entry_files(root: Path, problems: list[Problem]) -> list[Path]:
    files = []
    for folder in FOLDERS.values():
        directory = root / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.suffix == ".yml":
                problems.append(Problem(_display(path), 1, 1, "entry files end in .yaml, not .yml"))
            elif path.suffix == ".yaml":
                files.append(path)
    return files


def _taxonomy_problems(root: Path, taxonomy: Taxonomy) -> list[Problem]:
    problems = []
    for name, terms in taxonomy.vocabularies().items():
        seen = set()
        for term in terms:
            if term.id in seen:
                problems.append(Problem(_display(root / TAXONOMY_FILE), 1, 1, f"{name}: duplicate term id '{term.id}'"))
            seen.add(term.id)
    return problems


# Which vocabulary or entry type each reference field resolves against.
REFERENCE_FIELDS: dict[str, str] = {
    "themes": "themes",
    "population_groups": "population_groups",
    "care_settings": "care_settings",
    "roles": "roles",
    "enablers": "enabler",
    "barriers": "barrier",
    "case_studies": "case-study",
}


def reference_choices(content: Content, target: str) -> list[str]:
    vocab = content.taxonomy.vocabularies()
    if target in vocab:
        return [t.id for t in vocab[target]]
    return [e.id for e in content.entries.values() if e.type == target]


def reference_problems(
    entry: EntryBase,
    content: Content,
    shown: str,
    located: documents.Located | None,
    ignore: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[Problem]:
    """Every taxonomy term, cross-link and cited document must exist."""

    def at(loc: tuple[Any, ...]) -> documents.Position:
        return located.position(loc) if located else documents.Position(1, 1)

    problems = []
    for field_name, target in REFERENCE_FIELDS.items():
        choices = reference_choices(content, target)
        for i, ref in enumerate(getattr(entry, field_name, None) or []):
            if ref not in choices and ref not in ignore:
                pos = at((field_name, i))
                what = f"{target} term" if target in content.taxonomy.vocabularies() else f"{target} entry"
                problems.append(
                    Problem(shown, pos.line, pos.column, f"field '{field_name}': unknown {what} '{ref}'{did_you_mean(ref, choices)}", f"{field_name}.{i}")
                )
    cited: list[tuple[tuple[str | int, ...], str]] = [(("sources", i, "document"), s.document) for i, s in enumerate(entry.sources)]
    cited += [(("metrics", i, "source", "document"), m.source.document) for i, m in enumerate(getattr(entry, "metrics", [])) if m.source]
    cited += [(("caveats", i, "source", "document"), c.source.document) for i, c in enumerate(entry.caveats) if c.source]
    cited += [
        (("metrics", i, "caveats", j, "source", "document"), c.source.document)
        for i, m in enumerate(getattr(entry, "metrics", []))
        for j, c in enumerate(m.caveats)
        if c.source
    ]
    for loc, document in cited:
        if document not in content.documents:
            pos = at(loc)
            problems.append(
                Problem(
                    shown,
                    pos.line,
                    pos.column,
                    f"field '{_field_name(loc)}': unknown source document '{document}'{did_you_mean(document, content.documents)}",
                    _field_name(loc),
                )
            )
    return problems


# --- links named from both sides ------------------------------------------------------

# A case study names the enablers and barriers it illustrates, and each of those lists its
# case studies. The site and the filters read either side, so a link written on one side
# only still shows, but the two files then disagree and one of them misleads its reader.
BACK_FIELDS: dict[str, str] = {"enabler": "enablers", "barrier": "barriers"}


@dataclass(frozen=True)
class OneSidedLink:
    """``named_by`` names ``target`` in ``field``; ``target`` does not name it back."""

    named_by: str
    field: str
    target: str
    back_field: str

    def message(self, content: Content) -> str:
        where = _display(content.files[self.target]) if self.target in content.files else self.target
        return f"{where}: one-sided link: '{self.named_by}' names '{self.target}' in {self.field}, but '{self.target}' does not list '{self.named_by}' in {self.back_field}"


def one_sided_links(content: Content) -> list[OneSidedLink]:
    """Links between case studies and enablers/barriers written on one side only."""
    found = []
    for entry in content.entries.values():
        if entry.type in BACK_FIELDS:
            field_name = BACK_FIELDS[entry.type]
            for case_id in entry.case_studies:  # type: ignore[attr-defined]
                case = content.entries.get(case_id)
                if isinstance(case, CaseStudy) and entry.id not in getattr(case, field_name):
                    found.append(OneSidedLink(entry.id, "case_studies", case_id, field_name))
        elif isinstance(entry, CaseStudy):
            for entry_type, field_name in BACK_FIELDS.items():
                for target_id in getattr(entry, field_name):
                    target = content.entries.get(target_id)
                    if target is not None and target.type == entry_type and entry.id not in target.case_studies:  # type: ignore[attr-defined]
                        found.append(OneSidedLink(entry.id, field_name, target_id, "case_studies"))
    return sorted(found, key=lambda link: (link.target, link.named_by))
