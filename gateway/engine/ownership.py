"""Who owns what: for each kind of data, which side is its master, per tenant.

Two-way sync stays sane only when every field has one master. A change made on the side that
does not own a field is not exported to the owner, so the shop's echo of the gateway's own write
(or a stale value the shop kept) can never revert what the owner decided. The defaults follow
today's connectors:

- **Stock**: Specter, always. A shop's stock goes to Specter only as the initial stock of an
  article new to Specter; every later change flows from Specter to the shop.
- **Article data** (name, prices, VAT, weight, barcode, texts): Specter while the gateway writes
  them to the shop, that is while ``article_sync`` or ``import_products`` is on. Otherwise the
  shop's products are the master and their changes are exported to Specter.
- **Orders and customers**: the shop. Specter never changes an order's content or a customer;
  only an order's fulfilment (delivered with tracking, deleted, removed) comes back.

An operator's bulk "export all" is the one deliberate exception: it is asked for by name, and
overwrites what Specter has of this shop's own articles (never another shop's, see
``update_shared_articles``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gateway.settings import TenantSettings

Side = Literal["specter", "shop"]
DataKind = Literal["stock", "article", "order", "customer"]

ARTICLE_DATA = "name, prices, VAT, weight, barcode and texts"


@dataclass(frozen=True)
class Ownership:
    """The master of one kind of data for one tenant, and why (naming the setting that decides)."""

    owner: Side
    because: str

    @property
    def specter_owns(self) -> bool:
        return self.owner == "specter"


def owner_of(kind: DataKind, settings: TenantSettings) -> Ownership:
    match kind:
        case "stock":
            return Ownership("specter", "Specter is always the master of stock")
        case "article":
            on = [name for name in ("article_sync", "import_products") if getattr(settings, name)]
            if on:
                return Ownership("specter", f"Specter owns the article's {ARTICLE_DATA} while "
                                            f"{' and '.join(on)} {'is' if len(on) == 1 else 'are'} on")
            return Ownership("shop", f"the shop owns its products' {ARTICLE_DATA} while article_sync and "
                                     "import_products are off")
        case "order" | "customer":
            return Ownership("shop", f"the shop owns its {kind}s")
