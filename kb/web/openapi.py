"""The OpenAPI document completed from the loaded content, when the app is created.

Each filter and each entry id is declared with the values it takes, and the submission
body with the entry models, tightened with what `kb validate` also checks: a request the
spec allows is a request kb accepts (schemathesis checks this).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from kb.content import REFERENCE_FIELDS, Content, reference_choices
from kb.core import KnowledgeBase
from kb.models import Entry
from kb.search.searcher import Searcher
from kb.web.deps import Replica
from kb.web.text import CLEAN_TEXT, NONBLANK_TEXT

FILTERS = ("theme", "enabler", "barrier", "kind")
BODY_PREFIX = "Submitted"  # components of the body: apart from the response models of the same name
DRAFT_PREFIX = "Draft"  # an unfinished entry: as submitted, but only `type` is required of the entry itself


def complete_spec(spec: dict[str, Any], kb: KnowledgeBase, searcher: Searcher, replica: Replica | None = None) -> None:
    """Declare, from the loaded content, the values each parameter takes and the body;
    on a read-only replica, that it refuses submissions."""
    for path in ("/api/search", "/api/brief"):
        declare_parameter(spec, path, "q", pattern=NONBLANK_TEXT)
        for name in FILTERS:
            declare_parameter(spec, path, name, enum=sorted(searcher.manifest["vocabulary"][name]))
    for name in FILTERS:
        declare_parameter(spec, "/api/entries", name, enum=sorted(kb.filter_choices(name)))
    declare_parameter(spec, "/api/entries/{entry_id}", "entry_id", enum=sorted(e.id for e in kb.content.published()))
    declare_parameter(spec, "/api/entries/{entry_id}/similar", "entry_id", enum=sorted(searcher.position))
    vocabulary = Vocabulary.of(kb.content)
    for path in ("/api/submissions", "/api/drafts/check"):  # both take an entry, checked the same way
        declare_body(spec, path, vocabulary)
    declare_body(spec, "/api/similar", vocabulary, prefix=DRAFT_PREFIX)  # the same, but any field may be missing yet
    if replica is not None:
        declare_read_only(spec, "/api/submissions", replica.refusal("submissions", "/api/submissions"))


def declare_read_only(spec: dict[str, Any], path: str, refusal: str) -> None:
    """A write refused by a replica: said first in its description, and its 405 declared."""
    operation = spec["paths"][path]["post"]
    said = f"**Refused here with 405**: {refusal}."
    operation["description"] = said + "\n\n" + operation.get("description", "")
    operation["responses"] = {
        **operation["responses"],
        "405": {
            "description": f"Always, on this read-only replica: {refusal}. `Allow` is empty.",
            "headers": {"Allow": {"description": "Empty: no method is allowed here.", "schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}},
        },
    }


def declare_parameter(spec: dict[str, Any], path: str, name: str, **keywords: Any) -> None:
    """Add JSON Schema ``keywords`` to a parameter of every operation on ``path``. With
    ``enum``, the parameter's schema becomes one string of those values (not "or null":
    a query parameter is either sent or not)."""
    for operation in spec["paths"][path].values():
        for parameter in operation.get("parameters", []):
            if parameter["name"] != name:
                continue
            old = parameter["schema"]
            kept = ("title", "description") if "enum" in keywords else ("title", "description", "minLength", "maxLength")
            parameter["schema"] = {"type": "string", **{k: old[k] for k in kept if k in old}, **keywords}


def declare_body(spec: dict[str, Any], path: str, vocabulary: Vocabulary, prefix: str = BODY_PREFIX) -> None:
    """The entry models as the schema of every media type the body may be; with
    ``DRAFT_PREFIX``, entries whose own fields, but `type`, may all be missing."""
    body, models = entry_body_schema(vocabulary, prefix)
    spec.setdefault("components", {}).setdefault("schemas", {}).update(models)
    operation = spec["paths"][path]["post"]
    # New dicts, not the old ones changed: FastAPI puts the route's declared body into
    # every app's spec as it is, and each app has its own content.
    declared = operation["requestBody"]
    operation["requestBody"] = {**declared, "content": {media: {"schema": body} for media in declared["content"]}}


@dataclass(frozen=True)
class Vocabulary:
    """The ids the content holds, by the entry field that refers to them."""

    references: dict[str, list[str]]
    documents: list[str]

    @classmethod
    def of(cls, content: Content) -> Vocabulary:
        return cls({name: sorted(reference_choices(content, target)) for name, target in REFERENCE_FIELDS.items()}, sorted(content.documents))


def entry_body_schema(vocabulary: Vocabulary, prefix: str = BODY_PREFIX) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The submission body as JSON Schema, and the components it refers to.

    The entry models' own schema (as for input), tightened with what `kb validate` also
    checks, so that a body the schema allows is one kb accepts: references name existing
    ids, text is not blank and holds no refused character, a source has a page or a section."""
    body = TypeAdapter(Entry).json_schema(mode="validation", ref_template=f"#/components/schemas/{prefix}{{model}}")
    models: dict[str, dict[str, Any]] = body.pop("$defs")
    entries = {ref.split("/")[-1].removeprefix(prefix) for ref in body["discriminator"]["mapping"].values()}
    for name, model in models.items():
        _tighten_model(name, model, vocabulary)
        _tighten_strings(model)
        if prefix == DRAFT_PREFIX and name in entries:
            model["required"] = ["type"]
    return body, {prefix + name: model for name, model in models.items()}


