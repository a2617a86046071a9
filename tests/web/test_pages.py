"""Pages for people: content negotiation, the Content-Security-Policy on every HTML answer,
and problem type pages (the browser itself is driven in tests/browser)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import Route

from sandbox.ops.problems import problem_types
from sandbox.web.pages import CSP, code_spans, wants_html

pytestmark = pytest.mark.anyio
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("application/json;q=0.5, text/html", True),
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/json", False),
        ("application/problem+json", False),
        ("application/json, text/html", False),  # a tie keeps JSON
        ("text/html;q=0.5, application/json", False),
        ("text/html;q=0", False),
        ("text/*", False),
        ("text/html;q=bogus", False),
    ],
)
def test_only_a_client_that_ranks_html_first_gets_html(accept: str | None, html: bool) -> None:
    assert wants_html(accept) is html


def test_code_spans_escape_everything_else() -> None:
    assert str(code_spans("Send `<b>` & <i>x</i>")) == (
        "Send <code>&lt;b&gt;</code> &amp; &lt;i&gt;x&lt;/i&gt;"
    )


async def test_a_browser_gets_a_readable_problem_page(client: httpx.AsyncClient) -> None:
    page = await client.get("/problems/invalid-api-key", headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers[CSP]
    text = page.text
    assert "<h1>Invalid API key</h1>" in text
    assert "What causes it" in text
    assert "How to fix it" in text
    assert "HTTP 401" in text
    assert "&#34;type&#34;: &#34;/problems/invalid-api-key&#34;" in text  # the example, escaped
    assert 'href="/docs"' in text
    assert "<code>Authorization: Bearer &lt;apiKey&gt;</code>" in problem_page_of(
        await client.get("/problems/unauthorized", headers={"Accept": BROWSER})
    )


def problem_page_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.text


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "application/problem+json", "text/html;q=0.1, */*"]
)
async def test_api_clients_keep_getting_json(client: httpx.AsyncClient, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    answer = await client.get("/problems/rate-limited", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {
        "type": "/problems/rate-limited",
        "description": "Too many requests; wait for Retry-After seconds.",
    }
    assert CSP not in answer.headers


async def test_an_unknown_problem_type_is_a_404_problem_even_for_a_browser(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/problems/no-such-thing", headers={"Accept": BROWSER})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_every_problem_type_has_a_page(client: httpx.AsyncClient) -> None:
    for slug, kind in problem_types().items():
        page = await client.get(f"/problems/{slug}", headers={"Accept": BROWSER})
        assert page.status_code == 200, slug
        assert kind.fix, slug
        assert kind.cause, slug
        assert CSP in page.headers, slug


async def test_every_html_page_carries_the_policy(app: FastAPI, client: httpx.AsyncClient) -> None:
    """The rule for every page, now and later: a GET route that answers HTML sets the policy,
    and the policy lets the browser load nothing from another host."""
    paths = [
        route.path
        for route in app.routes
        if isinstance(route, Route) and "GET" in (route.methods or ()) and "{" not in route.path
    ]
    paths += [f"/problems/{slug}" for slug in problem_types()]
    pages = 0
    for path in paths:
        answer = await client.get(path, headers={"Accept": BROWSER})
        if not answer.headers.get("content-type", "").startswith("text/html"):
            continue
        pages += 1
        policy = answer.headers.get(CSP, "")
        assert "default-src 'self'" in policy, path
        assert "http" not in policy, (path, policy)
        assert "*" not in policy, (path, policy)
    assert pages >= 4, "expected /docs, /redoc, the OAuth2 redirect and problem pages"


async def test_json_answers_carry_no_policy(client: httpx.AsyncClient) -> None:
    assert CSP not in (await client.get("/healthz", headers={"Accept": BROWSER})).headers
