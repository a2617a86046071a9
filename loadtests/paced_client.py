"""A paced (open-loop) load of P2P payments over raw HTTP/1.1, for ``loadtests.stalls``.

Payment ``i`` is due at ``start + i / rate`` whatever the answers before it did; it goes out on
the first idle connection of ``--connections`` keep-alive connections, its request line, headers
and body in one ``write`` (no Nagle delay, as the bench's probe). Its latency is measured from
when it was due (so a stalled server is not hidden by a client that waited for it) and from when
it was sent. Prints one JSON object: both histograms' summaries and the failures. ``--noop``
sends the no-op (``GET /healthz``) instead, paced the same way, to compare a payment with it.

    .venv/bin/python -m loadtests.paced_client --port 8000 --api-key KEY --rate 500 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid

from loadtests.config import DEFAULT_AMOUNT, PAY_PATH, LoadConfig
from loadtests.latency import Histogram
from loadtests.parties import Parties, world_parties


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


def _request(api_key: str, parties: Parties, rng: random.Random) -> tuple[bytes, bytes]:
    payer, payee = parties.pair(rng)
    body = json.dumps(
        {
            "payer": {"vpa": payer.vpa, "pin": payer.pin},
            "payee": {"vpa": payee.vpa},
            "amount": DEFAULT_AMOUNT,
            "note": "stall diagnostic",
        }
    ).encode()
    head = (
        f"POST {PAY_PATH} HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer {api_key}\r\n"
        f"Content-Type: application/json\r\nIdempotency-Key: {uuid.uuid4().hex}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head, body


NOOP_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: sandbox\r\n\r\n"


async def run(
    port: int,
    api_key: str,
    rate: float,
    seconds: float,
    connections: int,
    residents: int,
    *,
    noop: bool = False,
) -> dict[str, object]:
    parties = world_parties(residents=residents, min_balance=LoadConfig().min_payer_balance)
    rng = random.Random(7)
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(_Connection(*await asyncio.open_connection("127.0.0.1", port)))
    from_due, from_sent = Histogram(), Histogram()
    failures: dict[str, int] = {}
    total = int(rate * seconds)
    tasks: set[asyncio.Task[None]] = set()

    async def one(due: float, conn: _Connection) -> None:
        head, body = (NOOP_REQUEST, b"") if noop else _request(api_key, parties, rng)
        sent = time.perf_counter()
        try:
            status, payload = await conn.send(head, body)
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
            return  # the connection is dropped
        done = time.perf_counter()
        idle.put_nowait(conn)
        code = "00" if noop and status == 200 else None
        if not noop and status == 200:
            code = json.loads(payload).get("responseCode")
        if code != "00":
            key = f"HTTP {status} {code}"
            failures[key] = failures.get(key, 0) + 1
            return
        from_due.add((done - due) * 1000.0)
        from_sent.add((done - sent) * 1000.0)

    start = time.perf_counter() + 0.05
    for i in range(total):
        due = start + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        conn = await idle.get()
        task = asyncio.create_task(one(due, conn))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    return {
        "rate": rate,
        "achievedRate": round(from_due.count / elapsed, 1),
        "fromDueMs": from_due.to_json(),
        "fromSentMs": from_sent.to_json(),
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--noop", action="store_true", help="GET /healthz, not payments")
    args = parser.parse_args()
    result = asyncio.run(
        run(
            args.port,
            args.api_key,
            args.rate,
            args.seconds,
            args.connections,
            args.residents,
            noop=args.noop,
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