def _tighten_model(name: str, model: dict[str, Any], vocabulary: Vocabulary) -> None:
    properties = model.get("properties", {})
    for field_name, ids in vocabulary.references.items():
        if properties.get(field_name, {}).get("type") == "array":
            properties[field_name]["items"] = {"type": "string", "enum": ids}
    if "aliases" in properties:  # EntryBase: "aliases may not be blank"
        properties["aliases"]["items"] = {"type": "string", "pattern": NONBLANK_TEXT}
    if "added" in properties:  # EntryBase: what the server sets (kb.curation.body.ServerFields)
        _server_fields(model, properties)
    if name == "SourceRef":
        properties["document"] = {"type": "string", "enum": vocabulary.documents, "description": properties["document"].get("description", "")}
        # SourceRef's validator: "a source needs a `page` or a `section`"
        model["anyOf"] = [{"required": [key], "properties": {key: {"not": {"type": "null"}}}} for key in ("page", "section")]
    if name == "Metric":  # its validator's rules that JSON Schema cannot state, in words
        rules = [rule for key, rule in (("upper", "`upper` is above `value`"), ("qualifier", "`qualifier` occurs in `as_reported`")) if key in properties]
        if rules:
            model["description"] = model.get("description", "") + " Also: " + "; ".join(rules) + "."


SERVER_SET = {
    "added": "Set by the server to the day it is received: a value sent is ignored (and must still be a date).",
    "updated": "Set by the server to the day it is received: a value sent is ignored (and must still be a date).",
    "status": "Set by the server: a submission is a draft until a curator approves it. Leave it out; any value but `draft` is refused.",
    "contributor": "Who wrote the entry; the name of the token it is sent with if left out.",
}


def _server_fields(model: dict[str, Any], properties: dict[str, Any]) -> None:
    """Optional in a submission: the server fills them in."""
    properties["status"] = {"type": "string", "enum": ["draft"], "title": properties["status"].get("title", "Status"), "description": SERVER_SET["status"]}
    for name, text in SERVER_SET.items():
        properties[name].pop("default", None)
        properties[name]["description"] = text
    model["required"] = [name for name in model.get("required", []) if name not in SERVER_SET]


def _tighten_strings(schema: Any) -> None:
    """Every free-text string: no refused characters; not blank where a minimum length
    is set (the models strip whitespace before measuring)."""
    if isinstance(schema, list):
        for item in schema:
            _tighten_strings(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"pattern", "enum", "const", "format"} & schema.keys():
        schema["pattern"] = NONBLANK_TEXT if schema.get("minLength", 0) >= 1 else CLEAN_TEXT
    for value in schema.values():
        _tighten_strings(value)
