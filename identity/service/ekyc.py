"""eKYC API 2.5: authenticate as ``POST /v1/identity/auth`` does, and on ret y release the
resident's data (Poi, Poa, LData, Pht).

The decision is auth's (``identity.service.auth.decide``) with an eKYC ``Flavour``: the txn goes
into the "UKC:" namespace, a ret y is announced as ``identity.ekyc`` (a refusal stays
``identity.failed``), and once the PID is read two checks run before the factors: every factor
``ra`` names must be in the Uses (550), and the PID's ``wadh`` must be
base64(SHA-256(ver+ra+rc+lr+de+pfr)) (552 when missing or different). The record in
``auth_records`` is auth's, told apart by its "UKC:" txn. The photo is added after the unit of
work (it is drawn from the number, so an idempotent replay gets the same one) and is never kept
in the idempotency record.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from datetime import date
from functools import partial
from typing import Any

from cryptography import x509
from sqlalchemy.engine import Connection

from identity.crypto import jwe_to
from identity.errors import AuthRefused
from identity.models import Pid, Resident, Uses
from identity.photos import face_jpeg
from identity.schemas.auth import AuthOut
from identity.schemas.ekyc import EkycIn, EkycOut, LDataOut, PoaOut, PoiOut, UidDataOut
from identity.service.auth import Flavour, decide, ist
from identity.service.people import find_resident
from identity.service.prepare import Prepared, fingerprint
from identity.store import certificates
from sandbox.errors import SandboxError
from sandbox.storage.database import Database
from sandbox.storage.idempotency import keys_for, write_once
from sandbox.world.context import WorldContext

EVENT = "identity.ekyc"
TTL_US = 365 * 86_400 * 1_000_000  # how long the KUA may keep the data (world time)
LOCAL_SCRIPT_LANG = "06"  # names in a local script are enrolled in Devanagari (Hindi)

_FACTORS = {
    "O": ("the OTP", 'otp="y"'),
    "F": ("fingerprints", 'bio="y" with bt FMR or FIR'),
    "I": ("irises", 'bio="y" with bt IIR'),
    "P": ("the face", 'bio="y" with bt FID'),
}
_BIO_TYPES = {"F": {"FMR", "FIR"}, "I": {"IIR"}, "P": {"FID"}}


def wadh_of(terms: str) -> str:
    """base64(SHA-256(ver+ra+rc+lr+de+pfr)), e.g. of ``2.5FYNNN``."""
    return base64.b64encode(hashlib.sha256(terms.encode()).digest()).decode("ascii")


async def ekyc(
    db: Database,
    world: WorldContext,
    body: EkycIn,
    prepared: Prepared,
    *,
    idempotency_key: str | None,
) -> EkycOut:
    code = uuid.uuid4().hex
    flavour = Flavour(txn=body.kyc_txn(), event=EVENT, check=partial(check_kyc, body))

    def effect(conn: Connection) -> tuple[int, dict[str, Any]] | SandboxError:
        answer = decide(conn, world, body, prepared, code, flavour)
        return 200, _kyc_answer(conn, world, body, answer)

    keys = keys_for(idempotency_key, None)
    done = await write_once(
        db,
        world.id,
        keys=keys,
        fingerprint=fingerprint(world, body, keys),
        operation="POST /v1/identity/ekyc",
        now_us=world.now_us,
        effect=effect,
    )
    content = dict(done.body)
    if content.get("uidData") is not None:
        photo = await face_jpeg(content["uidData"]["uid"])
        content["uidData"] = {**content["uidData"], "pht": base64.b64encode(photo).decode()}
    return EkycOut.model_validate(content)


async def kua_certificate(db: Database, world: WorldContext) -> x509.Certificate | None:
    """The partner's registered encryption certificate (POST /v1/partners/me/certificates
    with use "encryption"), or None."""
    row = await db.read(lambda conn: certificates.get(conn, world.partner.id, "encryption"))
    return None if row is None else x509.load_pem_x509_certificate(row.pem.encode())


def encrypted_to_kua(body: EkycIn, certificate: x509.Certificate | None) -> bool:
    """Whether the answer goes out encrypted: a certificate is registered and de is not Y."""
    return certificate is not None and body.de == "N"


async def encrypt_for_kua(
    db: Database, world: WorldContext, body: EkycIn, answer: EkycOut
) -> EkycOut:
    """The JSON answer with ``uidData`` as a compact JWE to the KUA's key (when it registered
    one and de is N): the plaintext is ``uidData`` as JSON, photo included."""
    if not isinstance(answer.uid_data, UidDataOut):
        return answer
    certificate = await kua_certificate(db, world)
    if certificate is None or not encrypted_to_kua(body, certificate):
        return answer
    plain = answer.uid_data.model_dump_json(by_alias=True).encode()
    return answer.model_copy(update={"uid_data": jwe_to(plain, certificate)})


def check_kyc(body: EkycIn, pid: Pid, uses: Uses) -> None:
    """550 when ``ra`` names a factor the Uses lack; 552 when the wadh is missing or hashes
    other terms than this request's."""
    for factor in body.ra:
        if not _declared(factor, uses):
            what, needs = _FACTORS[factor]
            raise AuthRefused(
                "550",
                f'ra "{body.ra}" names {what} ({factor}), which the uses do not declare',
                hint=f"ra {factor} needs uses {needs}; ra names the factors the PID carries "
                "(O otp, F fingerprints, I irises, P face).",
            )
    terms = body.wadh_input()
    expected = wadh_of(terms)
    how = f'base64(SHA-256("{terms}")) = {expected} (ver+ra+rc+lr+de+pfr of this request)'
    if pid.wadh is None:
        raise AuthRefused("552", "The PID has no wadh; an eKYC PID must carry one", hint=how)
    if _decoded(pid.wadh) != base64.b64decode(expected):
        raise AuthRefused(
            "552", f'Pid wadh is not the hash of "{terms}"', hint=f"Set Pid wadh to {how}."
        )


