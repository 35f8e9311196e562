"""JSON Schema for each content file, generated from the models for editors.

Content files start with ``# yaml-language-server: $schema=../../schema/<type>.schema.json``
so an editor with the YAML language server flags mistakes as a contributor types.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel

from kb.models import ENTRY_MODELS, SourcesFile, Taxonomy


def schemas() -> dict[str, dict]:
    """File name → JSON Schema, for every kind of content file."""
    models: dict[str, type[BaseModel]] = {f"{t}.schema.json": m for t, m in ENTRY_MODELS.items()}
    models["taxonomy.schema.json"] = Taxonomy
    models["sources.schema.json"] = SourcesFile
    return {name: model.model_json_schema() for name, model in models.items()}


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_schemas(out_dir: Path) -> list[Path]:
    written = []
    for name, schema in schemas().items():
        path = out_dir / name
        write_atomic(path, json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written
