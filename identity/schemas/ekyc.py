"""eKYC API 2.5, JSON rendition: ``POST /v1/identity/ekyc``.

The request is the auth request (``identity.schemas.auth.AuthIn``: encrypted PID or, on the easy
path, ``pid``) with the Kyc attributes ``ra``, ``lr``, ``de`` and ``pfr`` beside it; ``rc`` is the
auth request's (one consent). The PID must carry ``wadh`` = base64(SHA-256(ver+ra+rc+lr+de+pfr)).
"""

from __future__ import annotations

from itertools import permutations
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from identity.schemas.auth import EASY_EXAMPLE, ONE_PID, AuthIn, InfoOut
from sandbox.kit.schema import OutputModel
from sandbox.kit.wire import rule

TXN_NAMESPACE = "UKC:"
"""The eKYC txn namespace: the answer's (and the record's) txn starts with it."""

YN = Literal["Y", "N"]

EKYC_EXAMPLE: dict[str, Any] = {
    **EASY_EXAMPLE,
    "ra": "O",
    "lr": "N",
    "de": "N",
    "pfr": "N",
    "uses": {"otp": "y"},
    "pid": {
        "ts": "2026-11-29T19:33:11",
        "ver": "2.0",
        "wadh": "pc0K1hVqt6oaWRjtxuFDfkB7aCL356jpGa28E1WIZ/4=",  # of "2.5OYNNN"
        "pv": {"otp": "123456"},
    },
}


def _arrangements(letters: str) -> list[str]:
    """Every ordering of every non-empty subset of ``letters``, each letter at most once."""
    return ["".join(p) for n in range(1, len(letters) + 1) for p in permutations(letters, n)]


# ``ra``: one or more of F, I, O, P, each at most once (64 values), as a pattern.
RA = rule(
    "ra",
    "^(" + "|".join(_arrangements("FIOP")) + ")$",
    says="must be one or more of F, I, O, P, each at most once (e.g. O, FO)",
    hint='Name the factors the resident used: F, I, O or P, e.g. "O" or "FO".',
)


class EkycIn(AuthIn):
    ra: str = Field(
        max_length=4,
        pattern=RA.pattern,
        description="The factors the resident authenticated with: F (fingerprint), I (iris), O "
        "(OTP), P (face), or several (e.g. FO). Each must be in `uses` (550 otherwise).",
        examples=["O"],
    )
    lr: YN = Field(description="Y: add the local-language name and address (`ldata`).")
    de: YN = Field(
        description="N: once you registered an encryption certificate (POST /v1/partners/me/"
        'certificates with use "encryption"), `uidData` comes as a JWE to its key. Y: you '
        "delegate the decryption to your KSA; the sandbox, your KSA too, answers it in the "
        "clear. Either way it enters the wadh."
    )
    pfr: YN = Field(
        description="Y: the print format is requested. The sandbox has none yet; it only "
        "enters the wadh."
    )

    model_config = AuthIn.model_config | {
        "json_schema_extra": {"examples": [EKYC_EXAMPLE], **ONE_PID}
    }

    @field_validator("ra")
    @classmethod
    def _factors(cls, ra: str) -> str:
        if not ra or set(ra) - set("FIOP") or len(set(ra)) != len(ra):
            raise ValueError("ra is one or more of F, I, O, P, each at most once (e.g. O, FO)")
        return ra

    @model_validator(mode="after")
    def _txn_fits(self) -> Self:
        if not self.txn.startswith(TXN_NAMESPACE) and len(TXN_NAMESPACE + self.txn) > 50:
            raise ValueError(
                f'an eKYC txn gets the "{TXN_NAMESPACE}" prefix and must then fit 50 characters'
            )
        return self

    def kyc_txn(self) -> str:
        """The txn as the answer and the record carry it: in the eKYC namespace."""
        return self.txn if self.txn.startswith(TXN_NAMESPACE) else TXN_NAMESPACE + self.txn

    def wadh_input(self) -> str:
        """What wadh hashes: ver+ra+rc+lr+de+pfr, e.g. ``2.5OYNNN``."""
        return f"{self.ver}{self.ra}{self.rc}{self.lr}{self.de}{self.pfr}"


class PoiOut(OutputModel):
    name: str = Field(examples=["Asha Verma"])
    dob: str = Field(description="DD-MM-YYYY, as eKYC writes it.", examples=["14-08-1990"])
    gender: str = Field(description="M, F or T.", examples=["F"])
    phone: str | None = Field(description="The mobile number, 10 digits.", examples=["9876500001"])
    email: str | None = Field(examples=["asha.verma@example.com"])


class PoaOut(OutputModel):
    co: str | None = Field(None, description="Care of.")
    house: str | None = None
    street: str | None = None
    lm: str | None = Field(None, description="Landmark.")
    loc: str | None = Field(None, description="Locality.")
    vtc: str | None = Field(None, description="Village, town or city.")
    subdist: str | None = None
    dist: str | None = None
    state: str | None = None
    pc: str | None = Field(None, description="Postal code.")
    po: str | None = Field(None, description="Post office.")
    country: str | None = None


class LDataOut(OutputModel):
    lang: str = Field(description="Demo lang code of the script (06 Hindi).", examples=["06"])
    name: str | None = Field(examples=["आशा वर्मा"])
    address: str | None = Field(
        None, description="The address in that script (null: not enrolled in it)."
    )


class UidDataOut(OutputModel):
    uid: str = Field(description="The Aadhaar number (eKYC returns it in full).")
    poi: PoiOut
    poa: PoaOut
    ldata: LDataOut | None = Field(
        description="With lr Y, the local-language data; null when lr is N or the resident "
        "has no name enrolled in a local script."
    )
    pht: str = Field(description="base64 of the resident's photo, a JPEG.")


class EkycOut(OutputModel):
    ret: Literal["y", "n"] = Field(description="y: authenticated, `uidData` given; n: see `err`.")
    code: str = Field(
        description="Unique code of this answer; GET /v1/identity/auth-records/{code}.",
        examples=["7e9f1c3a2b4d4e6f8a0b1c2d3e4f5a6b"],
    )
    txn: str = Field(description='The txn, prefixed "UKC:".', examples=["UKC:demo-txn-001"])
    ts: str = Field(description="World time of the answer, IST.")
    ttl: str | None = Field(
        None,
        description="With ret y: until when (IST, world time) you may keep the data: a year.",
    )
    err: str | None = Field(None, description="With ret n: the Aadhaar error code.")
    actn: str | None = Field(None, description="With err 998: A201.")
    hint: str | None = Field(None, description="With ret n: what to change.")
    info: InfoOut
    uid_data: UidDataOut | str | None = Field(
        None,
        description="With ret y: the resident's data. Once you registered an encryption "
        'certificate and with de "N", a compact JWE (RSA-OAEP-256, A256GCM, header `x5t#S256` '
        "= your certificate's SHA-256 thumbprint) whose plaintext is this object as JSON.",
    )
