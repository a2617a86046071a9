"""Consent's use cases, one module per concern:

- ``wire``: the AA envelope (ver, timestamp, txnid) and time parsing;
- ``requests``: POST /aa/Consent (validation, fair use, idempotent creation);
- ``reads``: /aa/Consent/handle, /aa/Consent/fetch, the /v1 listing;
- ``lifecycle``: approve, reject, pause, resume, revoke, expire; notifications;
- ``usable``: the ACTIVE artefact the FI part loads, checked usable (``usable_consent``);
- ``fi_request``: POST /aa/FI/request (an FI session for a usable consent);
- ``fi_fetch``: POST /aa/FI/fetch and the easy path (the documents, encrypted or not);
- ``fi_sessions``: FI sessions as of now, and the /v1 listing;
- ``log``: the hash-chained consent log (``append_log``, ``read_log_page``);
- ``settings``: a partner's AA settings and its request signatures.
"""
