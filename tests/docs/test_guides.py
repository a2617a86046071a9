"""The guides' examples work as written: docs/payments.md, identity.md, consent.md and
webhooks.md, each run by ``tests.docs.guide`` against a live sandbox on the test's engine, from a
terminal where ``BASE`` and ``KEY`` are set as the quickstart's signup leaves them. Each test
asserts the outputs the guide promises, and which blocks it leaves out and why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from sandbox.kit.secrets import new_webhook_secret
from sandbox.webhooks.signing import sign, standard_headers
from tests.docs.guide import Block, Terminal, guide_text, read_guide

pytestmark = pytest.mark.slow


def run(terminal: Terminal, name: str, *, not_run: int = 0) -> str:
    """Run the guide; ``not_run``: how many of its sh/python blocks carry a not-run marker."""
    found = read_guide(name)
    left_out = [b for b in found if b.lang in {"sh", "bash", "python"} and not b.runs]
    assert len(left_out) == not_run, [(b.line, b.not_run) for b in left_out]
    assert len([b for b in found if b.runs]) >= 1, f"{name} lost its examples"
    return terminal.run_all(found, name)


def answers(out: str) -> list[dict[str, Any]]:
    """The JSON objects the blocks printed, in order."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (at := out.find("{", at)) != -1:
        try:
            value, end = decoder.raw_decode(out, at)
        except ValueError:
            at += 1
            continue
        found.append(value)
        at = end
    return found


def test_payments_guide(terminal: Terminal) -> None:
    out = run(terminal, "payments.md")
    paid, magic, check, reset = answers(out)
    assert (paid["status"], paid["responseCode"], paid["amount"]) == ("SUCCESS", "00", "150.25")
    assert check["balanced"] is True, check
    assert reset["reset"] is True, reset
    # the magic payees (and payer) the guide names force the codes it says
    forced = {row["value"]: row["responseCode"] for row in magic["magic"]}
    named = re.findall(r"`(\w+@sandbox)` \(?(\w\w)\)?", guide_text("payments.md"))
    assert len(named) >= 6, named
    for value, code in named:
        assert forced.get(value) == code, (value, code, forced.get(value))


def test_identity_guide(terminal: Terminal) -> None:
    out = run(terminal, "identity.md")
    assert "x-sandbox-easy-path: plain-pid" in out.lower(), out
    rets = {a["txn"]: a for a in answers(out) if "ret" in a}
    assert rets["my-first-auth"]["ret"] == "y", rets
    kyc = rets["UKC:my-kyc"]
    assert kyc["ret"] == "y", kyc
    assert kyc["uidData"]["poi"]["name"] == "Asha Verma"
    verified = next(a for a in answers(out) if "signatureValid" in a)
    assert (verified["signatureValid"], verified["name"]) == (True, "Asha Verma"), verified
    assert re.search(r'<OtpRes ret="y" code="\w+" txn="my-xml" ', out), out


def test_consent_guide(terminal: Terminal) -> None:
    out = run(terminal, "consent.md")
    got = answers(out)
    artefact = next(a for a in got if "signedConsent" in a)
    assert artefact["status"] == "ACTIVE", artefact
    fetched = next(a for a in got if "FI" in a)
    statement = next(a for a in got if a.get("format") == "json")
    assert fetched["FI"][0]["data"][0]["encryptedFI"]
    assert statement["accounts"][0]["maskedAccNumber"] == "XXXXXXXXXX0001"
    # the Python decryption of the guide printed the account's XML
    decrypted = re.findall(
        r"^<Account xmlns=\"http://api.rebit.org.in/FISchema/deposit\"", out, re.M
    )
    assert len(decrypted) == len(fetched["FI"][0]["data"]), out


def test_webhooks_guide(terminal: Terminal) -> None:
    out = run(terminal, "webhooks.md", not_run=2)
    patched, ping, listed = answers(out)[:3]
    assert patched["webhookUrl"] == "https://example.com/hooks", patched
    deliveries = listed["deliveries"]
    assert [(d["eventType"], d["eventId"]) for d in deliveries] == [
        ("sandbox.ping", ping["eventId"])
    ], listed


def fragments(name: str) -> list[Block]:
    return [b for b in read_guide(name) if b.lang == "python" and b.not_run]


def test_the_webhook_checks_the_guide_shows_pass_a_real_signature_and_fail_a_forged_one() -> None:
    """The two receiver fragments of webhooks.md are not run as they stand (``raw_body`` and the
    headers come from the reader's web framework); here they get them from the sandbox's signer."""
    secret, now, body = new_webhook_secret(), int(time.time()), b'{"type":"sandbox.ping"}'
    library, by_hand = fragments("webhooks.md")
    signed = {
        "WEBHOOK_SECRET": secret,
        "request_headers": standard_headers(secret, "evt_1", now, body),
        "header": sign(secret, now, body),
    }
    for block in (library, by_hand):
        exec(block.code, {**signed, "raw_body": body})  # noqa: S102 - the guide's own fragment
        with pytest.raises((WebhookVerificationError, AssertionError)):
            exec(block.code, {**signed, "raw_body": body + b" "})  # noqa: S102 - a forged body


JS_CHECKS = Path(__file__).parent / "js"  # package.json: the npm library the fragment imports


def test_the_javascript_webhook_check_the_guide_shows_passes_a_real_signature() -> None:
    """The ``js`` fragment of webhooks.md, run by Node against the npm ``standardwebhooks``
    library (installed by the Makefile from tests/docs/js) with a delivery the sandbox signed:
    it gives back the event, and throws for a forged body."""
    node = shutil.which("node")
    if node is None or not (JS_CHECKS / "node_modules" / "standardwebhooks").is_dir():
        reason = "needs node and `npm ci --prefix tests/docs/js` (make test runs it)"
        if os.environ.get("CI"):
            pytest.fail(f"the guide's JavaScript check is mandatory in CI: {reason}", pytrace=False)
        pytest.skip(f"JavaScript guide check skipped: {reason}")
    (fragment,) = [b for b in read_guide("webhooks.md") if b.lang == "js"]
    secret, now, body = new_webhook_secret(), int(time.time()), '{"type":"sandbox.ping"}'
    given = (
        "const WEBHOOK_SECRET = process.env.WEBHOOK_SECRET;\n"
        "const rawBody = process.env.RAW_BODY;\n"
        "const requestHeaders = JSON.parse(process.env.REQUEST_HEADERS);\n"
    )
    # beside node_modules, so that its import resolves
    script = JS_CHECKS / f"webhook_fragment_{os.getpid()}.mjs"
    script.write_text(given + fragment.code + "\nconsole.log(JSON.stringify(event));\n")
    headers = json.dumps(standard_headers(secret, "evt_1", now, body.encode()))

    def verify(raw_body: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "WEBHOOK_SECRET": secret, "RAW_BODY": raw_body}
        env["REQUEST_HEADERS"] = headers
        return subprocess.run(  # node runs the guide's own fragment
            [node, str(script)], capture_output=True, text=True, env=env, timeout=60, check=False
        )

    try:
        passed, forged = verify(body), verify(body + " ")
    finally:
        script.unlink()
    assert passed.returncode == 0, passed.stderr
    assert json.loads(passed.stdout) == {"type": "sandbox.ping"}
    assert forged.returncode != 0
    assert "WebhookVerificationError" in forged.stderr or "signature" in forged.stderr.lower()
