"""What the OTP and auth flows share about a resident: looking the number up, its UID token for
a partner, and the masked forms a partner may see. No full number ever leaves this module except
to the store."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from sqlalchemy.engine import Connection
from stdnum import verhoeff

from identity.errors import AuthRefused
from sandbox.world.context import WorldContext
from sandbox.world.store import PopulationStore


def find_resident(conn: Connection, world: WorldContext, uid: str) -> Any:
    """The resident's row, or 998 A201 (a bad check digit or a number not in this world)."""
    if not verhoeff.is_valid(uid):
        raise AuthRefused(
            "998",
            f"{mask_uid(uid)} fails the Verhoeff check digit",
            actn="A201",
            hint="Aadhaar numbers end with a Verhoeff check digit: copy a persona's uid from "
            "GET /v1/sandbox/personas.",
        )
    row = PopulationStore(conn, world.id).resident(uid)
    if row is None:
        raise AuthRefused(
            "998",
            f"No resident {mask_uid(uid)} in your world",
            actn="A201",
            hint="Use a persona's uid (GET /v1/sandbox/personas), e.g. 999999990019 (asha).",
        )
    return row


def uid_token(world: WorldContext, uid: str) -> str:
    """The partner's UID token of a resident: stable for (world, number), different in another
    partner's world; 52 characters A-Z and 2-7."""
    digest = hmac.new(
        world.secret_key.encode(), f"uid-token|{world.id}|{uid}".encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=")


def mask_uid(uid: str) -> str:
    return "X" * max(len(uid) - 4, 0) + uid[-4:]


def mask_mobile(mobile: str | None) -> str | None:
    """``+919876500001`` -> ``XXXXXX0001`` (the national number, all but the last 4 hidden)."""
    if mobile is None:
        return None
    digits = "".join(ch for ch in mobile if ch.isdigit())[-10:]
    return "X" * (len(digits) - 4) + digits[-4:]


def mask_email(email: str | None) -> str | None:
    """``asha.verma@example.com`` -> ``aXXXXXXXXa@example.com``."""
    if email is None:
        return None
    local, _, domain = email.partition("@")
    if len(local) <= 2:
        return "X" * len(local) + "@" + domain
    return local[0] + "X" * (len(local) - 2) + local[-1] + "@" + domain
