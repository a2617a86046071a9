"""Commands prepared from typed requests, without HTTP: the idempotency fingerprint stays the one
taken over the wire form (keys stored by an older release still replay), and a field refused by
a service check is named as pydantic names it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from payments.errors import InvalidPaymentField
from payments.schemas.collect import CollectIn
from payments.schemas.mandate import MandateIn, NotifyIn
from payments.schemas.pay import Payer, PayIn
from payments.schemas.refund import RefundIn
from payments.service import collect, mandate, mandate_debit, pay, refund
from sandbox.kit.clock import ManualClock
from sandbox.partners.models import Partner
from sandbox.world.context import WorldContext

PARTNER = Partner("prt_prep", "Team Prep", "prep@example.com", None, "whsec_x", "IN", 1, 0, 0, 0)
WORLD = WorldContext.of(PARTNER, "test-secret", ManualClock(1_800_000_000_000_000))
PAY = {"payer": {"vpa": "asha@sandbox", "pin": "1234"}, "payee": {"vpa": "ravi@sandbox"}}


def test_a_pay_fingerprint_is_taken_over_the_wire_form_with_absent_fields_as_null() -> None:
    body = PayIn.model_validate({**PAY, "amount": "100.00", "note": "Lunch"})
    wire = {**PAY, "amount": "100.00", "note": "Lunch", "txnId": None, "refId": None}
    assert pay.prepare(WORLD, body, None).fingerprint == WORLD.fingerprint("upi.pay", wire)


def test_defaults_are_part_of_the_fingerprint_as_before() -> None:
    parties = {"payer": {"vpa": "asha@sandbox"}, "payee": {"vpa": "ravi@sandbox"}}
    body = CollectIn.model_validate({**parties, "amount": "5.00"})
    wire = {**parties, "amount": "5.00", "txnId": None, "note": None, "refId": None}
    expected = WORLD.fingerprint("upi.collect", {**wire, "expiresInSeconds": 480})
    assert collect.prepare(WORLD, body, None).fingerprint == expected


def test_refund_and_mandate_fingerprints_keep_their_wire_form() -> None:
    original = "A" * 35
    body = RefundIn.model_validate({"originalTxnId": original})
    wire = {"originalTxnId": original, "amount": None, "txnId": None, "note": None}
    assert refund.prepare(WORLD, body, None).fingerprint == WORLD.fingerprint("upi.refund", wire)
    notice = NotifyIn.model_validate({"amount": "250.00"})
    expected = WORLD.fingerprint(
        "upi.mandate.notify u@sandbox", {"amount": "250.00", "executeAt": None}
    )
    assert mandate_debit.prepare_notify(WORLD, "u@sandbox", notice, None).fingerprint == expected


def refused_field(call: Callable[[], object]) -> str:
    """The field an ``InvalidPaymentField`` names (its ``detail`` opens with the same name)."""
    with pytest.raises(InvalidPaymentField) as caught:
        call()
    field = str(caught.value.extra["errors"][0]["field"])
    assert caught.value.detail.startswith(f"{field}: ")
    return field


def test_a_service_check_names_the_field_as_the_schema_does() -> None:
    def paying(**fields: Any) -> Callable[[], object]:
        # model_copy skips validation: the service's own checks, behind the schema's, are tested
        body = PayIn.model_validate({**PAY, "amount": "1.00"}).model_copy(update=fields)
        return lambda: pay.prepare(WORLD, body, None)

    mandate_to_self = MandateIn.model_validate(
        {
            "payer": {"vpa": "asha@sandbox"},
            "payee": {"vpa": "asha@sandbox"},
            "amountLimit": "5.00",
            "recurrence": "MONTHLY",
            "validUntil": "2035-01-01T00:00:00Z",
        }
    )
    assert refused_field(paying(amount="1.5")) == "body.amount"
    assert refused_field(paying(txn_id="SHORT")) == "body.txnId"
    nobody = Payer.model_construct(vpa="nobody", pin="1234")
    assert refused_field(paying(payer=nobody)) == "body.payer.vpa"
    assert (
        refused_field(lambda: mandate.prepare_create(WORLD, mandate_to_self, None))
        == "body.payee.vpa"
    )
