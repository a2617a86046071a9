"""The authority's auth key in the data dir: created on first use, loaded afterwards.

One PEM file (the PKCS#8 key, then the certificate) at ``<data_dir>/identity/auth.pem``, mode
0600. It is written to a temporary file and hard-linked into place, which fails if the name
exists: when two workers start together both generate a key, one link wins, and the loser loads
the winner's file, so every worker ends with the same key. A loaded key is cached per path for
the life of the process.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path

from identity.keys import AuthKey, generate_auth_key

FILE = Path("identity") / "auth.pem"
_CERT_MARK = b"-----BEGIN CERTIFICATE-----"

_cache: dict[Path, AuthKey] = {}
_by_dir: dict[Path, AuthKey] = {}  # the same keys by the data dir as given (not resolved)
_lock = threading.Lock()


def cached(data_dir: Path) -> AuthKey | None:
    """The key already loaded for ``data_dir`` by ``load_or_create``, or None: no I/O, no lock
    (a dict read), for the request path."""
    return _by_dir.get(data_dir)


def forget() -> None:
    """Drop every loaded key (as a new process would start)."""
    with _lock:
        _cache.clear()
        _by_dir.clear()


def load_or_create(data_dir: Path, now_us: int) -> AuthKey:
    """The auth key of this data dir; generated (valid from ``now_us``) if there is none."""
    path = (data_dir / FILE).resolve()
    with _lock:
        key = _cache.get(path)
        if key is None:
            key = read(path) if path.exists() else _create(path, now_us)
            _cache[path] = key
        _by_dir[data_dir] = key
        return key


def read(path: Path) -> AuthKey:
    pem = path.read_bytes()
    at = pem.find(_CERT_MARK)
    if at < 0:
        raise ValueError(f"{path} holds no certificate after the key")
    return AuthKey.from_pem(pem[:at], pem[at:])


def write(path: Path, key: AuthKey) -> bool:
    """Put ``key`` at ``path`` unless a key is already there; whether this one was written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".auth-", suffix=".pem")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key.key_pem() + key.certificate_pem())
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _create(path: Path, now_us: int) -> AuthKey:
    key = generate_auth_key(now_us)
    return key if write(path, key) else read(path)
