"""An auth request prepared off the unit of work: envelope checks, decryption, PID parsing, the
ts window and Uses against the PID. CPU only, on the event loop: the RSA decryption (~0.3 ms)
holds the GIL in ``cryptography``, so a worker thread would block the loop just the same and add
two thread hops (measured: more CPU than the decryption itself).

The checks run in the spec's order and stop at the first failure, which becomes a ``ret="n"``
answer: ver (540), rc (512), Skey/ci (500/501), Data (502), Hmac (503/564), the PID's own rules
(511, 541, 567, 568, 710-740, 800, 810, 901, 902, 910, 911, 913), ts (561/562), and Uses
against the PID (550, 710, 720, 721, 740, 810, 901).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from identity.crypto import OpenedPid, open_pid
from identity.errors import AuthRefused, InvalidPid
from identity.keys import AuthKey
from identity.models import Pid, Uses
from identity.pid import check_ts, parse_pid_json, parse_pid_xml
from identity.schemas.auth import AuthIn, DataIn
from sandbox.world.context import WorldContext

AUTH_VERSION = "2.5"


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the unit of work needs: the PID (once read) or the refusal that stopped it."""

    uses: Uses
    easy_path: bool
    pid: Pid | None = None
    refused: AuthRefused | None = None

    def replay_key(self, txn: str) -> str | None:
        """``txn|ts`` once the ts passed its window: a second request with it is a replay."""
        if self.pid is None or (self.refused is not None and self.refused.code in {"561", "562"}):
            return None
        return f"{txn}|{self.pid.ts}"


def uses_of(body: AuthIn) -> Uses:
    u = body.uses
    return Uses(
        pi=u.pi == "y",
        pa=u.pa == "y",
        pfa=u.pfa == "y",
        bio=u.bio == "y",
        bt=u.bt,
        pin=u.pin == "y",
        otp=u.otp == "y",
    )


async def prepare(world: WorldContext, body: AuthIn, key: AuthKey | None) -> Prepared:
    """``key`` is the authority's auth key (None on the easy path, which needs none)."""
    uses = uses_of(body)
    easy = body.pid is not None
    pid: Pid | None = None
    try:
        _check_envelope(body)
        if body.pid is not None:
            pid = parse_pid_json(body.pid)
        else:
            assert key is not None
            assert body.data is not None
            opened = _open(key, body)
            pid = _parse(opened, body.data)
        check_ts(pid.ts, world.now_us)
        check_uses(uses, pid)
    except AuthRefused as refused:
        return Prepared(uses, easy, pid, refused)
    return Prepared(uses, easy, pid)


def fingerprint(world: WorldContext, body: AuthIn, keys: Sequence[object]) -> str:
    """The request's idempotency fingerprint, computed only when it has a key to store it under
    (most auth requests have none: ``txn`` is the replay guard, not an idempotency key)."""
    if not keys:
        return ""
    return world.fingerprint("identity.auth", body.model_dump(mode="json", by_alias=True))


def _check_envelope(body: AuthIn) -> None:
    if body.ver != AUTH_VERSION:
        raise AuthRefused("540", f"Auth ver is {body.ver!r}, expected {AUTH_VERSION!r}")
    if body.rc != "Y":
        raise AuthRefused("512", f'rc is {body.rc!r}: the resident\'s consent must be "Y"')


def _open(key: AuthKey, body: AuthIn) -> OpenedPid:
    assert body.skey is not None
    assert body.data is not None
    assert body.hmac is not None
    return open_pid(
        key, ci=body.skey.ci, skey=body.skey.value, data=body.data.value, hmac=body.hmac
    )


def _parse(opened: OpenedPid, data: DataIn) -> Pid:
    if data.type == "X":
        pid = parse_pid_xml(opened.pid)
    else:
        pid = parse_pid_json(_json_object(opened.pid))
    if pid.ts != opened.ts:
        raise InvalidPid(
            "511",
            f"Pid ts {pid.ts!r} differs from the ts {opened.ts!r} prepended to Data",
            hint="Prepend the PID's own ts attribute to the cipher text.",
        )
    return pid


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPid("511", f"the type J PID is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidPid("511", "the type J PID must be a JSON object")
    return document


def check_uses(uses: Uses, pid: Pid) -> None:
    """Uses against the PID: each factor declared is present, and nothing present undeclared."""
    demo = pid.demo
    sent = {
        "pi": demo is not None and demo.pi is not None,
        "pa": demo is not None and demo.pa is not None,
        "pfa": demo is not None and demo.pfa is not None,
        "otp": pid.pv is not None and pid.pv.otp is not None,
        "bio": bool(pid.bios),
    }
    declared = {"pi": uses.pi, "pa": uses.pa, "pfa": uses.pfa, "otp": uses.otp, "bio": uses.bio}
    if not any(declared.values()) and not uses.pin:
        raise AuthRefused("901", "Uses declares no factor (every attribute is n)")
    if uses.pin:
        raise AuthRefused(
            "550",
            'Uses pin="y": the sandbox has no resident PINs',
            hint='Set pin="n" and authenticate with otp="y" (or pi, pa, pfa).',
        )
    for factor, code in (("pi", "710"), ("pa", "720"), ("pfa", "721"), ("otp", "740")):
        if declared[factor] and not sent[factor]:
            raise AuthRefused(code, f'Uses {factor}="y" but the PID has no {factor} data')
    if uses.bio and not sent["bio"]:
        raise AuthRefused("810", 'Uses bio="y" but the PID has no Bios')
    if uses.bio and not uses.bt:
        raise AuthRefused("550", 'Uses bio="y" without bt', hint="Name the bio types in bt.")
    for factor, present in sent.items():
        if present and not declared[factor]:
            raise AuthRefused(
                "550",
                f'the PID has {factor} data but Uses {factor}="n"',
                hint=f'Set {factor}="y" in Uses, or leave that data out of the PID.',
            )
