"""Base pydantic models for the wire: camelCase JSON, inputs forbid unknown fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class InputModel(BaseModel):
    """A request body: camelCase names, unknown fields refused, strings stripped."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        extra="forbid",
        str_strip_whitespace=True,
        frozen=True,
    )


class OutputModel(BaseModel):
    """A response body: camelCase names."""

    model_config = ConfigDict(
        alias_generator=to_camel, serialize_by_alias=True, validate_by_name=True
    )
