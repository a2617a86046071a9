"""``Sandbox`` (sync) and ``AsyncSandbox``: the same methods, defined once in ``calls``.

Each method is a descriptor around a ``calls`` function: on ``Sandbox`` it returns the result, on
``AsyncSandbox`` an awaitable of it, with the function's own signature (mypy and editors see
``pay(payer_vpa: str, pin: str, ...) -> Transaction``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, Self, overload

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from sandbox.client import calls
from sandbox.client._core import DEFAULT_BASE_URL, Core, Op, P, T


class _Sync(Generic[P, T]):
    def __init__(self, op: Callable[P, Op[T]]) -> None:
        self.op = op
        self.__doc__ = op.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Sandbox, owner: type[Any]) -> Callable[P, T]: ...
    def __get__(self, obj: Sandbox | None, owner: type[Any]) -> Self | Callable[P, T]:
        if obj is None:
            return self
        op = self.op

        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            return obj.run(op(*args, **kwargs))

        run.__doc__ = op.__doc__
        run.__name__ = op.__name__
        return run


class _Async(Generic[P, T]):
    def __init__(self, op: Callable[P, Op[T]]) -> None:
        self.op = op
        self.__doc__ = op.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: AsyncSandbox, owner: type[Any]) -> Callable[P, Awaitable[T]]: ...
    def __get__(
        self, obj: AsyncSandbox | None, owner: type[Any]
    ) -> Self | Callable[P, Awaitable[T]]:
        if obj is None:
            return self
        op = self.op

        async def run(*args: P.args, **kwargs: P.kwargs) -> T:
            return await obj.run(op(*args, **kwargs))

        run.__doc__ = op.__doc__
        run.__name__ = op.__name__
        return run


class Sandbox(Core):
    """A synchronous client. ``Sandbox(api_key=KEY)`` talks to the local sandbox; pass
    ``base_url``, or ``http`` (your own ``httpx.Client``, e.g. with a test transport).

    Options: ``aa_signing_key``/``aa_kid`` sign every ``/aa`` request (once you registered the
    public key with ``set_aa_settings``); ``verify_signatures`` checks each signed answer's
    ``x-jws-signature`` against the JWKS (default on); ``raise_for_refusal`` raises ``UpiError``
    and ``AadhaarError`` for declines that answer 200 (default on).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        aa_signing_key: RSAPrivateKey | None = None,
        aa_kid: str | None = None,
        verify_signatures: bool = True,
        raise_for_refusal: bool = True,
    ) -> None:
        super().__init__(
            api_key=api_key,
            aa_signing_key=aa_signing_key,
            aa_kid=aa_kid,
            verify_signatures=verify_signatures,
            raise_for_refusal=raise_for_refusal,
        )
        self._owns_http = http is None
        self.http = http or httpx.Client(base_url=base_url, transport=transport, timeout=timeout)

    def run(self, op: Op[T]) -> T:
        """Run one of ``calls``' operations (what every method does)."""
        flow = self.flow(op, self.http.build_request)
        try:
            request = next(flow)
            while True:
                request = flow.send(self.http.send(request))
        except StopIteration as stop:
            result: T = stop.value
            return result

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # partners
    signup = _Sync(calls.signup)
    me = _Sync(calls.me)
    update_me = _Sync(calls.update_me)
    rotate_key = _Sync(calls.rotate_key)
    register_certificate = _Sync(calls.register_certificate)
    aa_settings = _Sync(calls.aa_settings)
    set_aa_settings = _Sync(calls.set_aa_settings)
    # the world
    personas = _Sync(calls.personas)
    persona_biometrics = _Sync(calls.persona_biometrics)
    clock = _Sync(calls.clock)
    world_now = _Sync(calls.world_now)
    advance_clock = _Sync(calls.advance_clock)
    reset = _Sync(calls.reset)
    inbox = _Sync(calls.inbox)
    read_otp = _Sync(calls.read_otp)
    magic = _Sync(calls.magic)
    ledger_check = _Sync(calls.ledger_check)
    webhook_deliveries = _Sync(calls.webhook_deliveries)
    webhook_delivery = _Sync(calls.webhook_delivery)
    replay_delivery = _Sync(calls.replay_delivery)
    test_webhook = _Sync(calls.test_webhook)
    jwks = _Sync(calls.jwks)
    # payments
    validate_vpa = _Sync(calls.validate_vpa)
    pay = _Sync(calls.pay)
    transaction = _Sync(calls.transaction)
    transactions = _Sync(calls.transactions)
    collect = _Sync(calls.collect)
    approve_collect = _Sync(calls.approve_collect)
    decline_collect = _Sync(calls.decline_collect)
    refund = _Sync(calls.refund)
    balance = _Sync(calls.balance)
    set_pin = _Sync(calls.set_pin)
    create_intent = _Sync(calls.create_intent)
    parse_intent = _Sync(calls.parse_intent)
    intent_keys = _Sync(calls.intent_keys)
    create_mandate = _Sync(calls.create_mandate)
    mandates = _Sync(calls.mandates)
    mandate = _Sync(calls.mandate)
    approve_mandate = _Sync(calls.approve_mandate)
    decline_mandate = _Sync(calls.decline_mandate)
    pause_mandate = _Sync(calls.pause_mandate)
    resume_mandate = _Sync(calls.resume_mandate)
    revoke_mandate = _Sync(calls.revoke_mandate)
    notify_mandate = _Sync(calls.notify_mandate)
    execute_mandate = _Sync(calls.execute_mandate)
    # identity
    identity_certificate = _Sync(calls.identity_certificate)
    request_otp = _Sync(calls.request_otp)
    pid_ts = _Sync(calls.pid_ts)
    auth = _Sync(calls.auth)
    auth_otp = _Sync(calls.auth_otp)
    auth_encrypted = _Sync(calls.auth_encrypted)
    ekyc = _Sync(calls.ekyc)
    ekyc_raw = _Sync(calls.ekyc_raw)
    auth_records = _Sync(calls.auth_records)
    auth_record = _Sync(calls.auth_record)
    generate_vid = _Sync(calls.generate_vid)
    vid = _Sync(calls.vid)
    revoke_vid = _Sync(calls.revoke_vid)
    offline_ekyc = _Sync(calls.offline_ekyc)
    verify_offline_ekyc = _Sync(calls.verify_offline_ekyc)
    # consent
    request_consent = _Sync(calls.request_consent)
    consent_handle = _Sync(calls.consent_handle)
    fetch_consent = _Sync(calls.fetch_consent)
    heartbeat = _Sync(calls.heartbeat)
    approve_consent = _Sync(calls.approve_consent)
    reject_consent = _Sync(calls.reject_consent)
    pause_consent = _Sync(calls.pause_consent)
    resume_consent = _Sync(calls.resume_consent)
    revoke_consent = _Sync(calls.revoke_consent)
    consents = _Sync(calls.consents)
    consent = _Sync(calls.consent)
    consent_log = _Sync(calls.consent_log)
    # FI data
    fi_request = _Sync(calls.fi_request)
    fi_fetch = _Sync(calls.fi_fetch)
    fi_sessions = _Sync(calls.fi_sessions)
    fi_session = _Sync(calls.fi_session)
    fi_session_data = _Sync(calls.fi_session_data)


