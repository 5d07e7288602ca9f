"""The JSON admin API as an OpenAPI 3.1 document, served at /admin/api/openapi.json.

The operations are written here by hand (tests check that every route of
:mod:`gateway.web.admin_api` is in it); the schemas of tenants, settings, accounts and events
are generated from the very msgspec Structs the API converts with, so they cannot drift. Each
setting's label, help text and group (``x-group``) come from its ``msgspec.Meta`` in
:mod:`gateway.settings`, the same the admin console's settings form shows.
"""

from __future__ import annotations

import functools
import typing
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.adapter import WebhookCheck
from gateway.search import DEFAULT_RESULTS, MAX_QUERY, MAX_RESULTS, SearchResults
from gateway.settings import SpecterAccount, Tenant
from gateway.store.base import (
    MAX_ID,
    MAX_LIST_LIMIT,
    SEARCH_PREFIX_MIN,
    Event,
    EventStatus,
    Reconciliation,
    WebhookRepair,
)
from gateway.story import ArticleStory, OrderStory

SCHEMAS = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": SCHEMAS + name}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"required": True, "description": description, "content": {"application/json": {"schema": schema}}}


def _path_param(name: str, description: str, type_: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": type_}}


ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "404": {"$ref": "#/components/responses/Error"},
    "422": {"$ref": "#/components/responses/Error"},
}
# The shop or Specter failed or refused what the request asked of it; the error says which and why.
UPSTREAM = {"502": {"description": "The shop or Specter failed or refused (the error says which and why)",
                    "content": {"application/json": {"schema": {"$ref": SCHEMAS + "Error"}}}}}
TENANT = _path_param("tenant_id", "The tenant's id")
ACCOUNT = _path_param("account_id", "The Specter account's id")
EVENT = _path_param("event_id", "The event's id", "integer")
EVENT["schema"] |= {"minimum": 1, "maximum": MAX_ID}
REQUEUED = _json({"type": "object", "properties": {"requeued": {"type": "array", "items": {"type": "integer"}}}},
                 "The ids of the events queued again")
ACCEPTED = _json({"type": "object", "properties": {"event_id": {"type": "integer"}}},
                 "Recorded as an event; a job runs it")


def _op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {**responses, **ERRORS}, **extra}


