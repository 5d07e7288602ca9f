"""OAuth 1.0a one-legged signing, the only key authentication WooCommerce accepts over plain HTTP.

Follows ``WC_REST_Authentication::check_oauth_signature``: the base string is
``METHOD&enc(url without query)&enc(sorted "k=v" pairs joined by "&")`` with every key and
value RFC 3986-encoded first, signed with HMAC-SHA256 and the key ``consumer_secret + "&"``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import quote

ALGORITHMS = {"HMAC-SHA256": hashlib.sha256, "HMAC-SHA1": hashlib.sha1}


def enc(text: str) -> str:
    """PHP's rawurlencode: RFC 3986, only unreserved characters left as they are."""
    return quote(text, safe="~")


def base_string(method: str, url: str, params: dict[str, str]) -> str:
    pairs = sorted((enc(k), enc(v)) for k, v in params.items() if k != "oauth_signature")
    query = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), enc(url), enc(query)))


def signature(method: str, url: str, params: dict[str, str], consumer_secret: str,
              algorithm: str = "HMAC-SHA256") -> str:
    digest = hmac.new(f"{consumer_secret}&".encode(), base_string(method, url, params).encode(),
                      ALGORITHMS[algorithm]).digest()
    return base64.b64encode(digest).decode()


def sign(method: str, url: str, params: dict[str, str], consumer_key: str, consumer_secret: str,
         *, nonce: str | None = None, timestamp: int | None = None) -> dict[str, str]:
    """``params`` plus the ``oauth_*`` parameters, signature included, for the query string.
    A fresh nonce every call: WooCommerce refuses a nonce it has seen."""
    signed = dict(params)
    signed.update(
        oauth_consumer_key=consumer_key,
        oauth_timestamp=str(int(time.time()) if timestamp is None else timestamp),
        oauth_nonce=nonce or secrets.token_hex(16),
        oauth_signature_method="HMAC-SHA256",
    )
    signed["oauth_signature"] = signature(method, url, signed, consumer_secret)
    return signed
