"""The I/O-free offline eKYC core: a file signed with another key does not verify, a file
without a signature is readable but not valid, and the hash rounds follow the last digit."""

from __future__ import annotations

import pytest
from lxml import etree

from identity import offline
from identity.keys import AuthKey
from identity.models import Resident

NOW_US = 1_795_000_000_000_000
ASHA = Resident(name="Asha Verma", gender="F", dob="1990-04-12", phone="+919876500001")


def _signed(key: AuthKey, uid: str = "999999990019") -> bytes:
    document = offline.offline_xml(uid, ASHA, b"\xff\xd8jpeg", share_code="4821", now_us=NOW_US)
    return offline.sign(document, key.private_key, key.certificate)


def test_only_the_signing_certificate_verifies(
    fixed_auth_key: AuthKey, other_auth_key: AuthKey
) -> None:
    xml = _signed(fixed_auth_key)
    assert offline.check(xml, fixed_auth_key.certificate).signature_valid
    assert not offline.check(xml, other_auth_key.certificate).signature_valid


def test_an_unsigned_document_is_readable_but_not_valid(fixed_auth_key: AuthKey) -> None:
    root = etree.fromstring(_signed(fixed_auth_key))
    for signature in root.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        root.remove(signature)
    checked = offline.check(etree.tostring(root), fixed_auth_key.certificate)
    assert (checked.signature_valid, checked.name) == (False, "Asha Verma")
    assert checked.e == ""  # no e-mail on record: an empty e


@pytest.mark.parametrize(("uid", "rounds"), [("...0", 1), ("...1", 1), ("...7", 7), ("...9", 9)])
def test_rounds_follow_the_last_digit(uid: str, rounds: int) -> None:
    assert offline.rounds(uid) == rounds


def test_a_zip_that_is_no_zip_names_the_file() -> None:
    with pytest.raises(offline.Unreadable) as caught:
        offline.unpack(b"PK\x03\x04 broken", "4821")
    assert caught.value.field == "file"