PATHS: dict[str, dict[str, Any]] = {
    "/platforms": {
        "get": _op("The installed shop platforms", {"200": _json({"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string"}, "title": {"type": "string"}}}})}),
    },
    "/accounts": {
        "get": _op("Every Specter account, secrets masked",
                   {"200": _json({"type": "array", "items": _ref("SpecterAccount")})}),
        "post": _op("Add a Specter account (the gateway sets its callback token)",
                    {"201": _json(_ref("SpecterAccount"), "Created"), "409": {"$ref": "#/components/responses/Error"}},
                    requestBody=_body(_ref("SpecterAccount"), "The account; keys in clear, answered masked")),
    },
    "/accounts/{account_id}": {
        "parameters": [ACCOUNT],
        "get": _op("One Specter account, secrets masked", {"200": _json(_ref("SpecterAccount"))}),
        "patch": _op("Change an account; a masked secret sent back keeps the stored one",
                     {"200": _json(_ref("SpecterAccount"))},
                     requestBody=_body({"type": "object"}, "Fields of SpecterAccount to change")),
        "delete": _op("Remove an account (refused while tenants use it)",
                      {"204": {"description": "Removed"}, "400": {"$ref": "#/components/responses/Error"}}),
    },
    "/tenants": {
        "get": _op("Every tenant, secrets masked", {"200": _json({"type": "array", "items": _ref("Tenant")})},
                   parameters=[{"name": "account", "in": "query", "required": False, "schema": {"type": "string"},
                                "description": "Only the tenants of this Specter account"}]),
        "post": _op("Add a tenant (the gateway sets its inbound token)",
                    {"201": _json(_ref("Tenant"), "Created"), "409": {"$ref": "#/components/responses/Error"}},
                    requestBody=_body(_ref("Tenant"), "The tenant; shop secrets in clear, answered masked")),
    },
    "/tenants/{tenant_id}": {
        "parameters": [TENANT],
        "get": _op("One tenant, with its events counted by status", {"200": _json(_ref("Tenant"))}),
        "patch": _op("Change a tenant: top-level fields replace, `settings` and `shop` merge key by key; a masked "
                     "secret keeps the stored one", {"200": _json(_ref("Tenant"))},
                     requestBody=_body({"type": "object"}, "Fields of Tenant to change")),
        "delete": _op("Remove a tenant with its mappings and events, first deleting the webhooks the gateway "
                      "registered in its shop (a shop that cannot be reached does not keep the tenant: `warning` "
                      "says what is left)", {"200": _json({"type": "object", "properties": {
                          "removed": {"type": "string"},
                          "webhooks": {"type": "array", "items": {"type": "string"}, "description": "What was deleted"},
                          "warning": {"type": ["string", "null"]}}})}),
    },
    "/tenants/{tenant_id}/webhooks": {
        "parameters": [TENANT],
        "get": _op("The last check of the tenant's webhooks in its shop (every poll, and connect): per topic as "
                   "found, and what the checks repaired (re-activated, secret updated, …), newest first",
                   {"200": _json({"type": "object", "properties": {
                       "tenant_id": {"type": "string"},
                       "url": {"type": "string", "description": "The events URL the webhooks call"},
                       "checked_at": {"type": ["number", "null"], "description": "Unix time; null: never checked"},
                       "healthy": {"type": "boolean", "description": "Checked, and every webhook active"},
                       "error": {"type": ["string", "null"], "description": "Why the last check failed"},
                       "webhooks": {"type": "array", "items": _ref("WebhookCheck")},
                       "repairs": {"type": "array", "items": _ref("WebhookRepair")}}})}),
    },
    "/tenants/{tenant_id}/backfill": {
        "parameters": [TENANT],
        "post": _op("Send Specter every order the shop changed since a date that it lacks, once (each becomes an "
                    "order event); answers what became of each order",
                    {"200": _json({"type": "object", "properties": {
                        "since": {"type": "string"}, "found": {"type": "integer"},
                        "queued": {"type": "array", "items": {"type": "string"}},
                        "already_queued": {"type": "array", "items": {"type": "string"}},
                        "in_specter": {"type": "array", "items": {"type": "string"}},
                        "not_exportable": {"type": "array", "items": {"type": "object", "properties": {
                            "order_id": {"type": "string"}, "reason": {"type": "string"}}}},
                        "counts": {"type": "object", "additionalProperties": {"type": "integer"}}}}),
                     "400": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"},
                     **UPSTREAM},
                    requestBody=_body({"type": "object", "required": ["since"], "properties": {
                        "since": {"type": "string", "examples": ["2025-01-31"],
                                  "description": "YYYY-MM-DD (from 00:00 UTC) or an ISO 8601 time"}}},
                        "Since when")),
    },
    "/tenants/{tenant_id}/events": {
        "parameters": [TENANT],
        "get": _op("The tenant's event log, newest first", {"200": _json({"type": "array", "items": _ref("Event")})},
                   parameters=[
                       {"name": "kind", "in": "query", "schema": {"type": "string"}, "description": "e.g. shop.order"},
                       {"name": "status", "in": "query", "schema": {"enum": list(typing.get_args(EventStatus))}},
                       {"name": "limit", "in": "query",
                        "schema": {"type": "integer", "default": 100, "minimum": 1, "maximum": MAX_LIST_LIMIT}},
                       {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        "description": "Paging: events with a smaller id"},
                   ]),
    },
    "/tenants/{tenant_id}/events/retry": {
        "parameters": [TENANT],
        "post": _op('"Transfer again" every failed (dead) event of the tenant', {"200": REQUEUED}),
    },
    "/tenants/{tenant_id}/events/{event_id}": {
        "parameters": [TENANT, EVENT],
        "get": _op("One event; a running export shows `result.progress`", {"200": _json(_ref("Event"))}),
    },
    "/tenants/{tenant_id}/events/{event_id}/retry": {
        "parameters": [TENANT, EVENT],
        "post": _op('"Transfer again" one event (dead, done or skipped)', {"200": REQUEUED}),
    },
    "/tenants/{tenant_id}/connect": {
        "parameters": [TENANT],
        "post": _op("Register the shop's webhooks and the account's Specter callbacks", {"200": _json({
            "type": "object", "properties": {"webhooks": {"type": "array", "items": {"type": "string"}},
                                             "topics": {"type": "array", "items": {"type": "string"}},
                                             "callbacks": {"type": "string"}}}), **UPSTREAM}),
    },
    "/tenants/{tenant_id}/export": {
        "parameters": [TENANT],
        "post": _op("Start a bulk export of products or customers", {"202": ACCEPTED},
                    requestBody=_body({"type": "object", "properties": {
                        "what": {"enum": ["products", "customers"], "default": "products"},
                        "mode": {"enum": ["new", "all"], "default": "new",
                                 "description": "new: leave articles Specter has untouched; all: update them"}}},
                        "What to export")),
    },
    "/tenants/{tenant_id}/import": {
        "parameters": [TENANT],
        "post": _op("Import products from Specter into the shop (the get_specter_articles pull)", {"202": ACCEPTED}),
    },
    "/tenants/{tenant_id}/stock/resync": {
        "parameters": [TENANT],
        "post": _op('"Update stock now": every article\'s stock from Specter to the shop', {"202": ACCEPTED}),
    },
    "/tenants/{tenant_id}/reconcile": {
        "parameters": [TENANT],
        "post": _op("Reconcile now: compare the shop's stock levels and prices with Specter's (healing the drift "
                    "Specter owns) and its recent orders (listing those Specter lacks); the report follows at "
                    "/reconciliation", {"202": ACCEPTED}),
    },
    "/tenants/{tenant_id}/reconciliation": {
        "parameters": [TENANT],
        "get": _op("The tenant's last reconciliation: what was healed, what needs a person and why (an order "
                   "listed can be sent with /orders/{order_id}/export), what was not compared, and its `counts`; "
                   "404 before the first",
                   {"200": {"description": "The report", "content": {
                       "application/json": {"schema": _ref("Reconciliation")},
                       "text/csv": {"schema": {"type": "string"}, "description": "One row per drift healed and "
                                    "per finding: section, key, label, problem, shop, specter, reason, event_id"}}}},
                   parameters=[{"name": "format", "in": "query", "schema": {"enum": ["json", "csv"],
                                                                            "default": "json"}}]),
    },
    "/tenants/{tenant_id}/orders/{order_id}/export": {
        "parameters": [TENANT, _path_param("order_id", "The shop's order id")],
        "post": _op('"Transfer order": send one order now, whatever the export mode', {"202": ACCEPTED}),
    },
    "/search": {
        "get": _op("Find orders and articles by the shop's order number or id, Specter's order number, the "
                   "externalOrderNo, a customer's e-mail or an article number, ignoring case; exact matches first, "
                   f"then (for {SEARCH_PREFIX_MIN} characters or more) what starts with it",
                   {"200": _json(_ref("SearchResults"))},
                   parameters=[
                       {"name": "q", "in": "query", "required": True, "description": "What to look for",
                        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY}},
                       {"name": "tenant", "in": "query", "schema": {"type": "string"},
                        "description": "Only this tenant (default: every tenant)"},
                       {"name": "limit", "in": "query", "description": "Orders and articles at most",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS,
                                   "default": DEFAULT_RESULTS}},
                   ]),
    },
    "/tenants/{tenant_id}/orders/{order_id}": {
        "parameters": [TENANT, _path_param("order_id", "The shop's order id")],
        "get": _op("An order's story in time order (what brought it, each attempt and its outcome, Specter's order "
                   "number, status changes and tracking numbers from Specter, stock realigned) and its articles' "
                   "stock; 404 when the gateway has no record of it", {"200": _json(_ref("OrderStory"))}),
    },
    "/tenants/{tenant_id}/articles/{article_no}": {
        "parameters": [TENANT, _path_param("article_no", "The article number")],
        "get": _op("An article: its bindings in this shop and on its Specter account, Specter's data and levels as "
                   "last read, the level last written to the shop, its orders and its product events",
                   {"200": _json(_ref("ArticleStory"))}),
    },
}


