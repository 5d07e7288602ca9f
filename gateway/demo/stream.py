"""The demo's gentle stream: something happens every few seconds, as on a quiet shop day.

In turn: a shopper orders in one of the shops (every other step, the shops taking turns); in
Specter a delivery of goods arrives (stock up), a price is changed, or the oldest order not yet
delivered is delivered with a tracking number. Each reaches the other side through the gateway
as a real change would: webhooks and polls from the shops, Specter's callbacks and batches.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable

from gateway.demo import catalogue
from gateway.demo.setup import Demo

log = logging.getLogger("gateway.demo")
Say = Callable[[str], None]


class DemoStream:
    def __init__(self, demo: Demo, say: Say, *, seed: int | None = None):
        self.demo = demo
        self.say = say
        self.rng = random.Random(seed)
        self._shops = itertools.cycle(demo.tenants)
        self._tracking = itertools.count(1)
        self.steps = 0

    async def run(self, pace: float) -> None:
        """One step every ``pace`` seconds, until cancelled; a step that fails is said and the
        next one comes anyway."""
        steps: list[Callable[[], Awaitable[str]]] = [self.order, self.restock, self.order, self.change_price,
                                                     self.order, self.deliver]
        for step in itertools.cycle(steps):
            try:
                said = await step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a demo goes on
                said = f"{step.__name__} failed: {exc}"
            self.steps += 1
            if said:
                self.say(f"{time.strftime('%H:%M:%S')}  {said}")
            await asyncio.sleep(pace)

    async def order(self) -> str:
        if not self.demo.tenants:
            return ""
        shop = next(self._shops)
        products = self.rng.sample(catalogue.PRODUCTS, self.rng.choice((1, 1, 2)))
        items = [(p.article_no, self.rng.choice((1, 1, 2))) for p in products]
        buyer = self.rng.choice(catalogue.BUYERS)
        number = await shop.shop.place_order(items, buyer)
        what = ", ".join(f"{qty} × {p.name}" for p, (_, qty) in zip(products, items, strict=True))
        return f"{shop.tenant.name}: order {number} from {buyer.first_name} {buyer.last_name} ({what})"

    async def restock(self) -> str:
        """The lowest stock in Specter gets a delivery of goods."""
        account = self.demo.account
        lowest = min(catalogue.PRODUCTS, key=lambda p: sum(account.articles[p.article_no].available_by_site().values()))
        article = account.articles[lowest.article_no]
        arrived = self.rng.randint(5, 20)
        account.set_stock([(lowest.article_no, "1", article.in_stock.get("1", 0) + arrived)])
        return f"Specter: {arrived} × {lowest.name} arrived in stock"

    async def change_price(self) -> str:
        account = self.demo.account
        product = self.rng.choice(catalogue.PRODUCTS)
        price = account.articles[product.article_no].price_ex_vat
        # Around the catalogue's price, never far from it: a sale, then back.
        new = product.price_ex_vat + self.rng.choice([d for d in (-20, -10, 0, 10)
                                                      if product.price_ex_vat + d != price])
        account.edit_article(product.article_no, {"price_ex_vat": new})
        return f"Specter: {product.name} now costs {new:.2f} kr ex VAT (was {price:.2f})"

    async def deliver(self) -> str:
        account = self.demo.account
        waiting = [o for o in account.orders.values() if o.reserves_stock]  # neither delivered nor deleted
        if not waiting:
            return ""
        order = min(waiting, key=lambda o: int(o.order_id))
        tracking = f"00373500{next(self._tracking):010d}SE"
        account.deliver(order, tracking)
        return f"Specter: order {order.order_no} ({order.external_order_no}) delivered, tracking {tracking}"
