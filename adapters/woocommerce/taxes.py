"""Whether a WooCommerce shop can charge each VAT rate Specter's articles use.

A WooCommerce product names a tax class, not a percent; the shop's rates per class are set up
under WooCommerce › Settings › Tax. The gateway writes the class that the tenant's
``tax_classes`` (or WooCommerce's usual classes: standard 25 %, reduced rate 12 %, zero rate
0 %) name for an article's VAT. A class the shop left empty charges nothing: an imported 12 %
article in an empty "Reduced rate" class is sold without VAT. So each rate is checked against
the rates the shop keeps in its class (``GET taxes``, ``GET taxes/classes``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.woocommerce.plugin import WooShop

STANDARD = "standard"  # a product's tax class "" is the standard class, whose slug is "standard"


def percent(value: Decimal) -> str:
    """12.00 -> "12 %", 6.5 -> "6.5 %"."""
    text = f"{value.normalize():f}"
    return f"{text} %"


def _rate(rate: dict[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(rate.get("rate", "")))
    except InvalidOperation:
        return None


async def tax_rate_problems(shop: WooShop, vat_rates: list[Decimal],
                            tax_class_for: Callable[[WooShop, Decimal], str | None]) -> list[str]:
    """One sentence per VAT rate the shop would not charge, with what to set up; ``tax_class_for``
    is the class the adapter writes for a rate."""
    answer = await shop.client.request("GET", "taxes/classes")
    classes = {c.get("slug", ""): c.get("name", "") for c in answer.objects()}
    rates_by_class: dict[str, list[Decimal]] = {}
    async for page in shop.client.pages("taxes"):
        for rate in page:
            value = _rate(rate)
            if value is not None:
                rates_by_class.setdefault(str(rate.get("class") or STANDARD), []).append(value)
    problems = []
    for vat in sorted(set(vat_rates)):
        tax_class = tax_class_for(shop, vat)
        if tax_class is None:
            problems.append(f"{percent(vat)}: no tax class is chosen for it. Add a tax class with a {percent(vat)} "
                            f"rate in WooCommerce › Settings › Tax, and set tax_classes {vat.normalize():f}=ITS-SLUG")
            continue
        slug = tax_class or STANDARD
        if slug not in classes:
            known = ", ".join(sorted(classes)) or "none"
            problems.append(f"{percent(vat)}: goes to the tax class {slug!r}, which the shop does not have (it has "
                            f"{known}). Add it in WooCommerce › Settings › Tax, or set tax_classes "
                            f"{vat.normalize():f}=ONE-OF-THEM")
            continue
        held = rates_by_class.get(slug, [])
        if vat not in held:
            has = ", ".join(percent(r) for r in sorted(set(held))) or "no rate at all"
            problems.append(f"{percent(vat)}: goes to the tax class \"{classes[slug] or slug}\" ({slug}), which has "
                            f"{has}, so such articles would be sold at the wrong VAT. Add a {percent(vat)} rate to "
                            f"it in WooCommerce › Settings › Tax › {classes[slug] or slug}")
    return problems
