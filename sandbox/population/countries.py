"""Country profiles: currency, phone format, name locales, banks and payment limits per country.

A world is built for one country. The protocols stay the same everywhere; the profile only sets
what differs: the currency and its minor units, how a mobile number looks, which names and
languages residents have, which (fictional) banks hold their accounts and the payment limits.

India's limits follow the published UPI rules. The limits of every other country are sandbox
values, chosen as rough local-currency equivalents of India's; they are not official figures of
any regulator or scheme.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

AA_HANDLE_DOMAIN = "sandbox-aa"
"""The account aggregator of every world: AA handles are ``<local>@sandbox-aa``."""


@dataclass(frozen=True)
class Bank:
    """A fictional bank: IFSC-like code (4 capitals), display name and UPI PSP handle."""

    code: str
    name: str
    psp_handle: str


OFFLINE_BANK = Bank("OFFL", "Sandbox Offline Bank", "offlinebank")
"""Present in every world and always offline, so a team can see a bank-down failure on purpose."""


class UnknownCountry(KeyError):
    """No profile for this country code."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown country"


@dataclass(frozen=True)
class CountryProfile:
    """What a world takes from its country. Money fields are integers in minor units."""

    code: str
    name: str
    currency: str
    minor_units: int
    calling_code: str
    national_number_length: int
    mobile_prefixes: tuple[str, ...]
    faker_locales: tuple[str, ...]
    local_script: str | None
    languages: tuple[str, ...]
    banks: tuple[Bank, ...]
    per_txn_limit: int
    daily_limit: int
    new_vpa_24h_limit: int
    autopay_no_pin_limit: int
    lite_txn_limit: int

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @property
    def all_banks(self) -> tuple[Bank, ...]:
        """The country's banks followed by the offline bank every world has."""
        return (*self.banks, OFFLINE_BANK)

    @cached_property
    def mobile_pattern(self) -> re.Pattern[str]:
        """E.164 mobile numbers of this country (calling code, a mobile prefix, the rest)."""
        prefixes = "|".join(re.escape(p) for p in self.mobile_prefixes)
        return re.compile(
            rf"^{re.escape(self.calling_code)}(?=(?:{prefixes}))\d{{{self.national_number_length}}}$"
        )

    def format_mobile(self, national: str) -> str:
        """E.164 form of a national mobile number: ``"9876543210"`` -> ``"+919876543210"``."""
        if not national.isascii() or not national.isdigit():
            raise ValueError(f"a national number has only digits, got {national!r}")
        if len(national) != self.national_number_length:
            raise ValueError(
                f"{self.name} mobile numbers have {self.national_number_length} digits after "
                f"{self.calling_code}, got {len(national)}"
            )
        if not national.startswith(self.mobile_prefixes):
            raise ValueError(
                f"{self.name} mobile numbers start with one of {', '.join(self.mobile_prefixes)}"
            )
        return self.calling_code + national


def _major(amount: int) -> int:
    """Major units to minor units (every profile here has two minor units)."""
    return amount * 100


_INDIA = CountryProfile(
    code="IN",
    name="India",
    currency="INR",
    minor_units=2,
    calling_code="+91",
    national_number_length=10,
    mobile_prefixes=("6", "7", "8", "9"),
    faker_locales=("en_IN",),
    local_script="Deva",
    languages=("hi", "en", "ta", "bn", "mr", "te"),
    banks=(
        Bank("BHRT", "Sandbox Bharat Bank", "bharat"),
        Bank("DHAN", "Sandbox Dhan Vikas Bank", "dhanvikas"),
        Bank("KAVR", "Sandbox Kaveri Co-operative Bank", "kaveri"),
        Bank("HIML", "Sandbox Himalaya Bank", "himalaya"),
        Bank("GRMN", "Sandbox Gramin Bank", "gramin"),
        Bank("SPAY", "Sandbox Payments Bank", "sbxpay"),
    ),
    # UPI: Rs 1,00,000 per transaction and per day, Rs 5,000 in the first 24 h of a new
    # registration, e-mandates without PIN up to Rs 15,000, UPI Lite payments up to Rs 1,000.
    per_txn_limit=_major(100_000),
    daily_limit=_major(100_000),
    new_vpa_24h_limit=_major(5_000),
    autopay_no_pin_limit=_major(15_000),
    lite_txn_limit=_major(1_000),
)

# Sandbox values for the partner countries (not official): about the same purchasing weight as
# India's limits, rounded to local-currency numbers a tester can remember.
_TRINIDAD = CountryProfile(
    code="TT",
    name="Trinidad and Tobago",
    currency="TTD",
    minor_units=2,
    calling_code="+1868",
    national_number_length=7,
    mobile_prefixes=("3", "4", "6", "7"),
    faker_locales=("en_GB", "en_IN"),
    local_script=None,
    languages=("en",),
    banks=(
        Bank("CRNI", "Sandbox Caroni Bank", "caroni"),
        Bank("MRCS", "Sandbox Maracas Bay Bank", "maracas"),
        Bank("PTSP", "Sandbox Port of Spain Savings", "portofspain"),
        Bank("TOBG", "Sandbox Tobago Credit Union", "tobagocu"),
        Bank("NRPB", "Sandbox Northern Range People's Bank", "northernrange"),
    ),
    per_txn_limit=_major(10_000),
    daily_limit=_major(10_000),
    new_vpa_24h_limit=_major(500),
    autopay_no_pin_limit=_major(1_500),
    lite_txn_limit=_major(100),
)

