"""``Sandbox`` (sync) and ``AsyncSandbox``: the same methods, defined once in ``calls``.

Each method is a ``_Method`` descriptor around a ``calls`` function, listed once on ``_Methods``
(which both clients inherit): on ``Sandbox`` it returns the result, on ``AsyncSandbox`` an
awaitable of it, with the function's own signature (mypy and editors see ``pay(payer_vpa: str,
pin: str, ...) -> Transaction``). ``_Client`` holds the constructor both share.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, Self, TypeVar, overload

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from sandbox.client import calls
from sandbox.client._core import DEFAULT_BASE_URL, Core, Op, P, T

H = TypeVar("H", httpx.Client, httpx.AsyncClient)
TR = TypeVar("TR", httpx.BaseTransport, httpx.AsyncBaseTransport)


class _Method(Generic[P, T]):
    def __init__(self, op: Callable[P, Op[T]]) -> None:
        self.op = op
        self.__doc__ = op.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Sandbox, owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(self, obj: AsyncSandbox, owner: type[Any]) -> Callable[P, Awaitable[T]]: ...
    def __get__(self, obj: Any, owner: type[Any]) -> Any:
        if obj is None:
            return self
        op = self.op

        def call(*args: P.args, **kwargs: P.kwargs) -> Any:
            return obj.run(op(*args, **kwargs))  # the result, or (async) an awaitable of it

        call.__doc__ = op.__doc__
        call.__name__ = op.__name__
        return call


class _Methods:
    """Every endpoint's method, for both clients (``run`` is each client's own)."""

    # partners
    signup = _Method(calls.signup)
    me = _Method(calls.me)
    update_me = _Method(calls.update_me)
    rotate_key = _Method(calls.rotate_key)
    register_certificate = _Method(calls.register_certificate)
    aa_settings = _Method(calls.aa_settings)
    set_aa_settings = _Method(calls.set_aa_settings)
    # the world
    personas = _Method(calls.personas)
    persona_biometrics = _Method(calls.persona_biometrics)
    clock = _Method(calls.clock)
    world_now = _Method(calls.world_now)
    advance_clock = _Method(calls.advance_clock)
    reset = _Method(calls.reset)
    inbox = _Method(calls.inbox)
    read_otp = _Method(calls.read_otp)
    magic = _Method(calls.magic)
    ledger_check = _Method(calls.ledger_check)
    webhook_deliveries = _Method(calls.webhook_deliveries)
    webhook_delivery = _Method(calls.webhook_delivery)
    replay_delivery = _Method(calls.replay_delivery)
    test_webhook = _Method(calls.test_webhook)
    jwks = _Method(calls.jwks)
    # payments
    validate_vpa = _Method(calls.validate_vpa)
    pay = _Method(calls.pay)
    transaction = _Method(calls.transaction)
    transactions = _Method(calls.transactions)
    collect = _Method(calls.collect)
    approve_collect = _Method(calls.approve_collect)
    decline_collect = _Method(calls.decline_collect)
    refund = _Method(calls.refund)
    balance = _Method(calls.balance)
    set_pin = _Method(calls.set_pin)
    create_intent = _Method(calls.create_intent)
    parse_intent = _Method(calls.parse_intent)
    intent_keys = _Method(calls.intent_keys)
    create_mandate = _Method(calls.create_mandate)
    mandates = _Method(calls.mandates)
    mandate = _Method(calls.mandate)
    approve_mandate = _Method(calls.approve_mandate)
    decline_mandate = _Method(calls.decline_mandate)
    pause_mandate = _Method(calls.pause_mandate)
    resume_mandate = _Method(calls.resume_mandate)
    revoke_mandate = _Method(calls.revoke_mandate)
    notify_mandate = _Method(calls.notify_mandate)
    execute_mandate = _Method(calls.execute_mandate)
    # identity
    identity_certificate = _Method(calls.identity_certificate)
    request_otp = _Method(calls.request_otp)
    pid_ts = _Method(calls.pid_ts)
    auth = _Method(calls.auth)
    auth_otp = _Method(calls.auth_otp)
    auth_encrypted = _Method(calls.auth_encrypted)
    ekyc = _Method(calls.ekyc)
    ekyc_raw = _Method(calls.ekyc_raw)
    auth_records = _Method(calls.auth_records)
    auth_record = _Method(calls.auth_record)
    generate_vid = _Method(calls.generate_vid)
    vid = _Method(calls.vid)
    revoke_vid = _Method(calls.revoke_vid)
    offline_ekyc = _Method(calls.offline_ekyc)
    verify_offline_ekyc = _Method(calls.verify_offline_ekyc)
    # consent
    request_consent = _Method(calls.request_consent)
    consent_handle = _Method(calls.consent_handle)
    fetch_consent = _Method(calls.fetch_consent)
    heartbeat = _Method(calls.heartbeat)
    approve_consent = _Method(calls.approve_consent)
    reject_consent = _Method(calls.reject_consent)
    pause_consent = _Method(calls.pause_consent)
    resume_consent = _Method(calls.resume_consent)
    revoke_consent = _Method(calls.revoke_consent)
    consents = _Method(calls.consents)
    consent = _Method(calls.consent)
    consent_log = _Method(calls.consent_log)
    # FI data
    fi_request = _Method(calls.fi_request)
    fi_fetch = _Method(calls.fi_fetch)
    fi_sessions = _Method(calls.fi_sessions)
    fi_session = _Method(calls.fi_session)
    fi_session_data = _Method(calls.fi_session_data)


class _Client(_Methods, Core, Generic[H, TR]):
    """The constructor and the options both clients share; ``_open`` makes the ``httpx``
    client when the caller gave none."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        http: H | None = None,
        transport: TR | None = None,
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
        self.http: H = http or self._open(base_url, transport, timeout)

    def _open(self, base_url: str, transport: TR | None, timeout: float) -> H:
        raise NotImplementedError


class Sandbox(_Client[httpx.Client, httpx.BaseTransport]):
    """A synchronous client. ``Sandbox(api_key=KEY)`` talks to the local sandbox; pass
    ``base_url``, or ``http`` (your own ``httpx.Client``), or ``transport`` (an
    ``httpx.BaseTransport``, e.g. a test transport).

    Options: ``aa_signing_key``/``aa_kid`` sign every ``/aa`` request (once you registered the
    public key with ``set_aa_settings``); ``verify_signatures`` checks each signed answer's
    ``x-jws-signature`` against the JWKS (default on); ``raise_for_refusal`` raises ``UpiError``
    and ``AadhaarError`` for declines that answer 200 (default on).
    """

    def _open(
        self, base_url: str, transport: httpx.BaseTransport | None, timeout: float
    ) -> httpx.Client:
        return httpx.Client(base_url=base_url, transport=transport, timeout=timeout)

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


class AsyncSandbox(_Client[httpx.AsyncClient, httpx.AsyncBaseTransport]):
    """The asynchronous client: ``Sandbox``'s methods, awaited. Pass ``http`` (your own
    ``httpx.AsyncClient``) or ``transport`` (an ``httpx.AsyncBaseTransport``, e.g.
    ``httpx.ASGITransport(app)``)."""

    def _open(
        self, base_url: str, transport: httpx.AsyncBaseTransport | None, timeout: float
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)

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
