"""Where the server's CPU goes: a py-spy recording of the server, split by layer.

``py-spy record --format raw`` writes one line per distinct stack (``frame;frame;... count``,
root first). Each sample is given to the layer of its leaf-most frame that belongs to one:

- **storage**: SQLAlchemy, sqlite3, psycopg, ``sandbox/storage/``, every ``store.py``
  (the group-commit writer thread's own loop included);
- **auth**: ``sandbox/deps.py`` (API key, rate limit), ``authenticate``, ``sandbox/ops/ratelimit``;
- **validation**: request body parsing and pydantic validation, ``payments/schemas``,
  ``payments/service/context.py`` and ``pay.prepare`` (VPA and amount checks, PIN hash);
- **serialization**: FastAPI's ``serialize_response`` and JSON rendering of the answer;
- **service**: the rest of ``payments/`` and the domain services (decisions, ledger, views);
- **framework**: uvicorn, starlette, FastAPI's routing and dependency machinery, asyncio,
  the project's middleware and route functions.

Frames of the standard library and of ``sandbox/kit`` are neutral: the sample goes to the first
classified frame above them (``hashlib`` under ``authenticate`` is auth). Samples with no
classified frame count as **other**. Storage samples are also split by the outermost auth,
validation, service or serialization frame that called them (``storageByCaller``): the API key
lookup is storage called by auth, a payment's unit of work is storage called by service, a
COMMIT of the group-commit writer is storage called by nobody ("commit").

py-spy counts a thread as active while it is runnable, so on a machine where other processes
compete for the cores the shares are shares of runnable time, close to but not exactly CPU.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

LAYERS = ("framework", "auth", "validation", "serialization", "service", "storage", "other")

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")

_STORAGE_FILES = ("/sqlalchemy/", "/sqlite3/", "/psycopg/", "/psycopg_pool/", "sandbox/storage/")
_FRAMEWORK_FILES = (
    "/uvicorn/",
    "/starlette/",
    "/fastapi/",
    "/anyio/",
    "/uvloop/",
    "/httptools/",
    "/h11/",
    "/asyncio/",
    "/concurrent/futures/",
    "sandbox/ops/middleware.py",
    "sandbox/ops/problems.py",
    "sandbox/app.py",
    "sandbox/errors.py",
    "/api.py",
    "/api/",
)
_VALIDATION_FUNCTIONS = ("request_body_to_args", "_validate_value_with_model_field", "prepare")


@dataclass(frozen=True)
class Split:
    """Samples per layer (leaf-most classified frame) and the busiest leaf functions."""

    samples: int
    by_layer: dict[str, float]
    """Share of samples, 0..1, per layer."""
    storage_by_caller: dict[str, float]
    """Share of all samples, 0..1, that are storage, per calling layer."""
    top_functions: list[tuple[str, float]]
    """Leaf functions (self time), busiest first."""
    top_project_functions: list[tuple[str, float]]
    """The project's functions by inclusive time (on the stack), busiest first."""

    def to_json(self) -> dict[str, object]:
        return {
            "samples": self.samples,
            "byLayer": self.by_layer,
            "storageByCaller": self.storage_by_caller,
            "topFunctions": [{"function": f, "share": s} for f, s in self.top_functions],
            "topProjectFunctions": [
                {"function": f, "share": s} for f, s in self.top_project_functions
            ],
        }


