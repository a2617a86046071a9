"""Pay a persona, then read her bank statement with her consent: the India Stack Sandbox's
payment and consent flows over plain HTTP, with httpx and nothing else.

    pip install httpx
    SANDBOX_URL=http://127.0.0.1:8000 SANDBOX_API_KEY=sk_sandbox_... python pay_and_consent.py

Without SANDBOX_API_KEY the script signs up a new partner (a world of its own). Copy what you
need: it does not import the sandbox's own package.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

BASE_URL = os.environ.get("SANDBOX_URL", "http://127.0.0.1:8000")


class SandboxError(Exception):
    """A refusal, with the code to branch on and the hint that says how to fix the request."""

    def __init__(self, status: int, code: str, detail: str, hint: str) -> None:
        super().__init__(f"{status} {code}: {detail} (hint: {hint})")
        self.status, self.code, self.detail, self.hint = status, code, detail, hint


def check(response: httpx.Response) -> Any:
    """The JSON body, or a SandboxError. Three shapes of refusal: problem+json (a request that
    could not be processed), the AA spec's errorCode (under /aa), and, with status 200, a UPI
    decline (status FAILURE with an NPCI responseCode)."""
    body = response.json()
    if response.status_code >= 400 and "errorCode" in body:  # ReBIT AA ErrorResponse
        raise SandboxError(response.status_code, body["errorCode"], body.get("errorMsg", ""), "")
    if response.status_code >= 400:  # RFC 9457 problem+json; a 422 names each field and rule
        code = body.get("type", "").rsplit("/", 1)[-1]
        if body.get("errors"):
            code = f"{body['errors'][0]['field']}: {body['errors'][0]['rule']}"
        raise SandboxError(response.status_code, code, body.get("detail", ""), body.get("hint", ""))
    if isinstance(body, dict) and body.get("status") == "FAILURE" and "responseCode" in body:
        raise SandboxError(200, body["responseCode"], body.get("detail", ""), body.get("hint", ""))
    return body


def step(title: str, text: str) -> None:
    print(f"[ok] {title}: {text}", flush=True)


# -- getting a key -------------------------------------------------------------------------------


def api_key(http: httpx.Client) -> str:
    key = os.environ.get("SANDBOX_API_KEY")
    if key:
        step("API key", "from SANDBOX_API_KEY")
        return key
    created = check(
        http.post(
            "/v1/partners",
            json={"name": "Example app", "contactEmail": "dev@example.com", "country": "IN"},
        )
    )
    step("Sign up", f"partner {created['partnerId']}, key {created['apiKey'][:16]}...")
    return str(created["apiKey"])


# -- payments (UPI-like) ---------------------------------------------------------------------


def pay(http: httpx.Client, payer: dict[str, Any], payee_vpa: str, amount: str, **more: Any) -> Any:
    """ReqPay PAY: amounts are strings with the currency's minor digits; the Idempotency-Key
    makes a retry after a timeout safe (the same answer comes back, marked replayed)."""
    body = {
        "payer": {"vpa": payer["vpa"], "pin": payer["upiPin"]},
        "payee": {"vpa": payee_vpa},
        "amount": amount,
        **more,
    }
    key = {"Idempotency-Key": f"example-{uuid.uuid4()}"}
    return check(http.post("/v1/upi/pay", headers=key, json=body))


def expect_refusal(title: str, attempt: Callable[[], Any]) -> None:
    try:
        attempt()
    except SandboxError as exc:  # branch on exc.code; exc.hint says how to fix the request
        step(title, f"{exc.status} {exc.code}; hint: {exc.hint}")
    else:
        raise SystemExit(f"{title}: the request should have been refused")


def pay_flow(http: httpx.Client, people: dict[str, Any]) -> str:
    asha, ravi = people["asha"], people["ravi"]

    # ReqValAdd: is the payee's address real, and whose is it?
    found = check(http.post("/v1/upi/vpa/validate", json={"vpa": ravi["vpa"]}))
    step("Validate VPA", f"{ravi['vpa']} is {found.get('name') or found}")

    paid = pay(http, asha, ravi["vpa"], "150.25", note="Lunch")
    outcome = f"{paid['status']} {paid['responseCode']}"
    step("Pay", f"{outcome}, txnId {paid['txnId']}, RRN {paid['rrn']}")

    # ReqChkTxn: the status of a payment you made
    now = check(http.get(f"/v1/upi/transactions/{paid['txnId']}"))
    step("Check status", f"{now['txnId']} is {now['status']}")

    # A decline answers 200 with an NPCI response code and a hint (a magic VPA: forces XI) ...
    expect_refusal("Declined as expected", lambda: pay(http, asha, "noaccount@sandbox", "10.00"))
    # ... and a request that breaks a rule a 4xx problem+json naming the field and the rule.
    expect_refusal(
        "Refused as expected",
        lambda: pay(http, asha, ravi["vpa"], "150"),  # not "150.00"
    )
    return str(paid["txnId"])


# -- consent and FI data (ReBIT AA 2.0.0 under /aa) --------------------------------------------


def stamp(moment: datetime) -> str:
    """RFC 3339, UTC, milliseconds: how the AA spec writes time."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def aa_post(http: httpx.Client, path: str, now: datetime, **fields: Any) -> Any:
    """Every /aa request carries ver, a timestamp (your world's time) and a fresh txnid."""
    envelope = {"ver": "2.0.0", "timestamp": stamp(now), "txnid": str(uuid.uuid4()), **fields}
    return check(http.post(f"/aa{path}", json=envelope))


