"""Errors as JSON answers that say what is wrong and where, with the right status."""

from __future__ import annotations

from starlette.responses import JSONResponse

from gateway.errors import ConfigError, RejectedRequest
from gateway.model import InvalidInput
from gateway.tenants import Conflict, NotFound


def error(status: int, message: str, field: str | None = None) -> JSONResponse:
    body: dict[str, str] = {"error": message}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status)


def from_exception(exc: Exception) -> JSONResponse:
    """The answer for an error the caller can fix; anything else is the server's own fault."""
    if isinstance(exc, RejectedRequest):
        return error(exc.status, exc.message)
    if isinstance(exc, InvalidInput):
        return error(422, str(exc), exc.field)
    if isinstance(exc, NotFound):
        return error(404, str(exc))
    if isinstance(exc, Conflict):
        return error(409, str(exc))
    if isinstance(exc, ConfigError):
        return error(400, str(exc))
    raise exc
