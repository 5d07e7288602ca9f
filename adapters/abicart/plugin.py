"""Abicart / Textalk Webshop (JSON-RPC 2.0) as a shop platform."""

from __future__ import annotations

import msgspec

from gateway.adapter import Platform, hookimpl

PLATFORM = "abicart"


class AbicartConnection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    webshop: int  # the shop id
    auth_token: str
    url: str = "https://admin.abicart.se/backend/jsonrpc/v1/"


@hookimpl
def shop_platform() -> Platform:
    return Platform(name=PLATFORM, title="Abicart (Textalk Webshop)", connection=AbicartConnection,
                    secret_fields=("auth_token",))
