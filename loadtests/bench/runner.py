"""``sandbox bench``: the payment and identity paths against the no-op endpoint, on a server it
starts itself.

One run, in order:

1. a fresh server: embedded SQLite in a temp data dir (durable defaults: WAL, synchronous=FULL),
   or with ``database`` a scratch PostgreSQL database and ``workers`` API processes; access log
   off, rate limits out of the way; pinned to its own cores when the machine has enough;
2. a partner whose world has ``residents`` generated residents (their VPAs and PINs are derived
   by the load generator);
3. the phases, each a headless locust run with the same users, spawn rate and duration: the
   no-op ``GET /healthz``, P2P pay (saturation), P2M pay into one hot merchant (saturation), and
   P2P pay at 50% of the P2P saturation rate (``constant_throughput`` per user), and encrypted
   demographic authentication (Auth 2.5 JSON, saturation; the PIDs sealed before the phase,
   ``loadtests/auth_pool.py``), and the consent phase: FI request + FI fetch of a year of a busy
   account's statement, decrypted by locust (the consents made before the phase's users start,
   ``loadtests/consent_pool.py``); the server's CPU time (``/proc``) before and after each phase
   gives its CPU per request;
4. with ``profile``, one more P2P phase under ``py-spy record``, split by layer;
5. a double-spend probe and the ledger check;
6. the report (``summary.json``, ``summary.md``, plots, locust's HTML) in
   ``loadtests/reports/<timestamp>/``.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import loadtests
from loadtests.bench import checks, gcstats, report
from loadtests.bench import preload as preloading
from loadtests.bench import profile as profiling
from loadtests.bench.locust_run import Load, LocustResult, run_locust
from loadtests.bench.postgres import ScratchDatabase, scratch_database
from loadtests.bench.probe import Probe, ProbeResult
from loadtests.bench.procstat import Tracker, cpu_by_pid
from loadtests.bench.records import PhaseRecord
from loadtests.bench.server import BenchServer
from loadtests.bench.summary import summarize
from loadtests.config import DEFAULT_AMOUNT, LoadConfig, check_amount
from loadtests.parties import world_parties

REPORTS_DIR = Path(loadtests.__file__).resolve().parent / "reports"


@dataclass(frozen=True)
class Phase:
    name: str
    user_class: str
    title: str
    load_fraction: float | None = None
    """Paced at this fraction of the ``p2p`` phase's rate, with the latency probe beside it;
    ``None``: saturation."""


PHASES = (
    Phase("noop", "HealthzUser", "no-op GET /healthz"),
    Phase("p2p", "P2PPayUser", "P2P pay, saturation"),
    Phase("p2m", "P2MPayUser", "P2M pay into one hot merchant, saturation"),
    Phase("p2p_quarter", "P2PPayUser", "P2P pay at 25% of saturation", load_fraction=0.25),
    Phase("p2p_half", "P2PPayUser", "P2P pay at 50% of saturation", load_fraction=0.5),
    Phase(
        "noop_half",
        "HealthzUser",
        "no-op GET /healthz at p2p_half's rate (the harness's floor)",
        load_fraction=0.5,
    ),
    Phase("identity", "DemoAuthUser", "encrypted demographic auth (Auth 2.5 JSON), saturation"),
    Phase("consent", "FiFetchUser", "AA FI request + fetch + decrypt of a year, saturation"),
)
PROFILE_PHASE = Phase("p2p_profiled", "P2PPayUser", "P2P pay under py-spy (not in the ratios)")
EMPTY_LEDGER_PHASE = Phase(
    "p2p_empty", "P2PPayUser", "P2P pay, saturation, a second server with an empty ledger"
)
PHASE_NAMES = tuple(p.name for p in PHASES)


def selected(names: Sequence[str] | None) -> tuple[Phase, ...]:
    """The phases to run, in their usual order: all by default; the no-op always (every ratio
    is against it), ``p2p`` with a paced phase (its rate is a fraction of ``p2p``'s), and
    ``noop_half`` with ``p2p_half`` (the no-op at the same rate, locust and the probe alike:
    the latency the harness and the framework give with no payment behind it)."""
    if not names:
        return PHASES
    unknown = sorted(set(names) - set(PHASE_NAMES))
    if unknown:
        raise ValueError(f"unknown phase(s) {', '.join(unknown)}; known: {', '.join(PHASE_NAMES)}")
    wanted = {"noop", *names}
    if "p2p_half" in wanted:
        wanted.add("noop_half")  # its floor: what the harness alone gives at that rate
    if any(p.load_fraction is not None and p.name in wanted for p in PHASES):
        wanted.add("p2p")
    return tuple(p for p in PHASES if p.name in wanted)


@dataclass(frozen=True)
class BenchOptions:
    """What ``sandbox bench`` was asked for; ``None`` picks the mode's default."""

    quick: bool = False
    database: str | None = None
    """Admin URL of a PostgreSQL server (scale-out mode); ``None``: embedded SQLite."""
    workers: int = 1
    users: int | None = None
    spawn_rate: float | None = None
    duration: int | None = None
    """Seconds per phase."""
    locust_processes: int | None = None
    residents: int = 2000
    amount: str = DEFAULT_AMOUNT
    output_dir: Path | None = None
    profile: bool = False
    pin: bool = True
    """Pin the server and locust to separate cores (when there are enough)."""
    preload: int = 0
    """Past payments written into the world's ledger before the phases (``--preload``)."""
    phases: tuple[str, ...] = ()
    """Only these phases (and the no-op); empty: all of ``PHASES``."""

    @property
    def mode(self) -> str:
        return "postgresql" if self.database else "sqlite"


def plan(options: BenchOptions, cpus: Sequence[int]) -> tuple[Load, list[int] | None]:
    """The load of every phase and the server's cores (``None``: not pinned)."""
    users = options.users or (20 if options.quick else 50)
    spawn_rate = options.spawn_rate or float(users)
    duration = options.duration or (6 if options.quick else 40)
    processes = options.locust_processes or (2 if options.database else 1)
    server_processes = options.workers
    enough = len(cpus) >= server_processes + processes
    if options.pin and enough and hasattr(os, "sched_setaffinity"):
        locust_cpus = list(cpus[-processes:])
        server_cpus = [c for c in cpus if c not in locust_cpus]
        return Load(users, spawn_rate, duration, processes, locust_cpus), server_cpus
    return Load(users, spawn_rate, duration, processes, None), None


def run(
    options: BenchOptions,
    *,
    echo: Callable[[str], None] = print,
    command: str = "sandbox bench",
) -> dict[str, Any]:
    """One benchmark run; returns the summary it also wrote to its report folder."""
    check_amount(options.amount)
    to_run = selected(options.phases)
    if options.preload and "p2p" not in {p.name for p in to_run}:
        raise ValueError("--preload compares P2P rps: include the p2p phase")
    if options.database is None and options.workers > 1:
        raise ValueError("the embedded SQLite store has one writer process: use --workers 1")
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    out_dir = options.output_dir or REPORTS_DIR / stamp
    out_dir.mkdir(parents=True, exist_ok=True)
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    load, server_cpus = plan(options, cpus)
    load_average = os.getloadavg()
    echo(
        f"bench ({options.mode}{', quick' if options.quick else ''}): {load.users} users, "
        f"{load.duration} s per phase, report in {out_dir}"
    )
    if load_average[0] > 0.5:
        echo(f"note: load average {load_average[0]:.2f} at start: other work skews the figures")

    phases: dict[str, PhaseRecord] = {}
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sandbox-bench-")))
        if load.cpus and server_cpus:
            # the bench's own threads (samplers, the probe's parent) beside locust, never on
            # the server's cores: left unpinned, they took CPU from the server they measure
            own = os.sched_getaffinity(0)
            os.sched_setaffinity(0, load.cpus)
            stack.callback(os.sched_setaffinity, 0, own)
        scratch: ScratchDatabase | None = None
        if options.database:
            scratch = stack.enter_context(
                scratch_database(options.database, f"bench_{stamp.replace('-', '_')}_{os.getpid()}")
            )
        server = BenchServer(
            data_dir=tmp / "data",
            log_path=out_dir / "server.log",
            database_url=scratch.url if scratch else "",
            workers=options.workers,
            residents=options.residents,
            cpus=server_cpus,
        )
        stack.callback(server.stop)
        server.start()
        host = server.base_url
        partner = checks.sign_up(host)
        preload: dict[str, Any] | None = None
        if options.preload:
            echo(f"preload: {options.preload} past payments into the world's ledger...")
            preload = preloading.fill(
                server, partner["partnerId"], options.preload, amount=options.amount
            )
            echo(f"preload: {preload['payments']} written in {preload['fillSeconds']} s")
        config = LoadConfig(
            api_key=partner["apiKey"],
            residents=options.residents,
            amount=options.amount,
            check_ledger=False,  # checked once, after every phase, below
        )
        parties = world_parties(residents=options.residents, min_balance=config.min_payer_balance)
        for phase in to_run:
            phase_config = config
            target: float | None = None
            probe: Probe | None = None
            if phase.load_fraction is not None:
                target = phase.load_fraction * phases["p2p"].rps
                phase_config = replace(config, user_rps=max(target, 0.1) / load.users)
                probe = Probe(
                    host,
                    config.api_key or "",
                    parties,
                    amount=options.amount,
                    cpus=load.cpus,
                    noop=phase.user_class == "HealthzUser",
                )
            phases[phase.name] = _run_phase(
                phase, server, scratch, host, load, phase_config, out_dir, target, probe
            )
            echo(_phase_line(phase.name, phases[phase.name]))
        profile = None
        if options.profile:
            profile = _profiled_phase(server, scratch, host, load, config, out_dir, phases)
            echo(_phase_line(PROFILE_PHASE.name, phases[PROFILE_PHASE.name]))
        double_spend = checks.double_spend_probe(host, config.api_key or "")
        ledger = checks.ledger_check(host, config.api_key or "")
        server.stop()
        if preload is not None:
            empty = _empty_ledger_server(stack, options, tmp, out_dir, stamp, server_cpus)
            empty_config = replace(config, api_key=checks.sign_up(empty.base_url)["apiKey"])
            phases[EMPTY_LEDGER_PHASE.name] = _run_phase(
                EMPTY_LEDGER_PHASE, empty, None, empty.base_url, load, empty_config, out_dir, None
            )
            echo(_phase_line(EMPTY_LEDGER_PHASE.name, phases[EMPTY_LEDGER_PHASE.name]))
            empty.stop()
            preload |= preloading.compare(phases["p2p"].rps, phases[EMPTY_LEDGER_PHASE.name].rps)

    summary = summarize(
        options=options,
        load=load,
        cpus=cpus,
        server_cpus=server_cpus,
        load_average=load_average,
        started=started,
        phases=phases,
        ledger=ledger,
        probe=double_spend,
        profile=profile,
        scratch_name=scratch.name if scratch else None,
        preload=preload,
    )
    summary["command"] = command
    report.write(out_dir, summary, phases)
    summary["reportDir"] = str(out_dir)
    return summary


def _run_phase(
    phase: Phase,
    server: BenchServer,
    scratch: ScratchDatabase | None,
    host: str,
    load: Load,
    config: LoadConfig,
    out_dir: Path,
    target: float | None,
    probe: Probe | None = None,
) -> PhaseRecord:
    cpu_before = server.cpu_seconds()
    loop_before = server.main_thread_cpu_seconds()
    waits = Tracker(server.run_queue_waits).start()
    backends = Tracker(lambda: cpu_by_pid(scratch.backend_pids())).start() if scratch else None
    gc_before = gcstats.read(host)
    if probe is not None:
        probe.start()
    result = run_locust(
        name=phase.name,
        user_class=phase.user_class,
        host=host,
        load=load,
        config=config,
        out_dir=out_dir,
    )
    # measured the moment locust is done, in the order the arguments are evaluated
    return _phase_record(
        phase,
        load,
        result,
        server_cpu=server.cpu_seconds() - cpu_before,
        event_loop_cpu=server.main_thread_cpu_seconds() - loop_before,
        run_queue_wait=waits.stop(),
        database_cpu=backends.stop() if backends is not None else None,
        target_rps=target,
        per_user_rps=config.user_rps if target is not None else None,
        probe=probe.stop() if probe is not None else None,
        gc_pauses=gcstats.pauses(gc_before, gcstats.read(host)) or None,
    )


def _empty_ledger_server(
    stack: contextlib.ExitStack[Any],
    options: BenchOptions,
    tmp: Path,
    out_dir: Path,
    stamp: str,
    cpus: list[int] | None,
) -> BenchServer:
    """A second server like the first (a fresh data dir or scratch database), no preload."""
    url = ""
    if options.database:
        name = f"bench_{stamp.replace('-', '_')}_{os.getpid()}_empty"
        url = stack.enter_context(scratch_database(options.database, name)).url
    empty = BenchServer(
        data_dir=tmp / "data-empty",
        log_path=out_dir / "server-empty.log",
        database_url=url,
        workers=options.workers,
        residents=options.residents,
        cpus=cpus,
    )
    stack.callback(empty.stop)
    return empty.start()


def _profiled_phase(
    server: BenchServer,
    scratch: ScratchDatabase | None,
    host: str,
    load: Load,
    config: LoadConfig,
    out_dir: Path,
    phases: dict[str, PhaseRecord],
) -> dict[str, Any]:
    raw = out_dir / "profile-raw.txt"
    recorder = profiling.start_recording(server.pid, raw, duration=max(load.duration - 2, 2))
    phases[PROFILE_PHASE.name] = _run_phase(
        PROFILE_PHASE, server, scratch, host, load, config, out_dir, None
    )
    _, errors = recorder.communicate(timeout=60)
    if not raw.exists():
        return {"phase": PROFILE_PHASE.name, "error": errors.decode(errors="replace")[-2000:]}
    found = profiling.split(raw.read_text())
    return {"phase": PROFILE_PHASE.name, "rawFile": raw.name, **found.to_json()}


def _phase_record(
    phase: Phase,
    load: Load,
    result: LocustResult,
    *,
    server_cpu: float,
    event_loop_cpu: float,
    run_queue_wait: float,
    database_cpu: float | None = None,
    target_rps: float | None = None,
    per_user_rps: float | None = None,
    probe: ProbeResult | None = None,
    gc_pauses: dict[str, Any] | None = None,
) -> PhaseRecord:
    return PhaseRecord(
        title=phase.title,
        user_class=phase.user_class,
        users=load.users,
        spawn_rate=load.spawn_rate,
        duration_seconds=load.duration,
        locust_processes=load.processes,
        requests=result.requests,
        failures=result.failures,
        failures_by_error=result.failures_by_error,
        rps=result.rps,
        latency_ms=result.latency_ms,
        locust_latency_ms=result.locust_percentiles_ms,
        server_cpu_seconds=server_cpu,
        server_event_loop_cpu_seconds=event_loop_cpu,
        server_run_queue_wait_seconds=run_queue_wait,
        locust_cpu_seconds=result.locust_cpu_seconds,
        wall_seconds=result.wall_seconds,
        requests_by_name=result.names,
        locust_exit_code=result.exit_code,
        command=[shlex.quote(a) for a in result.command],
        html=f"{phase.name}.html",
        history=result.history,
        locust_output_tail=result.output_tail if result.requests == 0 else "",
        database_cpu_seconds=database_cpu,
        target_rps=target_rps,
        per_user_rps=per_user_rps,
        histogram=result.histogram,
        probe=probe,
        gc_pauses=gc_pauses,
    )


def _phase_line(name: str, p: PhaseRecord) -> str:
    lat = p.latency_ms
    us = p.server_cpu_us_per_request
    return (
        f"  {name:<13} {p.rps:>8.0f} rps  p50 {_fmt(lat.get('p50'))} ms  "
        f"p99 {_fmt(lat.get('p99'))} ms  failures {p.failures}  "
        f"server CPU {'-' if us is None else f'{us:.0f}'} us/request ({p.server_cores:.2f} cores)"
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
