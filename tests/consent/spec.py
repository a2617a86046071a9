"""Validating bodies against the ReBIT AA 2.0.0 spec files (``specs/rebit-aa-2.0.0``), with
``jsonschema``, not a hand copy.

The files are Swagger 2.0, whose definitions are JSON Schema draft 4 plus one habit: an error
definition "extends" another with ``allOf: [parent]`` beside its own ``properties`` (e.g.
``BadRequestConsent`` widens ``BadRequest``'s ``errorCode`` enum with InvalidConsentPurpose).
Read as plain JSON Schema, ``allOf`` intersects the two enums and no domain code could ever
validate; so ``_extend`` reads it as the spec means it: the parent's schema with the child's
properties in place of the parent's, and both ``required`` lists.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator, FormatChecker

SPECS = Path(__file__).resolve().parents[2] / "specs" / "rebit-aa-2.0.0"


def _extend(defs: dict[str, Any], schema: Any) -> Any:
    if isinstance(schema, list):
        return [_extend(defs, s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {k: _extend(defs, v) for k, v in schema.items() if k not in ("xml", "example")}
    parents = schema.get("allOf")
    if parents and "properties" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for parent in parents:
            ref = parent.get("$ref", "")
            base = _extend(defs, defs[ref.rsplit("/", 1)[1]]) if ref else parent
            merged["properties"].update(copy.deepcopy(base.get("properties", {})))
            merged["required"] += base.get("required", [])
        merged["properties"].update(schema["properties"])
        merged["required"] = sorted(set(merged["required"]) | set(schema.get("required", [])))
        return merged
    return schema


@cache
def _definitions(file: str) -> dict[str, Any]:
    raw = yaml.safe_load((SPECS / file).read_text())["definitions"]
    return {name: _extend(raw, schema) for name, schema in raw.items()}


@cache
def _spec(file: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((SPECS / file).read_text())
    return loaded


def validate(definition: str, body: Any, *, file: str = "AA_2_0_0.yaml") -> None:
    """Raise ``jsonschema.ValidationError`` unless ``body`` is a ``definition`` of ``file``."""
    root = {"$ref": f"#/definitions/{definition}", "definitions": _definitions(file)}
    Draft4Validator(root, format_checker=FormatChecker()).validate(body)


def response_definition(path: str, method: str, status: int) -> str:
    """The definition the spec names for ``method path`` answering ``status``."""
    op = _spec("AA_2_0_0.yaml")["paths"][path][method.lower()]
    ref: str = op["responses"][str(status)]["schema"]["$ref"]
    return ref.rsplit("/", 1)[1]


def validate_response(path: str, method: str, status: int, body: Any) -> str:
    """Validate an /aa answer against the spec's schema for its path and status; the name."""
    name = response_definition(path, method, status)
    validate(name, body)
    return name
