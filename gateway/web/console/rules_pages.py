"""The console's rule editor of a tenant (gateway/rules/): a form per rule (its flow, name,
condition and actions, the last two as JSON), a rule added from the catalogue or blank, the
saved versions, and a preview of the rules against the tenant's newest orders and products.

Every save is a whole new version of the rule set, made from the version the page showed: when
someone saved another meanwhile the save is refused and the page shows theirs (no change is
lost unseen). Nothing is half-stored: a rule the checks refuse leaves the saved set as it was.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import msgspec
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.model import InvalidInput
from gateway.rules.catalogue import CATALOGUE
from gateway.rules.check import load
from gateway.rules.files import dump
from gateway.rules.language import FLOWS
from gateway.rules.preview import preview
from gateway.settings import Tenant
from gateway.web.console.auth import Viewer, signed_in
from gateway.web.console.routes import _not_found, _redirect, _tenant, render
from gateway.web.state import gateway_of

HISTORY_SHOWN = 20
PREVIEW_OBJECTS = 10


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) if value is not None else ""


async def _context(request: Request, tenant: Tenant) -> dict[str, Any]:
    store = gateway_of(request).store
    saved = await store.get_rules(tenant.id)
    rules = dump(saved.rules)["rules"] if saved and saved.rules.rules else []
    return {
        "tenant": tenant, "flows": FLOWS, "version": saved.version if saved else 0,
        "rules": [{"index": i, "name": r["name"], "flow": r["flow"], "enabled": r.get("enabled", True),
                   "note": r.get("note", ""), "when": _pretty(r.get("when")), "actions": _pretty(r["actions"])}
                  for i, r in enumerate(rules)],
        "catalogue": [{"index": i, "title": e["title"], "description": e["description"],
                       "example": _pretty([e["rule"], *([e["also"]] if "also" in e else [])])}
                      for i, e in enumerate(CATALOGUE)],
        "history": await store.rule_history(tenant.id, HISTORY_SHOWN),
        "error": None, "error_rule": None, "preview": None,
    }


def _rule_from_form(form: FormData) -> dict[str, Any]:
    """One rule as its form gives it; the JSON fields read as JSON, a mistake named."""
    rule: dict[str, Any] = {"name": str(form.get("name", "")).strip(), "flow": str(form.get("flow", "")),
                            "enabled": "enabled" in form}
    if str(form.get("note", "")).strip():
        rule["note"] = str(form.get("note", "")).strip()
    for key in ("when", "actions"):
        text = str(form.get(key, "")).strip()
        if not text:
            if key == "actions":
                raise InvalidInput(f"rule {rule['name']!r}: actions are needed (a JSON list)", "actions")
            continue
        try:
            rule[key] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"rule {rule['name']!r}: {key} is not valid JSON ({exc.msg}, line {exc.lineno})",
                               key) from None
    return rule


async def _save(request: Request, tenant: Tenant, form: FormData, change: Any) -> Response:
    """Apply ``change`` (the rules as a list, changed in place) to the version the page showed
    and save the result as the next version."""
    store = gateway_of(request).store
    seen = str(form.get("version", ""))
    saved = await store.get_rules(tenant.id)
    rules: list[dict[str, Any]] = dump(saved.rules)["rules"] if saved and saved.rules.rules else []
    context = await _context(request, tenant)
    if not seen.isdigit() or int(seen) != (saved.version if saved else 0):
        context["error"] = "Someone saved these rules meanwhile: here they are as saved now. Make your change again."
        return render(request, "rules.html", context, 409)
    try:
        change(rules)
        checked = load({"rules": rules})
    except InvalidInput as exc:
        context["error"] = str(exc)
        context["error_rule"] = form.get("index")
        return render(request, "rules.html", context, 422)
    viewer: Viewer = request.state.viewer
    if await store.put_rules(tenant.id, checked, f"console ({viewer.user.name})", int(seen)) is None:
        context["error"] = "Someone saved these rules meanwhile: here they are as saved now. Make your change again."
        return render(request, "rules.html", context, 409)
    return _redirect(f"/tenants/{quote(tenant.id)}/rules", notice="rules")


def _index(form: FormData, rules: list[dict[str, Any]]) -> int:
    text = str(form.get("index", ""))
    if not text.isdigit() or int(text) >= len(rules):
        raise InvalidInput("that rule is no longer in the rule set", "index")
    return int(text)


@signed_in
async def rules_page(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    return render(request, "rules.html", await _context(request, tenant))


@signed_in
async def save_rule(request: Request) -> Response:
    """A rule's form: save it (``index`` names it; none: a new rule), remove it, or move it up."""
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    form = await request.form()
    what = str(form.get("do", "save"))

    def change(rules: list[dict[str, Any]]) -> None:
        if what == "add":
            entry = CATALOGUE[int(str(form.get("catalogue", "")))] if str(form.get("catalogue", "")).isdigit() \
                and int(str(form.get("catalogue", ""))) < len(CATALOGUE) else None
            if entry is None:
                rules.append(_rule_from_form(form))
            else:
                rules.extend(r for r in (entry["rule"], entry.get("also")) if r)
        elif what == "remove":
            del rules[_index(form, rules)]
        elif what == "up":
            i = _index(form, rules)
            if i > 0:
                rules[i - 1], rules[i] = rules[i], rules[i - 1]
        else:
            rules[_index(form, rules)] = _rule_from_form(form)

    return await _save(request, tenant, form, change)


@signed_in
async def preview_rules(request: Request) -> Response:
    """The rules as saved, run on the newest orders and products beside... themselves as a
    draft (a rule's form may send its draft to preview it before saving)."""
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    form = await request.form()
    context = await _context(request, tenant)
    saved = await gateway_of(request).store.get_rules(tenant.id)
    rules: list[dict[str, Any]] = dump(saved.rules)["rules"] if saved and saved.rules.rules else []
    try:
        if str(form.get("index", "")):
            rules[_index(form, rules)] = _rule_from_form(form)
        elif str(form.get("name", "")).strip():
            rules.append(_rule_from_form(form))
        draft = load({"rules": rules})
    except InvalidInput as exc:
        context["error"] = str(exc)
        context["error_rule"] = form.get("index")
        return render(request, "rules.html", context, 422)
    found = await preview(gateway_of(request), tenant.id, draft, PREVIEW_OBJECTS)
    context["preview"] = [msgspec.to_builtins(o) | {"before_text": _pretty(msgspec.to_builtins(o.before)),
                                                    "after_text": _pretty(msgspec.to_builtins(o.after))}
                          for o in found.objects]
    return render(request, "rules.html", context)


routes: list[BaseRoute] = [
    Route("/tenants/{tenant_id}/rules", rules_page),
    Route("/tenants/{tenant_id}/rules", save_rule, methods=["POST"]),
    Route("/tenants/{tenant_id}/rules/preview", preview_rules, methods=["POST"]),
]
