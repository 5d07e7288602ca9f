"""What each write sends Specter: the form fields of orders, customers and articles.

The one place that knows Specter's field names for writes, the ``_n`` index of each order row
and article, flags as "1"/"0", numbers with a dot and fixed decimals, and which empty fields are
left out (an update must never blank a field in Specter). Every text is checked for Latin-1 as it
is added, before anything is signed, so a character Specter cannot store is reported with the
object and the field as the user knows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from gateway.model import Address, Article, Customer
from gateway.specter import wire
from gateway.specter.documents import SpecterOrder
from gateway.specter.signing import latin1


class Form:
    """The fields of one write, added one by one in the order they are sent."""

    def __init__(self, subject: str, fields: dict[str, str] | None = None, suffix: str = "") -> None:
        self.subject = subject  # the object, as an error names it: "customer 17"
        self.fields: dict[str, str] = {} if fields is None else fields
        self._suffix = suffix

    def item(self, n: int, subject: str) -> Form:
        """The ``n``-th order row or article of this form: its fields are named ``name_n``."""
        return Form(subject, self.fields, f"_{n}")

    def text(self, name: str, label: str, value: str, *, always: bool = False) -> None:
        """A text from the shop, checked for Latin-1 (``label`` names it in the error); left out
        when empty, unless ``always``."""
        latin1(value, label, subject=self.subject)
        if value or always:
            self.put(name, value)

    def number(self, name: str, value: Decimal | None, places: int) -> None:
        """A number with a dot and ``places`` decimals; left out when unknown."""
        if value is not None:
            self.put(name, wire.format_number(value, places))

    def flag(self, name: str, value: bool) -> None:
        """A flag Specter always gets: ``1`` or ``0``."""
        self.put(name, "1" if value else "0")

    def mark(self, name: str, value: bool) -> None:
        """A flag sent only when set."""
        if value:
            self.put(name, "1")

    def put(self, name: str, value: str) -> None:
        """A value the gateway formatted itself."""
        self.fields[name + self._suffix] = value


# --- newOrderSubmit -------------------------------------------------------------------------------


def order_form(order: SpecterOrder) -> dict[str, str]:
    """newOrderSubmit's fields: the header, then each row's fields with its index."""
    form = Form(f"order {order.external_order_no}")
    form.text("customerId", "customer id", order.customer_id, always=True)
    form.text("externalOrderNo", "order number", order.external_order_no, always=True)
    form.text("currency", "currency", order.currency, always=True)
    form.text("language", "language", order.language, always=True)
    form.text("customerOrderReference", "customer reference", order.customer_reference, always=True)
    form.flag("sendOrderMail", order.send_order_mail)
    form.flag("sendOrderMailToUser", order.send_order_mail_to_user)
    form.text("webshopId", "webshop id", order.webshop_id)
    form.text("stocksiteid", "stock site", order.stock_site_id)
    form.text("payTypeIdentifier", "payment type", order.pay_type)
    form.text("payTypeReference", "payment reference", order.payment_reference)
    form.mark("isPrepayment", order.prepaid)
    form.text("externalDeliveryMethod", "delivery method", order.delivery_method)
    form.text("publishedComment", "customer note", order.published_comment)
    form.text("internalComment", "internal comment", order.internal_comment)
    for n, row in enumerate(order.rows, start=1):
        item = form.item(n, f"order {order.external_order_no} row {n}")
        item.text("articleNo", "article number", row.article_no, always=True)
        item.text("articleName", "name", row.name, always=True)
        item.number("priceExclVAT", row.price_ex_vat, wire.ROW_PLACES)
        item.put("noOfItems", wire.format_quantity(row.quantity))
        item.number("vatPercent", row.vat_percent, wire.ROW_PLACES)
        item.text("articleComment", "comment", row.comment)
    return form.fields


# --- newCustomerSubmit ----------------------------------------------------------------------------


def customer_subject(customer: Customer) -> str:
    return f"customer {customer.shop_id}" if customer.shop_id else f"guest customer {customer.email}"


def customer_form(
    customer: Customer, *, ignore_control_email: bool, ignore_control_org_no: bool, force_update: bool
) -> dict[str, str]:
    """newCustomerSubmit's fields. Specter matches an existing customer on the e-mail, then on
    the person or organisation number; the two ``ignore_control`` flags turn either off."""
    form = Form(customer_subject(customer))
    form.text("firstName", "first name", customer.first_name)
    form.text("surName", "last name", customer.last_name)
    form.text("name", "company", customer.company)
    if customer.is_company:
        form.text("contactPerson", "contact person", f"{customer.first_name} {customer.last_name}".strip())
    form.put("customerOrganizationalForm", "C" if customer.is_company else "P")
    form.text("orgNo", "organisation number", customer.org_no)
    form.text("vatNo", "VAT number", customer.vat_no)
    _address(form, customer.address)
    form.text("emailAddress", "e-mail", customer.email)
    form.text("phoneNo", "phone number", customer.phone)
    form.text("mobileNo", "mobile number", customer.mobile)
    form.text("currency", "currency", customer.currency)
    form.text("language", "language", customer.language)
    if customer.delivery_address is not None:
        _delivery_address(form, customer.delivery_address)
    form.flag("forceCustomerUpdate", force_update)
    form.flag("ignoreControlEmail", ignore_control_email)
    form.flag("ignoreControlOrgNo", ignore_control_org_no)
    return form.fields


def _address(form: Form, address: Address) -> None:
    form.text("attention", "attention", address.attention)
    form.text("address", "address line 1", address.line1)
    form.text("addressRow2", "address line 2", address.line2)
    form.text("zipCodeEng", "postcode", address.zip_code)
    form.text("city", "city", address.city)
    form.text("countryCode", "country code", address.country_code)


def _delivery_address(form: Form, address: Address) -> None:
    recipient = f"{address.first_name} {address.last_name}".strip()
    form.text("deliveryCompanyName", "delivery company", address.company)
    form.text("deliveryAttention", "delivery attention", address.attention or recipient)
    form.text("deliveryAddress", "delivery address line 1", address.line1)
    form.text("deliveryAddressRow2", "delivery address line 2", address.line2)
    form.text("deliveryZipCodeEng", "delivery postcode", address.zip_code)
    form.text("deliveryCity", "delivery city", address.city)
    form.text("deliveryCountryCode", "delivery country code", address.country_code)


# --- newArticleSubmit -----------------------------------------------------------------------------


def articles_form(
    articles: Sequence[Article], *, force_update: bool, create_stock: bool, webshop_id: str, stock_site_id: str
) -> dict[str, str]:
    """newArticleSubmit's fields: the shared ones, then each article's fields with its index."""
    form = Form("settings")
    form.text("webshopId", "webshop id", webshop_id)
    form.text("stocksiteid", "stock site", stock_site_id)
    form.mark("forceArticleUpdate", force_update)
    for n, article in enumerate(articles, start=1):
        item = form.item(n, f"article {article.article_no}")
        item.text("articleNo", "article number", article.article_no)
        item.text("name", "name", article.name)
        item.text("barCode", "barcode", article.barcode)
        item.number("priceExclVAT", article.price_ex_vat, wire.PRICE_PLACES)
        item.number("vatPercent", article.vat_percent, wire.PRICE_PLACES)
        item.number("productWeight", article.weight_kg, wire.WEIGHT_PLACES)
        item.number("buyPrice", article.buy_price, wire.PRICE_PLACES)
        if create_stock and article.stock is not None:
            # Initial stock; Specter uses it only for an article new to it.
            item.mark("createArticleStock", True)
            item.put("noItemsInStock", str(article.stock))
    return form.fields
