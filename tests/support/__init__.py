"""Plain helpers every test may import; fixtures and pytest hooks stay in the conftest files.

- ``engines``: which storage engine the suite runs on, and a fresh migrated database per test;
- ``http``: an in-process client for an app, partner signup (``SignedUp``), problem+json;
- ``clock``: a partner's world clock (read it, advance it, go to the next world day);
- ``webhooks``: queue a partner's events (``listen``/``events``), a real loopback receiver,
  and ``eventually`` for conditions reached in the background;
- ``upi``: the personas' PINs, amounts in minor units, pay, balances, the ledger check.

The clock and webhook helpers take only a client and a ``SignedUp``, so any domain's tests use
them as they are. The bigger machines (the OpenAPI fuzz run, the tenant-isolation table, real
server processes) live in ``tests/harness``.
"""