def x25519_public(private: bytes) -> bytes:
    """X25519 (RFC 7748 section 5) of the base point: the public half of ``private``. Plain
    Python so that this example needs httpx only; in your app use a crypto library."""
    p, a24 = 2**255 - 19, 121665
    k = int.from_bytes(private, "little")
    k = (k & ~7 & ~(1 << 255)) | (1 << 254)
    x1, x2, z2, x3, z3, swap = 9, 1, 0, 9, 1, 0
    for t in reversed(range(255)):
        bit = (k >> t) & 1
        if swap ^ bit:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b, c, d = x2 + z2, x2 - z2, x3 + z3, x3 - z3
        aa, bb, da, cb = a * a, b * b, d * a, c * b
        e = aa - bb
        x3, z3 = (da + cb) ** 2 % p, x1 * (da - cb) ** 2 % p
        x2, z2 = aa * bb % p, e * (aa + a24 * e) % p
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, p - 2, p) % p).to_bytes(32, "little")


def key_material(now: datetime) -> dict[str, Any]:
    """The spec's KeyMaterial: an X25519 public key (PEM SubjectPublicKeyInfo), a 32-byte
    nonce and an expiry. Keep the private key if you decrypt POST /aa/FI/fetch yourself."""
    der = bytes.fromhex("302a300506032b656e032100") + x25519_public(secrets.token_bytes(32))
    pem = "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() + "\n"
    return {
        "cryptoAlg": "ECDH",
        "curve": "X25519",
        "params": "cipher=AES/GCM/NoPadding;KeyPairGenerator=ECDH",
        "DHPublicKey": {
            "expiry": stamp(now + timedelta(days=1)),
            "Parameters": "",
            "KeyValue": pem + "-----END PUBLIC KEY-----\n",
        },
        "Nonce": base64.b64encode(secrets.token_bytes(32)).decode(),
    }


def consent_flow(http: httpx.Client, people: dict[str, Any], txn_id: str) -> None:
    asha = people["asha"]
    now = datetime.fromisoformat(check(http.get("/v1/sandbox/clock"))["now"].replace("Z", "+00:00"))
    data_range = {"from": stamp(now - timedelta(days=365)), "to": stamp(now)}

    # ConsentsRequest: purpose 102 (customer spending patterns), her deposit accounts' last year
    detail = {
        "consentStart": stamp(now),
        "consentExpiry": stamp(now + timedelta(days=180)),
        "consentMode": "STORE",
        "fetchType": "PERIODIC",
        "consentTypes": ["PROFILE", "SUMMARY", "TRANSACTIONS"],
        "fiTypes": ["DEPOSIT"],
        "DataConsumer": {"id": "example-fiu", "type": "FIU"},
        "Customer": {"id": asha["aaHandle"]},
        "Purpose": {"code": "102", "refUri": "https://api.rebit.org.in/aa/purpose/102.xml"},
        "FIDataRange": data_range,
        "DataLife": {"unit": "MONTH", "value": 1},
        "Frequency": {"unit": "MONTH", "value": 30},
    }
    handle = aa_post(http, "/Consent", now, ConsentDetail=detail)["ConsentHandle"]
    step("Consent requested", f"handle {handle} for {asha['aaHandle']}")

    # Test-only: the customer approves in her AA app (or sign in as her at /console).
    check(http.post(f"/v1/sandbox/aa/consents/{handle}/approve"))
    status = aa_post(http, "/Consent/handle", now, ConsentHandle=handle)["ConsentStatus"]
    consent_id = status["id"]
    step("Consent approved", f"handle {status['status']}, consent {consent_id}")

    # FIRequest: the consent's id and the signature part of its signed artefact, and our key
    artefact = aa_post(http, "/Consent/fetch", now, consentId=consent_id)
    session = aa_post(
        http,
        "/FI/request",
        now,
        FIDataRange=data_range,
        Consent={
            "id": consent_id,
            "digitalSignature": artefact["signedConsent"].rsplit(".", 1)[-1],
        },
        KeyMaterial=key_material(now),
    )["sessionId"]
    step("FI requested", f"session {session}")

    # The easy path: the session's data decrypted by the sandbox (POST /aa/FI/fetch gives the
    # same documents encrypted to your KeyMaterial).
    data = check(http.get(f"/v1/fi/sessions/{session}/data", params={"format": "json"}))
    for account in data["accounts"]:
        lines = transactions_of(account["data"])
        step("Statement", f"{account['fipId']} {account['maskedAccNumber']}: {len(lines)} entries")
        for line in lines[-3:]:
            print(
                f"     {line.get('valueDate') or line.get('transactionTimestamp')} "
                f"{line.get('type')} {line.get('amount')} {line.get('narration')}"
            )
        if any(txn_id in str(line) for line in lines):
            step("Found our payment", f"txnId {txn_id} is in her statement")


def transactions_of(document: Any) -> list[dict[str, Any]]:
    """The Transaction entries of an FI document's JSON rendition, wherever they sit."""
    if isinstance(document, list):
        return [t for item in document for t in transactions_of(item)]
    if not isinstance(document, dict):
        return []
    found = document.get("Transaction")
    if isinstance(found, list):
        return [t for t in found if isinstance(t, dict)]
    if isinstance(found, dict):
        return [found]
    return [t for value in document.values() for t in transactions_of(value)]


def main() -> int:
    with httpx.Client(base_url=BASE_URL, timeout=30.0) as http:
        http.headers["Authorization"] = f"Bearer {api_key(http)}"
        listed = check(http.get("/v1/sandbox/personas"))["personas"]
        people = {p["key"]: p for p in listed}
        try:
            txn_id = pay_flow(http, people)
            consent_flow(http, people, txn_id)
        except SandboxError as exc:
            print(f"[failed] {exc}", file=sys.stderr)
            return 1
    print("[done] pay and consent flows completed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
