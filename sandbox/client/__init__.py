"""A Python client for the India Stack Sandbox (httpx; sync ``Sandbox``, async ``AsyncSandbox``).

    from sandbox.client import Sandbox

    with Sandbox(api_key=KEY) as sb:                       # http://127.0.0.1:8000 by default
        txn = sb.pay("asha@sandbox", "1234", "ravi@sandbox", "150.25")
        print(txn["txnId"], txn["status"])

Every public endpoint is a method (``calls`` defines each once for both clients); answers are
the parsed JSON typed as ``types``' TypedDicts; refusals raise ``errors``' exceptions carrying
the protocol's code and the hint; ``crypto`` holds the helpers a partner needs (Auth 2.5
encryption, FI key material and decryption, detached JWS and webhook verification). It imports
no web framework: ``pip install`` the sandbox and use it from any script.
"""

from sandbox.client import crypto, types
from sandbox.client.calls import UNSET, consent_detail
from sandbox.client.clients import AsyncSandbox, Sandbox
from sandbox.client.errors import (
    AadhaarError,
    AaError,
    AnswerNotVerified,
    ApiError,
    ProblemError,
    UpiError,
)

__all__ = [
    "UNSET",
    "AaError",
    "AadhaarError",
    "AnswerNotVerified",
    "ApiError",
    "AsyncSandbox",
    "ProblemError",
    "Sandbox",
    "UpiError",
    "consent_detail",
    "crypto",
    "types",
]
