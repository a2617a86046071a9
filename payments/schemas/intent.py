"""Wire models of signed UPI intents and QR codes (NPCI linking spec 1.6).

Examples work against the personas: meeras.kirana@sandbox is the world's verified merchant.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from payments.schemas.pay import Party, Payee
from sandbox.kit.schema import InputModel, OutputModel
from sandbox.kit.wire import Amount, Vpa, rule

# The link's scheme, stated in the OpenAPI; its parameters (NPCI linking spec 1.6) are checked one
# by one by the service, each failure naming its parameter (`link.am`...).
UPI_LINK = rule(
    "scheme",
    r"^upi://pay\?",
    says="must start with upi://pay?",
    hint="A UPI payment link is upi://pay?pa=...&pn=...; build one with POST /v1/upi/intents.",
)

EXAMPLE_LINK = (
    "upi://pay?pa=meeras.kirana@sandbox&pn=Meera%20Iyer&am=100.00&cu=INR&tn=Groceries"
    "&tr=ORDER-1001&mc=5411&mode=05&purpose=00&orgid=000000"
)


class MerchantPayee(Payee):
    vpa: Vpa = Field(
        description="The payee: a verified merchant of your world (it signs the link).",
        examples=["meeras.kirana@sandbox"],
    )


class IntentIn(InputModel):
    payee: MerchantPayee
    amount: Amount | None = Field(
        None,
        description="`am`: the amount to pay, in the world's currency with exactly its minor "
        "digits. Leave it out for a static QR where the payer types the amount.",
        examples=["100.00"],
    )
    min_amount: Amount | None = Field(
        None,
        description="`mam`: the least the payer may pay (at most `amount`).",
        examples=["50.00"],
    )
    note: str | None = Field(
        None, max_length=50, description="`tn`: shown to the payer.", examples=["Groceries"]
    )
    ref_id: str | None = Field(
        None,
        max_length=35,
        pattern=r"^[A-Za-z0-9\-_.]+$",
        description="`tr`: your order or bill reference. Mandatory in a dynamic merchant link "
        "(spec 1.2), so the sandbox makes one when an amount is given without it.",
        examples=["ORDER-1001"],
    )
    url: str | None = Field(
        None,
        max_length=255,
        pattern=r"^https?://[^\s]+$",
        description="`url`: an http(s) page with the order or bill details.",
        examples=["https://example.com/orders/1001"],
    )
    mode: Literal["02", "05"] = Field(
        "05",
        description="`mode`: 05 secure intent (a link opened on the payer's phone) or 02 secure "
        "QR (a printed or displayed code). Both are signed.",
    )
    purpose: str = Field(
        "00", pattern=r"^[0-9]{2}$", description="`purpose`: 00 is the default purpose."
    )


class QrOut(OutputModel):
    svg: str = Field(description="The QR code of `link` as an SVG document (image/svg+xml).")
    png_base64: str = Field(
        description="The same QR code as a PNG (image/png), base64: use it as "
        '`<img src="data:image/png;base64,...">`.'
    )


class IntentOut(OutputModel):
    link: str = Field(
        description="The signed upi://pay link; `sign` is last.", examples=[EXAMPLE_LINK]
    )
    signed: bool = True
    key_id: str = Field(description="`kid` of the key in GET /v1/upi/intents/keys that signed.")
    algorithm: Literal["ES256"] = Field(
        "ES256", description="ECDSA P-256 + SHA-256, DER, base64 (see the keys endpoint)."
    )
    signed_text: str = Field(
        description="Exactly the bytes `sign` covers: the query string without `sign`."
    )
    params: dict[str, str] = Field(description="The link's parameters, decoded, without `sign`.")
    qr: QrOut


class ParseIn(InputModel):
    link: str = Field(
        min_length=1,
        max_length=4096,
        pattern=UPI_LINK.pattern,
        description="A upi://pay link, exactly as scanned or received.",
        examples=[EXAMPLE_LINK],
    )


class ParsedPayee(OutputModel):
    vpa: str
    exists: bool = Field(description="Whether `pa` is a VPA of your world.")
    name: str | None = Field(None, description="The name your world has for `pa`.")
    name_matches: bool = Field(description="Whether `pn` is that name.")
    verified_merchant: bool = False


class PayFields(OutputModel):
    """The parts of a POST /v1/upi/pay body the link decides; add `payer` (and `amount` when
    the link has none) and send it."""

    payee: Party
    amount: str | None = Field(None, description="Null when the payer chooses the amount.")
    note: str | None = None
    ref_id: str | None = None
    txn_id: str | None = None


class ParsedOut(OutputModel):
    valid: bool = Field(True, description="The link follows the linking spec (else a 422).")
    signed: bool = Field(description="The link carries `sign`.")
    signature_valid: bool = Field(
        description="`sign` verifies with one of your world's merchant keys over the link as sent."
    )
    key_id: str | None = Field(None, description="The key that verified it.")
    hint: str = Field(description="What the result means and what to do next.")
    params: dict[str, str] = Field(description="Every parameter, decoded, without `sign`.")
    mode: str | None = Field(None, description="What `mode` means.", examples=["secure intent"])
    amount: str | None = Field(None, examples=["100.00"])
    min_amount: str | None = None
    currency: str = Field(examples=["INR"])
    payee: ParsedPayee
    payment: PayFields


class MerchantKeyOut(OutputModel):
    kid: str
    kty: Literal["EC"] = "EC"
    crv: Literal["P-256"] = "P-256"
    x: str = Field(description="base64url of the public point's x (JWK, RFC 7518).")
    y: str
    use: Literal["sig"] = "sig"
    alg: Literal["ES256"] = "ES256"
    pem: str = Field(description="The same public key as SubjectPublicKeyInfo PEM.")
    created_at: str


class MerchantKeysOut(OutputModel):
    keys: list[MerchantKeyOut] = Field(
        description="A JWK Set: the keys that sign your world's intents (the oldest signs)."
    )
