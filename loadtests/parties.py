"""Who can pay whom in a world: the personas and generated residents a load test may use.

A world's people follow from its seed, country and size alone (``sandbox.population``), so the
load generator derives their VPAs and PINs itself instead of asking the server: the personas'
PINs are documented, a generated resident's is ``generated_pin(seed, uid)``. A VPA takes part
when it can both pay and be paid without a forced decline: a UPI PIN is set, the account is
ACTIVE at an online bank, the VPA is older than the first-24-hours window, and its opening
balance is at least the configured minimum (so a long run does not drain it). That leaves out
the personas whose purpose is a decline (pooja's low balance, farhan, dev, sanjay, arjun, neha).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sandbox.partners.models import DEFAULT_WORLD_SEED
from sandbox.population.countries import get_country
from sandbox.population.generator import DAY_US, generate_world, generated_pin
from sandbox.population.personas import PERSONAS

KINDS = ("p2p", "p2m")
"""P2P: a random party pays another; P2M: a random party pays one hot merchant."""

_NOW_US = 1_800_000_000_000_000  # any instant: only the *_us columns depend on it
_SECRET = "loadtests-derives-pins-not-hashes"  # noqa: S105 - the hashes are thrown away


@dataclass(frozen=True, slots=True)
class Party:
    """A VPA that can pay (with ``pin``) and be paid."""

    vpa: str
    pin: str
    opening_balance: int
    """Minor units, at world creation."""
    merchant: bool


@dataclass(frozen=True)
class Parties:
    """The parties of one world, and random draws among them."""

    parties: tuple[Party, ...]

    def __post_init__(self) -> None:
        if len(self.parties) < 2:
            raise ValueError("a load test needs at least two parties that can pay each other")

    def __len__(self) -> int:
        return len(self.parties)

    def pick(self, rng: random.Random, *, besides: str | None = None) -> Party:
        """A random party whose VPA is not ``besides``."""
        while True:
            party = self.parties[int(rng.random() * len(self.parties))]
            if party.vpa != besides:
                return party

    def pair(self, rng: random.Random) -> tuple[Party, Party]:
        """A random payer and a different random payee."""
        payer = self.pick(rng)
        return payer, self.pick(rng, besides=payer.vpa)

    def draw(self, rng: random.Random, kind: str, *, merchant: str) -> tuple[Party, str]:
        """(payer, payee VPA) of one payment of ``kind`` (``KINDS``), as the bench's scenarios
        draw them: P2P between two random parties, P2M from a random party to ``merchant``."""
        if kind == "p2p":
            payer, payee = self.pair(rng)
            return payer, payee.vpa
        if kind == "p2m":
            return self.pick(rng, besides=merchant), merchant
        raise ValueError(f"unknown payment kind {kind!r}; known: {', '.join(KINDS)}")


def world_parties(
    *,
    residents: int,
    country: str = "IN",
    min_balance: int = 1000,
    seed: int = DEFAULT_WORLD_SEED,
) -> Parties:
    """The parties of a world of ``residents`` generated residents (besides the personas).

    ``min_balance`` is in major units of the world's currency.
    """
    profile = get_country(country)
    floor = min_balance * 10**profile.minor_units
    persona_pins = {p.uid: p.pin for p in PERSONAS}
    online: dict[str, bool] = {}
    found: list[Party] = []
    for rows in generate_world(
        world_id="loadtest",
        seed=seed,
        country=profile,
        residents=residents,
        now_us=_NOW_US,
        secret_key=_SECRET,
    ):
        online.update({bank["code"]: bool(bank["online"]) for bank in rows.banks})
        accounts = {account["number"]: account for account in rows.accounts}
        for vpa in rows.vpas:
            account = accounts[vpa["account_number"]]
            uid = account["resident_uid"]
            if (
                vpa["pin_hash"] is None
                or account["status"] != "ACTIVE"
                or not online.get(account["bank_code"], False)
                or vpa["registered_us"] > _NOW_US - DAY_US
                or account["opening_balance"] < floor
            ):
                continue
            pin = persona_pins[uid] if uid in persona_pins else generated_pin(seed, uid)
            if pin is None:  # pragma: no cover - a persona without a PIN has no pin_hash either
                continue
            found.append(
                Party(
                    vpa=vpa["vpa"],
                    pin=pin,
                    opening_balance=account["opening_balance"],
                    merchant=bool(vpa["is_merchant"]),
                )
            )
    return Parties(tuple(found))
