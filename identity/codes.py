"""The Aadhaar error codes the sandbox answers with, each with its meaning and a hint on the fix.

Codes and meanings follow the UIDAI Auth API 2.5 error table (section "Error codes" of
``shared/reference/aadhaar.md``), the OTP API 2.5 codes (110-112, 950-953) and the eKYC API 2.5
ones that share the table. An answer with ``ret="n"`` carries one of these as ``err``; 998 also
carries an ``actn`` (``ACTIONS``). Hints speak to the AUA's developer: what to change in the
request, not what the authority thinks of it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    meaning: str
    hint: str


def _codes(*rows: tuple[str, str, str]) -> dict[str, Code]:
    return {c: Code(c, m, h) for c, m, h in rows}


_LOCAL = "Send lang (e.g. 06 Hindi) with lname/lav, and write them in that language's script."

CODES: dict[str, Code] = _codes(
    (
        "100",
        "Pi (identity) data mismatch",
        "Send the resident's name, gender, dob, phone or e-mail "
        'exactly as enrolled (GET /v1/sandbox/personas), or lower mv with ms="P".',
    ),
    (
        "110",
        "No verified mobile or e-mail for this number",
        "Ask for the OTP on a channel the resident has verified, or pick a persona with a mobile.",
    ),
    (
        "111",
        "No verified mobile for this number",
        "Use channel 02 (e-mail) or a persona whose mobile is verified.",
    ),
    (
        "112",
        "Neither a verified mobile nor an e-mail",
        "This resident cannot receive an OTP; authenticate with demographics or biometrics.",
    ),
    (
        "200",
        "Pa/Pfa (address) data mismatch",
        "Pa is exact per field (case and spaces ignored); "
        'send only the fields you know, or use Pfa with ms="P" and a lower mv.',
    ),
    (
        "300",
        "Biometric data did not match",
        "Capture again, or send the persona's published record (GET "
        "/v1/sandbox/personas/{key}/biometrics).",
    ),
    ("310", "Duplicate fingers used", "Send each finger once (distinct posh values)."),
    ("311", "Duplicate irises used", "Send each iris once (LEFT_IRIS, RIGHT_IRIS)."),
    (
        "330",
        "Biometrics locked by the resident",
        "The resident has locked biometrics: authenticate with an OTP instead.",
    ),
    (
        "331",
        "Aadhaar number locked by the resident",
        "The resident has locked the number: authenticate with a VID or a UID token.",
    ),
    (
        "332",
        "Aadhaar number usage blocked by the resident",
        "The resident blocked this number's use; ask for a VID.",
    ),
    (
        "400",
        "Invalid OTP value",
        "Read the OTP from GET /v1/sandbox/inbox?to=<mobile or e-mail> "
        "and send it in Pv otp; after 3 wrong tries ask for a new one.",
    ),
    (
        "402",
        "txn does not match the txn of the OTP request",
        "Send the auth request with the same txn as the OTP request that produced the OTP.",
    ),
    (
        "403",
        "OTP attempts exhausted, OTP expired, or no OTP generated",
        "Request a new OTP (POST /v1/identity/otp), then authenticate within 10 minutes.",
    ),
    (
        "500",
        "Invalid encryption of the session key (Skey)",
        "Encrypt a fresh 32-byte AES-256 key with RSA/ECB/PKCS1Padding under the sandbox's auth "
        "certificate (GET /v1/identity/certificate), then base64 it.",
    ),
    (
        "501",
        "Invalid certificate identifier (ci)",
        "Set Skey ci to the expiry date (YYYYMMDD) of the sandbox's auth certificate.",
    ),
    (
        "502",
        "Invalid encryption of the PID block (Data)",
        "AES-256-GCM the PID with IV = last 12 bytes of ts, AAD = last 16 bytes of ts, append the "
        "16-byte tag and prepend the 19 bytes of ts, under the session key sent in Skey.",
    ),
    (
        "503",
        "Invalid encryption of the Hmac",
        "AES-256-GCM SHA-256(PID bytes) with the PID's key, IV and AAD; do not prepend ts.",
    ),
    (
        "510",
        "Invalid Auth XML",
        "Send a well-formed <Auth> with uid, rc, ac, sa, ver, txn, lk, and "
        "the Uses, Skey, Data and Hmac elements.",
    ),
    (
        "511",
        "Invalid PID XML",
        "Send a well-formed <Pid ts ver> whose children are Demo, Bios and Pv, with their spec "
        "attributes only.",
    ),
    ("512", "Invalid resident consent (rc)", 'Set rc="Y" once the resident has consented.'),
    ("514", "Invalid UID token", "Send the UID token returned to your AUA, or the number or VID."),
    ("515", "Invalid VID", "The VID is unknown or revoked: generate a new one after an OTP."),
    ("517", "Expired VID", "Generate a new VID (POST /v1/identity/vids) and use that."),
    ("521", "Invalid device code (dc)", "Send the dc that the RD service put in DeviceInfo."),
    (
        "530",
        "Invalid authenticator code (ac)",
        "Use the ac of your AUA credentials (GET /v1/partners/me) in the URL and the request.",
    ),
    ("531", "Invalid sub-AUA code (sa)", "Use the sa of your AUA credentials."),
    ("540", "Invalid Auth XML version", 'Set ver="2.5" on <Auth>.'),
    (
        "541",
        "Invalid PID XML version",
        'Set ver="2.0" on <Pid> (the PID block stays 2.0 in Auth 2.5).',
    ),
    (
        "542",
        "AUA not authorised for this ASA",
        "Use the ASA licence key (asalk) of your credentials.",
    ),
    (
        "550",
        "Invalid Uses element",
        'Send Uses with pi, pa, pfa, bio, pin and otp as "y" or "n", and bt when bio is y.',
    ),
    ("552", "Invalid wadh", 'wadh is base64(SHA-256(ver+ra+rc+lr+de+pfr)), e.g. of "2.5FYNNN".'),
    (
        "561",
        "Request too old (ts more than 24 hours ago)",
        "Stamp the PID ts with the current IST time (world time, if you moved the clock).",
    ),
    (
        "562",
        "Request from the future (ts ahead of the server)",
        "Stamp the PID ts with the current IST time; check the client's clock and time zone.",
    ),
    (
        "563",
        "Duplicate request",
        "The same (AUA, txn, PID ts) was already seen: a replay. A reused "
        "txn is fine with a fresh ts; build a new PID for each attempt.",
    ),
    (
        "564",
        "HMAC validation failed",
        "Hash the PID bytes exactly as encrypted in Data (declaration and whitespace included).",
    ),
    ("565", "Licence key expired", "Use the current licence key of your AUA credentials."),
    ("567", "Invalid local-language input", _LOCAL),
    (
        "568",
        "Unsupported language",
        "Use one of the spec's lang codes: 01 02 05 06 07 11 12 13 15 16 20 21 22.",
    ),
    (
        "569",
        "Digital signature verification failed",
        "Sign the whole <Auth> (enveloped, rsa-sha256) with the certificate you registered.",
    ),
    (
        "570",
        "Invalid key info in the signature",
        "Sign with the certificate registered at POST /v1/partners/me/certificates; include it.",
    ),
    ("710", "Missing Pi data", 'Uses pi="y" needs Demo/Pi with at least one attribute.'),
    ("720", "Missing Pa data", 'Uses pa="y" needs Demo/Pa with at least one attribute.'),
    ("721", "Missing Pfa data", 'Uses pfa="y" needs Demo/Pfa with av or lav.'),
    ("730", "Missing PIN data", 'Uses pin="y" needs Pv pin.'),
    ("740", "Missing OTP data", 'Uses otp="y" needs Pv otp (the 6 digits from the inbox).'),
    (
        "800",
        "Invalid biometric data",
        "Send Bio type FMR, FIR, IIR or FID with a posh and base64 data.",
    ),
    ("810", "Missing biometric data", 'Uses bio="y" needs Bios with at least one Bio.'),
    (
        "811",
        "Biometric data missing in the ID repository",
        "This resident has no biometrics of that kind; use another factor.",
    ),
    (
        "901",
        "No authentication data in the PID",
        "Send at least one of Demo (Pi, Pa, Pfa), Bios or Pv (otp, pin).",
    ),
    (
        "902",
        "Invalid dob",
        "Send dob as YYYY-MM-DD or YYYY (a real date, not in the future) and dobt as V, D or A.",
    ),
    ("910", "Invalid mv", "mv (and lmv) is a whole number from 1 to 100."),
    ("911", "Invalid ms", 'ms is "E" (exact) or "P" (partial).'),
    ("913", "Both Pa and Pfa present", "Send either Pa (structured) or Pfa (free text), not both."),
    ("940", "Unauthorised ASA channel", "Send through the ASA of your credentials."),
    ("950", "OTP store or delivery error", "Retry the OTP request a little later."),
    ("952", "OTP requested too often", "Wait before asking for another OTP for this number."),
    (
        "953",
        "Too many OTP requests",
        "Wait before asking for another OTP; use the one already sent.",
    ),
    ("995", "Aadhaar number suspended", "Suspended numbers cannot authenticate; pick another."),
    ("996", "Aadhaar number cancelled", "Cancelled numbers cannot authenticate; pick another."),
    (
        "997",
        "Aadhaar number suspended (not in a state to authenticate)",
        "Suspended numbers cannot authenticate; pick another persona.",
    ),
    (
        "998",
        "Invalid Aadhaar number or VID",
        "Check the 12-digit number (Verhoeff check digit) or 16-digit VID; see actn.",
    ),
    ("999", "Unknown error", "Retry; if it persists, report the txn to the sandbox maintainers."),
)

ACTIONS: dict[str, str] = {
    "A201": "The number is not in the repository: check it with the resident.",
    "A202": "The number is temporarily unavailable: retry later.",
}
"""``actn`` values that come with 998 (Auth API 2.5)."""
