"""The published JSON Schemas (docs/schemas/*.schema.json), as validators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def validator(name: str) -> Any:
    """A Draft 2020-12 validator of ``docs/schemas/<name>.schema.json`` (the schema itself
    checked), resolving references between the published schemas."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    docs = {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMAS.glob("*.schema.json")
    }
    registry: Registry[Any] = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in docs.values()
    )
    schema = docs[f"{name}.schema.json"]
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)