def _layer(function: str, file: str, stack_text: str) -> str | None:
    """The layer of one frame, or ``None`` for a neutral frame."""
    if any(part in file for part in _STORAGE_FILES) or file.endswith("store.py"):
        return "storage"
    if "sandbox/deps.py" in file or "sandbox/ops/ratelimit.py" in file:
        return "auth"
    if function == "authenticate" and "sandbox/partners/" in file:
        return "auth"
    if "/pydantic" in file or "/email_validator/" in file:
        if "serialize_response" in stack_text or "jsonable_encoder" in stack_text:
            return "serialization"
        return "validation"
    if function in _VALIDATION_FUNCTIONS and ("/fastapi/" in file or "payments/" in file):
        return "validation"
    if "payments/schemas/" in file or "payments/service/context.py" in file:
        return "validation"
    if "sandbox/kit/schema.py" in file or "starlette/requests.py" in file:
        return "validation"
    if function in ("serialize_response", "jsonable_encoder") or "starlette/responses.py" in file:
        return "serialization"
    if "/payments/api/" in file or "payments/api/" in file:
        return "framework"
    if "payments/" in file or (
        "sandbox/" in file and "/service" in file and "sandbox/kit/" not in file
    ):
        return "service"
    if any(part in file for part in _FRAMEWORK_FILES):
        return "framework"
    return None


_CALLERS = ("auth", "validation", "service", "serialization")


def classify(stack: list[tuple[str, str]]) -> tuple[str, str]:
    """``(layer, caller)`` of one sample (frames root first): the layer of its leaf-most
    classified frame, and the outermost auth/validation/service/serialization frame ("commit"
    when there is none)."""
    text = ";".join(function for function, _ in stack)
    layers = [_layer(function, file, text) for function, file in stack]
    leaf = next((layer for layer in reversed(layers) if layer is not None), "other")
    caller = next((layer for layer in layers if layer in _CALLERS), "commit")
    return leaf, caller


def parse_frames(line: str) -> tuple[list[tuple[str, str]], int] | None:
    """``(frames, count)`` of one raw line; ``None`` for a line that is no stack."""
    body, _, count = line.rstrip().rpartition(" ")
    if not body or not count.isdigit():
        return None
    frames: list[tuple[str, str]] = []
    for part in body.split(";"):
        match = _FRAME.match(part.strip())
        if match is None:  # "process 123:..." or "thread (0x...)" headers
            continue
        frames.append((match["function"], match["file"]))
    return frames, int(count)


def split(raw: str, *, top: int = 15) -> Split:
    """The split of a raw py-spy recording."""
    layers: Counter[str] = Counter()
    callers: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        parsed = parse_frames(line)
        if parsed is None or not parsed[0]:
            continue
        frames, count = parsed
        layer, caller = classify(frames)
        layers[layer] += count
        if layer == "storage":
            callers[caller] += count
        function, file = frames[-1]
        leaves[f"{function} ({_short(file)})"] += count
        for name in {f"{f} ({_short(p)})" for f, p in frames if _is_project(p)}:
            inclusive[name] += count
        total += count
    share = {layer: (layers[layer] / total if total else 0.0) for layer in LAYERS}
    busiest = [(name, n / total) for name, n in leaves.most_common(top)] if total else []
    by_caller = {c: n / total for c, n in callers.most_common()} if total else {}
    project = [(name, n / total) for name, n in inclusive.most_common(top)] if total else []
    return Split(total, share, by_caller, busiest, project)


_PROJECT = ("sandbox/", "payments/", "identity/", "consent/")


def _is_project(file: str) -> bool:
    return "site-packages" not in file and any(f"/{p}" in file for p in _PROJECT)


def _short(file: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def py_spy() -> str:
    """The py-spy executable next to this interpreter (installed with the dev extra)."""
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else "py-spy"


def start_recording(
    pid: int, output: Path, duration: int, rate: int = 100
) -> subprocess.Popen[bytes]:
    """``py-spy record`` of ``pid`` and its subprocesses for ``duration`` seconds, in the raw
    format, without pausing the server (``--nonblocking``)."""
    return subprocess.Popen(  # noqa: S603 - py-spy from our venv, on our own server
        [
            py_spy(),
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--nonblocking",
            "--full-filenames",
            "--format",
            "raw",
            "--rate",
            str(rate),
            "--duration",
            str(duration),
            "--output",
            str(output),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
