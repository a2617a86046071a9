"""A simulated RD (registered device) service: ``sandbox rd-service --persona asha --finger ...``
(or ``--iris LEFT|RIGHT``, or ``--face``).

A real scanner's RD Service 2.0 listens on loopback (port 11100 and up) and answers three HTTP
verbs that capture code sends with ``XMLHttpRequest`` or an Android intent's HTTP twin:
``RDSERVICE`` (discovery), ``DEVICEINFO`` and ``CAPTURE`` (a ``PidOptions`` body in, a
``PidData`` with the PID already encrypted for the authority out). This one is one device of one
modality, as real ones are (a fingerprint scanner, an iris scanner, a face camera), and
"captures" the configured position of one persona: a finger (``Bio type`` FMR or FIR, as
``fType`` asks), an iris (IIR, ``posh`` LEFT_IRIS or RIGHT_IRIS) or the face (FID, ``posh``
FACE), per Auth API 2.5's ``Bio`` and RD Service 2.0's ``PidOptions``/``Resp`` counts (``fCount``
``iCount`` ``pCount``). Its record comes from the sandbox
(``GET /v1/sandbox/personas/{key}/biometrics``, the same for the persona in that partner's world
every time), the PID ts from the world's clock (``GET /v1/sandbox/clock``), and the PID is
encrypted with ``identity.crypto.encrypt_pid`` under ``GET /v1/identity/certificate``. Send
``Skey``, ``Hmac`` and ``Data`` (type X) of the answer as ``skey``, ``hmac`` and ``data`` of
``POST /v1/identity/auth``.

It is a bare ASGI callable served by uvicorn's h11 protocol: h11 accepts any method token, while
httptools (uvicorn's default when installed) refuses methods it does not know, and Starlette's
router would add nothing but a method table. ``OPTIONS`` answers the CORS preflight that a
browser sends before a custom method. ``Resp errCode`` values other than 0 are the simulator's
own (100 bad PidOptions, 730 the sandbox could not be reached or refused), with ``errInfo``.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import quoteattr

import httpx
from cryptography import x509
from lxml import etree

from identity.biometrics import FACE, FINGERS, IRISES
from identity.crypto import encrypt_pid

DEFAULT_PORT = 11100
DEFAULT_SANDBOX = "http://127.0.0.1:8000"
METHODS = ("RDSERVICE", "DEVICEINFO", "CAPTURE", "OPTIONS")
DP_ID = "SANDBOX.SIM"
RDS_ID = "SANDBOX.RDS.SIM"
RDS_VER = "2.0.0"
MODELS = {"finger": "SIM-FP-1", "iris": "SIM-IRIS-1", "face": "SIM-FACE-1"}
FINGER_TYPES = {"0": "FMR", "1": "FIR"}  # PidOptions fType
IRIS_TYPES = {"0": "IIR"}  # PidOptions iType (ISO 19794-6 image)
FACE_TYPES = {"0": "FID"}  # PidOptions pType (ISO 19794-5 face image)
POSITIONS = (*FINGERS, *IRISES, FACE)
"""What a device can be set to capture (``UNKNOWN`` is a matcher's wildcard, not a position)."""
IST = timedelta(hours=5, minutes=30)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class CaptureFailed(Exception):
    """A capture the simulator cannot answer with a PID: ``Resp errCode`` and ``errInfo``."""

    def __init__(self, code: str, info: str) -> None:
        super().__init__(info)
        self.code = code
        self.info = info


def modality(posh: str) -> str:
    """finger, iris or face: the kind of device that captures ``posh``."""
    if posh in FINGERS:
        return "finger"
    if posh in IRISES:
        return "iris"
    if posh == FACE:
        return "face"
    raise ValueError(f"not a position a device captures: {posh!r}; one of {', '.join(POSITIONS)}")


@dataclass(frozen=True, slots=True)
class Device:
    """The persona and position (a finger, an iris or the face) this device captures, and the
    port it listens on."""

    persona: str
    posh: str
    port: int = DEFAULT_PORT

    def __post_init__(self) -> None:
        modality(self.posh)  # refuses a position no device captures

    @property
    def modality(self) -> str:
        return modality(self.posh)

    @property
    def serial(self) -> str:
        """``dc``: stable for the persona and position, so a test can recognise the device."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-rd/{self.persona}/{self.posh}"))

    def discovery(self) -> bytes:
        return (
            b'<RDService status="READY" info="Sandbox RD Service">'
            b'<Interface id="CAPTURE" path="/rd/capture"/>'
            b'<Interface id="DEVICEINFO" path="/rd/info"/></RDService>'
        )

    def device_info_xml(self) -> str:
        # mc would be the device's signing certificate; the simulator signs nothing
        mc = base64.b64encode(f"sandbox-rd-simulator:{self.serial}".encode()).decode()
        return (
            f'<DeviceInfo dpId="{DP_ID}" rdsId="{RDS_ID}" rdsVer="{RDS_VER}" '
            f'mi="{MODELS[self.modality]}" mc="{mc}" dc="{self.serial}"><additional_info>'
            f'<Param name="persona" value={quoteattr(self.persona)}/>'
            f'<Param name="modality" value="{self.modality}"/>'
            f'<Param name="posh" value={quoteattr(self.posh)}/>'
            f"</additional_info></DeviceInfo>"
        )


@dataclass(frozen=True, slots=True)
class CaptureOptions:
    kind: str  # the Bio type: FMR or FIR (finger), IIR (iris), FID (face)
    type_code: str  # its PidOptions code (fType, iType or pType), echoed in Resp
    wadh: str | None


# Per modality: the count attribute that must be 1, the type attribute and its codes. RD Service
# 2.0 capture pages send every attribute, often empty (UIDAI's Face RD sample leaves pCount and
# pType empty): an empty attribute is the device's default, as if absent.
_OPTS: dict[str, tuple[str, str, dict[str, str]]] = {
    "finger": ("fCount", "fType", FINGER_TYPES),
    "iris": ("iCount", "iType", IRIS_TYPES),
    "face": ("pCount", "pType", FACE_TYPES),
}
_DEVICE_NAMES = {"finger": "fingerprint scanner", "iris": "iris scanner", "face": "face camera"}


def parse_pid_options(body: bytes, device_modality: str = "finger") -> CaptureOptions:
    """The ``PidOptions`` of a CAPTURE for a device of ``device_modality``;
    ``CaptureFailed("100", ...)`` for what it cannot do."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(body or b"<PidOptions/>", parser)
    except etree.XMLSyntaxError as exc:
        raise CaptureFailed("100", f"PidOptions is not well-formed XML: {exc}") from None
    opts = root.find("Opts") if etree.QName(root).localname == "PidOptions" else None
    if opts is None:
        raise CaptureFailed("100", 'expected <PidOptions ver="1.0"><Opts .../></PidOptions>')

    def attr(name: str, default: str) -> str:
        return str(opts.get(name) or default)

    count_name, type_name, types = _OPTS[device_modality]
    device = _DEVICE_NAMES[device_modality]
    for other, (other_count, _, _) in _OPTS.items():
        if other != device_modality and attr(other_count, "0") != "0":
            raise CaptureFailed(
                "100",
                f'this simulated device is a {device}: {other_count}="0" ({count_name}="1"); '
                f"start `sandbox rd-service` with --{'finger' if other == 'finger' else other}"
                f"{' LEFT|RIGHT' if other == 'iris' else ''} for a {_DEVICE_NAMES[other]}",
            )
    if attr(count_name, "1") != "1":
        raise CaptureFailed("100", f'this simulated {device} captures one: {count_name}="1"')
    code = attr(type_name, "0")
    kind = types.get(code)
    if kind is None:
        named = " or ".join(f'"{c}" ({k})' for c, k in types.items())
        raise CaptureFailed("100", f"{type_name} must be {named}")
    if attr("format", "0") != "0":
        raise CaptureFailed("100", 'format must be "0" (XML); protobuf is not simulated')
    if attr("pidVer", "2.0") != "2.0":
        raise CaptureFailed("100", 'pidVer must be "2.0"')
    return CaptureOptions(kind=kind, type_code=code, wadh=attr("wadh", "") or None)


class Sandbox:
    """What the device reads from the sandbox, through an authenticated ``httpx`` client."""

    def __init__(self, client: httpx.AsyncClient, persona: str) -> None:
        self.client = client
        self.persona = persona
        self._records: dict[tuple[str, str], str] | None = None
        self._certificate: x509.Certificate | None = None

    async def _get(self, path: str) -> Any:
        try:
            got = await self.client.get(path)
        except httpx.HTTPError as exc:
            raise CaptureFailed("730", f"the sandbox cannot be reached: {exc!r}") from None
        if got.status_code != 200:
            raise CaptureFailed("730", f"GET {path} answered {got.status_code}: {got.text[:300]}")
        return got.json()

    async def record(self, kind: str, posh: str) -> str:
        if self._records is None:
            found = await self._get(f"/v1/sandbox/personas/{self.persona}/biometrics")
            self._records = {(r["type"], r["posh"]): r["value"] for r in found["records"]}
        return self._records[(kind, posh)]

    async def certificate(self) -> x509.Certificate:
        if self._certificate is None:
            pem = (await self._get("/v1/identity/certificate"))["certificate"]
            self._certificate = x509.load_pem_x509_certificate(pem.encode())
        return self._certificate

    async def pid_ts(self) -> str:
        """World time (the partner may have moved its clock) as IST wall time."""
        now = (await self._get("/v1/sandbox/clock"))["now"]
        moment = datetime.fromisoformat(now.replace("Z", "+00:00")) + IST
        return moment.strftime("%Y-%m-%dT%H:%M:%S")


class RdService:
    """The ASGI app: ``RDSERVICE`` on any path, ``DEVICEINFO`` and ``CAPTURE`` on theirs."""

    def __init__(self, device: Device, sandbox: Sandbox) -> None:
        self.device = device
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _body(receive)
        method, path = scope["method"].upper(), scope["path"].rstrip("/") or "/"
        if method == "OPTIONS":
            await _answer(send, 200, b"")
        elif method == "RDSERVICE":
            await _answer(send, 200, self.device.discovery())
        elif method == "DEVICEINFO" and path in {"/rd/info", "/"}:
            await _answer(send, 200, self.device.device_info_xml().encode())
        elif method == "CAPTURE" and path in {"/rd/capture", "/"}:
            await _answer(send, 200, await self.capture(body))
        elif method in METHODS:
            await _answer(send, 404, b"<Error>no such interface; RDSERVICE lists them</Error>")
        else:
            await _answer(send, 405, b"<Error>RDSERVICE, DEVICEINFO or CAPTURE</Error>")

    async def capture(self, body: bytes) -> bytes:
        try:
            options = parse_pid_options(body, self.device.modality)
            ts = await self.sandbox.pid_ts()
            value = await self.sandbox.record(options.kind, self.device.posh)
            certificate = await self.sandbox.certificate()
        except CaptureFailed as failed:
            return (
                f'<PidData><Resp errCode="{failed.code}" errInfo={quoteattr(failed.info)}/>'
                f"{self.device.device_info_xml()}</PidData>"
            ).encode()
        wadh = f" wadh={quoteattr(options.wadh)}" if options.wadh else ""
        pid = (
            f'<Pid ts="{ts}" ver="2.0"{wadh}><Bios>'
            f'<Bio type="{options.kind}" posh="{self.device.posh}">{value}</Bio>'
            f"</Bios></Pid>"
        ).encode()
        sealed = encrypt_pid(pid, certificate, ts=ts)
        return (
            f"<PidData>{_resp(self.device.modality, options)}{self.device.device_info_xml()}"
            f'<Skey ci="{sealed.ci}">{sealed.skey}</Skey><Hmac>{sealed.hmac}</Hmac>'
            f'<Data type="X">{sealed.data}</Data></PidData>'
        ).encode()


def _resp(device_modality: str, options: CaptureOptions) -> str:
    """RD Service 2.0 ``Resp`` of a capture: the counts and type of what was captured (one of
    this device's modality, none of the others); ``nmPoints`` (minutiae) only for a finger."""
    attrs = {"errCode": "0", "errInfo": "Success"}
    for modality_name, (count_name, type_name, _) in _OPTS.items():
        mine = modality_name == device_modality
        attrs[count_name] = "1" if mine else "0"
        if mine:
            attrs[type_name] = options.type_code
    if device_modality == "finger":
        attrs["nmPoints"] = "42"
    attrs["qScore"] = "80"
    return "<Resp " + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + "/>"


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [
        (b"content-type", b"text/xml; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        # capture pages run on another origin and preflight the custom methods
        (b"access-control-allow-origin", b"*"),
        (b"access-control-allow-methods", ", ".join(METHODS).encode()),
        (b"access-control-allow-headers", b"Content-Type"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def sandbox_client(base_url: str, api_key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=10.0
    )


def check_sandbox(base_url: str, api_key: str, persona: str) -> None:
    """Before serving: the sandbox answers and knows the persona (``ValueError`` says why)."""
    path = f"/v1/sandbox/personas/{persona}/biometrics"
    try:
        got = httpx.get(
            base_url.rstrip("/") + path,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=10.0,
        )
    except httpx.HTTPError as exc:
        raise ValueError(f"cannot reach the sandbox at {base_url}: {exc}") from None
    if got.status_code != 200:
        raise ValueError(f"GET {path} answered {got.status_code}: {got.text[:300]}")


def serve(device: Device, base_url: str, api_key: str) -> None:
    """Serve on 127.0.0.1 only (a device answers its own machine) until interrupted."""
    import uvicorn

    app = RdService(device, Sandbox(sandbox_client(base_url, api_key), device.persona))
    uvicorn.run(app, host="127.0.0.1", port=device.port, http="h11", log_level="info")
