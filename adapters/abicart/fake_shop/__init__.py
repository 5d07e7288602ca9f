"""A fake Abicart (Textalk Webshop) admin API for tests and demos: :mod:`.app` serves it, in-process
(:func:`.app.start_fake_abicart`) or as ``specter-gateway simulate abicart`` (this module's
:data:`simulator`).

This module stays small: the adapter names :data:`simulator` and :func:`demo_shop` in its
platform, so the gateway loads the fake shop itself only when it is run.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.adapter import DemoShop


class AbicartSimulator:
    """``specter-gateway simulate abicart``: the fake admin API of one webshop."""

    default_port = 8891

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--webshop", type=int, default=4711, help="the webshop id the API answers for")
        parser.add_argument("--auth-token", default="abicart-token")

    def run(self, host: str, port: int, options: argparse.Namespace) -> None:
        from .app import run

        run(host, port, options.webshop, options.auth_token)


simulator = AbicartSimulator()


def demo_shop() -> DemoShop:
    """The fake shop as ``specter-gateway demo`` runs it (loaded only then)."""
    from .demo import AbicartDemoShop

    return AbicartDemoShop()
