"""Logs never carry API keys, PINs, OTPs, secrets or full ID numbers."""

from __future__ import annotations

import json
import logging

import pytest

from sandbox.ops import logs


def test_masking_of_messages_and_fields(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO")
    log = logging.getLogger("sandbox.test")
    log.info(
        "paid with Bearer sk_sandbox_abcdefghijkl for uid 234567890123 secret whsec_abcdefghij",
        extra={"pin": "1234", "otp": "123456", "uid": "234567890123", "nested": {"apiKey": "x"}},
    )
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert "sk_sandbox_abcdefghijkl" not in line
    assert "whsec_abcdefghij" not in line
    assert "234567890123" not in line
    assert "XXXXXXXX0123" in record["message"]
    assert record["pin"] == "****"
    assert record["otp"] == "****"
    assert record["uid"] == "XXXXXXXX0123"
    assert record["nested"]["apiKey"] == "****"
    logging.getLogger().handlers = [
        h for h in logging.getLogger().handlers if not getattr(h, "_sandbox", False)
    ]
