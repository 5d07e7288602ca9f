"""Helpers for the admin console tests: users, and a signed-in HTTP client that posts forms as a
browser would (with the page's CSRF token)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import aiohttp

from gateway.store.base import AdminUser
from gateway.web.console.passwords import hash_password

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def add_user(gw, name: str, tenant_id: str | None = None, password: str = PASSWORD) -> None:
    await gw.store.put_admin_user(AdminUser(name=name, password_hash=hash_password(password), tenant_id=tenant_id))


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


@dataclass
class Console:
    url: str
    http: aiohttp.ClientSession
    csrf: str = ""

    async def get(self, path: str, **kwargs) -> tuple[int, str]:
        async with self.http.get(self.url + path, allow_redirects=False, **kwargs) as r:
            return r.status, await r.text()

    async def post(self, path: str, data: dict | list, *, csrf: bool = True) -> tuple[int, str, str]:
        """Post a form; answer status, body and the redirect's Location."""
        form = list(data.items()) if isinstance(data, dict) else list(data)
        if csrf:
            form.append(("csrf_token", self.csrf))
        async with self.http.post(self.url + path, data=form, allow_redirects=False) as r:
            return r.status, await r.text(), r.headers.get("Location", "")

    async def sign_in(self, name: str, password: str = PASSWORD) -> int:
        status, page = await self.get("/admin/signin")
        assert status == 200
        status, _, location = await self.post("/admin/signin", {"name": name, "password": password,
                                                                "csrf_token": csrf_of(page)}, csrf=False)
        if status == 303:  # to the tenants page, or on to a tenant user's own tenant
            async with self.http.get(self.url + location) as r:
                status, page = r.status, await r.text()
            self.csrf = csrf_of(page)
        return status


def console_session() -> aiohttp.ClientSession:
    # unsafe=True: keep cookies for an IP address host (127.0.0.1).
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
