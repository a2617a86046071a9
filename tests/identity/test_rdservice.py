"""The simulated RD service end to end: discovery, device info and a CAPTURE whose PidData goes
unchanged (Skey, Hmac, Data type X) into ``POST /v1/identity/auth`` of the test's sandbox.

The device reads the sandbox through an ``httpx`` client on the test app; one test serves it
with uvicorn's h11 on a real loopback port, as ``sandbox rd-service`` does, since that is where
the custom methods must survive an HTTP parser."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from lxml import etree

from identity.rdservice import Device, RdService, Sandbox
from loadtests.process import free_port
from sandbox.cli import main
from tests.support.http import SignedUp
from tests.support.identity import ASHA, auth

pytestmark = pytest.mark.anyio
KABIR = "999999990042"
OPTIONS = b'<PidOptions ver="1.0"><Opts fCount="1" fType="0" format="0" pidVer="2.0"/></PidOptions>'
# what iris capture pages send (RD Service 2.0: iType 0 is the ISO iris image, IIR)
IRIS_OPTIONS = (
    b'<PidOptions ver="1.0"><Opts fCount="0" fType="0" iCount="1" iType="0" pCount="0" '
    b'format="0" pidVer="2.0" timeout="10000" posh="UNKNOWN"/></PidOptions>'
)
# UIDAI's Face RD sample: counts and types left empty, custom options beside
FACE_OPTIONS = (
    b'<PidOptions ver="1.0" env="P"><Opts fCount="" fType="" iCount="" iType="" pCount="" '
    b'pType="" format="" pidVer="2.0" timeout="" otp="" wadh="" posh=""/><CustOpts>'
    b'<Param name="txnId" value="rd-face-1"/><Param name="purpose" value="auth"/>'
    b'<Param name="language" value="en"/></CustOpts></PidOptions>'
)

Rd = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def rd(client: httpx.AsyncClient, partner: SignedUp) -> AsyncIterator[Rd]:
    """``rd(persona, posh)``: a client of a device capturing that finger, iris or face for
    ``partner``."""
    opened: list[httpx.AsyncClient] = []

    def make(persona: str = "asha", posh: str = "LEFT_INDEX", **headers: str) -> httpx.AsyncClient:
        sandbox = httpx.AsyncClient(
            transport=client._transport,
            base_url=client.base_url,
            headers={**partner.headers, **headers},
        )
        app = RdService(Device(persona, posh), Sandbox(sandbox, persona))
        device = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:11100"
        )
        opened.extend((sandbox, device))
        return device

    yield make
    for c in opened:
        await c.aclose()


def auth_body(pid_data: bytes, *, uid: str = ASHA, txn: str = "rd-1", bt: str = "FMR") -> Any:
    """The JSON auth request of a PidData, as an AUA's server builds it."""
    root = etree.fromstring(pid_data)
    resp = root.find("Resp")
    assert resp is not None
    assert resp.get("errCode") == "0", pid_data
    skey, hmac, data = root.find("Skey"), root.find("Hmac"), root.find("Data")
    assert skey is not None
    assert hmac is not None
    assert data is not None
    assert data.get("type") == "X"
    return {
        "uid": uid,
        "rc": "Y",
        "ver": "2.5",
        "txn": txn,
        "uses": {"bio": "y", "bt": bt},
        "skey": {"ci": skey.get("ci"), "value": skey.text},
        "hmac": hmac.text,
        "data": {"type": "X", "value": data.text},
    }


async def capture(device: httpx.AsyncClient, options: bytes = OPTIONS) -> bytes:
    got = await device.request("CAPTURE", "/rd/capture", content=options)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/xml")
    return got.content


async def test_discovery_device_info_and_cors(rd: Rd) -> None:
    device = rd()
    found = await device.request("RDSERVICE", "/")
    assert found.status_code == 200
    root = etree.fromstring(found.content)
    assert (root.tag, root.get("status"), root.get("info")) == (
        "RDService",
        "READY",
        "Sandbox RD Service",
    )
    paths = {i.get("id"): i.get("path") for i in root.findall("Interface")}
    assert paths == {"CAPTURE": "/rd/capture", "DEVICEINFO": "/rd/info"}

    info = etree.fromstring((await device.request("DEVICEINFO", "/rd/info")).content)
    assert info.tag == "DeviceInfo"
    assert {"dpId", "rdsId", "rdsVer", "mi", "mc", "dc"} <= set(info.attrib)

    preflight = await device.request("OPTIONS", "/rd/capture")
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "CAPTURE" in preflight.headers["access-control-allow-methods"]
    assert (await device.get("/rd/capture")).status_code == 405


