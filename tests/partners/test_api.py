"""Partners: self-serve signup, authentication, key rotation, closed signup, rate limits."""

from __future__ import annotations

import httpx
import pytest

from sandbox.app import create_app
from sandbox.partners.schemas import CountryCode
from sandbox.population.countries import COUNTRIES
from tests.support.http import PROBLEM, SignedUp, client_for, sign_up

pytestmark = pytest.mark.anyio


async def test_signup_returns_key_secret_and_a_world(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/partners", json={"name": "Team A", "contactEmail": "a@example.com", "country": "TT"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["partnerId"].startswith("prt_")
    assert body["apiKey"].startswith("sk_sandbox_")
    assert body["webhookSecret"].startswith("whsec_")
    assert body["currency"] == "TTD"
    me = await client.get("/v1/partners/me", headers={"Authorization": f"Bearer {body['apiKey']}"})
    assert me.status_code == 200
    assert me.json()["partnerId"] == body["partnerId"]
    assert "apiKey" not in me.json()
    assert "webhookSecret" not in me.json()


async def test_api_key_is_stored_hashed(client: httpx.AsyncClient, app: object) -> None:
    import sqlalchemy as sa

    from sandbox.storage.schema import api_keys

    p = await sign_up(client)
    db = app.state.sandbox.db  # type: ignore[attr-defined]
    rows = await db.read(lambda conn: list(conn.execute(sa.select(api_keys))))
    assert rows
    assert all(p.api_key not in (r.key_hash, r.prefix) for r in rows)
    assert all(len(r.key_hash) == 64 for r in rows)


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (None, "no Authorization header"),
        ("Basic abc", "not of the form"),
        ("Bearer sk_sandbox_nope", "unknown"),
    ],
)
async def test_bad_keys_get_401_problems(
    client: httpx.AsyncClient, header: str | None, fragment: str
) -> None:
    headers = {"Authorization": header} if header else {}
    response = await client.get("/v1/sandbox/personas", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert fragment in body["detail"]
    assert body["hint"]
    assert body["requestId"]
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_rotation_revokes_the_old_key(client: httpx.AsyncClient, partner: SignedUp) -> None:
    rotated = await client.post("/v1/partners/me/keys", headers=partner.headers)
    assert rotated.status_code == 201
    new_key = rotated.json()["apiKey"]
    assert new_key != partner.api_key
    old = await client.get("/v1/partners/me", headers=partner.headers)
    assert old.status_code == 401
    new = await client.get("/v1/partners/me", headers={"Authorization": f"Bearer {new_key}"})
    assert new.status_code == 200


async def test_invalid_signup_names_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/partners",
        json={"name": "", "contactEmail": "not-an-email", "country": "XX", "extra": 1},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    fields = {e["field"]: e["rule"] for e in response.json()["errors"]}
    assert fields["body.name"] == "string_too_short"
    assert fields["body.contactEmail"] == "value_error"
    assert fields["body.country"] == "literal_error"
    assert fields["body.extra"] == "extra_forbidden"


async def test_country_codes_match_the_profiles() -> None:
    assert set(CountryCode.__args__) == set(COUNTRIES)  # type: ignore[attr-defined]


async def test_update_webhook_url(client: httpx.AsyncClient, partner: SignedUp) -> None:
    url = "http://127.0.0.1:9/hooks"
    response = await client.patch(
        "/v1/partners/me", json={"webhookUrl": url}, headers=partner.headers
    )
    assert response.status_code == 200
    assert response.json()["webhookUrl"] == url
    cleared = await client.patch(
        "/v1/partners/me", json={"webhookUrl": None}, headers=partner.headers
    )
    assert cleared.json()["webhookUrl"] is None


async def test_closed_signup_needs_the_admin_token(make_settings: object) -> None:
    settings = make_settings(signup="admin", admin_token="a-long-enough-admin-token")  # type: ignore[operator]
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app) as client:
        payload = {"name": "Team", "contactEmail": "t@example.com"}
        closed = await client.post("/v1/partners", json=payload)
        assert closed.status_code == 403
        assert "closed" in closed.json()["detail"]
        wrong = await client.post(
            "/v1/partners", json=payload, headers={"Authorization": "Bearer wrong-token-xxxxxxx"}
        )
        assert wrong.status_code == 403
        ok = await client.post(
            "/v1/partners",
            json=payload,
            headers={"Authorization": "Bearer a-long-enough-admin-token"},
        )
        assert ok.status_code == 201


async def test_per_key_rate_limit_answers_429_with_retry_after(make_settings: object) -> None:
    settings = make_settings(rate_limit_per_second=1.0, rate_limit_burst=3)  # type: ignore[operator]
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app) as client:
        p = await sign_up(client)
        statuses = [(await client.get("/v1/partners/me", headers=p.headers)) for _ in range(5)]
        assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
        limited = statuses[-1]
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["title"] == "Too many requests"
        other = await sign_up(client, name="Other")  # another key has its own bucket
        assert (await client.get("/v1/partners/me", headers=other.headers)).status_code == 200


async def test_signup_rate_limit_per_address(make_settings: object) -> None:
    settings = make_settings(signup_rate_limit_per_minute=2)  # type: ignore[operator]
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app) as client:
        payload = {"name": "Team", "contactEmail": "t@example.com"}
        codes = [(await client.post("/v1/partners", json=payload)).status_code for _ in range(3)]
        assert codes == [201, 201, 429]
