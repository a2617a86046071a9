"""The documented personas: fixed people who exist in every world, like a payment provider's cards.

Each persona is one person across the stack: an ID number, a mobile number, bank accounts with
VPAs and PINs, an AA handle. Each one makes one outcome happen on purpose (a payment that
succeeds, a frozen account, a locked biometric, a bank that is down...). Their ID numbers start
with ``9999`` (like UIDAI's own test numbers), which generated residents never do.

What varies by country is only the form: balances are given in major units of the world's
currency, mobile numbers are cut to the country's length and VPAs use the country's PSP handles.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.population.countries import AA_HANDLE_DOMAIN, CountryProfile

OFFLINE_BANK_INDEX = -1
"""``PersonaAccount.bank`` value that means the offline bank instead of one of the country's."""


@dataclass(frozen=True)
class PersonaAccount:
    """A persona's bank account and its VPA; ``bank`` indexes the country's ``banks``."""

    bank: int
    vpa_local: str
    opening_balance: int
    """In major units; the generator multiplies by ``10 ** minor_units``."""
    type: str = "SAVINGS"
    status: str = "ACTIVE"
    is_merchant: bool = False
    merchant_category: str | None = None
    pin_set: bool = True

    def vpa(self, country: CountryProfile) -> str:
        """The full VPA, the same in every country: ``<local>@sandbox``.

        Persona VPAs are documented once for all worlds, so they use the sandbox's own PSP handle
        rather than the handle of their bank (which differs per country); generated residents'
        VPAs use their bank's handle.
        """
        del country  # the same in every world
        return f"{self.vpa_local}@{PERSONA_PSP_HANDLE}"


PERSONA_PSP_HANDLE = "sandbox"


@dataclass(frozen=True)
class Persona:
    """A fixed, documented resident. ``mobile`` is a 10-digit number, shortened per country."""

    key: str
    uid: str
    name: str
    name_local: str
    dob: str
    gender: str
    language: str
    email: str
    mobile: str | None
    mobile_verified: bool
    pin: str | None
    accounts: tuple[PersonaAccount, ...]
    purpose: str
    biometrics_locked: bool = False
    new_vpa: bool = False
    """The VPA was registered at world creation, so the first-24-hours limit applies."""

    @property
    def aa_handle(self) -> str:
        return f"{self.key}@{AA_HANDLE_DOMAIN}"

    @property
    def bank_offline(self) -> bool:
        return any(account.bank == OFFLINE_BANK_INDEX for account in self.accounts)

    def vpas(self, country: CountryProfile) -> tuple[str, ...]:
        return tuple(account.vpa(country) for account in self.accounts)

    def national_mobile(self, country: CountryProfile) -> str | None:
        """The persona's national number in a country: India keeps all ten digits; elsewhere the
        country's first mobile prefix followed by the last digits of the ten."""
        if self.mobile is None:
            return None
        length = country.national_number_length
        if length == len(self.mobile) and self.mobile.startswith(country.mobile_prefixes):
            return self.mobile
        prefix = country.mobile_prefixes[0]
        return prefix + self.mobile[len(self.mobile) - (length - len(prefix)) :]

    def e164_mobile(self, country: CountryProfile) -> str | None:
        national = self.national_mobile(country)
        return None if national is None else country.format_mobile(national)