class AsyncSandbox(Core):
    """The asynchronous client: ``Sandbox``'s methods, awaited. Pass ``http`` (your own
    ``httpx.AsyncClient``) or ``transport`` (e.g. ``httpx.ASGITransport(app)``)."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        aa_signing_key: RSAPrivateKey | None = None,
        aa_kid: str | None = None,
        verify_signatures: bool = True,
        raise_for_refusal: bool = True,
    ) -> None:
        super().__init__(
            api_key=api_key,
            aa_signing_key=aa_signing_key,
            aa_kid=aa_kid,
            verify_signatures=verify_signatures,
            raise_for_refusal=raise_for_refusal,
        )
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(
            base_url=base_url, transport=transport, timeout=timeout
        )

    async def run(self, op: Op[T]) -> T:
        flow = self.flow(op, self.http.build_request)
        try:
            request = next(flow)
            while True:
                request = flow.send(await self.http.send(request))
        except StopIteration as stop:
            result: T = stop.value
            return result

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # partners
    signup = _Async(calls.signup)
    me = _Async(calls.me)
    update_me = _Async(calls.update_me)
    rotate_key = _Async(calls.rotate_key)
    register_certificate = _Async(calls.register_certificate)
    aa_settings = _Async(calls.aa_settings)
    set_aa_settings = _Async(calls.set_aa_settings)
    # the world
    personas = _Async(calls.personas)
    persona_biometrics = _Async(calls.persona_biometrics)
    clock = _Async(calls.clock)
    world_now = _Async(calls.world_now)
    advance_clock = _Async(calls.advance_clock)
    reset = _Async(calls.reset)
    inbox = _Async(calls.inbox)
    read_otp = _Async(calls.read_otp)
    magic = _Async(calls.magic)
    ledger_check = _Async(calls.ledger_check)
    webhook_deliveries = _Async(calls.webhook_deliveries)
    webhook_delivery = _Async(calls.webhook_delivery)
    replay_delivery = _Async(calls.replay_delivery)
    test_webhook = _Async(calls.test_webhook)
    jwks = _Async(calls.jwks)
    # payments
    validate_vpa = _Async(calls.validate_vpa)
    pay = _Async(calls.pay)
    transaction = _Async(calls.transaction)
    transactions = _Async(calls.transactions)
    collect = _Async(calls.collect)
    approve_collect = _Async(calls.approve_collect)
    decline_collect = _Async(calls.decline_collect)
    refund = _Async(calls.refund)
    balance = _Async(calls.balance)
    set_pin = _Async(calls.set_pin)
    create_intent = _Async(calls.create_intent)
    parse_intent = _Async(calls.parse_intent)
    intent_keys = _Async(calls.intent_keys)
    create_mandate = _Async(calls.create_mandate)
    mandates = _Async(calls.mandates)
    mandate = _Async(calls.mandate)
    approve_mandate = _Async(calls.approve_mandate)
    decline_mandate = _Async(calls.decline_mandate)
    pause_mandate = _Async(calls.pause_mandate)
    resume_mandate = _Async(calls.resume_mandate)
    revoke_mandate = _Async(calls.revoke_mandate)
    notify_mandate = _Async(calls.notify_mandate)
    execute_mandate = _Async(calls.execute_mandate)
    # identity
    identity_certificate = _Async(calls.identity_certificate)
    request_otp = _Async(calls.request_otp)
    pid_ts = _Async(calls.pid_ts)
    auth = _Async(calls.auth)
    auth_otp = _Async(calls.auth_otp)
    auth_encrypted = _Async(calls.auth_encrypted)
    ekyc = _Async(calls.ekyc)
    ekyc_raw = _Async(calls.ekyc_raw)
    auth_records = _Async(calls.auth_records)
    auth_record = _Async(calls.auth_record)
    generate_vid = _Async(calls.generate_vid)
    vid = _Async(calls.vid)
    revoke_vid = _Async(calls.revoke_vid)
    offline_ekyc = _Async(calls.offline_ekyc)
    verify_offline_ekyc = _Async(calls.verify_offline_ekyc)
    # consent
    request_consent = _Async(calls.request_consent)
    consent_handle = _Async(calls.consent_handle)
    fetch_consent = _Async(calls.fetch_consent)
    heartbeat = _Async(calls.heartbeat)
    approve_consent = _Async(calls.approve_consent)
    reject_consent = _Async(calls.reject_consent)
    pause_consent = _Async(calls.pause_consent)
    resume_consent = _Async(calls.resume_consent)
    revoke_consent = _Async(calls.revoke_consent)
    consents = _Async(calls.consents)
    consent = _Async(calls.consent)
    consent_log = _Async(calls.consent_log)
    # FI data
    fi_request = _Async(calls.fi_request)
    fi_fetch = _Async(calls.fi_fetch)
    fi_sessions = _Async(calls.fi_sessions)
    fi_session = _Async(calls.fi_session)
    fi_session_data = _Async(calls.fi_session_data)
