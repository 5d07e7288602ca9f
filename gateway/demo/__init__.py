"""``specter-gateway demo``: the gateway working by itself, for a first look.

It starts the Specter simulator with one account, one simulated shop of each installed platform
that has one (``Platform.demo_shop``: the fake WooCommerce, the fake Abicart, and the real
legacy PHP scripts under ``php -S`` when PHP is installed), and the gateway on a fresh data
directory of its own (thrown away at the end), with a tenant for each shop on that one account,
connected as an operator would connect them. Then a gentle stream keeps it busy: shoppers place
orders in the shops, and in Specter prices are edited, stock arrives and orders are delivered,
so the console shows orders reaching Specter and stock, prices and order statuses reaching the
shops within a minute.

- :mod:`.catalogue` what the demo sells, and to whom;
- :mod:`.setup` starting it all, and stopping it;
- :mod:`.stream` the gentle stream.
"""

from gateway.demo.setup import Demo, start_demo
from gateway.demo.stream import DemoStream

__all__ = ["Demo", "DemoStream", "start_demo"]
