"""The Specter API endpoints, ``/getInfo.asp`` and ``/putInfo.asp``: read the Latin-1 parameters,
check the account and the signature on every call, run the action and answer in Specter's format.
Specter answers refusals with HTTP 200 and ``0;CODE;message``; only injected faults give other
statuses."""

from __future__ import annotations

import hmac

from aiohttp import web

from gateway.specter.signing import sign

from .callbacks import Callbacks
from .faults import Faults
from .handlers import ACTIONS, GET, PUT, ActionSpec
from .model import Code, SpecterError
from .state import AccountState, SpecterState
from .wire import Answer, Params, parse_pairs, render, render_error

STATE = web.AppKey("specter_state", SpecterState)
FAULTS = web.AppKey("specter_faults", Faults)
CALLBACKS = web.AppKey("specter_callbacks", Callbacks)
ENDPOINTS = {"getinfo.asp": GET, "putinfo.asp": PUT}  # IIS paths are case-insensitive


async def endpoint(request: web.Request) -> web.StreamResponse:
    name = ENDPOINTS.get(request.match_info["page"].lower())
    if name is None:
        raise web.HTTPNotFound()
    if (failure := await request.app[FAULTS].apply(request)) is not None:
        return failure
    pairs = parse_pairs(request.rel_url.raw_query_string)
    if request.method == "POST":
        pairs += parse_pairs((await request.read()).decode("latin-1"))
    params = Params(pairs)
    use_xml = params.get("useXML") == "2"
    try:
        body, content_type = render(call(request.app[STATE], name, params), use_xml)
    except SpecterError as error:
        body, content_type = render_error(error, use_xml)
    if request.app[FAULTS].answer_lost(request, params.get("action").strip()):
        return web.Response(status=504)  # never reaches the client: the connection is gone
    return web.Response(body=body, headers={"Content-Type": content_type})


def call(state: SpecterState, endpoint_name: str, p: Params) -> Answer:
    action = p.get("action").strip()
    spec = ACTIONS.get(action.lower())
    if spec is None:
        raise SpecterError(Code.UNKNOWN_ACTION, f"unknown action {action!r}")
    account = state.account(p.get("sbmId").strip())
    state.request_counts[f"{account.account.sbm_id}:{action.lower()}"] += 1
    if endpoint_name not in spec.endpoints:
        raise SpecterError(Code.UNKNOWN_ACTION, f"{action} is not available on {endpoint_name}.asp")
    _authenticate(state, account, action.lower(), spec, p)
    return spec.handler(account, p)


def _authenticate(state: SpecterState, account: AccountState, action: str, spec: ActionSpec, p: Params) -> None:
    acc = account.account
    # API v1 accounts have no API user; whatever apiUserId they send is ignored (inferred).
    if acc.api_version == 2 and p.get("apiUserId").strip() != acc.api_user_id:
        raise SpecterError(Code.AUTH, "wrong apiUserId")
    if action == "checkaccountsettings" and p.get("date").strip() != state.today().isoformat():
        raise SpecterError(Code.AUTH, "date must be today's date as YYYY-MM-DD")
    key = p.get("key").strip().lower().encode("ascii", "replace")
    expected = (sign(acc.sbm_id, acc.user_key, acc.integration_key, value).encode() for value in spec.signed(p))
    if not any(hmac.compare_digest(key, e) for e in expected):
        raise SpecterError(Code.AUTH, "wrong key")
