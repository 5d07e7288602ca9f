"""The domain model to Abicart patches (``Article.create``/``set``, ``ArticleVariant.set``; an
order's ``Order.set`` is :mod:`adapters.abicart.order_status`'s).

Prices are written as public clients write them, per price kind and per currency (``"price":
{"regular": {"SEK": 299.0}}``), inc or ex VAT as the shop's ``priceStoredWithVat`` says. Only
the ordinary price and the sale price are written: how quantity tiers are written is not
documented, so a shop's tiers above the first are left as they are. The VAT rate goes to the
article's ``vatRate`` (a fraction), the weight to ``weight`` in grams (inferred), the barcode to
``ean``, stock to the Stock object's ``stock`` (inferred from public code reading it there).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from adapters.abicart.decode import CENT, ShopInfo
from gateway.errors import PermanentError
from gateway.model import Article


def stored_amount(ex_vat: Decimal, vat_percent: Decimal | None, info: ShopInfo, what: str) -> Decimal:
    """An ex-VAT amount as the shop keeps its prices."""
    if info.price_stored_with_vat is None:
        raise PermanentError(f"{what}: Abicart did not say whether its prices include VAT "
                             "(Webshop.get has no priceStoredWithVat), so no price is written")
    if not info.price_stored_with_vat:
        return ex_vat
    if vat_percent is None:
        raise PermanentError(f"{what}: the shop keeps prices including VAT, and the article has no VAT rate")
    return (ex_vat * (1 + vat_percent / 100)).quantize(CENT, ROUND_HALF_UP)


def price_patch(article: Article, fields: frozenset[str], info: ShopInfo) -> dict[str, Any]:
    """``{"regular": {CUR: n}, "specialOffer": {CUR: n} | null}`` for the price fields asked."""
    what, currency = f"article {article.article_no}", info.base_currency
    price: dict[str, Any] = {}
    if "price_ex_vat" in fields and article.price_ex_vat is not None:
        price["regular"] = {currency: stored_amount(article.price_ex_vat, article.vat_percent, info, what)}
    if "sale_price_ex_vat" in fields:
        sale = article.sale_price_ex_vat
        price["specialOffer"] = None if sale is None else {
            currency: stored_amount(sale, article.vat_percent, info, what)}
    return price


def article_patch(article: Article, fields: frozenset[str], info: ShopInfo) -> dict[str, Any]:
    """The Abicart Article properties for the chosen :class:`Article` fields."""
    lang = info.default_language
    patch: dict[str, Any] = {}
    if "name" in fields and article.name:
        patch["name"] = {lang: article.name}
    price = price_patch(article, fields, info)
    if price:
        patch["price"] = price
    if "vat_percent" in fields and article.vat_percent is not None:
        patch["vatRate"] = article.vat_percent / 100
    if "description" in fields and article.description:
        patch["description"] = {lang: article.description}
    if "short_description" in fields and article.short_description:
        patch["introductionText"] = {lang: article.short_description}
    if "weight_kg" in fields and article.weight_kg is not None:
        patch["weight"] = int((article.weight_kg * 1000).quantize(Decimal(1), ROUND_HALF_UP))
    if "barcode" in fields and article.barcode:
        patch["ean"] = article.barcode
    if "stock" in fields and article.stock is not None:
        patch["stock"] = {"stock": article.stock}
    return patch


def new_article(article: Article, category_id: str | None, info: ShopInfo) -> dict[str, Any]:
    """An Article.create patch with every field; in ``category_id`` when given (an article's
    main group must also be among the groups it is shown in, as documented)."""
    patch = {"articleNumber": article.article_no,
             **article_patch(article, frozenset(Article.__struct_fields__), info)}
    if article.published is False:
        patch["draft"] = True  # not shown to visitors until someone publishes it
    if category_id:
        patch["articlegroup"] = int(category_id)
        patch["showInArticlegroups"] = [int(category_id)]
    return patch


def variant_patch(article: Article, fields: frozenset[str]) -> dict[str, Any]:
    """A variant has its own stock only: its name and price come from the parent's choices
    (an option's price is shared by every variant with that option, so none is written)."""
    return {"stock": article.stock} if "stock" in fields and article.stock is not None else {}

