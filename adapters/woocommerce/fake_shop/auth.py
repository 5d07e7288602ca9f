"""REST authentication as the captures show it: over plain HTTP only OAuth 1.0a (Basic auth
and query keys count as anonymous); behind an HTTPS proxy Basic auth or query keys."""

from __future__ import annotations

import base64
import hmac
import time
from urllib.parse import unquote

from aiohttp import web

from adapters.woocommerce import oauth

from .state import FakeState
from .wire import error


def _is_ssl(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


def authenticate(state: FakeState, request: web.Request) -> web.Response | None:
    """None when the request is authenticated, else the 401 WooCommerce answers."""
    anonymous = error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
    if _is_ssl(request):
        key = secret = None
        if request.headers.get("Authorization", "").startswith("Basic "):
            try:
                key, _, secret = base64.b64decode(request.headers["Authorization"][6:]).decode().partition(":")
            except ValueError:
                return anonymous
        elif "consumer_key" in request.query:
            key, secret = request.query["consumer_key"], request.query.get("consumer_secret", "")
        if key != state.consumer_key:
            return anonymous
        if not hmac.compare_digest(secret or "", state.consumer_secret):
            return error(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        return None
    params = dict(request.query)
    header = request.headers.get("Authorization", "")
    if header.startswith("OAuth "):
        for part in header[6:].split(","):
            k, _, v = part.strip().partition("=")
            params[k] = unquote(v.strip('"'))
    if "oauth_consumer_key" not in params:
        return anonymous  # Basic auth and query keys are never tried without SSL

    def bad(message: str) -> web.Response:
        return error(401, "woocommerce_rest_authentication_error", message)

    if params["oauth_consumer_key"] != state.consumer_key:
        return bad("Consumer key is invalid.")
    method = params.get("oauth_signature_method", "")
    if method not in oauth.ALGORITHMS:
        return bad("Invalid signature method - must be one of HMAC-SHA1, HMAC-SHA256")
    url = f"{request.scheme}://{request.host}{request.path}"
    expected = oauth.signature(request.method, url, params, state.consumer_secret, method)
    if not hmac.compare_digest(expected, params.get("oauth_signature", "")):
        return bad("Invalid signature - provided signature does not match.")
    try:
        stamp = int(params.get("oauth_timestamp", ""))
    except ValueError:
        return bad("Invalid timestamp.")
    if abs(time.time() - stamp) > 15 * 60:
        return bad("Invalid timestamp.")
    nonce = params.get("oauth_nonce", "")
    if nonce in state.nonces:
        return bad("Invalid nonce - nonce has already been used.")
    state.nonces.add(nonce)
    return None
