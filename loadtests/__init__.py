"""Load tests of the payment path: locust scenarios (``scenarios/``) and ``sandbox bench``
(``bench/``); see docs/load-testing.md."""