@functools.cache
def document() -> dict[str, Any]:
    from gateway.web import alerts_api, rules_api

    structs = [Tenant, SpecterAccount, Event, WebhookCheck, WebhookRepair, SearchResults, OrderStory, ArticleStory,
               Reconciliation, *alerts_api.STRUCTS, *rules_api.STRUCTS]
    _, schemas = msgspec.json.schema_components(structs, ref_template=SCHEMAS + "{name}")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Specter Gateway admin API", "version": "1",
                 "description": "Tenants, Specter accounts and the event log. Every call needs the admin token."},
        "servers": [{"url": "/admin/api"}],
        "security": [{"adminToken": []}],
        "paths": PATHS | alerts_api.paths() | rules_api.paths(),
        "components": {
            "schemas": schemas | {"Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "string"},
                "field": {"type": "string",
                          "description": "JSON path of the offending field, e.g. $.settings.order_export"}}}},
            "securitySchemes": {"adminToken": {
                "type": "http", "scheme": "bearer",
                "description": "SPECTER_GATEWAY_ADMIN_TOKEN (default: data/admin.token)"}},
            "responses": {
                "Error": _json(_ref("Error"), "The caller's mistake, said plainly"),
                "Unauthorized": _json(_ref("Error"), "Missing or wrong admin token"),
            },
        },
    }


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(document())
