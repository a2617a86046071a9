"""The one schema both engines share (migrations in ``migrations/versions`` create it).

Each domain declares its tables in its own module on the one ``metadata`` of ``base.py``:
``platform.py`` (partners, keys, the worlds' population, webhooks, idempotency keys) and
``payments.py``, ``identity.py`` and ``consent.py``. Every name is re-exported, so
``from sandbox.storage.schema import X`` works for all.
"""

from __future__ import annotations

from sandbox.storage.schema.base import metadata, views
from sandbox.storage.schema.consent import aa_settings, consent_log, consents, fi_sessions
from sandbox.storage.schema.identity import (
    aua_certificates,
    auth_records,
    kua_encryption_certificates,
    otp_requests,
    uid_tokens,
    vids,
)
from sandbox.storage.schema.payments import (
    account_balances,
    credit_queue,
    daily_debits,
    ledger_entries,
    mandate_notices,
    mandates,
    merchant_keys,
    pin_state,
    upi_transactions,
)
from sandbox.storage.schema.platform import (
    aa_handles,
    accounts,
    api_keys,
    banks,
    idempotency_keys,
    inbox_messages,
    partners,
    residents,
    vpas,
    webhook_attempts,
    webhook_deliveries,
    webhook_events,
)

__all__ = [
    "aa_handles",
    "aa_settings",
    "account_balances",
    "accounts",
    "api_keys",
    "aua_certificates",
    "auth_records",
    "banks",
    "consent_log",
    "consents",
    "credit_queue",
    "daily_debits",
    "fi_sessions",
    "idempotency_keys",
    "inbox_messages",
    "kua_encryption_certificates",
    "ledger_entries",
    "mandate_notices",
    "mandates",
    "merchant_keys",
    "metadata",
    "otp_requests",
    "partners",
    "pin_state",
    "residents",
    "uid_tokens",
    "upi_transactions",
    "vids",
    "views",
    "vpas",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_events",
]
