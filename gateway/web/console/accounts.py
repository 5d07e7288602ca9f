"""The console's Specter account pages, for vendor admins: every account with the tenants that
share it, adding one, changing its keys, and testing them.

Testing the keys is Specter's ``checkAccountSettings``, the one call that proves them: it also
writes the account's callback URLs, the same the gateway registers when a tenant connects, so
the test changes nothing the gateway would not set anyway (see connection.py). A tenant's user
gets 404 for every page here, as for a tenant that is not theirs.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.connect import register_callbacks
from gateway.model import InvalidInput
from gateway.secrets import MASK
from gateway.settings import SpecterAccount
from gateway.specter.errors import AuthenticationError
from gateway.tenants import Conflict
from gateway.web.console.auth import Viewer, signed_in
from gateway.web.console.routes import _not_found, _redirect, render
from gateway.web.state import gateway_of, tenant_service

FIELDS = ("id", "sbm_id", "api_version", "api_user_id", "user_key", "integration_key", "base_url")


def _admin(request: Request) -> bool:
    viewer: Viewer = request.state.viewer
    return viewer.is_admin


def _patch(form: FormData) -> dict[str, Any]:
    values = {name: str(form.get(name, "")).strip() for name in FIELDS if name in form}
    data: dict[str, Any] = dict(values)
    for number in ("sbm_id", "api_version"):
        if values.get(number, "").isdigit():
            data[number] = int(values[number])
    return data


def _shown(account: SpecterAccount | None, form: FormData | None = None) -> dict[str, Any]:
    """The form's values: the account's (keys masked), or what was posted (typed keys masked)."""
    if form is not None:
        shown = {name: str(form.get(name, "")) for name in FIELDS}
        return shown | {k: MASK for k in SpecterAccount.SECRET_FIELDS if shown[k]}
    if account is None:
        return {"id": "", "sbm_id": "", "api_version": "2", "api_user_id": "", "user_key": "", "integration_key": "",
                "base_url": "https://api.specter.se/"}
    return {"id": account.id, "sbm_id": str(account.sbm_id), "api_version": str(account.api_version),
            "api_user_id": account.api_user_id, "base_url": account.base_url,
            **{k: MASK if getattr(account, k) else "" for k in SpecterAccount.SECRET_FIELDS}}


async def _tenants_by_account(request: Request) -> dict[str, list[Any]]:
    shared: dict[str, list[Any]] = {}
    for tenant in await gateway_of(request).store.list_tenants():
        shared.setdefault(tenant.account_id, []).append(tenant)
    return shared


@signed_in
async def accounts_page(request: Request) -> Response:
    if not _admin(request):
        return _not_found("page")
    accounts = await gateway_of(request).store.list_accounts()
    return render(request, "accounts.html", {"accounts": accounts, "shared": await _tenants_by_account(request)})


@signed_in
async def new_account_page(request: Request) -> Response:
    if not _admin(request):
        return _not_found("page")
    return render(request, "account.html", {"account": None, "values": _shown(None), "tenants": [], "error": None,
                                            "test": None})


@signed_in
async def add_account(request: Request) -> Response:
    if not _admin(request):
        return _not_found("page")
    form = await request.form()
    try:
        account = await tenant_service(request).add_account(_patch(form))
    except (InvalidInput, Conflict) as exc:
        return render(request, "account.html", {"account": None, "values": _shown(None, form), "tenants": [],
                                                "error": str(exc).split(" - at `")[0], "test": None}, 422)
    return _redirect(f"/accounts/{quote(account.id)}", notice="account")


async def _account_context(request: Request, account: SpecterAccount) -> dict[str, Any]:
    tenants = await gateway_of(request).store.list_tenants(account.id)
    return {"account": account, "values": _shown(account), "tenants": tenants, "error": None, "test": None}


@signed_in
async def account_page(request: Request) -> Response:
    if not _admin(request):
        return _not_found("page")
    account = await gateway_of(request).store.get_account(request.path_params["account_id"])
    if account is None:
        return _not_found("Specter account")
    return render(request, "account.html", await _account_context(request, account))


@signed_in
async def save_account(request: Request) -> Response:
    if not _admin(request):
        return _not_found("page")
    gw = gateway_of(request)
    account = await gw.store.get_account(request.path_params["account_id"])
    if account is None:
        return _not_found("Specter account")
    form = await request.form()
    patch = {k: v for k, v in _patch(form).items() if k != "id"}
    try:
        await tenant_service(request).update_account(account.id, patch)
    except InvalidInput as exc:
        context = await _account_context(request, account)
        context |= {"values": _shown(account, form) | {"id": account.id}, "error": str(exc).split(" - at `")[0]}
        return render(request, "account.html", context, 422)
    return _redirect(f"/accounts/{quote(account.id)}", notice="account")


@signed_in
async def test_account(request: Request) -> Response:
    """Test the keys: Specter's checkAccountSettings, which also (re)writes the callback URLs."""
    if not _admin(request):
        return _not_found("page")
    gw = gateway_of(request)
    account = await gw.store.get_account(request.path_params["account_id"])
    if account is None:
        return _not_found("Specter account")
    context = await _account_context(request, account)
    try:
        await register_callbacks(gw, account)
        context["test"] = {"ok": True, "at": time.time(), "message": "Specter accepted the keys (and the gateway's "
                                                                     "callback URLs)."}
    except AuthenticationError as exc:
        context["test"] = {"ok": False, "at": time.time(), "message": f"Specter refuses the keys: {exc}"}
    except Exception as exc:  # noqa: BLE001 - shown to the operator; the Specter client's errors name no key
        context["test"] = {"ok": False, "at": time.time(), "message": str(exc) or type(exc).__name__}
    return render(request, "account.html", context)


routes: list[BaseRoute] = [
    Route("/accounts", accounts_page),
    Route("/accounts", add_account, methods=["POST"]),
    Route("/accounts/new", new_account_page),
    Route("/accounts/{account_id}", account_page),
    Route("/accounts/{account_id}", save_account, methods=["POST"]),
    Route("/accounts/{account_id}/test", test_account, methods=["POST"]),
]
