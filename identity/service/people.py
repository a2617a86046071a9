"""What the OTP, auth and VID flows share about a resident: looking up what an AUA sends as
``uid`` (the number, a VID or a UID token), its UID token for a partner, and the masked forms a
partner may see. No full number ever leaves this module except to the store."""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy.engine import Connection
from stdnum import verhoeff

from identity.errors import AuthRefused
from identity.models import VidStatus
from identity.store import TokenStore, VidStore
from sandbox.kit.clock import iso
from sandbox.world.context import WorldContext
from sandbox.world.store import PopulationStore, ResidentRow

UID_LENGTH = 12
VID_LENGTH = 16


def find_resident(conn: Connection, world: WorldContext, uid: str) -> ResidentRow:
    """The resident's row for what an AUA sends as ``uid``: 12 digits are the number, 16 a VID
    (515 unknown, revoked or replaced; 517 expired), anything else a UID token this partner was
    given (514). A bad check digit, or digits of another length, is 998 A201."""
    if uid.isascii() and uid.isdigit():
        if not (len(uid) in (UID_LENGTH, VID_LENGTH) and verhoeff.is_valid(uid)):
            raise AuthRefused(
                "998",
                f"{mask_uid(uid)} fails the Verhoeff check digit"
                if len(uid) in (UID_LENGTH, VID_LENGTH)
                else f"{mask_uid(uid)} has {len(uid)} digits: a number has 12, a VID 16",
                actn="A201",
                hint="Aadhaar numbers and VIDs end with a Verhoeff check digit: copy a "
                "persona's uid from GET /v1/sandbox/personas, or the vid of "
                "POST /v1/identity/vids.",
            )
        number = _vid_uid(conn, world, uid) if len(uid) == VID_LENGTH else uid
        return _resident(conn, world, number, shown=uid)
    tokened = TokenStore(conn, world.id).uid_of(uid)
    if tokened is None:
        raise AuthRefused(
            "514",
            "This uid is neither 12 digits, 16 digits nor a UID token you were given",
            hint="A UID token is the 52-character info.uidToken of one of your auth answers; "
            "another partner's tokens are unknown to you. Or send the number or a VID.",
        )
    return _resident(conn, world, tokened, shown=uid)


def _vid_uid(conn: Connection, world: WorldContext, vid: str) -> str:
    """The number a VID stands for, when it is active and unexpired (world time)."""
    found = VidStore(conn, world.id).get(vid)
    if found is None or found.status is not VidStatus.ACTIVE:
        why = "not a VID of your world" if found is None else f"{found.status.lower()}"
        raise AuthRefused(
            "515",
            f"VID {mask_uid(vid)} is {why}",
            hint="Generate a VID after an OTP (POST /v1/identity/vids); a newer VID replaces "
            "the older one, and a revoked VID stays invalid.",
        )
    if world.now_us >= found.expires_us:
        raise AuthRefused(
            "517",
            f"VID {mask_uid(vid)} expired at {iso(found.expires_us)} (world time)",
            hint="A VID lasts a year of world time: generate a new one after an OTP "
            "(POST /v1/identity/vids) and use that.",
        )
    return found.uid


def _resident(conn: Connection, world: WorldContext, uid: str, *, shown: str) -> ResidentRow:
    row = PopulationStore(conn, world.id).resident(uid)
    if row is None:
        raise AuthRefused(
            "998",
            f"No resident {mask_uid(shown)} in your world",
            actn="A201",
            hint="Use a persona's uid (GET /v1/sandbox/personas), e.g. 999999990019 (asha).",
        )
    return row


def issue_token(conn: Connection, world: WorldContext, uid: str) -> str:
    """The partner's UID token of a resident, remembered so it can be sent back as ``uid``.
    On the SQLite writer, a token kept once is held in its memory (``TokenStore``): no HMAC and
    no insert on the next auth of the same resident."""
    store = TokenStore(conn, world.id)
    token = store.kept(uid)
    if token is None:
        token = uid_token(world, uid)
        store.keep(token, uid, world.now_us)
    return token


def uid_token(world: WorldContext, uid: str) -> str:
    """The partner's UID token of a resident: stable for (world, number), different in another
    partner's world; 52 characters A-Z and 2-7."""
    digest = hmac.new(
        world.secret_key.encode(), f"uid-token|{world.id}|{uid}".encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=")


def mask_uid(uid: str) -> str:
    """All but the last 4 hidden; a UID token is shown as a VID would be (16 characters)."""
    return "X" * max(min(len(uid), VID_LENGTH) - 4, 0) + uid[-4:]


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