_ARMENIA = CountryProfile(
    code="AM",
    name="Armenia",
    currency="AMD",
    minor_units=2,
    calling_code="+374",
    national_number_length=8,
    mobile_prefixes=("41", "43", "44", "55", "77", "91", "93", "94", "95", "96", "98", "99"),
    faker_locales=("en_US",),  # names come from the curated Latin/Armenian list in names.py
    local_script="Armn",
    languages=("hy", "en"),
    banks=(
        Bank("SEVN", "Sandbox Sevan Bank", "sevan"),
        Bank("ARGT", "Sandbox Aragats Bank", "aragats"),
        Bank("DEBD", "Sandbox Debed Bank", "debed"),
        Bank("DLJN", "Sandbox Dilijan Savings", "dilijan"),
        Bank("GRNI", "Sandbox Garni Credit Bank", "garni"),
    ),
    per_txn_limit=_major(500_000),
    daily_limit=_major(500_000),
    new_vpa_24h_limit=_major(25_000),
    autopay_no_pin_limit=_major(75_000),
    lite_txn_limit=_major(5_000),
)

_SIERRA_LEONE = CountryProfile(
    code="SL",
    name="Sierra Leone",
    currency="SLE",
    minor_units=2,
    calling_code="+232",
    national_number_length=8,
    mobile_prefixes=("30", "33", "34", "75", "76", "77", "78", "79", "88", "99"),
    faker_locales=("en_GB",),
    local_script=None,
    languages=("en",),
    banks=(
        Bank("LNMB", "Sandbox Lion Mountain Bank", "lionmountain"),
        Bank("TKHB", "Sandbox Tokeh Bank", "tokeh"),
        Bank("KONB", "Sandbox Kono Bank", "kono"),
        Bank("SEWA", "Sandbox Sewa River Bank", "sewa"),
        Bank("LOMA", "Sandbox Loma Hills Savings", "lomahills"),
    ),
    per_txn_limit=_major(25_000),
    daily_limit=_major(25_000),
    new_vpa_24h_limit=_major(1_250),
    autopay_no_pin_limit=_major(3_750),
    lite_txn_limit=_major(250),
)

_SURINAME = CountryProfile(
    code="SR",
    name="Suriname",
    currency="SRD",
    minor_units=2,
    calling_code="+597",
    national_number_length=7,
    mobile_prefixes=("6", "7", "8"),
    faker_locales=("nl_NL",),
    local_script=None,
    languages=("nl", "en"),
    banks=(
        Bank("PRMB", "Sandbox Paramaribo Bank", "paramaribo"),
        Bank("CPNM", "Sandbox Coppename Bank", "coppename"),
        Bank("MRWB", "Sandbox Marowijne Spaarbank", "marowijne"),
        Bank("NKRB", "Sandbox Nickerie Bank", "nickerie"),
        Bank("SRMV", "Sandbox Saramacca Volksbank", "saramacca"),
    ),
    per_txn_limit=_major(40_000),
    daily_limit=_major(40_000),
    new_vpa_24h_limit=_major(2_000),
    autopay_no_pin_limit=_major(6_000),
    lite_txn_limit=_major(400),
)

_ANTIGUA = CountryProfile(
    code="AG",
    name="Antigua and Barbuda",
    currency="XCD",
    minor_units=2,
    calling_code="+1268",
    national_number_length=7,
    mobile_prefixes=("7",),
    faker_locales=("en_GB",),
    local_script=None,
    languages=("en",),
    banks=(
        Bank("SHPB", "Sandbox Shirley Heights Bank", "shirleyheights"),
        Bank("DCKY", "Sandbox Dockyard Bank", "dockyard"),
        Bank("BRBD", "Sandbox Barbuda Savings", "barbuda"),
        Bank("DKBY", "Sandbox Dickenson Bay Bank", "dickensonbay"),
        Bank("STJC", "Sandbox St. John's Credit Union", "stjohns"),
    ),
    per_txn_limit=_major(3_000),
    daily_limit=_major(3_000),
    new_vpa_24h_limit=_major(150),
    autopay_no_pin_limit=_major(450),
    lite_txn_limit=_major(30),
)

_PAPUA_NEW_GUINEA = CountryProfile(
    code="PG",
    name="Papua New Guinea",
    currency="PGK",
    minor_units=2,
    calling_code="+675",
    national_number_length=8,
    mobile_prefixes=("7",),
    faker_locales=("en_AU",),
    local_script=None,
    languages=("en",),
    banks=(
        Bank("MHGN", "Sandbox Mount Hagen Bank", "mounthagen"),
        Bank("SEPK", "Sandbox Sepik Bank", "sepik"),
        Bank("KKDA", "Sandbox Kokoda Bank", "kokoda"),
        Bank("FLYR", "Sandbox Fly River Bank", "flyriver"),
        Bank("MDNG", "Sandbox Madang Savings", "madang"),
    ),
    per_txn_limit=_major(5_000),
    daily_limit=_major(5_000),
    new_vpa_24h_limit=_major(250),
    autopay_no_pin_limit=_major(750),
    lite_txn_limit=_major(50),
)

COUNTRIES: dict[str, CountryProfile] = {
    profile.code: profile
    for profile in (
        _INDIA,
        _TRINIDAD,
        _ARMENIA,
        _SIERRA_LEONE,
        _SURINAME,
        _ANTIGUA,
        _PAPUA_NEW_GUINEA,
    )
}
"""Every supported country, keyed by ISO 3166 alpha-2 code; India first (the default)."""

DEFAULT_COUNTRY = "IN"


def get_country(code: str) -> CountryProfile:
    """The profile for an ISO 3166 alpha-2 code, in any case (``"tt"`` works)."""
    profile = COUNTRIES.get(code.strip().upper())
    if profile is None:
        valid = ", ".join(f"{c} ({p.name})" for c, p in COUNTRIES.items())
        raise UnknownCountry(f"unknown country {code!r}; valid codes: {valid}")
    return profile
