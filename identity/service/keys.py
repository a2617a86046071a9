"""The authority's auth key and certificate (``GET /v1/identity/certificate``)."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread

from identity.keys import AuthKey
from identity.store import keyfile
from sandbox.kit.clock import Clock


async def auth_key(data_dir: Path, clock: Clock) -> AuthKey:
    """The data dir's auth key: loaded once per process, generated on first use (RSA key
    generation and file I/O run in a worker thread; once loaded, no thread hop)."""
    key = keyfile.cached(data_dir)
    if key is not None:
        return key
    return await anyio.to_thread.run_sync(keyfile.load_or_create, data_dir, clock.now_us())
