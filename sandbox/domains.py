"""What a domain (payments, identity, consent) hands the platform: the seam ``create_app`` wires.

A domain package exports one ``DOMAIN = Domain(...)`` (``payments/domain.py``); ``create_app``
includes its routers after the platform's, starts its periodic jobs in the lifespan and stops
them before the database closes, and gives the webhook dispatcher its signers. The platform
imports no domain: only ``sandbox.app`` names the installed ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import APIRouter

from sandbox.kit.clock import Clock
from sandbox.ops.periodic import Periodic
from sandbox.settings import Settings
from sandbox.storage.database import Database
from sandbox.webhooks.signing import Signer

if TYPE_CHECKING:  # sandbox.hot needs the app state, which names Domain
    from sandbox.hot import HotRouter

JobsFactory = Callable[[Database, Settings, Clock], list[Periodic]]
SignersFactory = Callable[[Settings], Mapping[str, Signer]]


@dataclass(frozen=True, slots=True)
class MagicRow:
    """A documented value that forces an outcome (``GET /v1/sandbox/magic``)."""

    kind: str  # what the value is: "payee", "amount", ...; every identity row is "identity"
    value: str
    code: str  # the protocol's code(s) it forces; "A / B" when it gives two
    description: str


@dataclass(frozen=True, slots=True)
class Magic:
    """A domain's magic table and every code it implements (code -> meaning)."""

    rows: Sequence[MagicRow]
    codes: Mapping[str, str]


def no_jobs(db: Database, settings: Settings, clock: Clock) -> list[Periodic]:
    return []


def no_signers(settings: Settings) -> Mapping[str, Signer]:
    return {}


@dataclass(frozen=True, slots=True)
class Domain:
    """One domain as the platform sees it.

    - ``routers``: included in order, flat (each level of nesting costs matching per request);
    - ``jobs(db, settings, clock)``: the periodic jobs of one app, built by ``create_app`` and
      run in its lifespan (expiry sweeps; a setting of 0 seconds returns none);
    - ``signers(settings)``: event-type prefix -> ``Signer``, for events whose spec prescribes
      the body and signature on the wire (AA: ``{"aa.": jws}``); other events are HMAC-signed;
    - ``magic``: its rows and codes in ``GET /v1/sandbox/magic``, listed in the order of the
      installed domains;
    - ``hot``: the lean doubles of its routes on the hot path (the payment, the auth;
      ``sandbox.hot``): each answers exactly as the documented route of the same method and
      static path (which it may call, and to which it hands every request it would not accept),
      is matched before every other route and stays out of the document (see ``sandbox.app``);
      a double of no documented route is a wiring bug.
    """

    name: str
    routers: Sequence[APIRouter]
    jobs: JobsFactory = no_jobs
    signers: SignersFactory = no_signers
    magic: Magic | None = None
    hot: Sequence[HotRouter] = ()


def signers_of(domains: Sequence[Domain], settings: Settings) -> dict[str, Signer]:
    """Every domain's signers in one mapping; two domains claiming one prefix is a wiring bug."""
    merged: dict[str, Signer] = {}
    for domain in domains:
        for prefix, signer in domain.signers(settings).items():
            if prefix in merged:
                raise ValueError(f"webhook signer prefix {prefix!r} claimed twice ({domain.name})")
            merged[prefix] = signer
    return merged
