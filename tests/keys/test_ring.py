"""The signing key: made once per data dir (however many processes race), loaded afterwards,
kept private, and named by its RFC 7638 thumbprint."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import stat
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.app import create_app
from sandbox.keys.ring import KeyFileError, KeyRing
from sandbox.settings import Settings


def _thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 §3: SHA-256 of the required members, sorted, no whitespace."""
    required = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(required.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _kid_of(path: str) -> str:
    # a module-level function, so that a spawned process can run it
    return KeyRing(Path(path)).kid


def test_the_key_is_made_on_first_use_private_and_named_by_its_thumbprint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "keys" / "signing.pem"
    keys = KeyRing(path)
    assert not path.exists(), "made before anything needed it"

    with caplog.at_level(logging.INFO, logger="sandbox.keys"):
        kid = keys.kid

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert os.listdir(path.parent) == ["signing.pem"], "a temporary file was left behind"
    (jwk,) = keys.jwks()["keys"]
    assert kid == _thumbprint(jwk) == jwk["kid"]
    assert kid in caplog.text
    assert "PRIVATE" not in caplog.text
    assert "PRIVATE" not in repr(keys)
    assert kid in repr(keys)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    assert loaded.key_size == 2048


def test_two_apps_on_one_data_dir_share_the_key(make_settings: Any) -> None:
    settings: Settings = make_settings()
    first = create_app(settings).state.sandbox.keys.kid
    again = create_app(settings).state.sandbox.keys
    assert f"kid={first!r}" in repr(again), "the second app did not load the key at start"
    assert list((settings.data_dir / "keys").iterdir()) == [
        settings.data_dir / "keys" / "signing.pem"
    ]


def test_hosts_with_their_own_data_dirs_share_the_key_file_setting(
    make_settings: Any, tmp_path: Path
) -> None:
    shared = tmp_path / "shared" / "sandbox-signing.pem"
    one = make_settings(data_dir=tmp_path / "host1", signing_key_file=shared)
    two = make_settings(data_dir=tmp_path / "host2", signing_key_file=shared)
    assert create_app(one).state.sandbox.keys.kid == create_app(two).state.sandbox.keys.kid
    assert shared.exists()
    assert not (tmp_path / "host1" / "keys").exists()


def test_creators_that_race_end_with_one_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every creator has its key written before any of them claims the name
    path = tmp_path / "keys" / "signing.pem"
    racers = 4
    ready = threading.Barrier(racers)
    link = os.link

    def link_together(src: Any, dst: Any) -> None:
        ready.wait(timeout=30)
        link(src, dst)

    monkeypatch.setattr(os, "link", link_together)
    with ThreadPoolExecutor(racers) as pool:
        kids = list(pool.map(lambda _: KeyRing(path).kid, range(racers)))

    assert len(set(kids)) == 1
    assert os.listdir(path.parent) == ["signing.pem"]
    assert KeyRing(path).kid == kids[0]


def test_processes_that_start_together_end_with_one_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing.pem"
    with ProcessPoolExecutor(3, mp_context=get_context("spawn")) as pool:
        kids = list(pool.map(_kid_of, [str(path)] * 6))
    assert len(set(kids)) == 1
    assert os.listdir(path.parent) == ["signing.pem"]


def test_an_existing_key_is_loaded_when_the_ring_is_built(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    made = KeyRing(path).kid
    os.chmod(path, 0o400)  # read-only is enough
    keys = KeyRing(path)
    assert f"kid={made!r}" in repr(keys)  # loaded already, not on first use
    assert keys.kid == made


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a key", "not an unencrypted PEM private key"),
        (_pem(rsa.generate_private_key(65537, 1024)), "at least 2048 bits"),  # noqa: S505
    ],
    ids=["garbage", "rsa-1024"],
)
def test_a_key_file_that_cannot_sign_stops_the_start(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "signing.pem"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match=message):
        KeyRing(path)


def test_a_key_readable_by_others_is_used_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "signing.pem"
    made = KeyRing(path).kid
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="sandbox.keys"):
        assert KeyRing(path).kid == made
    assert "can be read by others" in caplog.text


def test_the_jwks_holds_public_members_only(tmp_path: Path) -> None:
    (jwk,) = KeyRing(tmp_path / "k.pem").jwks()["keys"]
    assert set(jwk) == {"kty", "n", "e", "kid", "use", "alg"}
    assert (jwk["kty"], jwk["e"], jwk["use"], jwk["alg"]) == ("RSA", "AQAB", "sig", "RS256")
    assert len(base64.urlsafe_b64decode(jwk["n"] + "==")) == 256
