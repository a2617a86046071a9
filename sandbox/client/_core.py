"""The machinery shared by ``Sandbox`` and ``AsyncSandbox``, without I/O (sans-IO).

Each endpoint is defined once, in ``calls``, as a function that returns an ``Op``: either one
``Call`` (method, path, body, how to read the answer) or a generator that yields ``Call``s and
gets their results back (a flow of several requests: fetch the certificate, then authenticate).
``Core.flow`` turns an ``Op`` into a generator of ``httpx.Request``s that receives the
``httpx.Response``s: it adds the API key, signs ``/aa`` bodies, caches what does not change (the
JWKS, the certificate), checks the answers' detached JWS, and raises the typed errors. The sync
and async clients only send the requests it yields, with ``httpx.Client.send`` or
``httpx.AsyncClient.send``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, ParamSpec, TypeVar

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from sandbox.client.errors import (
    AadhaarError,
    AaError,
    AnswerNotVerified,
    ApiError,
    ProblemError,
    UpiError,
)
from sandbox.keys import jws
from sandbox.keys.canonical import compact_json

T = TypeVar("T")
P = ParamSpec("P")

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
SIGNATURE_HEADER = jws.HEADER


def _json(response: httpx.Response) -> Any:
    return response.json()


def _bytes(response: httpx.Response) -> bytes:
    return response.content


@dataclass(frozen=True)
class Call(Generic[T]):
    """One HTTP request and how to read its answer.

        ``kind`` says which refusals inside a 200 become exceptions: ``upi`` (status FAILURE, or a
        responseCode other than 00 where there is no status), ``aadhaar`` (ret n). ``aa`` marks a
        ReBIT ``/aa`` call: compact JSON body, signed when the client has an AA signing key.
        ``cache`` keeps the result on the client under that name; ``invalidates`` drops such names.
    ``adopt_api_key`` makes the client use the answer's ``apiKey`` from then on (signup).
    """

    method: str
    path: str
    body: Any = None
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None
    read: Callable[[httpx.Response], T] = _json
    kind: str | None = None
    aa: bool = False
    authenticated: bool = True
    cache: str | None = None
    invalidates: tuple[str, ...] = ()
    adopt_api_key: bool = False

    def __iter__(self) -> Generator[Call[Any], Any, T]:
        """``result = yield from call`` inside a flow, as for a nested flow."""
        result: T = yield self
        return result


Flow = Generator[Call[Any], Any, T]
"""A sequence of calls: each ``yield`` gets the call's result (or raises its error)."""

Op = Call[T] | Flow[T]

JWKS = Call[dict[str, Any]]("GET", "/.well-known/jwks.json", authenticated=False, cache="jwks")


@dataclass
class Core:
    """The client's state: API key, AA signing key, caches; and the sans-IO exchange."""

    api_key: str | None = None
    aa_signing_key: RSAPrivateKey | None = None
    aa_kid: str | None = None
    verify_signatures: bool = True
    raise_for_refusal: bool = True
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def forget(self, *names: str) -> None:
        """Drop cached results (all when no name is given): the JWKS, the certificate, the
        world clock's offset."""
        if not names:
            self._cache.clear()
        for name in names:
            self._cache.pop(name, None)

    def flow(
        self, op: Op[T], build: Callable[..., httpx.Request]
    ) -> Generator[httpx.Request, httpx.Response, T]:
        if isinstance(op, Call):
            result: T = yield from self._exchange(op, build)
            return result
        try:
            call = next(op)
            while True:
                try:
                    value = yield from self._exchange(call, build)
                except ApiError as exc:
                    call = op.throw(exc)
                else:
                    call = op.send(value)
        except StopIteration as stop:
            final: T = stop.value
            return final

    def _exchange(
        self, call: Call[Any], build: Callable[..., httpx.Request]
    ) -> Generator[httpx.Request, httpx.Response, Any]:
        if call.cache is not None and call.cache in self._cache:
            return self._cache[call.cache]
        headers = dict(call.headers or {})
        if call.authenticated and self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        content: bytes | None = None
        if call.body is not None:
            content = compact_json(call.body) if call.aa else json.dumps(call.body).encode()
            headers["Content-Type"] = "application/json"
            if call.aa and self.aa_signing_key is not None:
                protected = jws.protected_header(self.aa_kid or "fiu-key-1")
                headers[SIGNATURE_HEADER] = jws.sign_detached(
                    content, self.aa_signing_key, protected
                )
        params = {k: v for k, v in (call.params or {}).items() if v is not None}
        response = yield build(
            call.method, call.path, content=content, params=params, headers=headers
        )
        self._raise_for_status(response)
        signature = response.headers.get(SIGNATURE_HEADER)
        if signature and self.verify_signatures:
            keys = yield from self._exchange(JWKS, build)
            try:
                jws.verify_detached(signature, response.content, keys)
            except jws.JwsError as exc:
                raise AnswerNotVerified(response.status_code, exc.reason, str(exc)) from None
        result = call.read(response)
        if self.raise_for_refusal and isinstance(result, Mapping):
            self._raise_for_refusal(call, response.status_code, result)
        for name in call.invalidates:
            self._cache.pop(name, None)
        if call.cache is not None:
            self._cache[call.cache] = result
        if call.adopt_api_key and isinstance(result, Mapping) and result.get("apiKey"):
            self.api_key = str(result["apiKey"])
        return result

    @staticmethod
    def _raise_for_status(response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "errorCode" in body:
            raise AaError(response.status_code, body)
        if isinstance(body, dict) and ("type" in body or "detail" in body):
            raise ProblemError(response.status_code, body)
        raise ApiError(
            f"{response.status_code} {response.reason_phrase}: {response.text[:200]}",
            status=response.status_code,
            code=str(response.status_code),
            body=response.text,
        )

    @staticmethod
    def _raise_for_refusal(call: Call[Any], status: int, body: Mapping[str, Any]) -> None:
        if call.kind == "upi":
            declined = body.get("status") == "FAILURE" or (
                "status" not in body and body.get("responseCode") not in (None, "00")
            )
            if declined:
                raise UpiError(status, body)
        elif call.kind == "aadhaar" and body.get("ret") == "n":
            raise AadhaarError(status, body)
