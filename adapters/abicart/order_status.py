"""Specter's order changes in an Abicart order, as far as Abicart's documented API allows.

An Abicart order has no status of its own to set: ``discarded`` (the shop owner cancelled it) and
``deliveryStatus`` (``sent``/``unsent``) are what Abicart shows, so a cancelled order is discarded
and a completed one marked sent; any other status cannot be set, and the adapter says so. No
documented order field carries a tracking number or a message to the customer: the numbers go
into the order's admin ``note``, which the shop owner sees (the customer does not).
"""

from __future__ import annotations

import re
from typing import Any

# The neutral statuses Abicart can show, and the order fields that show them.
PATCHES: dict[str, dict[str, Any]] = {"cancelled": {"discarded": True}, "completed": {"deliveryStatus": "sent"}}
_SEPARATORS = re.compile(r"[\s,;]+")


def status_problem(status: str) -> str | None:
    """Why Abicart cannot be given this order status, or None."""
    if status in PATCHES:
        return None
    return "Abicart's API sets no order status but discarded (cancelled) and sent (completed)"


def status_patch(order: dict[str, Any], status: str) -> dict[str, Any]:
    """The fields to change for the order to show ``status`` (empty when it shows it already)."""
    wanted = PATCHES.get(status, {})
    return wanted if any(order.get(key) != value for key, value in wanted.items()) else {}


def unnoted(note: str, numbers: list[str]) -> list[str]:
    """The tracking numbers the admin note does not name yet, each once. A number is known by
    the note's whole words, so PN1 written before does not hide PN12."""
    noted = {word.strip(".:") for word in _SEPARATORS.split(note)}
    return [number for number in dict.fromkeys(numbers) if number and number not in noted]


def note_with(note: str, numbers: list[str], language: str) -> str:
    """The admin note with a line naming the parcels' tracking numbers added (in the shop's
    default language: the note is the shop owner's)."""
    label = "Spårningsnummer" if language == "sv" else "Tracking number" + ("s" if len(numbers) > 1 else "")
    return "\n".join(filter(None, [note, f"{label}: {', '.join(numbers)}"]))
