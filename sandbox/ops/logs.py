"""Structured JSON logs (python-json-logger) with secrets and ID numbers masked.

Masking is a filter on the handler, so it also covers log lines of libraries and of code written
later: API keys and webhook secrets become their first characters, 12-digit ID numbers keep only
their last 4 digits (as the Aadhaar masking rules print them), and fields named like a PIN, OTP,
key, secret or password are replaced whole.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

_SECRET_FIELDS = re.compile(r"pin|otp|secret|password|api_?key|authorization|token", re.I)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(sk_sandbox_)[A-Za-z0-9_\-]{8,}"), r"\1****"),
    (re.compile(r"\b(whsec_)[A-Za-z0-9_\-+/=]{8,}"), r"\1****"),
    (re.compile(r"(Bearer\s+)\S+", re.I), r"\1****"),
    (re.compile(r"(?<!\d)\d{8}(\d{4})(?!\d)"), r"XXXXXXXX\1"),
)
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def mask_text(text: str) -> str:
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def _mask_value(key: str, value: Any) -> Any:
    if _SECRET_FIELDS.search(key):
        return "****"
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(key, v) for v in value]
    return value


class MaskingFilter(logging.Filter):
    """Masks the message, its arguments and every extra field of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        record.__dict__.pop("color_message", None)  # uvicorn's ANSI copy of the message
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD:
                record.__dict__[key] = _mask_value(key, value)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure(level: str = "INFO") -> None:
    """Send JSON lines to stderr; safe to call more than once."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=False)
    )
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_sandbox", False):
            root.removeHandler(old)
    handler._sandbox = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # uvicorn's access log is off: RequestContext writes one when SANDBOX_ACCESS_LOG is set
    access = logging.getLogger("uvicorn.access")
    access.handlers = []
    access.propagate = False
