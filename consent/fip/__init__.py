"""The world's FIPs: deposit, term and recurring deposit accounts backed by the payments ledger
and a seeded history, rendered in ReBIT's FI schemas (XML and JSON).

``fip_accounts`` lists what a resident holds (for linking and consent); ``fi_payload`` builds the
documents FI/fetch encrypts with ``consent.crypto.Encryptor``; ``parse_data_filters`` checks a
consent's ``DataFilter``.
"""

from consent.fip.models import (
    CONSENT_TYPES,
    FI_TYPES,
    DataFilter,
    FIDataError,
    InvalidDataFilter,
    UnknownAccount,
    parse_data_filters,
)
from consent.fip.payload import AccountPayload, FipAccount, fi_payload, fip_accounts

__all__ = [
    "CONSENT_TYPES",
    "FI_TYPES",
    "AccountPayload",
    "DataFilter",
    "FIDataError",
    "FipAccount",
    "InvalidDataFilter",
    "UnknownAccount",
    "fi_payload",
    "fip_accounts",
    "parse_data_filters",
]