def _declared(factor: str, uses: Uses) -> bool:
    if factor == "O":
        return uses.otp
    types = {t.strip().upper() for t in (uses.bt or "").replace(" ", ",").split(",")}
    return uses.bio and bool(types & _BIO_TYPES[factor])


def _decoded(wadh: str) -> bytes | None:
    try:
        return base64.b64decode("".join(wadh.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _kyc_answer(
    conn: Connection, world: WorldContext, body: EkycIn, answer: AuthOut
) -> dict[str, Any]:
    """The eKYC answer without its photo: auth's answer, plus ttl and uidData on ret y."""
    content: dict[str, Any] = answer.model_dump(mode="json", by_alias=True)
    if answer.ret != "y":
        return content
    row = find_resident(conn, world, body.uid)
    resident = Resident.from_row(row.mapping())
    local = None
    if body.lr == "Y" and resident.name_local:
        local = LDataOut(lang=LOCAL_SCRIPT_LANG, name=resident.name_local)
    poi = PoiOut(
        name=resident.name,
        dob=_ekyc_date(resident.dob),
        gender=resident.gender,
        phone=_national(resident.phone),
        email=resident.email,
    )
    a = resident.address
    poa = PoaOut(
        co=a.co,
        house=a.house,
        street=a.street,
        lm=a.lm,
        loc=a.loc,
        vtc=a.vtc,
        subdist=a.subdist,
        dist=a.dist,
        state=a.state,
        pc=a.pc,
        po=a.po,
        country=a.country,
    )
    uid_data = {
        "uid": row.uid,
        "poi": poi.model_dump(mode="json", by_alias=True),
        "poa": poa.model_dump(mode="json", by_alias=True),
        "ldata": None if local is None else local.model_dump(mode="json", by_alias=True),
    }
    return {**content, "ttl": ist(world.now_us + TTL_US), "uidData": uid_data}


def _ekyc_date(dob: str) -> str:
    """``1990-08-14`` -> ``14-08-1990`` (a year alone stays as it is)."""
    return date.fromisoformat(dob).strftime("%d-%m-%Y") if len(dob) == 10 else dob


def _national(mobile: str | None) -> str | None:
    """``+919876500001`` -> ``9876500001``: the number as eKYC writes it."""
    if mobile is None:
        return None
    return "".join(ch for ch in mobile if ch.isdigit())[-10:]
