"""Security headers on every response, and no asset, script or style from anywhere else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config import ProductionConfig
from tests.conftest import login
from tests.security.conftest import ROUTE_APP, routes
from travel_app.org.models import Role

ROOT_DIR = Path(__file__).resolve().parents[2]
GET_ROUTES = [r for r in routes(ROUTE_APP) if r.method == "GET"]
#: Pages only: e-mail templates are read by mail clients, not under this site's CSP.
TEMPLATES = sorted(p for p in (ROOT_DIR / "templates").rglob("*.html") if p.parent.name != "mail")


def _check_policy_headers(response, where) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives.get("default-src") == "'self'", where
    assert directives.get("frame-ancestors") == "'none'", where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where


def test_every_get_route_sends_the_headers_and_personal_pages_are_not_stored(client, make_person):
    person = make_person(roles=(Role.ADMIN, Role.SAFETY_OFFICER, Role.CRISIS_TEAM))
    login(client, person.email)
    for route in GET_ROUTES:
        response = client.get(route.url)
        response.close()  # a static file is streamed from disk
        _check_policy_headers(response, route)
        if route.endpoint == "static":
            assert "no-store" not in response.headers.get("Cache-Control", ""), route
        else:
            assert response.headers.get("Cache-Control") == "no-store", route
        assert "Strict-Transport-Security" not in response.headers  # only in production


def test_error_pages_and_the_login_page_carry_them_too(client):
    for url in ["/login", "/no-such-page", "/trips/1"]:
        _check_policy_headers(client.get(url), url)


def test_production_adds_hsts_and_secure_cookies(other_app, make_person):
    app = other_app(SESSION_COOKIE_SECURE=ProductionConfig.SESSION_COOKIE_SECURE)
    app.config["ENV_NAME"] = "production"  # set after the factory's checks of the environment
    client = app.test_client()
    response = login(client, make_person().email)
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT_DIR)))
def test_templates_load_nothing_from_another_origin_and_nothing_inline(template: Path):
    """The CSP would block inline script and style; this finds them before a browser does."""
    text = template.read_text()
    assert not re.search(r"""(src|href|action)\s*=\s*["'](https?:)?//""", text), "other origin"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"<style\b", text), "inline <style>"
    assert not re.search(r"""\sstyle\s*=\s*["']""", text), "style attribute"
    assert not re.search(r"""\son[a-z]+\s*=\s*["']""", text), "inline event handler"
    assert "javascript:" not in text
