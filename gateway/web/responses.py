"""Errors as JSON answers that say what is wrong and where, with the right status."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

from gateway.errors import ConfigError, PermanentError, RejectedRequest, TransientError
from gateway.model import InvalidInput
from gateway.tenants import Conflict, NotFound


def error(status: int, message: str, field: str | None = None,
          headers: Mapping[str, str] | None = None) -> JSONResponse:
    body: dict[str, str] = {"error": message}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status, headers=headers)


def from_exception(exc: Exception, *, upstream: bool = False) -> JSONResponse:
    """The answer for an error the caller can fix (4xx), or, with ``upstream``, for the shop or
    Specter failing what the request asked of them (502); anything else is the server's own
    fault."""
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
    if upstream and isinstance(exc, TransientError | PermanentError):
        # The shop or Specter failed or refused what this request asked of it (connect, backfill):
        # its words, which adapters and the Specter client write to be shown.
        return error(502, str(exc) or type(exc).__name__)
    raise exc
