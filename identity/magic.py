"""Identity's magic table: a documented way to reach every code the JSON slice answers.

Served by ``GET /v1/sandbox/magic`` beside the payment rows, every row with kind "identity";
``tests/identity/test_magic.py`` walks each row and fails on a code without a check. Persona
numbers are the same in every world (``GET /v1/sandbox/personas``).
"""

from __future__ import annotations

from identity.codes import CODES

ASHA = "999999990019"
KABIR = "999999990042"
LAKSHMI = "999999990074"
SUNIL = "999999990088"
UNKNOWN_UID = "912345678905"  # a valid check digit; generated residents never start with 91
BAD_CHECK_DIGIT = "999999990018"
UNKNOWN_VID = "9123456789012346"  # a valid check digit; issued VIDs start with 2-8
NOT_A_TOKEN = "NOTATOKEN"  # noqa: S105 (a uid, no secret)

ROWS: tuple[tuple[str, str, str], ...] = (
    (
        f"uid {UNKNOWN_UID}",
        "998",
        "a number with a valid check digit that is not in your world "
        "(or any bad check digit, e.g. " + BAD_CHECK_DIGIT + "): 998 with actn A201",
    ),
    (
        f"uid {LAKSHMI} (lakshmi) or {SUNIL} (sunil), channel 01",
        "111",
        "OTP by SMS to a resident without a verified mobile",
    ),
    (
        f"uid {LAKSHMI} (lakshmi) or {SUNIL} (sunil), channel 00",
        "110",
        "OTP by SMS and e-mail to a resident without a verified mobile (channel 02 works)",
    ),
    (
        "a second OTP request for a number within 30 s",
        "952",
        "the hint says when to ask again (world time)",
    ),
    (
        "pv.otp other than the one in the inbox",
        "400",
        "a wrong OTP; the third wrong try uses it up",
    ),
    (
        "a fourth try, an OTP 10 minutes old, or no OTP requested",
        "403",
        "the OTP is used up, expired or was never sent",
    ),
    ("an auth txn other than the OTP request's", "402", "OTP auth must reuse the OTP's txn"),
    (
        "Pi name other than the enrolled one",
        "100",
        'e.g. "Asha Varma" for asha; ms="P" with a lower mv matches it',
    ),
    ("Pa pc other than the enrolled one", "200", "any Pa field that differs (Pfa av too)"),
    (
        "a Bio other than the persona's published record at its posh",
        "300",
        "e.g. asha's LEFT_INDEX FMR sent as RIGHT_INDEX, or ravi's record with asha's number "
        "(GET /v1/sandbox/personas/{key}/biometrics; records differ per world)",
    ),
    ("the same finger posh twice in Bios", "310", "duplicate fingers"),
    ("the same iris posh twice in Bios", "311", "duplicate irises"),
    (f"uid {KABIR} (kabir), uses bio=y", "330", "biometrics locked by the resident (any Bio)"),
    ('rc other than "Y"', "512", "no resident consent"),
    ('ver other than "2.5"', "540", "another Auth API version"),
    ("a PID ts more than 24 h before world time", "561", "request too old"),
    ("a PID ts more than 5 minutes after world time", "562", "request from the future"),
    ("the same txn and PID ts twice", "563", "a replay; a fresh ts with the same txn is fine"),
    ("skey encrypted under another RSA key (or 16 bytes)", "500", "invalid Skey"),
    ("skey.ci other than the certificate's", "501", "invalid ci"),
    ("data changed after encryption", "502", "the GCM tag check of the PID fails"),
    ("hmac changed after encryption", "503", "the GCM tag check of the Hmac fails"),
    ("hmac of another PID", "564", "the Hmac does not hash the PID sent"),
    ("a PID that is not well-formed (or an unknown attribute)", "511", "invalid PID"),
    ('Pid ver other than "2.0"', "541", "invalid PID version"),
    ("a wadh that is not base64 of 32 bytes", "552", "invalid wadh"),
    ("lname in Latin letters (or without Demo lang)", "567", "invalid local-language input"),
    ('Demo lang "99"', "568", "unsupported language"),
    ("uses pi=y without Pi", "710", "missing Pi data"),
    ("uses pa=y without Pa", "720", "missing Pa data"),
    ("uses pfa=y without Pfa", "721", "missing Pfa data"),
    ("uses otp=y without pv.otp", "740", "missing OTP data"),
    ("uses bio=y without Bios (or a Bio without a value)", "810", "missing biometric data"),
    (
        'a Bio of type "XYZ", posh "LEFT_TOE", or a value that is not base64',
        "800",
        "invalid biometric data",
    ),
    ("uses with every factor n", "901", "no auth data"),
    ("Pi with data the Uses do not declare (or uses pin=y)", "550", "invalid Uses"),
    ('Pi dob "1990-13-01"', "902", "invalid dob"),
    ('Pi mv "0"', "910", "invalid mv"),
    ('Pi ms "X"', "911", "invalid ms"),
    ("both Pa and Pfa", "913", "Pa and Pfa are exclusive"),
    (
        "eKYC: a PID without wadh, or one that hashes other terms",
        "552",
        'wadh is base64(SHA-256(ver+ra+rc+lr+de+pfr)), e.g. of "2.5OYNNN"; the hint has it',
    ),
    (
        'eKYC: ra naming a factor the uses lack (ra "O" with otp "n")',
        "550",
        "ra O needs otp y; F, I and P need bio y with bt FMR/FIR, IIR and FID",
    ),
    (
        f"uid {NOT_A_TOKEN} (letters that are no UID token you were given)",
        "514",
        "an unknown UID token; another partner's tokens are unknown to you too",
    ),
    (
        f"uid {UNKNOWN_VID} (never issued), or a revoked or replaced VID",
        "515",
        "an invalid VID: POST /v1/identity/vids/{vid}/revoke, or a newer VID of the resident",
    ),
    (
        "a VID a year of world time after it was made",
        "517",
        "an expired VID: generate one, then POST /v1/sandbox/clock/advance 366 days",
    ),
    (
        "XML: a body that is not a well-formed <Auth> or <Otp> (e.g. empty)",
        "510",
        "POST /uidai/otp/2.5/...: the hint is in the X-Sandbox-Hint header",
    ),
    (
        "XML: an ac in the URL that is no AUA code (e.g. public)",
        "530",
        "POST /uidai/otp/2.5/public/...: your ac is in GET /v1/partners/me (aua)",
    ),
    (
        "XML: an sa other than your ac",
        "531",
        "<Otp> or <Auth> with another sub-AUA code",
    ),
    (
        "XML: an asalk in the URL that is not yours",
        "542",
        "another partner's asalk, or any other string",
    ),
    (
        "XML: an lk other than yours",
        "565",
        "<Otp> or <Auth> with another licence key",
    ),
    (
        "XML: an unsigned or altered request once you registered a signing certificate",
        "569",
        "POST /v1/partners/me/certificates, then an <Otp> or <Auth> without a valid signature",
    ),
    (
        "XML: a request signed with another certificate than the one registered, or after it "
        "expired",
        "570",
        "the signature's X509Certificate must be the registered one, valid in world time",
    ),
    (
        'XML eKYC: a <Kyc> whose ver is not "2.5", or whose Rad is not base64 of an <Auth>',
        "540",
        "POST /uidai/kyc/2.5/...: 540 for the version, 510 for the Rad; the answer is a "
        '<Resp status="-1"> around the signed <KycRes>',
    ),
)
"""(value, code, description) of each magic row."""

COVERED_ELSEWHERE: dict[str, str] = {
    "112": "a resident with neither a verified mobile nor an e-mail (no persona is one): "
    "tests/identity/test_otp_service.py",
}
"""Codes the slice answers that no documented value reaches, and the test that reaches them."""

IMPLEMENTED: tuple[str, ...] = tuple(sorted({code for _, code, _ in ROWS} | set(COVERED_ELSEWHERE)))


def codes() -> dict[str, str]:
    return {code: CODES[code].meaning for code in IMPLEMENTED}
