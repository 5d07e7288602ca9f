"""A first start, as a new user makes it: ``specter-gateway serve`` on an empty data directory
prints its first admin's password once, ``/`` leads to the console, and a real browser signs in
with that password."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
from playwright.async_api import expect

from gateway.config import GatewayConfig
from gateway.firstrun import ensure_first_admin
from tests.browser import chromium
from tests.cli_process import run_cli
from tests.console_client import Console, console_session
from tests.gateway_process import free_port

PASSWORD_LINE = re.compile(r"^\s*password:\s+(\S+)\s*$", re.MULTILINE)
WAIT_MS = 30_000


class Served:
    """``specter-gateway serve`` as its own process, its terminal output in a file."""

    def __init__(self, data_dir: Path, log: Path):
        self.data_dir, self.log, self.port = data_dir, log, free_port()
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> str:
        """Start it, wait until it answers, and answer what it printed."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPECTER_GATEWAY_")}
        env["SPECTER_GATEWAY_DATA_DIR"] = str(self.data_dir)
        env["SPECTER_GATEWAY_POLL_SECONDS"] = "0"
        self.log.write_text("")
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "gateway.cli", "serve", "--port", str(self.port), env=env, stdout=out,
                stderr=asyncio.subprocess.STDOUT)
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(self.url + "/readyz") as r:
                        if r.status == 200:
                            return self.log.read_text()
                except aiohttp.ClientError:
                    pass
                assert self.proc.returncode is None, self.log.read_text()
                await asyncio.sleep(0.05)
        raise AssertionError(f"the gateway did not start: {self.log.read_text()}")

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), 30)


async def test_the_first_start_prints_a_password_a_browser_signs_in_with(tmp_path):
    served = Served(tmp_path / "data", tmp_path / "terminal.txt")
    try:
        printed = await served.start()
        found = PASSWORD_LINE.search(printed)
        assert found, printed
        password = found.group(1)
        assert "name:      admin" in printed and f"Sign in at {served.url}/admin/" in printed
        assert "specter-gateway user password admin" in printed
        assert password not in (tmp_path / "data" / "gateway.db").read_bytes().decode("latin-1")
        async with aiohttp.ClientSession() as http, http.get(served.url + "/", allow_redirects=False) as r:
            assert r.status == 307 and r.headers["Location"] == "/admin/"

        async with chromium() as browser:
            page = await browser.new_page()
            page.set_default_timeout(WAIT_MS)
            await page.goto(served.url + "/")  # the gateway's address leads to its console
            await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            await page.get_by_label("Name").fill("admin")
            await page.get_by_label("Password").fill(password)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.locator("h1")).to_have_text("Tenants")
            await expect(page.locator("header .who")).to_have_text("admin")

        await served.stop()
        again = await served.start()  # the same data: no second user, no password shown
        assert PASSWORD_LINE.search(again) is None and "admin" not in again
    finally:
        await served.stop()


async def test_the_printed_password_can_be_changed_and_then_only_the_new_one_works(tmp_path):
    served = Served(tmp_path / "data", tmp_path / "terminal.txt")
    try:
        password = PASSWORD_LINE.search(await served.start()).group(1)
        config = GatewayConfig(data_dir=tmp_path / "data", public_url=served.url)
        changed = await run_cli(config, "user", "password", "admin", input="a new long password\n")
        assert changed.returncode == 0, changed.stderr
        assert "a new long password" not in changed.stdout + changed.stderr
        async with console_session() as http:
            assert await Console(served.url, http).sign_in("admin", password) == 401
        async with console_session() as http:
            assert await Console(served.url, http).sign_in("admin", "a new long password") == 200
        short = await run_cli(config, "user", "password", "admin", input="short\n")
        assert short.returncode == 2 and "at least 10 characters" in short.stderr
    finally:
        await served.stop()


async def test_a_gateway_that_has_an_account_gets_no_user_it_did_not_ask_for(running_gateway, http):
    store = running_gateway.gateway.store
    async with http.post(running_gateway.url + "/admin/api/accounts", headers=running_gateway.admin_headers(),
                         json={"id": "acct", "sbm_id": 1, "api_user_id": "u", "user_key": "k",
                               "integration_key": "i"}) as r:
        assert r.status == 201
    assert await ensure_first_admin(store) is None
    assert await store.list_admin_users() == []
