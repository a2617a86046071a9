"""Routes of signed UPI intents and QR codes (NPCI linking spec 1.6): parse, call, answer.

The QR code comes inline with the link (SVG text and base64 PNG) so that one call gives a page
everything it shows; ``GET /v1/upi/intents/keys`` publishes the key a PSP app verifies with.
"""

from __future__ import annotations

from fastapi import APIRouter

from payments.schemas.intent import IntentIn, IntentOut, MerchantKeysOut, ParsedOut, ParseIn
from payments.service import intents
from sandbox.deps import CurrentWorld, State
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/upi/intents", tags=["payments"])


@router.post("", response_model=IntentOut, responses=problems(*AUTHED))
async def build_intent(body: IntentIn, world: CurrentWorld, state: State) -> IntentOut:
    """A signed `upi://pay` link for a verified merchant of your world, with its QR code.

    The link carries the linking spec's parameters (pa, pn, am, mam, cu, tn, tr, mc, url, mode,
    purpose, orgid) and `sign`: ECDSA P-256/SHA-256 over the query string before `&sign=`,
    base64, by your world's merchant key (GET /v1/upi/intents/keys).
    """
    request = intents.prepare(world, body)
    return IntentOut(**await intents.build(state.db, world, request))


@router.post("/parse", response_model=ParsedOut, responses=problems(*AUTHED))
async def parse_intent(body: ParseIn, world: CurrentWorld, state: State) -> ParsedOut:
    """Read a `upi://pay` link as a payer's PSP app does, and verify its signature.

    A link that breaks a rule answers 422 naming the parameter (`link.am`, `link.cu`...) and the
    rule. A well-formed link answers 200: `signatureValid` says whether `sign` verifies with your
    world's key (a changed parameter or another world's link gives false, with a hint), and
    `payment` holds the fields of the POST /v1/upi/pay body that pays it.
    """
    return ParsedOut(**await intents.parse(state.db, world, body.link))


@router.get("/keys", response_model=MerchantKeysOut, responses=problems(*AUTHED))
async def merchant_keys(world: CurrentWorld, state: State) -> MerchantKeysOut:
    """Your world's merchant public keys (a JWK Set, each with its PEM) to verify `sign`.

    The key is made on first use; its private half never leaves the sandbox's database.
    """
    keys = await intents.public_keys(state.db, world)
    return MerchantKeysOut.model_validate({"keys": keys})
