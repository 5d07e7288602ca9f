"""Alerts and daily reports: who is told about a tenant's trouble, how, and how often.

``notify(gw, tenant_id, cause, detail)`` is the one call for anything that finds what needs a
person; see :mod:`gateway.alerts.notify` and docs/alerts.md.
"""

from gateway.alerts.notify import notify

__all__ = ["notify"]
