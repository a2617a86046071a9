"""Partner and authentication errors.

SandboxError
├── Unauthorized
│   └── InvalidApiKey           missing, malformed, unknown or revoked key
├── Forbidden
│   └── SignupClosed            self-signup closed; the admin token is needed
├── InvalidRequest
│   └── UnknownCountryCode      no country profile with this code
└── RateLimited
    └── TooManyRequests         per-key or per-address limit
"""

from __future__ import annotations

from sandbox.errors import Forbidden, InvalidRequest, RateLimited, Unauthorized


class InvalidApiKey(Unauthorized):
    slug = "invalid-api-key"
    title = "Invalid API key"


class SignupClosed(Forbidden):
    slug = "signup-closed"
    title = "Self-signup is closed"


class UnknownCountryCode(InvalidRequest):
    slug = "unknown-country"
    title = "Unknown country"


class TooManyRequests(RateLimited):
    pass
