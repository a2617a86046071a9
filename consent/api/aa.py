"""The AA API under ``/aa``, as ReBIT NBFC-AA API 2.0.0 (``AA_2_0_0.yaml``) defines it:
POST /Consent, POST /Consent/handle, POST /Consent/fetch, POST /FI/request, POST /FI/fetch,
GET /Heartbeat. (The deprecated GET /FI/fetch/{sessionId} is not served: 2.0.0's POST /FI/fetch
replaces it.)

Every answer, errors included, is compact JSON with a detached JWS over exactly its bytes in
``x-jws-signature`` (RFC 7797, RS256, the key of /.well-known/jwks.json). Errors take the spec's
body ``{ver, txnid, timestamp, errorCode, errorMsg}``: ``AaRoute`` turns every failure of these
routes (FastAPI's 422 included, only here) into it. The partner's API key is accepted in the
spec's ``client_api_key`` header or as ``Authorization: Bearer``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials
from starlette.exceptions import HTTPException as StarletteHTTPException

from consent import errors
from consent.models import VERSION
from consent.schemas.aa import AaErrorBody, HeartbeatResponse
from consent.schemas.consent import (
    ConsentArtefact,
    ConsentFetchRequest,
    ConsentHandleRequest,
    ConsentHandleResponse,
    ConsentsRequest,
    ConsentsResponse,
)
from consent.schemas.fi import (
    FIFetchRequestModel,
    FIFetchResponseBody,
    FIRequestModel,
    FIResponseBody,
)
from consent.service import fi_fetch, fi_request, reads, requests
from consent.service.settings import check_request_signature
from sandbox.deps import State, bearer, within_rate_limit
from sandbox.errors import IdempotencyConflict, SandboxError
from sandbox.keys import jws
from sandbox.keys.api import signed_json
from sandbox.kit.clock import iso
from sandbox.kit.wire import explain
from sandbox.partners import service as partners
from sandbox.partners.errors import TooManyRequests
from sandbox.state import AppState
from sandbox.storage.idempotency import Answer
from sandbox.world.context import WorldContext

log = logging.getLogger("consent.aa")

client_api_key = APIKeyHeader(
    name="client_api_key",
    auto_error=False,
    scheme_name="client_api_key",
    description="The spec's header for the AA client's key: your API key from POST /v1/partners "
    "(Authorization: Bearer works too).",
)


def _txnid(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return ""
    txnid = body.get("txnid") if isinstance(body, dict) else None
    return txnid[:64] if isinstance(txnid, str) else ""


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def _from_validation(exc: RequestValidationError, raw: bytes) -> errors.AaError:
    try:
        sent = json.loads(raw)
    except ValueError:
        sent = None
    if isinstance(sent, dict) and isinstance(sent.get("ver"), str) and sent["ver"] != VERSION:
        return errors.NoSuchVersion(
            f"ver: {sent['ver'][:20]!r} is not a version this AA serves.",
            hint=f'Send "ver": "{VERSION}" (ReBIT NBFC-AA API 2.0.0).',
        )
    explained = [(_field(e.get("loc", ())), *explain(e)) for e in exc.errors()]
    problems = [f"{field}: {message}" for field, _rule, message, _hint in explained]
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    hints = [hint for *_, hint in explained if hint]
    return errors.InvalidRequest(
        "; ".join(problems[:5]) + more + ".",
        hint=hints[0]
        if len(explained) == 1 and hints
        else "The body must match the spec's schema for this path (see /docs).",
    )


def _as_aa_error(exc: Exception) -> errors.AaError:
    if isinstance(exc, errors.AaError):
        return exc
    if isinstance(exc, IdempotencyConflict):
        return errors.IdempotencyError(exc.detail, hint=exc.hint)
    if isinstance(exc, StarletteHTTPException) and exc.status_code == 400:
        return errors.InvalidRequest(
            "body: cannot be decoded as JSON.",
            hint="Send the body as UTF-8 JSON with Content-Type: application/json.",
        )
    if isinstance(exc, SandboxError) and exc.status == 401:
        return errors.Unauthorized(exc.detail, hint=exc.hint)
    if isinstance(exc, SandboxError):
        return errors.InvalidRequest(exc.detail, hint=exc.hint)
    log.exception("unhandled error in the AA API", exc_info=exc)
    return errors.InternalError(
        "The AA failed to handle this request.", hint="Retry it with the same txnid."
    )


class AaRoute(APIRoute):
    """A route of the AA API: every failure is answered with the spec's signed error body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except TooManyRequests:
                raise  # the platform's 429 with Retry-After (the spec has no code for it)
            except Exception as exc:  # every other failure: the spec's body, signed
                raw = await request.body()
                error = (
                    _from_validation(exc, raw)
                    if isinstance(exc, RequestValidationError)
                    else _as_aa_error(exc)
                )
                state: AppState = request.app.state.sandbox
                world: WorldContext | None = getattr(request.state, "aa_world", None)
                now = world.now_us if world is not None else state.clock.now_us()
                body = {
                    "ver": VERSION,
                    "txnid": _txnid(raw),
                    "timestamp": iso(now),
                    "errorCode": error.error_code,
                    "errorMsg": error.error_msg,
                }
                return signed_json(body, state.keys, status_code=error.status)

        return handler


