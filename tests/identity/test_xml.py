"""The XML wire format (``/uidai/...``): AUA credentials from the URL and the envelope, ``<Otp>``
and ``<Auth>`` on the JSON rendition's services, signed ``<OtpRes>``/``<AuthRes>`` answers, and
the refusals made before the services run (510, 530, 531, 542, 565)."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from identity.crypto import encrypt_pid
from tests.support.http import SignedUp
from tests.support.identity import ASHA, certificate, pid_ts, read_otp
from tests.support.uidai import Aua, aua, auth_doc, otp_doc, post, verified

pytestmark = pytest.mark.anyio


def otp_pid(ts: str, otp: str) -> bytes:
    """A prefixed PID with unqualified children and a declaration (the Hmac covers it all)."""
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<ns2:Pid xmlns:ns2="http://www.uidai.gov.in/authentication/uid-auth-request-data/1.0" '
        f"ts='{ts}' ver='2.0'>\n  <Pv otp='{otp}'/>\n</ns2:Pid>\n"
    ).encode()


def demo_pid(ts: str, name: str = "Asha Verma") -> bytes:
    return f'<Pid ts="{ts}" ver="2.0"><Demo><Pi name="{name}"/></Demo></Pid>'.encode()


async def _auth(
    client: httpx.AsyncClient,
    creds: Aua,
    pid: bytes,
    ts: str,
    *,
    path: str = "auth",
    txn: str = "xml-1",
    shape: dict[str, bool] | None = None,
    **uses: str,
) -> etree._Element:
    sealed = encrypt_pid(pid, await certificate(client), ts=ts)
    document = auth_doc(creds, ASHA, txn, sealed, **(shape or {}), **uses)  # type: ignore[arg-type]
    return await verified(client, await post(client, path, creds, ASHA, document))


async def test_signup_and_me_show_the_same_aua_credentials(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    creds = await aua(client, partner)
    assert partner.body["aua"] == {
        "ac": creds.ac,
        "sa": creds.sa,
        "lk": creds.lk,
        "asalk": creds.asalk,
    }
    assert len(creds.ac) == 10
    assert creds.ac.isalnum()
    assert creds.sa == creds.ac
    assert creds.ac == partner.partner_id.removeprefix("prt_")[:10]


async def test_xml_otp_then_xml_auth_namespaced_and_pretty(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    creds = await aua(client, partner)
    sent = await post(client, "otp", creds, ASHA, otp_doc(creds, ASHA, "xml-1", namespaced=True))
    res = await verified(client, sent)
    assert etree.QName(res).localname == "OtpRes"
    assert (res.get("ret"), res.get("txn"), res.get("err")) == ("y", "xml-1", None)
    assert res.get("ts", "").endswith("+05:30")
    assert res.get("info") == "XXXXXX0001"
    otp = await read_otp(client, partner)
    ts = await pid_ts(client, partner)
    answer = await _auth(client, creds, otp_pid(ts, otp), ts, otp="y")
    assert etree.QName(answer).localname == "AuthRes"
    assert (answer.get("ret"), answer.get("txn"), answer.get("err")) == ("y", "xml-1", None)
    assert answer.get("info")  # the UID token, as the JSON answer's info.uidToken
    record = await client.get(
        f"/v1/identity/auth-records/{answer.get('code')}", headers=partner.headers
    )
    assert record.status_code == 200
    assert record.json()["ret"] == "y"


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("", {"namespaced": True, "pretty": True}),
        ("auth", {"namespaced": False, "pretty": False}),
        ("auth", {"namespaced": True, "pretty": False, "device": True}),
    ],
)
async def test_demographic_auth_at_both_urls_and_in_any_envelope(
    client: httpx.AsyncClient, partner: SignedUp, path: str, shape: dict[str, bool]
) -> None:
    creds = await aua(client, partner)
    ts = await pid_ts(client, partner)
    answer = await _auth(client, creds, demo_pid(ts), ts, path=path, shape=shape, pi="y")
    assert (answer.get("ret"), answer.get("err")) == ("y", None), etree.tostring(answer)
    ts = await pid_ts(client, partner)
    wrong = await _auth(client, creds, demo_pid(ts, "Someone Else"), ts, path=path, pi="y")
    assert (wrong.get("ret"), wrong.get("err")) == ("n", "100")


async def test_the_url_credentials_select_the_world(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    creds = await aua(client, partner)
    other = await aua(client, other_partner)
    document = otp_doc(creds, ASHA, "xml-2")
    cases = [
        ({"ac": "zzzzzzzzzz"}, "530"),  # no such AUA
        ({"ac": "public"}, "530"),  # the spec's sample code is not one of ours
        ({"asalk": other.asalk}, "542"),  # another partner's ASA key
        ({"ac": other.ac}, "542"),  # another partner's ac with our key
    ]
    for url, err in cases:
        answer = await post(client, "otp", creds, ASHA, document, **url)
        res = await verified(client, answer)
        assert (res.get("ret"), res.get("err"), res.get("txn")) == ("n", err, "xml-2"), url
        assert answer.headers["x-sandbox-hint"]


async def test_envelope_credentials_are_checked(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    creds = await aua(client, partner)
    other = await aua(client, other_partner)
    cases = [
        (Aua(creds.ac, creds.sa, other.lk, creds.asalk), "565"),
        (Aua(creds.ac, "subaua0001", creds.lk, creds.asalk), "531"),
        (Aua(other.ac, other.ac, creds.lk, creds.asalk), "530"),  # ac attribute differs from URL
    ]
    for doc_creds, err in cases:
        answer = await post(client, "otp", creds, ASHA, otp_doc(doc_creds, ASHA, "xml-3"))
        res = await verified(client, answer)
        assert (res.get("ret"), res.get("err")) == ("n", err)


@pytest.mark.parametrize(
    "document",
    [
        b"",
        b"<Otp uid='999999990019'",
        b"<NotOtp/>",
        b'<!DOCTYPE x [<!ENTITY e "boom">]><Otp uid="&e;"/>',
        b"<Otp uid='999999990019' ac='x'/>",  # no txn, no lk
    ],
)
async def test_a_malformed_document_is_510_with_a_hint(
    client: httpx.AsyncClient, partner: SignedUp, document: bytes
) -> None:
    creds = await aua(client, partner)
    answer = await post(client, "otp", creds, ASHA, document)
    res = await verified(client, answer)
    assert (res.get("ret"), res.get("err")) == ("n", "510")
    assert answer.headers["x-sandbox-hint"]


async def test_an_auth_without_skey_or_with_wrong_uid_digits_is_510(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    creds = await aua(client, partner)
    ts = await pid_ts(client, partner)
    sealed = encrypt_pid(demo_pid(ts), await certificate(client), ts=ts)
    document = auth_doc(creds, ASHA, "xml-4", sealed, pi="y")
    wrong_digits = await post(client, "auth", creds, ASHA, document, uid0="1", uid1="2")
    res = await verified(client, wrong_digits)
    assert (res.get("ret"), res.get("err")) == ("n", "510")
    assert "uid[0]" in wrong_digits.headers["x-sandbox-hint"]
    no_skey = document.replace(b"<Skey", b"<Nope").replace(b"</Skey>", b"</Nope>")
    res = await verified(client, await post(client, "auth", creds, ASHA, no_skey))
    assert (res.get("ret"), res.get("err")) == ("n", "510")


async def test_crypto_failures_keep_their_codes_in_xml(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    creds = await aua(client, partner)
    ts = await pid_ts(client, partner)
    sealed = encrypt_pid(demo_pid(ts), await certificate(client), ts=ts)
    document = auth_doc(creds, ASHA, "xml-5", sealed, pi="y").replace(
        f'ci="{sealed.ci}"'.encode(), b'ci="19990101"'
    )
    res = await verified(client, await post(client, "auth", creds, ASHA, document))
    assert (res.get("ret"), res.get("err")) == ("n", "501")
