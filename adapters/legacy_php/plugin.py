"""An older PHP shop speaking the gateway's small signed HTTP contract."""

from __future__ import annotations

import msgspec

from gateway.adapter import Platform, hookimpl

PLATFORM = "legacy_php"


class LegacyPhpConnection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: str  # where the shop's gateway scripts live
    shared_secret: str  # HMAC key for both directions


@hookimpl
def shop_platform() -> Platform:
    return Platform(name=PLATFORM, title="Legacy PHP shop", connection=LegacyPhpConnection,
                    secret_fields=("shared_secret",))
