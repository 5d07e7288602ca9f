"""Specter's order changes in a WooCommerce order: its status, and its parcels' tracking numbers
where the shop owner and the customer look for them.

- Status: the gateway's neutral words are WooCommerce's slugs but for ``on_hold`` (``on-hold``).
  A status a plugin registered is named by its slug, without the ``wc-`` its database key has
  (WooCommerce stores ``wc-<slug>`` in 20 characters, so a slug has at most 17). The REST API
  cannot put an order in the trash or back to a checkout draft.
- Tracking numbers go to three places: a customer note (``POST orders/{id}/notes`` with
  ``customer_note: true``: WooCommerce mails it to the customer and shows it with the order in
  their account), ``_wc_shipment_tracking_items`` (the list the WooCommerce Shipment Tracking
  plugin keeps, and that plugins compatible with it read and show: one item a parcel with
  ``tracking_provider``, ``tracking_number``, ``date_shipped`` as unix seconds and
  ``tracking_id``), and ``_specter_tracking_numbers`` (every number the gateway wrote, comma
  separated). A number the order shows in either meta is not written again.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

STATUS_SLUGS = {"on_hold": "on-hold"}
UNSETTABLE = {
    "trash": "the REST API cannot put an order in the trash; cancelled is the usual choice",
    "deleted": "the REST API cannot put an order in the trash; cancelled is the usual choice",
    "checkout-draft": "a placed order cannot become a checkout draft again",
    "draft": "a placed order cannot become a checkout draft again",
    "auto-draft": "a placed order cannot become a draft again",
}
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,16}$")
_SEPARATORS = re.compile(r"[\s,;]+")

SHIPMENT_TRACKING = "_wc_shipment_tracking_items"
SPECTER_TRACKING = "_specter_tracking_numbers"


def status_problem(status: str) -> str | None:
    """Why WooCommerce cannot be given this order status, or None."""
    if status.startswith("wc-"):
        return f"WooCommerce's REST API names a status without its wc- prefix: write {status[3:]}"
    if status in UNSETTABLE:
        return UNSETTABLE[status]
    if not SLUG_RE.match(status):
        return ("not a WooCommerce order status: lower-case letters, digits, - and _, at most 17 characters "
                "(pending, processing, on_hold, completed, cancelled, refunded, failed, or a plugin's own)")
    return None


def woo_status(status: str) -> str:
    """The WooCommerce slug of a neutral status (one of the gateway's words, or a plugin's slug)."""
    return STATUS_SLUGS.get(status, status)


def _meta(order: dict[str, Any], key: str) -> Any:
    return next((m.get("value") for m in order.get("meta_data") or [] if m.get("key") == key), None)


def _tracking_items(order: dict[str, Any]) -> list[dict[str, Any]]:
    items = _meta(order, SHIPMENT_TRACKING)
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _specter_numbers(order: dict[str, Any]) -> list[str]:
    value = _meta(order, SPECTER_TRACKING)
    return [n.strip() for n in value.split(",") if n.strip()] if isinstance(value, str) else []


def shown_numbers(order: dict[str, Any]) -> set[str]:
    """The tracking numbers the order shows already, in either meta."""
    return {str(i.get("tracking_number")) for i in _tracking_items(order)} | set(_specter_numbers(order))


def tracking_meta(order: dict[str, Any], new: list[str], shipped_at: int) -> list[dict[str, Any]]:
    """The order's two tracking metas with ``new`` added (whatever else they hold is kept: the
    shop owner may have added parcels by hand)."""
    items = _tracking_items(order) + [
        {"tracking_provider": "", "custom_tracking_provider": "", "custom_tracking_link": "",
         "tracking_number": number, "date_shipped": str(shipped_at),
         # Stable, so the same parcel is the same item however often it is looked at.
         "tracking_id": hashlib.md5(f"specter-{number}".encode(), usedforsecurity=False).hexdigest()}
        for number in new]
    numbers = list(dict.fromkeys(_specter_numbers(order) + new))
    return [{"key": SHIPMENT_TRACKING, "value": items}, {"key": SPECTER_TRACKING, "value": ", ".join(numbers)}]


def note_text(numbers: list[str], language: str) -> str:
    """The customer note that tells the customer their parcels' tracking numbers."""
    listed = ", ".join(numbers)
    if language == "sv":
        return f"Din order har skickats. Spårningsnummer: {listed}"
    return f"Your order has been shipped. Tracking number{'s' if len(numbers) > 1 else ''}: {listed}"


def told_customer(notes: list[dict[str, Any]], numbers: list[str]) -> list[str]:
    """Those of ``numbers`` a customer note of the order names already (an earlier attempt that
    wrote the note and failed before the meta). Whole words only: PN1 is not told by PN12."""
    words = {word.strip(".:") for n in notes if n.get("customer_note") is True
             for word in _SEPARATORS.split(str(n.get("note") or ""))}
    return [number for number in numbers if number in words]
