"""``install(app)``: the console's routes and its static files, wired by ``create_app``."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

from console import partner, render, resident, resident_upi
from console.common import partner_caller, sessions

STATIC = "/console/static"
landing = APIRouter(include_in_schema=False)


@landing.get("/console")
async def console_home(request: Request) -> HTMLResponse:
    """Two doors: the resident's apps and the partner's dashboard."""
    caller = await partner_caller(request)
    found = sessions(request).resident(request)
    return render.page(
        request,
        "index.html",
        partner=caller.partner if caller else None,
        resident_signed_in=found is not None and found.signed_in,
    )


def install(app: FastAPI) -> None:
    for router in (landing, resident.router, resident_upi.router, partner.router):
        app.include_router(router)
    static = Path(str(files("console").joinpath("static")))
    app.mount(STATIC, StaticFiles(directory=static), name="console-static")
