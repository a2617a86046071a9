"""The biometric records a partner may read for a persona: derived for its world, never stored
(``identity.biometrics``)."""

from __future__ import annotations

from dataclasses import dataclass

from identity import biometrics
from sandbox.errors import PersonaNotFound
from sandbox.population.personas import PERSONAS, Persona
from sandbox.world.context import WorldContext

_BY_KEY = {p.key: p for p in PERSONAS}


@dataclass(frozen=True, slots=True)
class PersonaBiometrics:
    persona: Persona
    records: list[biometrics.Record]


def persona_biometrics(world: WorldContext, key: str) -> PersonaBiometrics:
    """The persona's records in this world; 404 for a key that is no persona's."""
    persona = _BY_KEY.get(key)
    if persona is None:
        raise PersonaNotFound(
            f"No persona has the key {key!r}",
            hint="Persona keys are lower case: " + ", ".join(_BY_KEY) + ".",
        )
    return PersonaBiometrics(persona, biometrics.records(world.secret_key, world.id, persona.uid))
