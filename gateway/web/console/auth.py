"""Signing in to the console: server-side sessions, CSRF tokens and who may see which tenant.

The session cookie holds a random token; the store keeps only its SHA-256, with the session's
expiry and its CSRF token. Every form carries that CSRF token in a hidden field and every POST
is refused (403) without it. The sign-in form, which comes before any session, uses a
double-submit cookie instead. A vendor admin sees every tenant; a tenant's user sees only its
own, and any page or POST for another tenant answers 404, as if it did not exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from gateway.store.base import AdminSession, AdminUser
from gateway.web.console.passwords import DUMMY_HASH, verify_password
from gateway.web.state import gateway_of

SESSION_COOKIE = "console_session"
SIGNIN_COOKIE = "console_signin"  # the sign-in form's double-submit CSRF token
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/admin"

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of this request."""

    user: AdminUser
    session: AdminSession

    @property
    def is_admin(self) -> bool:
        return self.user.tenant_id is None

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    def may_see(self, tenant_id: str) -> bool:
        return self.is_admin or self.user.tenant_id == tenant_id


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _secure(request: Request) -> bool:
    return gateway_of(request).config.public_url.startswith("https://")


async def authenticate(request: Request, name: str, password: str) -> AdminUser | None:
    """The user when the password is right; the hash runs in a thread (it takes ~50 ms)."""
    user = await gateway_of(request).store.get_admin_user(name)
    stored = user.password_hash if user is not None else DUMMY_HASH
    ok = await asyncio.to_thread(verify_password, password, stored)
    return user if ok and user is not None else None


async def start_session(request: Request, user: AdminUser, response: Response) -> None:
    gw = gateway_of(request)
    token = secrets.token_urlsafe(32)
    now = time.time()
    await gw.store.put_admin_session(
        AdminSession(token_hash=token_hash(token), user_name=user.name, csrf_token=secrets.token_urlsafe(32),
                     created_at=now, expires_at=now + gw.config.console_session_seconds)
    )
    response.set_cookie(SESSION_COOKIE, token, path=COOKIE_PATH, httponly=True, samesite="lax", secure=_secure(request))
    response.delete_cookie(SIGNIN_COOKIE, path=COOKIE_PATH)


async def end_session(request: Request, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await gateway_of(request).store.remove_admin_session(token_hash(token))
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)


async def current_viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    store = gateway_of(request).store
    session = await store.get_admin_session(token_hash(token))
    if session is None:
        return None
    if session.expires_at <= time.time():
        await store.remove_admin_session(session.token_hash)
        return None
    user = await store.get_admin_user(session.user_name)
    return Viewer(user, session) if user is not None else None


def signin_csrf(request: Request) -> str:
    """The sign-in form's token: the cookie's, or a new one (set by :func:`remember_signin_csrf`)."""
    return request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(32)


def remember_signin_csrf(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SIGNIN_COOKIE, token, path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=_secure(request))


def same_token(expected: str, given: str | None) -> bool:
    return bool(expected) and given is not None and hmac.compare_digest(expected.encode(), given.encode())


async def posted_csrf(request: Request) -> str | None:
    """The posted form's token; None when it is missing or was sent as a file."""
    form: FormData = await request.form()  # cached: the endpoint reads the same form
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


def signed_in(endpoint: Endpoint) -> Endpoint:
    """Require a session (and on POST its CSRF token); keep tenant users to their tenant."""

    async def wrapped(request: Request) -> Response:
        viewer = await current_viewer(request)
        if request.method == "POST":
            if viewer is None or not same_token(viewer.csrf_token, await posted_csrf(request)):
                return PlainTextResponse("refused: the form is stale or not from this console; reload the page", 403)
        elif viewer is None:
            return RedirectResponse(f"{COOKIE_PATH}/signin?next={quote(request.url.path)}", status_code=303)
        tenant_id = request.path_params.get("tenant_id")
        if tenant_id is not None and not viewer.may_see(tenant_id):
            return PlainTextResponse(f"unknown tenant {tenant_id!r}", 404)
        request.state.viewer = viewer
        return await endpoint(request)

    return wrapped
