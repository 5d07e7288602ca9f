"""The simulator as an aiohttp application, started in-process or run from the CLI."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import web

from gateway.simulators.serving import serve

from . import control
from .api import CALLBACKS, FAULTS, STATE, endpoint
from .callbacks import Callbacks
from .faults import Faults
from .model import SimAccount
from .state import SpecterState

MAX_BODY = 256 * 1024 * 1024  # bulk stock bodies of the benchmarks are large


def _accounts(accounts: Iterable[SimAccount | str]) -> list[SimAccount]:
    return [a if isinstance(a, SimAccount) else SimAccount.parse(a) for a in accounts]


def build_app(accounts: Iterable[SimAccount | str], *, seed: int = 0) -> web.Application:
    """``seed`` drives the random error injection, so fault runs are repeatable."""
    state = SpecterState(_accounts(accounts))
    callbacks = Callbacks(state)
    app = web.Application(client_max_size=MAX_BODY)
    app[STATE] = state
    app[FAULTS] = Faults(seed)
    app[CALLBACKS] = callbacks
    control.add_routes(app)
    app.router.add_route("*", "/{page}", endpoint)  # getInfo.asp and putInfo.asp, any case

    async def close_callbacks(_: web.Application) -> None:
        await callbacks.close()

    app.on_cleanup.append(close_callbacks)
    return app


@dataclass
class RunningSimulator:
    url: str  # base URL, ending in "/"
    app: web.Application
    runner: web.AppRunner

    @property
    def state(self) -> SpecterState:
        return self.app[STATE]

    @property
    def faults(self) -> Faults:
        return self.app[FAULTS]

    @property
    def callbacks(self) -> Callbacks:
        return self.app[CALLBACKS]

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_simulator(
    accounts: Iterable[SimAccount | str], host: str = "127.0.0.1", port: int = 0, *, seed: int = 0
) -> RunningSimulator:
    """Serve the simulator in the running event loop; ``port=0`` picks a free port."""
    app = build_app(accounts, seed=seed)
    runner, url = await serve(app, host, port)
    return RunningSimulator(url, app, runner)


def run(host: str, port: int, account_specs: list[str]) -> None:
    """Serve until interrupted (``specter-gateway simulate specter``)."""
    app = build_app(_accounts(account_specs))
    web.run_app(app, host=host, port=port, print=lambda _: print(f"Specter simulator on http://{host}:{port}/"))


class SpecterSimulator:
    """``specter-gateway simulate specter``: Specter's webshop API, serving the accounts given."""

    default_port = 8100

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--account", action="append", required=True, help="an account it serves (repeatable)",
                            metavar="SBMID:APIUSERID:APIUSERKEY:INTEGRATIONKEY")

    def run(self, host: str, port: int, options: argparse.Namespace) -> None:
        run(host, port, options.account)


simulator = SpecterSimulator()
