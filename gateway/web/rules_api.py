"""The admin API's rules of a tenant (gateway/rules/): the rule set in force as JSON, saving a
new version, its history, a preview of a draft, and the catalogue. Mounted beside
:mod:`gateway.web.admin_api`, behind the same admin token; documented through :func:`paths`."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.model import InvalidInput
from gateway.rules.catalogue import CATALOGUE
from gateway.rules.check import load
from gateway.rules.files import dump
from gateway.rules.language import RuleSet, RuleSetVersion
from gateway.rules.preview import MAX_OBJECTS, Preview, preview
from gateway.tenants import Conflict
from gateway.web.admin_api import _json, admin
from gateway.web.alerts_api import list_limit
from gateway.web.state import gateway_of, tenant_service

STRUCTS = [RuleSetVersion, Preview]


def version_view(saved: RuleSetVersion | None, tenant_id: str) -> dict[str, Any]:
    if saved is None:
        return {"tenant_id": tenant_id, "version": 0, "rules": [], "saved_by": "", "saved_at": None, "changes": []}
    data: dict[str, Any] = msgspec.to_builtins(saved)
    data["rules"] = dump(saved.rules)["rules"] if saved.rules.rules else []
    return data


def expected_version(request: Request) -> int | None:
    text = request.query_params.get("version")
    if text is None:
        return None
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(f"version must be the version you edited (a number), not {text!r}", "version")
    return int(text)


async def save_rules(request: Request, tenant_id: str, rules: RuleSet, saved_by: str,
                     expected: int | None) -> RuleSetVersion:
    saved = await gateway_of(request).store.put_rules(tenant_id, rules, saved_by, expected)
    if saved is None:
        raise Conflict(f"the rules of tenant {tenant_id!r} were saved by someone else since version {expected}:"
                       " load them again and repeat your change")
    return saved


@admin
async def rules(request: Request) -> Response:
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    store = gateway_of(request).store
    if request.method == "PUT":
        draft = load(await _json(request))
        saved = await save_rules(request, tenant.id, draft, "admin API", expected_version(request))
        return JSONResponse(version_view(saved, tenant.id))
    return JSONResponse(version_view(await store.get_rules(tenant.id), tenant.id))


@admin
async def history(request: Request) -> Response:
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    versions = await gateway_of(request).store.rule_history(tenant.id, list_limit(request, 20))
    return JSONResponse([version_view(v, tenant.id) for v in versions])


@admin
async def preview_draft(request: Request) -> Response:
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    draft = load(await _json(request))
    limit = list_limit(request, 10)
    if limit > MAX_OBJECTS:
        raise InvalidInput(f"a preview looks at {MAX_OBJECTS} objects of each kind at most, not {limit}", "limit")
    return JSONResponse(msgspec.to_builtins(await preview(gateway_of(request), tenant.id, draft, limit)))


@admin
async def catalogue(request: Request) -> Response:
    return JSONResponse(CATALOGUE)


routes = [
    Route("/rules/catalogue", catalogue, methods=["GET"]),
    Route("/tenants/{tenant_id}/rules", rules, methods=["GET", "PUT"]),
    Route("/tenants/{tenant_id}/rules/history", history, methods=["GET"]),
    Route("/tenants/{tenant_id}/rules/preview", preview_draft, methods=["POST"]),
]


def paths() -> dict[str, dict[str, Any]]:
    """These routes in the OpenAPI document (gateway/web/openapi.py)."""
    from gateway.web.openapi import TENANT, _body, _op, _ref
    from gateway.web.openapi import _json as json_

    rule_set = {"type": "object", "required": ["rules"], "properties": {"rules": {"type": "array", "items": {
        "type": "object", "description": "A rule: name, flow, when, actions (see README.md, Rules)"}}}}
    limit = {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_OBJECTS}}
    return {
        "/rules/catalogue": {"get": _op("Ready-made rules, each with an example", {"200": json_(
            {"type": "array", "items": {"type": "object"}})})},
        "/tenants/{tenant_id}/rules": {
            "parameters": [TENANT],
            "get": _op("The tenant's rule set in force, its version, who saved it and when",
                       {"200": json_(_ref("RuleSetVersion"))}),
            "put": _op("Save a new version of the rule set; it applies to events handled from now on. A rule "
                       "that names an unknown field, compares unlike kinds or makes an article number Specter "
                       "refuses is refused (422, naming the rule and the field)",
                       {"200": json_(_ref("RuleSetVersion")), "409": {"$ref": "#/components/responses/Error"}},
                       requestBody=_body(rule_set, "The whole rule set"),
                       parameters=[{"name": "version", "in": "query", "required": False,
                                    "schema": {"type": "integer", "minimum": 0},
                                    "description": "The version edited: refused (409) when another was saved since"}]),
        },
        "/tenants/{tenant_id}/rules/history": {
            "parameters": [TENANT],
            "get": _op("Every saved version, the newest first", {"200": json_(
                {"type": "array", "items": _ref("RuleSetVersion")})}),
        },
        "/tenants/{tenant_id}/rules/preview": {
            "parameters": [TENANT],
            "post": _op("Run a draft rule set on the tenant's newest orders and products (read again from the "
                        "shop) beside the rules in force; sends nothing", {"200": json_(_ref("Preview"))},
                        requestBody=_body(rule_set, "The draft rule set"),
                        parameters=[limit | {"description": "How many orders and products (default 10)"}]),
        },
    }
