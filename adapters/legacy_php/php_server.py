"""The shop's real PHP scripts served by PHP's built-in web server (``php -S``) on a SQLite shop
database made from their ``schema.sql`` and ``specter.sql``: how the demo runs a legacy PHP
shop, and how the tests do.

``php -S`` forks ``PHP_CLI_SERVER_WORKERS`` workers into its own process group; stopping it
stops them all and waits until none listens any more, so that the next server on that port gets
the requests meant for it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
from pathlib import Path
from typing import IO

PHP_DIR = Path(__file__).parent / "php"


def php_ready() -> bool:
    """Whether PHP's command line with the pdo_sqlite extension is installed."""
    return bool(shutil.which("php")) and "pdo_sqlite" in subprocess.run(
        ["php", "-m"], capture_output=True, text=True, check=False).stdout.lower()


def make_shop_database(path: Path, scripts: Path = PHP_DIR) -> None:
    """The example shop's tables, and the scripts' own (the replay guard) where they have one."""
    with sqlite3.connect(path) as conn:
        conn.executescript((scripts / "schema.sql").read_text())
        if (scripts / "specter.sql").exists():
            conn.executescript((scripts / "specter.sql").read_text())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def stop_php_server(server: asyncio.subprocess.Process, port: int) -> None:
    """Stop ``php -S`` and the workers it forked (its own process group), and wait until none of
    them listens on ``port`` any more: a worker left behind would answer (or reset) a request
    meant for the server started next on it."""
    os.killpg(server.pid, signal.SIGTERM)
    await server.wait()
    for _ in range(500):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return  # refused: nobody listens
        writer.close()
        await asyncio.sleep(0.01)
    raise RuntimeError(f"php -S workers still listen on port {port}")


async def start_php_server(scripts: Path, port: int, env: dict[str, str],
                           log: IO[bytes]) -> asyncio.subprocess.Process | None:
    """``php -S`` serving ``scripts`` on ``port``, once their gateway.php answers there; None when
    php could not listen (another process took the port since it was found free). Only
    gateway.php's own answer counts as ready: a bare connection could be that other server's."""
    server = await asyncio.create_subprocess_exec(
        "php", "-S", f"127.0.0.1:{port}", "-t", str(scripts), env=env, stdout=log, stderr=log,
        start_new_session=True)  # its own process group, with the workers it forks
    for _ in range(200):
        if await _answers_as_gateway_php(port):
            return server
        try:
            await asyncio.wait_for(server.wait(), 0.05)
        except TimeoutError:
            continue
        return None  # php exited: the port was taken
    await stop_php_server(server, port)
    raise RuntimeError(f"php -S did not start on port {port}")


async def serve_php(scripts: Path, env: dict[str, str], log: IO[bytes]) -> tuple[asyncio.subprocess.Process, int]:
    """``php -S`` serving ``scripts`` on a free port: (the server, its port)."""
    for _ in range(5):
        port = free_port()
        server = await start_php_server(scripts, port, env, log)
        if server is not None:
            return server, port
    raise RuntimeError("php -S found no free port in five tries")


async def _answers_as_gateway_php(port: int) -> bool:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    try:
        writer.write(b"GET /gateway.php HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()
    return b'"method_not_allowed"' in answer  # gateway.php refusing a GET
