"""The XML wire format at the spec's URL shapes: an AUA whose host is set to ``<sandbox>/uidai``
works unchanged. No Bearer key: the URL's ``ac`` and ``asalk`` and the document's ``lk``
authenticate, as with the real authority. Every answer is 200 ``application/xml``, signed with
an enveloped XML signature (eKYC's: the ``<KycRes>`` inside ``<Resp>``); a ret n answer carries
its hint in the ``X-Sandbox-Hint`` header (``<AuthRes>`` has no attribute for it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from identity import xmlsig
from identity.api.common import IdempotencyKey
from identity.errors import AuthRefused
from identity.service import xml
from sandbox.deps import Keys, State, within_rate_limit
from sandbox.keys.ring import KeyRing
from sandbox.kit.responses import problems
from sandbox.world.context import WorldContext

router = APIRouter(prefix="/uidai", tags=["identity XML"])

HINT_HEADER = "X-Sandbox-Hint"
XML = "application/xml"


def _body(example: str) -> dict[str, Any]:
    """The request body, read raw (no model): documented here for the OpenAPI. Not required at
    the HTTP level: as at UIDAI, every refusal (an empty body included) is answered in the XML
    (200, ret n and an err code), not with an HTTP error."""
    return {
        "requestBody": {
            "required": False,
            "content": {XML: {"schema": {"type": "string"}, "example": example}},
        }
    }


def _responses(root: str) -> dict[int | str, dict[str, Any]]:
    return {
        **problems(422, 429),
        200: {
            "description": f"<{root}Res ret code txn ts err? actn? info?> with an enveloped "
            "XML signature (rsa-sha256, exclusive c14n, X509Data of the sandbox's signing "
            f"key); ret n with `err` for every refusal, its hint in `{HINT_HEADER}`.",
            "content": {XML: {"schema": {"type": "string"}}},
            "headers": {
                HINT_HEADER: {
                    "description": "With ret n: what to change.",
                    "schema": {"type": "string"},
                }
            },
        },
    }


AUTH_EXAMPLE = (
    '<Auth uid="999999990019" rc="Y" ac="{ac}" sa="{ac}" ver="2.5" txn="demo-1" lk="{lk}">'
    '<Uses pi="n" pa="n" pfa="n" bio="n" pin="n" otp="y"/><Meta/>'
    '<Skey ci="20281129">...</Skey><Data type="X">...</Data><Hmac>...</Hmac></Auth>'
)
OTP_EXAMPLE = (
    '<Otp uid="999999990019" ac="{ac}" sa="{ac}" ver="2.5" txn="demo-1" lk="{lk}" type="A" '
    'ts="2026-11-29T19:00:44"><Opts ch="01"/></Otp>'
)
KYC_EXAMPLE = '<Kyc ver="2.5" ra="O" rc="Y" lr="N" de="N" pfr="N"><Rad>PEF1dGggLi4u</Rad></Kyc>'
_AUTH_BODY, _AUTH_RESPONSES = _body(AUTH_EXAMPLE), _responses("Auth")
_OTP_BODY, _OTP_RESPONSES = _body(OTP_EXAMPLE), _responses("Otp")
_KYC_BODY = _body(KYC_EXAMPLE)
_KYC_RESPONSES: dict[int | str, dict[str, Any]] = {
    **problems(422, 429),
    200: {
        "description": '<Resp status="0|-1" ko="KUA|KSA"? ret code txn ts err?><kycRes>: '
        "base64 of the <KycRes ret code txn ts ttl err? actn?> (with <Rar>, the signed "
        "<AuthRes>, and on ret y <UidData uid> with Poi, Poa, LData, Pht) that carries an "
        "enveloped XML signature of the sandbox; on ret y encrypted to your registered "
        'encryption certificate first (ko="KUA"; not with de="Y": ko="KSA").',
        "content": {XML: {"schema": {"type": "string"}}},
        "headers": {
            HINT_HEADER: {
                "description": "With ret n: what to change.",
                "schema": {"type": "string"},
            }
        },
    },
}
_PATH = "2.5/{ac}/{uid0}/{uid1}/{asalk}"


def _reply(answer: xml.Answer, keys: KeyRing) -> Response:
    key = keys.signing_key
    body = xmlsig.sign(
        answer.element, key.private, xmlsig.response_certificate(key.private, key.kid)
    )
    headers = {HINT_HEADER: _header_safe(answer.hint)} if answer.hint else None
    return Response(body, media_type=XML, headers=headers)


def _signer(keys: KeyRing) -> xml.Signer:
    key = keys.signing_key
    certificate = xmlsig.response_certificate(key.private, key.kid)
    return lambda element: xmlsig.sign(element, key.private, certificate)


def _header_safe(text: str) -> str:
    return text.encode("ascii", "replace").decode().replace("\r", " ").replace("\n", " ")


async def _world(state: State, url: xml.Url, read: xml.Read) -> WorldContext | xml.Answer:
    try:
        world = await xml.world_of(state.db, state.settings, url, state.clock)
    except AuthRefused as refused:
        return read.refusal(refused, state.clock.now_us())
    await within_rate_limit(state, f"aua:{world.partner.id}", "This AUA")
    return world


@dataclass(frozen=True, slots=True)
class Envelope:
    """What every XML route starts from: the URL's credentials, the document read as ``root``,
    and the world they select, or the refusal (an ``xml.Answer``) when they select none."""

    url: xml.Url
    read: xml.Read
    world: WorldContext | xml.Answer


def _envelope(root: str) -> Callable[..., Awaitable[Envelope]]:
    """The dependency that reads the URL and the ``<root>`` document of a route."""

    async def envelope(
        ac: str, uid0: str, uid1: str, asalk: str, request: Request, state: State
    ) -> Envelope:
        url = xml.Url(ac, uid0, uid1, asalk)
        read = xml.Read(await request.body(), root)
        return Envelope(url, read, await _world(state, url, read))

    return envelope


AuthEnvelope = Annotated[Envelope, Depends(_envelope("Auth"))]
OtpEnvelope = Annotated[Envelope, Depends(_envelope("Otp"))]
KycEnvelope = Annotated[Envelope, Depends(_envelope("Kyc"))]


@router.post(
    f"/auth/{_PATH}",
    response_class=Response,
    openapi_extra=_AUTH_BODY,
    responses=_AUTH_RESPONSES,
)
@router.post(
    f"/{_PATH}",
    response_class=Response,
    openapi_extra=_AUTH_BODY,
    responses=_AUTH_RESPONSES,
)
async def auth_xml(
    envelope: AuthEnvelope, state: State, keys: Keys, idempotency_key: IdempotencyKey = None
) -> Response:
    """Auth API 2.5 in XML, at the spec's URL (no `auth` segment) and under `/uidai/auth/`:
    `<Auth uid rc ac sa ver txn lk>` with `<Uses>`, `<Meta>` or `<Device>`, `<Skey ci>`,
    `<Data type="X">`, `<Hmac>` (see `identity.client.auth_xml`); the same decision as POST
    /v1/identity/auth. `ac`, `sa`, `lk` and `asalk` are your AUA credentials (GET
    /v1/partners/me); `uid0`/`uid1` are the first two characters of uid."""
    world, url, read = envelope.world, envelope.url, envelope.read
    if isinstance(world, xml.Answer):
        return _reply(world, keys)
    answer = await xml.authenticate(
        state.db, state.settings, state.clock, world, url, read, idempotency_key=idempotency_key
    )
    return _reply(answer, keys)


@router.post(
    f"/otp/{_PATH}",
    response_class=Response,
    openapi_extra=_OTP_BODY,
    responses=_OTP_RESPONSES,
)
async def otp_xml(
    envelope: OtpEnvelope, state: State, keys: Keys, idempotency_key: IdempotencyKey = None
) -> Response:
    """OTP API 2.5 in XML: `<Otp uid ac sa ver txn lk type ts><Opts ch="01"/></Otp>`; the same
    service as POST /v1/identity/otp (the OTP goes to GET /v1/sandbox/inbox)."""
    world, url, read = envelope.world, envelope.url, envelope.read
    if isinstance(world, xml.Answer):
        return _reply(world, keys)
    answer = await xml.request_otp(
        state.db, state.settings, world, url, read, idempotency_key=idempotency_key
    )
    return _reply(answer, keys)


@router.post(
    f"/kyc/{_PATH}",
    response_class=Response,
    openapi_extra=_KYC_BODY,
    responses=_KYC_RESPONSES,
)
async def kyc_xml(
    envelope: KycEnvelope, state: State, keys: Keys, idempotency_key: IdempotencyKey = None
) -> Response:
    """eKYC API 2.5 in XML: `<Kyc ver="2.5" ra rc lr de pfr><Rad>` base64 of the signed `<Auth>`
    (whose PID carries wadh = base64(SHA-256(ver+ra+rc+lr+de+pfr)); see
    `identity.client.kyc_xml`), the same decision as POST /v1/identity/ekyc. The answer is
    `<Resp status ko ret code txn ts err><kycRes>`, kycRes being the signed `<KycRes>`: encrypted
    to your registered encryption certificate (POST /v1/partners/me/certificates, use
    "encryption") when de is N, in the clear otherwise."""
    world, url, read = envelope.world, envelope.url, envelope.read
    sign = _signer(keys)
    if isinstance(world, xml.Answer):
        return _reply_kyc(xml.kyc_refusal(world, sign))
    answer = await xml.kyc(
        state.db,
        state.settings,
        state.clock,
        world,
        url,
        read,
        sign,
        idempotency_key=idempotency_key,
    )
    return _reply_kyc(answer)


def _reply_kyc(answer: xml.KycAnswer) -> Response:
    headers = {HINT_HEADER: _header_safe(answer.hint)} if answer.hint else None
    return Response(answer.document, media_type=XML, headers=headers)
