"""``sandbox bench``: the benchmark (``loadtests.bench``) behind the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sandbox.kit.secrets import redact_url


@click.command()
@click.option("--quick", is_flag=True, help="Short phases (done in under a minute, for CI).")
@click.option(
    "--database",
    default=None,
    metavar="URL",
    help="Scale-out mode: a PostgreSQL server URL whose user may CREATE DATABASE "
    "(e.g. postgresql://postgres@127.0.0.1:5432/postgres); a scratch database is created "
    "for the run and dropped after. Default: embedded SQLite in a temp dir.",
)
@click.option(
    "--workers",
    default="1",
    metavar="N[,N...]",
    help="API worker processes; in scale-out mode a list (1,2,4): one run per count, one "
    "report with a row each.",
)
@click.option("--users", default=None, type=click.IntRange(1), help="Locust users (50; 20 quick).")
@click.option("--spawn-rate", default=None, type=click.FloatRange(min=0.1), help="Users/s.")
@click.option("--duration", default=None, type=click.IntRange(1), help="Seconds per phase.")
@click.option(
    "--locust-processes", default=None, type=click.IntRange(1), help="1; 2 in scale-out mode."
)
@click.option(
    "--residents",
    default=2000,
    type=click.IntRange(0, 10_000),
    show_default=True,
    help="Generated residents in the benchmark's world (payers and payees).",
)
@click.option("--amount", default="1.00", show_default=True, help="Amount of every payment.")
@click.option("--profile", is_flag=True, help="Add a P2P phase under py-spy; report the split.")
@click.option(
    "--pin/--no-pin",
    default=True,
    show_default=True,
    help="Pin server and load generator to separate cores (when the machine has enough).",
)
@click.option(
    "--preload",
    default=0,
    type=click.IntRange(0, 10_000_000),
    help="Past payments written into the world's ledger first; adds a P2P phase on an empty "
    "ledger to compare with.",
)
@click.option(
    "--phases",
    default="",
    metavar="NAMES",
    help="Only these phases, comma-separated (noop, p2p, p2m, p2p_quarter, p2p_half, identity, "
    "consent); the no-op always runs, and p2p with a paced phase. Default: all.",
)
@click.option(
    "--output-dir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Report folder (default loadtests/reports/<timestamp>/).",
)
def bench(
    quick: bool,
    database: str | None,
    workers: str,
    users: int | None,
    spawn_rate: float | None,
    duration: int | None,
    locust_processes: int | None,
    residents: int,
    amount: str,
    profile: bool,
    pin: bool,
    preload: int,
    phases: str,
    output_dir: Path | None,
) -> None:
    """Benchmark the payment path against the no-op endpoint, on a server it starts itself."""
    try:
        from loadtests.bench import BenchOptions, parse_counts, ratio_lines, run_counts, table_lines
    except ImportError as exc:
        raise click.ClickException(
            f"the benchmark needs the dev extra ({exc}): pip install -e '.[dev]'"
        ) from exc
    try:
        counts = parse_counts(workers)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--workers") from exc
    if database is None and counts != (1,):
        raise click.ClickException(
            "the embedded SQLite store has one writer process; use --workers 1, or "
            "--database postgresql://... for several workers"
        )
    options = BenchOptions(
        quick=quick,
        database=database,
        workers=counts[0],
        users=users,
        spawn_rate=spawn_rate,
        duration=duration,
        locust_processes=locust_processes,
        residents=residents,
        amount=amount,
        output_dir=output_dir,
        profile=profile,
        pin=pin,
        preload=preload,
        phases=tuple(p.strip() for p in phases.split(",") if p.strip()),
    )
    command = " ".join(["sandbox bench", *(redact_url(a) for a in sys.argv[2:])])
    try:
        summary = run_counts(options, counts, echo=click.echo, command=command)
    except (ValueError, RuntimeError) as exc:  # bad options, a server that did not start
        raise click.ClickException(str(exc)) from exc
    click.echo("")
    for line in table_lines(summary) if "scaleOut" in summary else ratio_lines(summary):
        click.echo(line)
    click.echo(f"report: {summary['reportDir']}/summary.md")
    if not summary["ok"]:
        raise click.ClickException("; ".join(summary["problems"]))
