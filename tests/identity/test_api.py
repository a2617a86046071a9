"""Identity over HTTP: the certificate, the inbox, OTP and auth on the easy and the encrypted
path, fixedOtp, auth records, events, and the first OTP authentication end to end."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from fastapi import FastAPI

from identity.keys import AuthKey
from identity.store import keyfile
from sandbox.keys.jws import JwsError, verify_detached
from sandbox.ops import logs
from sandbox.settings import Settings
from tests.support.clock import advance
from tests.support.http import PROBLEM, SignedUp, client_for, sign_up, started
from tests.support.identity import (
    ASHA,
    ASHA_EMAIL,
    ASHA_MOBILE,
    auth,
    certificate,
    easy,
    encrypted,
    inbox,
    pid_json,
    pid_ts,
    read_otp,
    request_otp,
)
from tests.support.webhooks import events, listen

pytestmark = pytest.mark.anyio


async def test_the_certificate_in_json_and_pem(
    client: httpx.AsyncClient, fixed_auth_key: AuthKey
) -> None:
    got = await client.get("/v1/identity/certificate")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["ci"] in fixed_auth_key.accepted_ci
    assert body["notAfter"].endswith("T12:00:00.000Z")
    assert body["certificate"].encode() == fixed_auth_key.certificate_pem()
    for accept in ("application/x-pem-file", "text/plain"):
        pem = await client.get("/v1/identity/certificate", headers={"Accept": accept})
        assert pem.headers["content-type"].startswith(accept)
        assert pem.headers["x-sandbox-ci"] == body["ci"]
        assert x509.load_pem_x509_certificate(pem.content) == fixed_auth_key.certificate


async def test_the_key_is_made_once_in_the_data_dir(make_settings: object) -> None:
    settings: Settings = make_settings()  # type: ignore[operator]
    path = settings.data_dir / keyfile.FILE
    assert not path.exists()
    async with started(settings) as app, client_for(app) as client:
        first = (await client.get("/v1/identity/certificate")).json()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    keyfile.forget()  # a new process loads it instead of making another
    async with started(settings) as app, client_for(app) as client:
        assert (await client.get("/v1/identity/certificate")).json() == first


def test_two_writers_end_with_one_key(tmp_path: Path, fixed_auth_key: AuthKey) -> None:
    from identity.keys import generate_auth_key

    path = tmp_path / keyfile.FILE
    assert keyfile.write(path, fixed_auth_key)
    assert not keyfile.write(path, generate_auth_key(0, private_key=fixed_auth_key.private_key))
    assert keyfile.read(path).certificate == fixed_auth_key.certificate
    assert [p.name for p in path.parent.iterdir()] == ["auth.pem"]  # no temporary file left


async def test_otp_then_inbox_then_easy_auth(client: httpx.AsyncClient, partner: SignedUp) -> None:
    sent = await request_otp(client, partner, channel="00", txn="demo-1")
    assert sent["ret"] == "y", sent
    assert (sent["maskedMobile"], sent["maskedEmail"]) == ("XXXXXX0001", "aXXXXXXXXa@example.com")
    otp = await read_otp(client, partner, ASHA_MOBILE)
    assert otp == await read_otp(client, partner, ASHA_EMAIL)
    assert otp == await read_otp(client, partner, "98765 00001")
    ts = await pid_ts(client, partner)
    answer = await client.post(
        "/v1/identity/auth",
        json=easy({"ts": ts, "ver": "2.0", "pv": {"otp": otp}}, txn="demo-1", otp="y"),
        headers=partner.headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-sandbox-easy-path"] == "plain-pid"
    assert answer.json()["ret"] == "y"


async def test_otp_and_auth_answers_carry_a_detached_jws_that_the_jwks_verifies(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    jwks = (await client.get("/.well-known/jwks.json")).json()
    sent = await client.post(
        "/v1/identity/otp",
        json={"uid": "999999990019", "txn": "jws-1", "channel": "01"},
        headers=partner.headers,
    )
    ts = await pid_ts(client, partner)
    answer = await client.post(
        "/v1/identity/auth",
        json=easy(
            {"ts": ts, "ver": "2.0", "demo": {"pi": {"name": "Someone Else"}}}, txn="jws-2", pi="y"
        ),
        headers=partner.headers,
    )
    assert (answer.json()["ret"], answer.json()["err"]) == ("n", "100")  # refusals are signed too
    for response in (sent, answer):
        signature = response.headers["x-jws-signature"]
        assert verify_detached(signature, response.content, jwks) == jwks["keys"][0]["kid"]
        with pytest.raises(JwsError):
            verify_detached(signature, response.content.replace(b'"ret"', b'"Ret"'), jwks)


async def test_end_to_end_encrypted_otp_auth(client: httpx.AsyncClient, partner: SignedUp) -> None:
    """OTP -> inbox -> PID XML encrypted under GET /v1/identity/certificate -> ret y."""
    await listen(client, partner)
    assert (await request_otp(client, partner, txn="e2e-1"))["ret"] == "y"
    otp = await read_otp(client, partner)
    cert = await certificate(client)
    ts = await pid_ts(client, partner)
    pid = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Pid ts="{ts}" ver="2.0">\n'
        f'  <Demo><Pi name="Asha Verma" gender="F"/></Demo>\n  <Pv otp="{otp}"/>\n</Pid>'
    ).encode()
    body = encrypted(pid, cert, ts=ts, txn="e2e-1", pi="y", otp="y")
    answer = await client.post("/v1/identity/auth", json=body, headers=partner.headers)
    assert answer.status_code == 200, answer.text
    assert "x-sandbox-easy-path" not in answer.headers
    result = answer.json()
    assert (result["ret"], result["txn"]) == ("y", "e2e-1")
    assert await events(client, partner) == ["identity.authenticated"]
    record = await client.get(
        f"/v1/identity/auth-records/{result['code']}", headers=partner.headers
    )
    assert record.status_code == 200, record.text
    assert record.json()["uid"] == "XXXXXXXX0019"
    assert record.json()["easyPath"] is False
    assert ASHA not in record.text


async def test_a_json_pid_encrypted_as_type_j(client: httpx.AsyncClient, partner: SignedUp) -> None:
    cert = await certificate(client)
    ts = await pid_ts(client, partner)
    pid = pid_json(ts, demo={"pi": {"name": "Asha Verma"}})
    answer = await auth(client, partner, encrypted(pid, cert, ts=ts, kind="J", pi="y"))
    assert answer["ret"] == "y", answer


async def test_the_uid_token_is_stable_per_partner_and_differs_across_partners(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    tokens = []
    for who in (partner, partner, other_partner):
        ts = await pid_ts(client, who)
        body = easy({"ts": ts, "ver": "2.0", "demo": {"pi": {"name": "Asha Verma"}}}, pi="y")
        tokens.append((await auth(client, who, body))["info"]["uidToken"])
    assert tokens[0] == tokens[1] != tokens[2]


async def test_a_uid_token_is_kept_again_after_a_reset(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """The SQLite writer holds the tokens it stored; a reset wipes them, and the memory with."""

    async def demo_auth(uid: str, txn: str) -> dict[str, Any]:
        ts = await pid_ts(client, partner)
        pid = {"ts": ts, "ver": "2.0", "demo": {"pi": {"name": "Asha Verma"}}}
        return await auth(client, partner, easy(pid, uid=uid, txn=txn, pi="y"))

    token = (await demo_auth(ASHA, "before"))["info"]["uidToken"]
    assert (await demo_auth(token, "by-token"))["ret"] == "y"
    reset = await client.post("/v1/sandbox/reset", headers=partner.headers)
    assert reset.status_code == 200
    refused = await demo_auth(token, "wiped")
    assert (refused["ret"], refused["err"]) == ("n", "514")
    assert (await demo_auth(ASHA, "after"))["info"]["uidToken"] == token
    assert (await demo_auth(token, "by-token-again"))["ret"] == "y"


async def test_fixed_otp_through_partners_me(client: httpx.AsyncClient, partner: SignedUp) -> None:
    me = await client.get("/v1/partners/me", headers=partner.headers)
    assert me.json()["fixedOtp"] is False
    patched = await client.patch(
        "/v1/partners/me", json={"fixedOtp": True}, headers=partner.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["fixedOtp"] is True
    await request_otp(client, partner, txn="fixed-1")
    assert await read_otp(client, partner) == "123456"
    ts = await pid_ts(client, partner)
    body = easy({"ts": ts, "ver": "2.0", "pv": {"otp": "123456"}}, txn="fixed-1", otp="y")
    assert (await auth(client, partner, body))["ret"] == "y"


async def test_malformed_envelopes_are_422(client: httpx.AsyncClient, partner: SignedUp) -> None:
    ts = await pid_ts(client, partner)
    pid = {"ts": ts, "ver": "2.0", "demo": {"pi": {"name": "Asha Verma"}}}
    both = {**easy(pid, pi="y"), "hmac": "x", "skey": {"ci": "1", "value": "x"}}
    neither = {k: v for k, v in easy(pid, pi="y").items() if k != "pid"}
    for body in (both, neither, {**easy(pid, pi="y"), "uid": "12345"}):
        answer = await client.post("/v1/identity/auth", json=body, headers=partner.headers)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith(PROBLEM)


async def test_auth_records_page_and_filter(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    codes = []
    for name in ("Asha Verma", "Wrong Name", "Asha Verma"):
        ts = await pid_ts(client, partner)
        body = easy({"ts": ts, "ver": "2.0", "demo": {"pi": {"name": name}}}, pi="y")
        codes.append((await auth(client, partner, body))["code"])
    ravi_ts = await pid_ts(client, partner)
    ravi = easy(
        {"ts": ravi_ts, "ver": "2.0", "demo": {"pi": {"name": "Ravi Kumar"}}},
        uid="999999990026",
        pi="y",
    )
    ravi_answer = await auth(client, partner, ravi)
    seen, params = [], {"limit": "1"}
    while True:
        page = await client.get("/v1/identity/auth-records", params=params, headers=partner.headers)
        assert page.status_code == 200, page.text
        seen += [r["code"] for r in page.json()["records"]]
        if page.json()["nextCursor"] is None:
            break
        params["cursor"] = page.json()["nextCursor"]
    assert seen == [ravi_answer["code"], *reversed(codes)]
    only = await client.get(
        "/v1/identity/auth-records",
        params={"uidToken": ravi_answer["info"]["uidToken"]},
        headers=partner.headers,
    )
    assert [r["code"] for r in only.json()["records"]] == [ravi_answer["code"]]
    await advance(client, partner, 3600)
    later = await client.get(
        "/v1/identity/auth-records",
        params={"from": "2999-01-01T00:00:00Z"},
        headers=partner.headers,
    )
    assert later.json()["records"] == []
    theirs = await client.get("/v1/identity/auth-records", headers=other_partner.headers)
    assert theirs.json()["records"] == []


async def test_the_inbox_pages_newest_first_and_is_per_partner(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    for i in range(3):
        await request_otp(client, partner, txn=f"page-{i}", channel="00")
        await advance(client, partner, 30)
    all_asha = await inbox(client, partner, ASHA_MOBILE)
    assert [m["body"].split("(txn ")[1][:6] for m in all_asha] == ["page-2", "page-1", "page-0"]
    seen, params = [], {"limit": "2"}
    while True:
        page = await client.get("/v1/sandbox/inbox", params=params, headers=partner.headers)
        seen += page.json()["messages"]
        if page.json()["nextCursor"] is None:
            break
        params["cursor"] = page.json()["nextCursor"]
    assert len(seen) == 6
    assert await inbox(client, other_partner, ASHA_MOBILE) == []
    reset = await client.post("/v1/sandbox/reset", headers=partner.headers)
    assert reset.status_code == 200
    assert await inbox(client, partner, ASHA_MOBILE) == []


async def test_the_magic_listing_has_identity_rows(client: httpx.AsyncClient) -> None:
    served = (await client.get("/v1/sandbox/magic")).json()
    rows = [m for m in served["magic"] if m["kind"] == "identity"]
    assert rows
    assert set(rows[0]) == {"kind", "value", "responseCode", "description"}
    assert {"998", "563", "111"} <= set(served["codes"])


async def test_two_apps_on_one_data_dir_share_the_key(app: FastAPI, settings: Settings) -> None:
    del app
    key = keyfile.read(settings.data_dir / keyfile.FILE)
    async with started(settings) as other, client_for(other) as client:
        partner = await sign_up(client)
        assert partner.partner_id
        got = (await client.get("/v1/identity/certificate")).json()
    assert got["certificate"].encode() == key.certificate_pem()


async def test_no_full_id_number_in_the_logs(
    make_settings: Any, fixed_auth_key: AuthKey, capsys: pytest.CaptureFixture[str]
) -> None:
    """Access log on, at INFO (the masking filter of sandbox.ops.logs is the last line of
    defence; identity itself never puts a full number in a message)."""
    previous = logging.getLogger().level
    logs.configure("INFO")
    settings: Settings = make_settings(access_log=True)
    keyfile.write(settings.data_dir / keyfile.FILE, fixed_auth_key)
    try:
        async with started(settings) as app, client_for(app) as client:
            partner = await sign_up(client)
            await request_otp(client, partner, txn="log-1")
            for uid in (ASHA, "912345678905"):
                ts = await pid_ts(client, partner)
                pid = {"ts": ts, "ver": "2.0", "demo": {"pi": {"name": "Nobody"}}}
                await auth(client, partner, easy(pid, uid=uid, pi="y"))
    finally:
        logging.getLogger().setLevel(previous)
    written = capsys.readouterr()
    assert '"route": "/v1/identity/auth"' in written.err + written.out
    for uid in (ASHA, "912345678905"):
        assert uid not in written.err + written.out
