"""``sandbox rd-service``: a simulated Aadhaar RD service (registered device) on 127.0.0.1."""

from __future__ import annotations

import click


@click.command("rd-service")
@click.option("--persona", required=True, help="Whose biometrics the device captures (asha...).")
@click.option(
    "--finger",
    default=None,
    help="A fingerprint scanner: LEFT_ or RIGHT_ + INDEX, LITTLE, MIDDLE, RING or THUMB "
    "(the default: LEFT_INDEX).",
)
@click.option(
    "--iris",
    type=click.Choice(["LEFT", "RIGHT"], case_sensitive=False),
    default=None,
    help="An iris scanner capturing this eye (Bio type IIR, posh LEFT_IRIS or RIGHT_IRIS).",
)
@click.option("--face", is_flag=True, help="A face camera (Bio type FID, posh FACE).")
@click.option("--port", default=11100, show_default=True, type=click.IntRange(1, 65535))
@click.option("--sandbox", "base_url", default="http://127.0.0.1:8000", show_default=True)
@click.option("--api-key", envvar="SANDBOX_API_KEY", required=True, help="Or SANDBOX_API_KEY.")
def rd_service(
    persona: str,
    finger: str | None,
    iris: str | None,
    face: bool,
    port: int,
    base_url: str,
    api_key: str,
) -> None:
    """A simulated RD service on 127.0.0.1: RDSERVICE, DEVICEINFO and CAPTURE, answering a
    PidData encrypted for the sandbox with the persona's record of that finger, iris or face
    (one device, one modality: give at most one of --finger, --iris, --face)."""
    from identity.biometrics import FACE, FINGERS
    from identity.rdservice import Device, check_sandbox, serve

    if sum(x is not None and x is not False for x in (finger, iris, face)) > 1:
        raise click.UsageError("give one of --finger, --iris and --face: a device has one kind")
    if iris is not None:
        posh = f"{iris.upper()}_IRIS"
    elif face:
        posh = FACE
    else:
        posh = (finger or "LEFT_INDEX").strip().upper()
        if posh not in FINGERS:
            raise click.BadParameter(
                f"{posh!r}; one of {', '.join(FINGERS)}", param_hint="--finger"
            )
    key = persona.strip().lower()
    try:
        check_sandbox(base_url, api_key, key)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"RD service for {key}'s {posh} on http://127.0.0.1:{port} (sandbox {base_url})")
    serve(Device(persona=key, posh=posh, port=port), base_url, api_key)
