"""Consent: the sandbox as a ReBIT NBFC-AA 2.0.0 Account Aggregator over the world's banks.

- ``api``: ``/aa/Consent``, ``/aa/Consent/handle``, ``/aa/Consent/fetch``, ``/aa/Heartbeat``
  (the spec's bodies, errors and detached JWS), ``/v1/consents`` (listing, the consent log),
  the test-only resident actions under ``/v1/sandbox/aa/consents`` and the partner's AA
  settings (``/v1/partners/me/aa``);
- ``service``: the use cases: request, approve/reject, pause/resume/revoke, expire, the usable
  consent the FI part loads (``service.usable``), the consent log (``service.log``);
- ``models``: statuses, transitions, purposes and fair-use rules, the log's hash chain;
- ``crypto``: the signed consent artefact (compact JWS, RS256);
- ``store``: all SQL of the domain.
"""
