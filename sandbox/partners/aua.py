"""A partner's AUA credentials for the identity XML wire format (``/uidai/...``).

Derived, not stored: ``ac`` is the first 10 characters of the partner id after ``prt_`` (so the
URL's ``ac`` finds the partner by an indexed prefix of its id), ``sa`` equals ``ac`` (one sub-AUA,
the AUA itself), and the licence key ``lk`` and ASA licence key ``asalk`` are keyed hashes of the
partner id under the sandbox's secret key: stable across restarts and processes, unguessable
without the secret, and two partners sharing an ``ac`` prefix are told apart by their ``asalk``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

PARTNER_PREFIX = "prt_"
AC_LENGTH = 10


@dataclass(frozen=True, slots=True)
class AuaCredentials:
    ac: str
    sa: str
    lk: str
    asalk: str


def _keyed(secret_key: str, purpose: str, partner_id: str) -> str:
    mac = hmac.new(secret_key.encode(), f"aua|{purpose}|{partner_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


def aua_code(partner_id: str) -> str:
    return partner_id.removeprefix(PARTNER_PREFIX)[:AC_LENGTH]


def credentials(secret_key: str, partner_id: str) -> AuaCredentials:
    ac = aua_code(partner_id)
    return AuaCredentials(
        ac=ac,
        sa=ac,
        lk=_keyed(secret_key, "lk", partner_id),
        asalk=_keyed(secret_key, "asalk", partner_id),
    )
