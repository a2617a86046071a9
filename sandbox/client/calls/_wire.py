"""What every domain's calls share: leaving members out (``UNSET``, ``None``), amounts,
idempotency keys, and the AA spec's way of writing time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final[Any] = _Unset()
AA_VERSION = "2.0.0"
IST = timedelta(hours=5, minutes=30)

Amount = str | Decimal


def amount_text(value: Amount | None) -> str | None:
    return None if value is None else str(value)


def drop(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body without its None members (optional members left out)."""
    return {k: v for k, v in body.items() if v is not None}


def set_only(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body without its ``UNSET`` members (``None`` stays: it clears the member)."""
    return {k: v for k, v in body.items() if v is not UNSET}


def idem(key: str | None) -> dict[str, str] | None:
    return {"Idempotency-Key": key} if key else None


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def stamp(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, as the AA spec's examples write it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
