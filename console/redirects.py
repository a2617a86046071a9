"""Where the AA consent flow may send the resident back to, and the local ``next`` pages.

A real AA app, done with a consent, redirects the customer back to the FIU. Accepting any URL
there is an open redirect (a phishing link on the sandbox's domain), so ``redirect`` must be:

- a path on this sandbox (``/...``, not ``//host`` nor ``/\\host``), or
- an ``http(s)`` URL whose origin (scheme, host, port) is the origin of one of the partner's
  registered URLs: its webhook URL (PATCH /v1/partners/me) or its FIU base URL
  (``notificationUrl``, PUT /v1/partners/me/aa).

Anything else is refused with a page that says which origins are allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit, urlunsplit

MAX_URL = 2048


def origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def origin_text(url: str) -> str | None:
    """The serialised origin of an absolute URL (``https://fiu.example:8443``), for a policy."""
    found = origin(url)
    if found is None:
        return None
    scheme, host, port = found
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" + ("" if port == default else f":{port}")


def local_path(target: str) -> bool:
    """A path on this host: starts with one ``/`` and names no other host."""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and all(ord(c) > 31 for c in target)


def allowed(target: str, registered: Iterable[str | None]) -> bool:
    if not target or len(target) > MAX_URL:
        return False
    if local_path(target):
        return True
    wanted = origin(target)
    return wanted is not None and any(
        url is not None and origin(url) == wanted for url in registered
    )


def with_params(target: str, **params: str) -> str:
    """``target`` with ``params`` added to its query (what the FIU learns on the way back)."""
    parts = urlsplit(target)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def safe_next(target: str | None, default: str) -> str:
    """A sign-in's ``next``: only a console path."""
    if target and local_path(target) and target.startswith("/console/"):
        return target
    return default
