"""The console's pages: its templates, the sandbox's strict policy on every answer, the CSRF
cookie on every page with a form, and errors shown as pages."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from console.session import csrf_token, remember_csrf
from sandbox.errors import SandboxError
from sandbox.web.pages import SELF_ONLY, code_spans, root_of, with_policy

NO_STORE = {"Cache-Control": "no-store"}  # pages show one signed-in person's data


def when(us: int | None) -> str:
    """World time (microseconds) as a readable UTC timestamp."""
    if us is None:
        return ""
    return datetime.fromtimestamp(us / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso_short(text: str | None) -> str:
    """An RFC 3339 timestamp as ``YYYY-MM-DD HH:MM`` (the page has no room for micros)."""
    if not text:
        return ""
    return text.replace("T", " ")[:16]


@functools.cache
def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["code"] = code_spans
    env.filters["when"] = when
    env.filters["short"] = iso_short
    return env


def page(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    form_origin: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page from ``console/templates``: every value escaped, the strict policy, no caching,
    and the CSRF cookie its forms need. ``form_origin`` (an already validated origin) may
    receive the redirect that ends a form's POST: browsers apply ``form-action`` to it."""
    html = (
        _templates()
        .get_template(template)
        .render(root=root_of(request), csrf=csrf_token(request), **context)
    )
    policy = SELF_ONLY
    if form_origin:
        policy = policy.replace("form-action 'self'", f"form-action 'self' {form_origin}")
    response = with_policy(HTMLResponse(html, status_code=status_code, headers=NO_STORE), policy)
    remember_csrf(request, response)
    return response


def error(
    request: Request, exc: SandboxError, *, back: str | None = None, **context: Any
) -> HTMLResponse:
    """A refusal of a service, as a page: its detail, its hint and its code (the domain's, else
    the problem type's slug, e.g. ``invalid-state``, as the API's problem+json names it)."""
    code = (
        exc.extra.get("responseCode")
        or exc.extra.get("err")
        or exc.extra.get("errorCode")
        or exc.slug
    )
    return page(
        request,
        "error.html",
        status_code=exc.status,
        title=exc.title,
        detail=exc.detail,
        hint=exc.hint,
        code=code,
        back=back,
        **context,
    )


def refused(request: Request, status: int, title: str, detail: str, hint: str) -> HTMLResponse:
    return page(
        request, "error.html", status_code=status, title=title, detail=detail, hint=hint, code=None
    )


def see_other(request: Request, path: str) -> RedirectResponse:
    """303 to ``path`` (a console path, or an already validated URL) after a POST."""
    target = root_of(request) + path if path.startswith("/") else path
    return RedirectResponse(target, status_code=303, headers=NO_STORE)