async def aa_world(
    request: Request,
    api_key: Annotated[str | None, Security(client_api_key)],
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> WorldContext:
    """The caller's world, from ``client_api_key`` or Bearer; then its request signature, if it
    registered a key."""
    state: AppState = request.app.state.sandbox
    authorization = f"Bearer {api_key}" if api_key else request.headers.get("authorization")
    caller = await partners.authenticate(state.db, authorization)
    await within_rate_limit(state, caller.key_id, "This API key")
    world = WorldContext.of(caller.partner, state.settings.secret_key, state.clock)
    request.state.aa_world = world
    if request.method == "POST":
        await check_request_signature(
            state.db, caller.partner, await request.body(), request.headers.get(jws.HEADER)
        )
    return world


AaWorld = Annotated[WorldContext, Depends(aa_world)]
router = APIRouter(prefix="/aa", tags=["Account Aggregator (ReBIT 2.0.0)"], route_class=AaRoute)

_SIGNED = {
    "x-jws-signature": {
        "description": "Detached JWS (RFC 7797, RS256, b64 false) of the response body.",
        "schema": {"type": "string"},
    }
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "The spec's bad-request codes (InvalidRequest, SignatureDoesNotMatch, ...)",
        401: "Unauthorized: no API key, or an unknown one",
        403: "ConsentPaused, ConsentRevoked, ConsentExpired (since the FI request)",
        404: "NoSuchVersion: ver is not 2.0.0",
        409: "IdempotencyError: the txnid was used for another request",
        410: "DataGone: the session's data expired (24 h of world time after the FI request)",
        500: "InternalError",
    }
    return {s: {"model": AaErrorBody, "description": text[s], "headers": _SIGNED} for s in statuses}


def _ok(model: type[Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": "OK", "headers": _SIGNED}}


SIGNATURE_HEADER_DOC = (
    "If you registered a signing key (PUT /v1/partners/me/aa), send `x-jws-signature`: a "
    "detached JWS of the body."
)


def _post(
    path: str, ok: type[Any], statuses: tuple[int, ...], summary: str, description: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A POST route of the AA API: its spec body on 200, its error statuses, the signature
    header documented on both."""
    return router.post(
        path,
        response_class=Response,
        responses={**_ok(ok), **_errors(*statuses)},
        summary=summary,
        description=description,
    )


def _signed(state: AppState, answer: Answer | dict[str, Any]) -> Response:
    """The service's answer as compact JSON with its detached JWS: an ``Answer`` (idempotent
    creations) with its own status, a body with 200."""
    if isinstance(answer, Answer):
        return signed_json(answer.body, state.keys, status_code=answer.status)
    return signed_json(answer, state.keys)


@_post(
    "/Consent",
    ConsentsResponse,
    (400, 401, 404, 409, 500),
    "Request a consent (ConsentsRequest)",
    "A consent request for a customer (`Customer.id`: her AA handle, e.g. "
    "`asha@sandbox-aa`). Answers a `ConsentHandle`; the customer approves or rejects it (here: "
    "POST /v1/sandbox/aa/consents/{handle}/approve). Checked against the spec's rules and the "
    "purpose's fair-use limits. " + SIGNATURE_HEADER_DOC,
)
async def post_consent(body: ConsentsRequest, world: AaWorld, state: State) -> Response:
    command = requests.prepare_request(world, body)
    return _signed(state, await requests.request_consent(state.db, world, command))


@_post(
    "/Consent/handle",
    ConsentHandleResponse,
    (400, 401, 404, 500),
    "The status of a consent request (ConsentHandleRequest)",
    "PENDING, READY (with the consent id), FAILED (rejected) or EXPIRED. " + SIGNATURE_HEADER_DOC,
)
async def post_consent_handle(body: ConsentHandleRequest, world: AaWorld, state: State) -> Response:
    return _signed(state, await reads.handle_status_of(state.db, world, body))


@_post(
    "/Consent/fetch",
    ConsentArtefact,
    (400, 401, 404, 500),
    "The consent artefact (ConsentFetchRequest)",
    "The signed artefact (`signedConsent`: compact JWS, RS256) and its status; "
    "`ConsentUse.logUri` serves its hash-chained log. " + SIGNATURE_HEADER_DOC,
)
async def post_consent_fetch(
    body: ConsentFetchRequest, world: AaWorld, state: State, request: Request
) -> Response:
    base = str(request.base_url)
    return _signed(state, await reads.fetch_artefact(state.db, world, body, base))


@_post(
    "/FI/request",
    FIResponseBody,
    (400, 401, 404, 409, 500),
    "Request the FI data of a consent (FIRequest)",
    "Checks the consent (ACTIVE, Frequency, ONETIME), `Consent.digitalSignature` "
    "(the signature part of `signedConsent`), `FIDataRange` (inside the consent's) and your "
    "`KeyMaterial` (X25519, a 32-byte nonce, an expiry after world time), counts the use and "
    "answers a `sessionId`. The sandbox's FIPs answer at once: `FIStatusNotification` "
    "(accounts READY) goes to `<notificationUrl>/FI/Notification`. Fetch within 24 hours of "
    "world time. " + SIGNATURE_HEADER_DOC,
)
async def post_fi_request(body: FIRequestModel, world: AaWorld, state: State) -> Response:
    command = fi_request.prepare_fi_request(world, body)
    return _signed(state, await fi_request.request_fi(state.db, world, command))


@_post(
    "/FI/fetch",
    FIFetchResponseBody,
    (400, 401, 403, 404, 410, 500),
    "Fetch a session's FI data, encrypted (FIFetchRequest)",
    "Each account's FI document (ReBIT deposit schema, XML), encrypted for the "
    "KeyMaterial of the FI request: per FIP a fresh X25519 key pair and nonce (its "
    "`KeyMaterial` beside its `data`); ECDH, HKDF-SHA256 (salt: the first 20 bytes of the XOR "
    "of the nonces), AES-256-GCM (IV: its last 12 bytes). `fipId` and `linkRefNumber` narrow "
    "it down. The easy path, GET /v1/fi/sessions/{sessionId}/data, answers the same data "
    "decrypted. " + SIGNATURE_HEADER_DOC,
)
async def post_fi_fetch(body: FIFetchRequestModel, world: AaWorld, state: State) -> Response:
    return _signed(state, await fi_fetch.fetch_fi(state.db, world, body))


@router.get(
    "/Heartbeat",
    response_class=Response,
    responses={**_ok(HeartbeatResponse), **_errors(401, 500)},
    summary="Is the AA up",
)
async def heartbeat(world: AaWorld, state: State) -> Response:
    return _signed(state, {"ver": VERSION, "timestamp": iso(world.now_us), "Status": "UP"})
