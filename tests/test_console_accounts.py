"""The console's Specter account pages: the accounts with the shops sharing each, adding one,
changing its keys, and testing them against the Specter simulator."""

from __future__ import annotations

from tests.console_client import Console, add_user, console_session
from tests.stack import SBM_ID, running_stack


async def test_an_admin_adds_an_account_changes_its_keys_and_tests_them(tmp_path):
    async with running_stack(tmp_path, shops=2) as stack, console_session() as session:
        await add_user(stack.gw, "vendor")
        console = Console(stack.gateway.url, session)
        assert await console.sign_in("vendor") == 200

        status, page = await console.get("/admin/accounts")
        assert status == 200 and 'data-account="acct"' in page
        row = page[page.index('data-account="acct"'):].split("</tr>")[0]
        assert "woo1" in row and "woo2" in row  # the shops sharing it

        status, page, location = await console.post("/admin/accounts", {
            "id": "second", "sbm_id": str(SBM_ID), "api_version": "2", "api_user_id": "api-user",
            "user_key": "user-key-1", "integration_key": "a-wrong-key", "base_url": stack.specter.url})
        assert status == 303 and location == "/admin/accounts/second?notice=account", page
        status, page = await console.get("/admin/accounts/second")
        assert "a-wrong-key" not in page and "user-key-1" not in page
        assert "No shop uses this account yet." in page

        status, page, _ = await console.post("/admin/accounts/second/test", {})
        assert status == 200 and "Specter refuses the keys" in page

        # The user key shown masked is sent back as it is: only the integration key changes.
        status, _, _ = await console.post("/admin/accounts/second", {
            "sbm_id": str(SBM_ID), "api_version": "2", "api_user_id": "api-user", "user_key": "********",
            "integration_key": "integration-key-1", "base_url": stack.specter.url})
        assert status == 303
        account = await stack.gw.store.get_account("second")
        assert (account.user_key, account.integration_key) == ("user-key-1", "integration-key-1")
        status, page, _ = await console.post("/admin/accounts/second/test", {})
        assert status == 200 and "Specter accepted the keys" in page

        status, page, _ = await console.post("/admin/accounts", {"id": "Bad Id", "sbm_id": "x"})
        assert status == 422 and 'role="alert"' in page
        status, page = await console.get("/admin/tenants/woo1")
        assert 'href="/admin/accounts/acct"' in page


async def test_a_tenants_user_cannot_see_the_account_pages(tmp_path):
    async with running_stack(tmp_path) as stack, console_session() as session:
        await add_user(stack.gw, "owner", "woo1")
        console = Console(stack.gateway.url, session)
        assert await console.sign_in("owner") == 200
        for path in ("/admin/accounts", "/admin/accounts/new", "/admin/accounts/acct"):
            assert (await console.get(path))[0] == 404, path
        assert (await console.post("/admin/accounts/acct/test", {}))[0] == 404
        assert (await console.post("/admin/accounts/acct", {"integration_key": "x"}))[0] == 404
        assert (await stack.gw.store.get_account("acct")).integration_key == "integration-key-1"
