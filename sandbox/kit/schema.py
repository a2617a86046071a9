"""Base pydantic models for the wire: camelCase JSON, inputs forbid unknown fields."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


def has_nul(value: Any) -> bool:
    """Whether a string anywhere in ``value`` holds a NUL character (PostgreSQL text cannot)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class InputModel(BaseModel):
    """A request body: camelCase names, unknown fields refused, strings stripped, no NULs."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        extra="forbid",
        str_strip_whitespace=True,
        frozen=True,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise PydanticCustomError("string_nul", "must not contain NUL (\\u0000) characters")
        return value


class OutputModel(BaseModel):
    """A response body: camelCase names."""

    model_config = ConfigDict(
        alias_generator=to_camel, serialize_by_alias=True, validate_by_name=True
    )
