"""Consent's use cases, one module per concern:

- ``wire``: the AA envelope (ver, timestamp, txnid) and time parsing;
- ``requests``: POST /aa/Consent (validation, fair use, idempotent creation);
- ``reads``: /aa/Consent/handle, /aa/Consent/fetch, the /v1 listing;
- ``lifecycle``: approve, reject, pause, resume, revoke, expire; notifications;
- ``usable``: the ACTIVE artefact the FI part loads, checked usable (``usable_consent``);
- ``log``: the hash-chained consent log (``append_log``, ``read_log``);
- ``settings``: a partner's AA settings and its request signatures.
"""