async def test_a_capture_authenticates_its_persona(
    rd: Rd, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    pid_data = await capture(rd())
    root = etree.fromstring(pid_data)
    assert root.find("DeviceInfo") is not None
    answer = await auth(client, partner, auth_body(pid_data))
    assert answer["ret"] == "y", answer

    fir = await capture(rd(posh="RIGHT_THUMB"), OPTIONS.replace(b'fType="0"', b'fType="1"'))
    answer = await auth(client, partner, auth_body(fir, txn="rd-2", bt="FIR"))
    assert answer["ret"] == "y", answer


async def test_another_persona_gives_300_and_kabir_330(
    rd: Rd, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    ravi = await capture(rd("ravi"))
    answer = await auth(client, partner, auth_body(ravi))  # ravi's finger, asha's number
    assert (answer["ret"], answer["err"]) == ("n", "300"), answer
    kabir = await capture(rd("kabir"))
    answer = await auth(client, partner, auth_body(kabir, uid=KABIR, txn="rd-k"))
    assert answer["err"] == "330", answer


@pytest.mark.parametrize(
    "options",
    [
        b"<PidOptions",
        b"<Other/>",
        OPTIONS.replace(b'fCount="1"', b'fCount="2"'),
        OPTIONS.replace(b'fType="0"', b'fType="7"'),
        OPTIONS.replace(b'format="0"', b'format="1"'),
        OPTIONS.replace(b'pidVer="2.0"', b'pidVer="1.0"'),
    ],
)
async def test_pid_options_the_device_cannot_honour(rd: Rd, options: bytes) -> None:
    resp = etree.fromstring(await capture(rd(), options)).find("Resp")
    assert resp is not None
    assert resp.get("errCode") == "100"
    assert resp.get("errInfo")


async def test_a_sandbox_that_refuses_the_device_is_reported(rd: Rd) -> None:
    device = rd(Authorization="Bearer sk_test_wrong")
    resp = etree.fromstring(await capture(device)).find("Resp")
    assert resp is not None
    assert (resp.get("errCode"), "401" in (resp.get("errInfo") or "")) == ("730", True)


@asynccontextmanager
async def served(app: RdService) -> AsyncIterator[str]:
    """``app`` on a free loopback port with uvicorn's h11, as ``serve`` runs it."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http="h11", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.02)
        assert server.started, "the RD service did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_custom_methods_over_a_real_loopback_socket(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    sandbox = httpx.AsyncClient(
        transport=client._transport, base_url=client.base_url, headers=partner.headers
    )
    app = RdService(Device("asha", "LEFT_INDEX"), Sandbox(sandbox, "asha"))
    async with served(app) as base, httpx.AsyncClient(base_url=base) as device:
        assert (await device.request("RDSERVICE", "/")).status_code == 200
        pid_data = await capture(device)
    await sandbox.aclose()
    answer = await auth(client, partner, auth_body(pid_data))
    assert answer["ret"] == "y", answer


def _bio(pid_data: bytes) -> tuple[str | None, ...]:
    """The Resp counts of a PidData: fCount, iCount, pCount and the type codes given."""
    resp = etree.fromstring(pid_data).find("Resp")
    assert resp is not None
    assert resp.get("errCode") == "0", pid_data
    names = ("fCount", "fType", "iCount", "iType", "pCount", "pType")
    return tuple(resp.get(n) for n in names)


@pytest.mark.parametrize("eye", ["LEFT_IRIS", "RIGHT_IRIS"])
async def test_an_iris_capture_authenticates_and_another_iris_gives_300(
    rd: Rd, client: httpx.AsyncClient, partner: SignedUp, eye: str
) -> None:
    pid_data = await capture(rd(posh=eye), IRIS_OPTIONS)
    assert _bio(pid_data) == ("0", None, "1", "0", "0", None)
    info = etree.fromstring(pid_data).find("DeviceInfo")
    assert info is not None
    assert info.get("mi") == "SIM-IRIS-1"
    answer = await auth(client, partner, auth_body(pid_data, txn=f"rd-{eye}", bt="IIR"))
    assert answer["ret"] == "y", answer

    ravis = await capture(rd("ravi", eye), IRIS_OPTIONS)  # ravi's eye, asha's number
    answer = await auth(client, partner, auth_body(ravis, txn=f"rd-r-{eye}", bt="IIR"))
    assert (answer["ret"], answer["err"]) == ("n", "300"), answer
    kabir = await capture(rd("kabir", eye), IRIS_OPTIONS)
    answer = await auth(client, partner, auth_body(kabir, uid=KABIR, txn=f"rd-k-{eye}", bt="IIR"))
    assert answer["err"] == "330", answer


async def test_a_face_capture_authenticates_and_another_face_gives_300(
    rd: Rd, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    pid_data = await capture(rd(posh="FACE"), FACE_OPTIONS)
    assert _bio(pid_data) == ("0", None, "0", None, "1", "0")
    answer = await auth(client, partner, auth_body(pid_data, txn="rd-face", bt="FID"))
    assert answer["ret"] == "y", answer
    # the same capture with bt naming another type: the Bio is not declared (550)
    again = await capture(rd(posh="FACE"), FACE_OPTIONS)
    answer = await auth(client, partner, auth_body(again, txn="rd-face-bt", bt="IIR"))
    assert answer["err"] == "550", answer

    ravis = await capture(rd("ravi", "FACE"), FACE_OPTIONS)
    answer = await auth(client, partner, auth_body(ravis, txn="rd-face-r", bt="FID"))
    assert (answer["ret"], answer["err"]) == ("n", "300"), answer


async def test_a_face_or_iris_in_another_world_gives_300(
    rd: Rd, client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    """Records are derived per world: asha's face captured for another partner is not hers
    here."""
    sandbox = httpx.AsyncClient(
        transport=client._transport, base_url=client.base_url, headers=other_partner.headers
    )
    for posh, options, bt in (("FACE", FACE_OPTIONS, "FID"), ("LEFT_IRIS", IRIS_OPTIONS, "IIR")):
        app = RdService(Device("asha", posh), Sandbox(sandbox, "asha"))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:11100"
        ) as device:
            theirs = await capture(device, options)
        answer = await auth(client, partner, auth_body(theirs, txn=f"rd-o-{posh}", bt=bt))
        assert (answer["ret"], answer["err"]) == ("n", "300"), answer
    await sandbox.aclose()


@pytest.mark.parametrize(
    ("posh", "options", "says"),
    [
        ("LEFT_IRIS", OPTIONS, "iris scanner"),  # finger options to an iris scanner
        ("FACE", OPTIONS, "face camera"),
        ("LEFT_INDEX", IRIS_OPTIONS, "fingerprint scanner"),
        ("LEFT_INDEX", FACE_OPTIONS.replace(b'pCount=""', b'pCount="1"'), "fingerprint"),
        ("RIGHT_IRIS", IRIS_OPTIONS.replace(b'iCount="1"', b'iCount="2"'), 'iCount="1"'),
        ("RIGHT_IRIS", IRIS_OPTIONS.replace(b'iType="0"', b'iType="1"'), "iType"),
        ("FACE", FACE_OPTIONS.replace(b'pType=""', b'pType="3"'), "pType"),
    ],
)
async def test_options_for_another_kind_of_device_are_refused(
    rd: Rd, posh: str, options: bytes, says: str
) -> None:
    resp = etree.fromstring(await capture(rd(posh=posh), options)).find("Resp")
    assert resp is not None
    assert resp.get("errCode") == "100"
    assert says in (resp.get("errInfo") or ""), resp.get("errInfo")


def test_a_device_captures_only_real_positions() -> None:
    for posh in ("UNKNOWN", "LEFT_TOE", "IRIS"):
        with pytest.raises(ValueError, match="LEFT_IRIS"):
            Device("asha", posh)


def test_the_command_takes_one_modality() -> None:
    runner = CliRunner()
    env = {"SANDBOX_API_KEY": "sk_test_x"}
    both = runner.invoke(
        main, ["rd-service", "--persona", "asha", "--iris", "LEFT", "--face"], env=env
    )
    assert both.exit_code == 2
    assert "one of --finger, --iris and --face" in both.output
    eye = runner.invoke(main, ["rd-service", "--persona", "asha", "--iris", "MIDDLE"], env=env)
    assert eye.exit_code == 2
    assert "'MIDDLE' is not one of" in eye.output
    nowhere = f"http://127.0.0.1:{free_port()}"
    down = runner.invoke(
        main, ["rd-service", "--persona", "asha", "--face", "--sandbox", nowhere], env=env
    )
    assert down.exit_code == 1  # options accepted; the sandbox is checked next
    assert "cannot reach the sandbox" in down.output


def test_the_command_checks_its_finger_and_its_sandbox() -> None:
    runner = CliRunner()
    bad = runner.invoke(
        main,
        ["rd-service", "--persona", "asha", "--finger", "LEFT_TOE"],
        env={"SANDBOX_API_KEY": "sk_test_x"},
    )
    assert bad.exit_code == 2
    assert "LEFT_INDEX" in bad.output
    nowhere = f"http://127.0.0.1:{free_port()}"
    down = runner.invoke(
        main,
        ["rd-service", "--persona", "asha", "--sandbox", nowhere, "--api-key", "sk_test_x"],
    )
    assert down.exit_code == 1
    assert "cannot reach the sandbox" in down.output
