"""Specter's request signature: ``md5(IntegrationKey + md5(ApiUserKey + sbmId + value))``.

Lower-case hex, plain concatenation, over Latin-1 bytes. API version 1 accounts sign the same
way with "MD5 Key 1" in place of ApiUserKey and "MD5 Key 2" in place of IntegrationKey.
Which value is signed depends on the action (see ``ACTIONS`` in :mod:`gateway.specter.actions`).
"""

from __future__ import annotations

import hashlib

from gateway.errors import PermanentError


class EncodingProblem(PermanentError):
    """A value holds a character that Latin-1 cannot, so Specter could not store it.

    ``subject`` names the object (``customer 17``) and ``field`` the field as the user knows it
    (``last name``), or Specter's field name where no better one is known."""

    def __init__(self, field: str, value: str, char: str, *, subject: str = ""):
        where = f"{subject}: {field}" if subject else field
        super().__init__(f"{where} {value!r} has a character Specter cannot store (Latin-1): {char!r}")
        self.subject = subject
        self.field = field


def latin1(value: str, field: str = "value", *, subject: str = "") -> bytes:
    """Encode for Specter; an unencodable character is a clear error, never a silent '?'."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise EncodingProblem(field, value, value[exc.start], subject=subject) from None


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def sign(sbm_id: int | str, user_key: str, integration_key: str, signed_value: str) -> str:
    inner = md5_hex(latin1(user_key, "user key") + latin1(str(sbm_id)) + latin1(signed_value, "signed value"))
    return md5_hex(latin1(integration_key, "integration key") + inner.encode("ascii"))
