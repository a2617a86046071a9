"""A partner's AA settings (PUT /v1/partners/me/aa): the public key its /aa requests are signed
with, and its FIU base URL for the spec's notifications; and the check of a request's
``x-jws-signature`` against that key (SignatureDoesNotMatch, naming the failed check)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import RSAKey
from sqlalchemy.engine import Connection

from consent import errors
from consent.schemas.settings import AaSettingsIn
from consent.service.notify import notification_url
from consent.store import save_settings, settings_of
from sandbox.errors import InvalidRequest
from sandbox.keys import jws
from sandbox.partners.models import Partner
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext


@dataclass(frozen=True, slots=True)
class AaSettings:
    signing_key: dict[str, Any] | None
    notification_url: str | None
    notifications_go_to: str | None


def _check_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    jwk = {k: v for k, v in jwk.items() if v is not None}  # "kid": null is no kid
    try:
        with warnings.catch_warnings():
            # joserfc only warns about a modulus under 2048 bits; the sandbox refuses one.
            warnings.simplefilter("error", SecurityWarning)
            key = RSAKey.import_key(jwk)
    except (JoseError, ValueError, SecurityWarning) as exc:
        raise InvalidRequest(
            "body.signingKey",
            "rsa_jwk",
            f"is not a usable RSA public key ({exc})",
            hint="Send the public JWK of an RSA key of 2048 bits or more: kty, n, e (and kid).",
        ) from None
    public = {str(k): str(v) for k, v in key.as_dict(private=False).items()}
    out = {"kty": "RSA", "n": public["n"], "e": public["e"]}
    if jwk.get("kid"):
        out["kid"] = str(jwk["kid"])
    return out


async def get_settings(db: Database, world: WorldContext) -> AaSettings:
    def unit(conn: Connection) -> AaSettings:
        row = settings_of(conn, world.partner.id)
        return AaSettings(
            row.signing_jwk if row else None,
            row.notification_url if row else None,
            notification_url(conn, world),
        )

    return await db.read(unit)


async def put_settings(db: Database, world: WorldContext, body: AaSettingsIn) -> AaSettings:
    jwk = _check_jwk(body.signing_key.model_dump()) if body.signing_key else None

    def unit(conn: Connection) -> AaSettings:
        save_settings(
            conn,
            world.partner.id,
            signing_jwk=jwk,
            notification_url=body.notification_url,
            now_us=world.real_us,
        )
        return AaSettings(jwk, body.notification_url, notification_url(conn, world))

    return await db.write(unit)


async def check_request_signature(
    db: Database, partner: Partner, body: bytes, signature: str | None
) -> None:
    """If the partner registered a signing key, ``signature`` must be a detached JWS of
    ``body`` under it; SignatureDoesNotMatch otherwise. No key: nothing to check."""
    row = await db.read(lambda conn: settings_of(conn, partner.id))
    if row is None or not row.signing_jwk:
        return
    if not signature:
        raise errors.SignatureDoesNotMatch(
            "x-jws-signature is missing, and you registered a signing key, so every /aa request "
            "of yours must be signed.",
            hint="Send a detached JWS (RS256, b64 false, crit [b64]) of the body, or remove the "
            "key with PUT /v1/partners/me/aa.",
        )
    try:
        jws.verify_detached(signature, body, dict(row.signing_jwk))
    except jws.JwsError as exc:
        raise errors.SignatureDoesNotMatch(
            f"x-jws-signature does not verify ({exc.reason}): {exc}",
            hint="Sign exactly the bytes of the body you send with your registered key.",
        ) from None
