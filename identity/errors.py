"""Identity errors: an authentication the authority refused, with the Aadhaar ``err`` code.

In the Auth API 2.5 a refused authentication is not an HTTP failure: the authority answers
``<AuthRes ret="n" err="..." actn="...">`` (section "Response AuthRes"). Services catch
``AuthRefused`` and turn it into that answer; should one escape to the platform's problem
handler it still renders, as a 400 problem carrying ``err`` (and ``actn``) in its members.

    SandboxError (sandbox.errors)
    └── AuthRefused                 code, detail, actn, hint; a ret="n" answer
        ├── EncryptionFailed        Auth 2.5 crypto steps: 500 501 502 503 564
        ├── InvalidPid              the PID block breaks a rule: 511 541 552 567 568 800 810
        │                           901 902 910 911 913, and 710-740 against Uses
        ├── StaleRequest            the PID ts is too old or ahead: 561 562
        └── Mismatch                the resident's record differs: 100 (Pi) 200 (Pa, Pfa)
    NotFound (sandbox.errors)
    ├── AuthRecordNotFound          GET /v1/identity/auth-records/{code} of another world
    ├── VidNotFound                 /v1/identity/vids/{vid} not made in this world
    └── PersonaNotFound             (the platform's, sandbox.errors) an unknown persona key

The hint defaults to the one of the code in ``identity.codes.CODES``; raise sites pass a sharper
one when they know which step or attribute failed.
"""

from __future__ import annotations

from identity.codes import ACTIONS, CODES
from sandbox.errors import NotFound, SandboxError


class AuthRefused(SandboxError):
    """The authority refused the request with an Aadhaar error code."""

    slug = "aadhaar-auth-refused"
    title = "Authentication refused"

    def __init__(
        self, code: str, detail: str, *, actn: str | None = None, hint: str | None = None
    ) -> None:
        if code not in CODES:
            raise ValueError(f"not an Aadhaar error code of the sandbox: {code}")
        if actn is not None and actn not in ACTIONS:
            raise ValueError(f"not an Aadhaar action code: {actn}")
        super().__init__(detail, hint=hint or CODES[code].hint, err=code)
        if actn is not None:
            self.extra["actn"] = actn
        self.code = code
        self.actn = actn

    @property
    def meaning(self) -> str:
        return CODES[self.code].meaning


class EncryptionFailed(AuthRefused):
    slug = "aadhaar-encryption-failed"
    title = "Auth 2.5 encryption check failed"


class InvalidPid(AuthRefused):
    slug = "aadhaar-invalid-pid"
    title = "Invalid PID block"


class StaleRequest(AuthRefused):
    slug = "aadhaar-stale-request"
    title = "Request timestamp out of range"


class Mismatch(AuthRefused):
    slug = "aadhaar-mismatch"
    title = "Authentication data did not match"

    def __init__(self, code: str, attribute: str, detail: str, *, hint: str | None = None) -> None:
        super().__init__(code, detail, hint=hint)
        self.attribute = attribute
        self.extra["attribute"] = attribute


# -- HTTP problems of the identity routes (not ret="n" answers) --------------------------------


class AuthRecordNotFound(NotFound):
    slug = "auth-record-not-found"
    title = "No such authentication record"


class VidNotFound(NotFound):
    """No VID with this number was generated in your world (VIDs are per world, like tenants'
    data: another partner's VID is unknown here)."""

    slug = "vid-not-found"
    title = "No such VID"
