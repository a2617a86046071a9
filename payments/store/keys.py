"""The world's merchant signing keys (signed intents and QR codes)."""

from __future__ import annotations

from payments.intent_keys import PublicKey
from sandbox.storage.schema import merchant_keys
from sandbox.storage.scoped import WorldStore

_K = merchant_keys


class KeysStore(WorldStore):
    def merchant_public_keys(self) -> list[PublicKey]:
        """The world's merchant keys, oldest first, without their private halves."""
        rows = self.conn.execute(
            self.select(_K, _K.c.kid, _K.c.public_key, _K.c.created_us).order_by(
                _K.c.created_us, _K.c.kid
            )
        )
        return [PublicKey(r.kid, r.public_key, r.created_us) for r in rows]

    def merchant_signing_key(self) -> tuple[str, str] | None:
        """``(kid, private PEM)`` of the oldest key: the one that signs. Never leaves the
        service that signs with it."""
        row = self.conn.execute(
            self.select(_K, _K.c.kid, _K.c.private_key).order_by(_K.c.created_us, _K.c.kid).limit(1)
        ).first()
        return None if row is None else (row.kid, row.private_key)

    def add_merchant_key(self, kid: str, private_pem: str, public_pem: str, now_us: int) -> None:
        self.insert(
            _K,
            {
                "kid": kid,
                "private_key": private_pem,
                "public_key": public_pem,
                "created_us": now_us,
            },
        )
