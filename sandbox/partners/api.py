"""Routes of partners: self-serve signup, the caller's own record, key rotation."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sandbox.deps import CurrentCaller, CurrentWorld, State
from sandbox.kit import secrets
from sandbox.kit.clock import iso
from sandbox.kit.responses import AUTHED, problems
from sandbox.ops.ratelimit import retry_after
from sandbox.partners import aua, service
from sandbox.partners.errors import SignupClosed, TooManyRequests
from sandbox.partners.models import Partner
from sandbox.partners.schemas import (
    AuaOut,
    KeyRotated,
    PartnerCreate,
    PartnerCreated,
    PartnerPublic,
    PartnerUpdate,
)
from sandbox.population.countries import get_country

router = APIRouter(prefix="/v1/partners", tags=["partners"])


@router.post(
    "",
    status_code=201,
    response_model=PartnerCreated,
    responses=problems(403, 422, 429),
    summary="Sign up: get an API key and a world of your own",
)
async def create_partner(body: PartnerCreate, request: Request, state: State) -> PartnerCreated:
    """Self-serve signup. The API key and webhook secret are shown once; store them."""
    await _check_signup_allowed(request, state)
    result = await service.sign_up(
        state.db,
        state.settings,
        name=body.name,
        contact_email=str(body.contact_email),
        webhook_url=str(body.webhook_url) if body.webhook_url else None,
        country=body.country,
        clock=state.clock,
    )
    partner = result.partner
    return PartnerCreated(
        partner_id=partner.id,
        api_key=result.api_key,
        webhook_secret=partner.webhook_secret,
        standard_webhooks_secret=secrets.standard_webhook_secret(partner.webhook_secret),
        country=partner.country,
        currency=get_country(partner.country).currency,
        aua=_aua(state, partner.id),
        next_steps=[
            "GET /v1/sandbox/personas with `Authorization: Bearer <apiKey>` lists your test people",
            "GET /docs has every endpoint with working examples",
        ],
    )


async def _check_signup_allowed(request: Request, state: State) -> None:
    settings = state.settings
    if settings.signup == "admin":
        given = request.headers.get("authorization", "")
        if not secrets.matches(given, f"Bearer {settings.admin_token}"):
            raise SignupClosed(
                "Self-signup is closed on this sandbox; an organiser creates partners.",
                hint="Ask the organiser, or send `Authorization: Bearer <SANDBOX_ADMIN_TOKEN>`.",
            )
        return
    client = request.client.host if request.client else "unknown"
    wait = await state.signup_limiter.acquire(client)
    if wait:
        raise TooManyRequests(
            f"More than {settings.signup_rate_limit_per_minute} signups per minute from {client}.",
            retry_after=retry_after(wait),
            hint="Reuse the API key you already have; POST /v1/sandbox/reset gives a fresh world.",
        )


@router.get("/me", response_model=PartnerPublic, responses=problems(*AUTHED))
async def get_me(caller: CurrentCaller, state: State) -> PartnerPublic:
    """The partner this API key belongs to, with its AUA credentials."""
    return _public(caller.partner, state)


@router.patch("/me", response_model=PartnerPublic, responses=problems(*AUTHED))
async def update_me(body: PartnerUpdate, world: CurrentWorld, state: State) -> PartnerPublic:
    """Change the name, the webhook URL or the fixed-OTP switch (`"fixedOtp": true` makes every
    identity OTP 123456).

    A new `webhookUrl` also applies to the deliveries still queued (due now, with a fresh retry
    budget); `"webhookUrl": null` stops deliveries and marks the queued ones `cancelled`.
    """
    partner = await service.update(
        state.db,
        world,
        webhook_url=str(body.webhook_url) if body.webhook_url else None,
        set_webhook_url="webhook_url" in body.model_fields_set,
        name=body.name,
        fixed_otp=body.fixed_otp,
        callers=state.callers,
    )
    return _public(partner, state)


@router.post("/me/keys", response_model=KeyRotated, status_code=201, responses=problems(*AUTHED))
async def rotate_key(world: CurrentWorld, state: State) -> KeyRotated:
    """Issue a new API key; every older key of this partner stops working at once."""
    api_key = await service.rotate_key(state.db, world, callers=state.callers)
    return KeyRotated(api_key=api_key)


def _aua(state: State, partner_id: str) -> AuaOut:
    found = aua.credentials(state.settings.secret_key, partner_id)
    return AuaOut(ac=found.ac, sa=found.sa, lk=found.lk, asalk=found.asalk)


def _public(p: Partner, state: State) -> PartnerPublic:
    return PartnerPublic(
        partner_id=p.id,
        name=p.name,
        contact_email=p.contact_email,
        webhook_url=p.webhook_url,
        country=p.country,
        currency=get_country(p.country).currency,
        created_at=iso(p.created_us),
        fixed_otp=p.fixed_otp,
        aua=_aua(state, p.id),
    )
