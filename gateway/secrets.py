"""Secrets at rest and on display: encrypted with the operator's key, never shown in clear."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from gateway.errors import ConfigError

MASK = "********"


class Cipher:
    def __init__(self, key: bytes):
        try:
            self._fernet = Fernet(key)
        except ValueError as exc:
            raise ConfigError("the secret key is not a valid Fernet key (32 url-safe base64 bytes)") from exc

    def encrypt(self, data: bytes) -> str:
        return self._fernet.encrypt(data).decode()

    def decrypt(self, token: str) -> bytes:
        try:
            return self._fernet.decrypt(token.encode())
        except InvalidToken:
            raise ConfigError("stored secrets cannot be decrypted: the secret key has changed") from None


def mask(value: object) -> str:
    """How a secret is shown: set or not, never its value."""
    return MASK if value else ""
