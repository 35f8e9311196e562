"""JSON Schema for each content file, generated from the models for editors.

Content files start with ``# yaml-language-server: $schema=../../schema/<type>.schema.json``
so an editor with the YAML language server flags mistakes as a contributor types.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kb.files import write_atomic
from kb.models import ENTRY_MODELS, GlossaryFile, SourcesFile, Taxonomy


def schemas() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema, for every kind of content file."""
    models: dict[str, type[BaseModel]] = {f"{t}.schema.json": m for t, m in ENTRY_MODELS.items()}
    models["taxonomy.schema.json"] = Taxonomy
    models["sources.schema.json"] = SourcesFile
    models["glossary.schema.json"] = GlossaryFile
    return {name: model.model_json_schema() for name, model in models.items()}


def write_schemas(out_dir: Path) -> list[Path]:
    written = []
    for name, schema in schemas().items():
        path = out_dir / name
        write_atomic(path, json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written
