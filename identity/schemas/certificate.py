"""The authority's auth certificate: ``GET /v1/identity/certificate``."""

from __future__ import annotations

from pydantic import Field

from sandbox.kit.schema import OutputModel

PEM_EXAMPLE = "-----BEGIN CERTIFICATE-----\nMIIDDzCCAfegAwIBAgIU...\n-----END CERTIFICATE-----\n"


class CertificateOut(OutputModel):
    ci: str = Field(
        description="The certificate's expiry date, YYYYMMDD: send it as `skey.ci`.",
        examples=["20281129"],
    )
    not_after: str = Field(
        description="The certificate's notAfter (12:00 UTC).", examples=["2028-11-29T12:00:00.000Z"]
    )
    certificate: str = Field(
        description="The X.509 certificate (PEM) whose RSA-2048 key encrypts the session key.",
        examples=[PEM_EXAMPLE],
    )
