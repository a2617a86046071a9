"""Wire models of partners."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, EmailStr, Field, StrictBool

from sandbox.kit.schema import InputModel, OutputModel

CountryCode = Literal["IN", "TT", "AM", "SL", "SR", "AG", "PG"]


class PartnerCreate(InputModel):
    name: str = Field(
        min_length=1,
        max_length=200,
        description="Team or organisation name.",
        examples=["Team Doubles"],
    )
    contact_email: EmailStr = Field(
        description="Where the organiser can reach the team.", examples=["team@example.com"]
    )
    webhook_url: AnyHttpUrl | None = Field(
        None,
        description="Where signed event notifications are POSTed (http or https).",
        examples=["https://team.example.com/hooks/sandbox"],
    )
    country: CountryCode = Field(
        "IN",
        description="Country profile of the world: currency, phone formats, names, limits.",
        examples=["IN"],
    )


class AuaOut(OutputModel):
    """AUA credentials for the identity XML wire format (``/uidai/...``)."""

    ac: str = Field(
        description="AUA code: in the URL and the `ac` attribute of <Auth> and <Otp>.",
        examples=["3k2j4h5g6f"],
    )
    sa: str = Field(description="Sub-AUA code (`sa`): equal to `ac`.", examples=["3k2j4h5g6f"])
    lk: str = Field(
        description="Licence key: the `lk` attribute (565 otherwise).",
        examples=["5d41402abc4b2a76b9719d911017c592aabbccdd"],
    )
    asalk: str = Field(
        description="ASA licence key: the last segment of the URL (542 otherwise).",
        examples=["7d793037a0760186574b0282f2f435e7aabbccdd"],
    )


class PartnerCreated(OutputModel):
    partner_id: str = Field(examples=["prt_3k2j4h5g6f7d8s9a0q1w"])
    api_key: str = Field(
        description="Shown once; send it as `Authorization: Bearer <apiKey>`.",
        examples=["sk_sandbox_Vh3..."],
    )
    webhook_secret: str = Field(
        description="Verifies the `Sandbox-Signature` header of webhooks (the whole string is "
        "the HMAC key) and, being `whsec_<base64>`, the Standard Webhooks `webhook-signature`.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )
    standard_webhooks_secret: str = Field(
        description="The same secret as Standard Webhooks libraries take it "
        "(`Webhook(secret).verify(body, headers)`): equal to `webhookSecret` for partners "
        "created since the sandbox sends Standard Webhooks headers.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )
    country: str = Field(examples=["IN"])
    currency: str = Field(examples=["INR"])
    aua: AuaOut = Field(description="AUA credentials for the identity XML (`/uidai/...`).")
    next_steps: list[str]


class PartnerUpdate(InputModel):
    name: str | None = Field(None, min_length=1, max_length=200, examples=["Team Doubles"])
    webhook_url: AnyHttpUrl | None = Field(
        None,
        description="New webhook URL; `null` stops deliveries.",
        examples=["https://team.example.com/hooks/sandbox"],
    )
    fixed_otp: StrictBool | None = Field(
        None,
        description="`true`: every identity OTP of your world is 123456 (for automated tests); "
        "`false`: fresh random OTPs, read from GET /v1/sandbox/inbox.",
        examples=[True],
    )


class PartnerPublic(OutputModel):
    partner_id: str
    name: str
    contact_email: str
    webhook_url: str | None
    country: str
    currency: str
    created_at: str
    fixed_otp: bool = Field(description="Whether every identity OTP of your world is 123456.")
    aua: AuaOut = Field(description="AUA credentials for the identity XML (`/uidai/...`).")


class KeyRotated(OutputModel):
    api_key: str = Field(description="The new key; every older key stops working now.")