class UnknownPersona(KeyError):
    """No persona with this key."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown persona"


PERSONAS: tuple[Persona, ...] = (
    Persona(
        key="asha",
        uid="999999990019",
        name="Asha Verma",
        name_local="आशा वर्मा",
        dob="1990-04-12",
        gender="F",
        language="hi",
        email="asha.verma@example.com",
        mobile="9876500001",
        mobile_verified=True,
        pin="1234",
        accounts=(PersonaAccount(bank=0, vpa_local="asha", opening_balance=1_000_000),),
        purpose="Happy-path payer: verified mobile, PIN set, a large balance (1,000,000).",
    ),
    Persona(
        key="ravi",
        uid="999999990026",
        name="Ravi Kumar",
        name_local="रवि कुमार",
        dob="1987-09-23",
        gender="M",
        language="hi",
        email="ravi.kumar@example.com",
        mobile="9876500002",
        mobile_verified=True,
        pin="4321",
        accounts=(PersonaAccount(bank=1, vpa_local="ravi", opening_balance=25_000),),
        purpose="Happy-path payee at another bank: pay him, collect from him, read his statement.",
    ),
    Persona(
        key="meera",
        uid="999999990035",
        name="Meera Iyer",
        name_local="मीरा अय्यर",
        dob="1979-01-30",
        gender="F",
        language="ta",
        email="meera.kirana@example.org",
        mobile="9876500003",
        mobile_verified=True,
        pin="2580",
        accounts=(
            PersonaAccount(
                bank=0,
                vpa_local="meeras.kirana",
                opening_balance=50_000,
                type="CURRENT",
                is_merchant=True,
                merchant_category="5411",
            ),
        ),
        purpose="Owner of Meera's Kirana: verified merchant (MCC 5411 grocery), CURRENT account.",
    ),
    Persona(
        key="kabir",
        uid="999999990042",
        name="Kabir Singh",
        name_local="कबीर सिंह",
        dob="1995-06-05",
        gender="M",
        language="hi",
        email="kabir.singh@example.com",
        mobile="9876500004",
        mobile_verified=True,
        pin="1357",
        accounts=(PersonaAccount(bank=2, vpa_local="kabir", opening_balance=10_000),),
        biometrics_locked=True,
        purpose="Biometrics locked: fingerprint and iris authentication fail, OTP still works.",
    ),
    Persona(
        key="farhan",
        uid="999999990057",
        name="Farhan Sheikh",
        name_local="फ़रहान शेख़",
        dob="1983-11-14",
        gender="M",
        language="en",
        email="farhan.sheikh@example.com",
        mobile="9876500005",
        mobile_verified=True,
        pin="2468",
        accounts=(
            PersonaAccount(bank=1, vpa_local="farhan", opening_balance=15_000, status="FROZEN"),
        ),
        purpose="Account frozen: payments to and from him are declined.",
    ),
    Persona(
        key="dev",
        uid="999999990061",
        name="Dev Malhotra",
        name_local="देव मल्होत्रा",
        dob="1958-02-20",
        gender="M",
        language="hi",
        email="dev.malhotra@example.com",
        mobile="9876500006",
        mobile_verified=True,
        pin="3690",
        accounts=(
            PersonaAccount(bank=3, vpa_local="dev", opening_balance=8_000, status="DORMANT"),
        ),
        purpose="Account dormant (no activity for years): debits are declined until reactivated.",
    ),
    Persona(
        key="lakshmi",
        uid="999999990074",
        name="Lakshmi Nair",
        name_local="लक्ष्मी नायर",
        dob="1992-07-08",
        gender="F",
        language="en",
        email="lakshmi.nair@example.org",
        mobile="9876500007",
        mobile_verified=False,
        pin="1470",
        accounts=(PersonaAccount(bank=0, vpa_local="lakshmi", opening_balance=12_000),),
        purpose="Mobile number on record but not verified: OTP authentication cannot be used.",
    ),
    Persona(
        key="sunil",
        uid="999999990088",
        name="Sunil Yadav",
        name_local="सुनील यादव",
        dob="1969-12-01",
        gender="M",
        language="hi",
        email="sunil.yadav@example.com",
        mobile=None,
        mobile_verified=False,
        pin="9630",
        accounts=(PersonaAccount(bank=1, vpa_local="sunil", opening_balance=9_000),),
        purpose="No mobile number linked to the ID: OTP requests fail, biometrics work.",
    ),
    Persona(
        key="pooja",
        uid="999999990090",
        name="Pooja Das",
        name_local="पूजा दास",
        dob="2001-03-17",
        gender="F",
        language="bn",
        email="pooja.das@example.com",
        mobile="9876500009",
        mobile_verified=True,
        pin="8520",
        accounts=(PersonaAccount(bank=2, vpa_local="pooja", opening_balance=1),),
        purpose="Low balance (1.00): any larger payment from her fails for insufficient funds.",
    ),
    Persona(
        key="vikram",
        uid="999999990100",
        name="Vikram Rao",
        name_local="विक्रम राव",
        dob="1975-10-10",
        gender="M",
        language="te",
        email="vikram.rao@example.com",
        mobile="9876500010",
        mobile_verified=True,
        pin="123456",
        accounts=(
            PersonaAccount(bank=0, vpa_local="vikram", opening_balance=300_000),
            PersonaAccount(bank=2, vpa_local="vikram.rao", opening_balance=40_000),
        ),
        purpose="Two accounts at two banks (one VPA each), and a 6-digit UPI PIN.",
    ),
    Persona(
        key="neha",
        uid="999999990116",
        name="Neha Gupta",
        name_local="नेहा गुप्ता",
        dob="1998-05-25",
        gender="F",
        language="hi",
        email="neha.gupta@example.com",
        mobile="9876500011",
        mobile_verified=True,
        pin="7410",
        accounts=(PersonaAccount(bank=3, vpa_local="neha", opening_balance=20_000),),
        new_vpa=True,
        purpose="VPA registered at world creation: payments above the first-24-hours cap fail.",
    ),
    Persona(
        key="arjun",
        uid="999999990128",
        name="Arjun Reddy",
        name_local="अर्जुन रेड्डी",
        dob="1993-08-19",
        gender="M",
        language="te",
        email="arjun.reddy@example.com",
        mobile="9876500012",
        mobile_verified=True,
        pin=None,
        accounts=(
            PersonaAccount(bank=1, vpa_local="arjun", opening_balance=30_000, pin_set=False),
        ),
        purpose="UPI PIN not set: he can receive money; payments from him fail until a PIN is set.",
    ),
    Persona(
        key="sanjay",
        uid="999999990137",
        name="Sanjay Patel",
        name_local="संजय पटेल",
        dob="1985-01-09",
        gender="M",
        language="hi",
        email="sanjay.patel@example.com",
        mobile="9876500013",
        mobile_verified=True,
        pin="9876",
        accounts=(
            PersonaAccount(bank=OFFLINE_BANK_INDEX, vpa_local="sanjay", opening_balance=40_000),
        ),
        purpose="Banks with Sandbox Offline Bank, always down: payments to or from him fail.",
    ),
)
"""Every persona, in documentation order."""

_BY_KEY = {persona.key: persona for persona in PERSONAS}


def persona_by_key(key: str) -> Persona:
    """The persona with this key (``"asha"``); raises ``UnknownPersona`` listing the keys."""
    persona = _BY_KEY.get(key.strip().lower())
    if persona is None:
        raise UnknownPersona(f"unknown persona {key!r}; personas: {', '.join(_BY_KEY)}")
    return persona
