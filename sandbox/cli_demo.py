"""``sandbox demo``: the whole story (eKYC, pay, collect, consent, statement) against a running
sandbox, step by step."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True)
@click.option(
    "--admin-token",
    envvar="SANDBOX_ADMIN_TOKEN",
    default=None,
    help="Only when self-signup is closed (SANDBOX_SIGNUP=admin): the operator's token.",
)
def demo(base_url: str, admin_token: str | None) -> None:
    """Walk the whole story against a running sandbox, printing each step: sign up, eKYC Asha,
    pay her, collect from her, ask for her consent, approve it, fetch and decrypt her statement
    and find the payments in it. Exit 0 when every step passed, 3 when the server has no FI
    data flow (POST /aa/FI/request answers 404), 1 on any other failure."""
    import httpx

    from sandbox.client import ApiError, Sandbox
    from sandbox.client.demo import FiUnavailable, run_sync

    steps = iter(range(1, 100))

    def echo(step: str, detail: str) -> None:
        click.echo(f"{next(steps):>2}. {step:<40} {detail}")

    click.echo(f"India Stack Sandbox demo against {base_url}\n")
    try:
        with Sandbox(admin_token, base_url=base_url) as sb:
            result = run_sync(sb, echo)
    except FiUnavailable as exc:
        click.echo(f"\nnot available on this server: {exc}", err=True)
        sys.exit(3)
    except ApiError as exc:
        raise click.ClickException(f"the demo stopped: {exc}") from exc
    except httpx.HTTPError as exc:
        raise click.ClickException(
            f"cannot reach {base_url} ({exc}): start it with `make run` or pass --base-url"
        ) from exc
    missing = [t for t in (result.payment, result.collect) if t and t["txnId"] not in result.found]
    if missing:
        raise click.ClickException(
            "her statement does not show " + ", ".join(t["txnId"] for t in missing)
        )
    click.echo("\nEvery step passed: identity, payments and consented data in one world.")
