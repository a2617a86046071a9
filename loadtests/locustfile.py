"""Gathers the users of every flow; name the one(s) to run on the command line.

    locust -f loadtests/locustfile.py --host http://127.0.0.1:8000 P2PPayUser

Configuration comes from the ``LOADTEST_*`` environment variables (``loadtests/config.py``);
``docs/load-testing.md`` tells how to run and read each scenario.
"""

from loadtests.scenarios.collect import CollectApproveUser
from loadtests.scenarios.consent import FiFetchUser
from loadtests.scenarios.identity import DemoAuthUser
from loadtests.scenarios.mixed import MixedUser
from loadtests.scenarios.noop import HealthzUser
from loadtests.scenarios.p2m import P2MPayUser
from loadtests.scenarios.p2p import P2PPayUser
from loadtests.scenarios.status import StatusPollUser
from loadtests.scenarios.validate import ValidateUser

__all__ = [
    "CollectApproveUser",
    "DemoAuthUser",
    "FiFetchUser",
    "HealthzUser",
    "MixedUser",
    "P2MPayUser",
    "P2PPayUser",
    "StatusPollUser",
    "ValidateUser",
]
