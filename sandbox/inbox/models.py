"""An inbox message. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    to: str
    channel: Channel
    subject: str
    body: str
    created_us: int  # world time


def normalise_address(to: str, calling_code: str) -> str:
    """The stored form of an address: an e-mail in lower case; a mobile in E.164 (a national
    number gets the world's calling code, spaces and dashes go)."""
    to = to.strip()
    if "@" in to:
        return to.lower()
    digits = "".join(ch for ch in to if ch.isdigit())
    if to.startswith("+"):
        return "+" + digits
    if to.startswith("00"):
        return "+" + digits[2:]
    return calling_code + digits
