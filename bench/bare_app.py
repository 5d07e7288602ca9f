"""The baseline for bench/ingest.py: a Starlette route that reads the body and does nothing."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def nothing(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"stored": 0})


app = Starlette(routes=[Route("/shops/{tenant_id}/events", nothing, methods=["POST"])])
