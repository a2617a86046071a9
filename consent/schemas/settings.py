"""Wire models of the partner's AA settings (PUT /v1/partners/me/aa): her signing key as a
JWK, the notification URL."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.kit.schema import InputModel, OutputModel


class PartnerJwk(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    kty: Literal["RSA"]
    # base64url without padding (RFC 7518 section 6.3.1); n of 2048 bits or more is 342+ chars.
    n: str = Field(
        pattern=r"^[A-Za-z0-9_-]+$",
        min_length=342,
        max_length=1024,
        description="The modulus, base64url: 2048 bits or more (342+ characters).",
    )
    e: str = Field(pattern=r"^[A-Za-z0-9_-]+$", min_length=1, max_length=16, examples=["AQAB"])
    kid: str | None = Field(None, max_length=255)


class AaSettingsIn(InputModel):
    signing_key: PartnerJwk | None = Field(
        None,
        description="Your public RSA JWK. Once set, every /aa request of yours must carry "
        "`x-jws-signature` (detached JWS, RS256, b64 false) made with its private key; null "
        "removes it.",
    )
    notification_url: str | None = Field(
        None,
        max_length=2000,
        pattern=r"^https?://",
        description="Your FIU base URL: consent notifications are POSTed to "
        "`<notificationUrl>/Consent/Notification`; null: to your webhook URL.",
        examples=["https://fiu.example.com/aa"],
    )


class AaSettingsOut(OutputModel):
    signing_key: dict[str, Any] | None
    notification_url: str | None
    notifications_go_to: str | None = Field(
        description="Where consent notifications are delivered now."
    )
