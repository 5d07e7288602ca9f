"""Every Specter action the gateway uses: its endpoint, HTTP method and which value is signed.

This table is the one place that knows the actions; the client and the Specter simulator both
read it, so they cannot disagree about a name or a signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import msgspec

Endpoint = Literal["getInfo.asp", "putInfo.asp"]

GET_INFO: Endpoint = "getInfo.asp"  # reads and batch acknowledgements, all parameters in the query
PUT_INFO: Endpoint = "putInfo.asp"  # writes: header parameters in the query, data as a POST form body

# Markers for signed values that are not one request parameter taken as is.
CUSTOMER_NAME = "<customer name>"  # the name as sent: `name` (company), else "firstName surName"


class Action(msgspec.Struct, frozen=True):
    name: str
    endpoint: Endpoint
    method: Literal["GET", "POST"]
    # The request parameter (query or form) whose value is signed, or CUSTOMER_NAME.
    signed_field: str


def _read(name: str, signed_field: str = "batchNo") -> Action:
    return Action(name, GET_INFO, "GET", signed_field)


def _write(name: str, signed_field: str) -> Action:
    return Action(name, PUT_INFO, "POST", signed_field)


# No public source shows how an article or an order is deleted through the API. These names and
# signed values are inferred; they live here only, so a correction is a one-line change.
DELETE_ARTICLE_ACTION = "deleteArticle"  # POST, field and signed value: articleNo
# Signed with externalOrderNo because that is the one order number the gateway always has (an
# order that failed half way may have no Specter orderId stored).
DELETE_ORDER_ACTION = "deleteOrder"  # POST, field and signed value: externalOrderNo

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _write("newOrderSubmit", "customerId"),
        _write("newCustomerSubmit", CUSTOMER_NAME),
        _write("newArticleSubmit", "articleNo_1"),
        _write("newDeliverySubmit", "orderId"),
        _write("newInvoiceSubmit", "orderId"),
        _write(DELETE_ARTICLE_ACTION, "articleNo"),
        _write(DELETE_ORDER_ACTION, "externalOrderNo"),
        _read("getArticleExternalNeedUpdate"),
        _read("updateArticlesFromBatch"),
        _read("getArticleInfoExternalNeedUpdate"),
        _read("updateArticleInfosFromBatch"),
        _read("getOrdersExternalNeedUpdate"),
        _read("updateOrdersFromBatch"),
        _read("clearArticleBatch"),
        # Signed with today's date (YYYY-MM-DD), which is also sent as `date=`.
        _read("checkAccountSettings", "date"),
    )
}

_BY_LOWER = {name.lower(): a for name, a in ACTIONS.items()}


def find_action(name: str) -> Action | None:
    """The action called ``name``; Specter treats action names case-insensitively."""
    return _BY_LOWER.get(name.lower())


def customer_name(params: Mapping[str, str]) -> str:
    """The customer name Specter signs: the company name, else "First Last"."""
    return params.get("name") or f"{params.get('firstName', '')} {params.get('surName', '')}".strip()


def signed_value(action: Action, params: Mapping[str, str]) -> str:
    """The value signed for ``action``, from all request parameters (query and form merged)."""
    if action.signed_field == CUSTOMER_NAME:
        return customer_name(params)
    return params.get(action.signed_field, "")
