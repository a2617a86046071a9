"""HTML answers: the Content-Security-Policy every page carries, templates, and negotiation.

Every HTML route answers through ``render`` or ``with_policy``, so the policy is set by the
routes that make pages and costs the JSON API nothing (no middleware inspects its answers).
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

CSP = "Content-Security-Policy"

# Only this host: no CDN, no web font service, no remote image. ``data:`` images are inline.
SELF_ONLY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

# Swagger UI and ReDoc as shipped: FastAPI starts them with an inline script, both inject
# <style> elements, and ReDoc builds its search worker from a blob: URL. Still nothing from
# another host.
DOCS = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_JSON_TYPES = ("application/json", "application/problem+json", "application/*", "*/*")


def with_policy(response: HTMLResponse, policy: str = SELF_ONLY) -> HTMLResponse:
    response.headers[CSP] = policy
    return response


def root_of(request: Request) -> str:
    """The path prefix the app is served under (behind a proxy), for links and assets."""
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


_CODE_SPAN = re.compile(r"`([^`]+)`")


def code_spans(text: str) -> Markup:
    """Escape ``text``, then show its `backticked` parts (Markdown code spans) as <code>."""
    parts = _CODE_SPAN.split(text)  # plain, code, plain, code, ..., plain
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if odd else escape(part)
        for odd, part in zip(itertools.cycle((False, True)), parts, strict=False)
    )


@functools.cache
def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("sandbox.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["code"] = code_spans
    return env


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page from ``sandbox/web/templates`` (every value escaped) under the strict policy."""
    html = _templates().get_template(template).render(root=root_of(request), **context)
    return with_policy(HTMLResponse(html, status_code=status_code))


def wants_html(accept: str | None) -> bool:
    """True when the client ranks HTML above JSON (a browser). ``*/*``, no header, or a tie
    keep JSON, so API clients get what they got before pages existed."""
    if not accept:
        return False
    html = json = 0.0
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        media = media.strip().lower()
        q = _quality(params)
        if media in _HTML_TYPES:
            html = max(html, q)
        elif media in _JSON_TYPES:
            json = max(json, q)
    return html > json


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0
