"""Customers, shop to Specter (one way: Specter's customer data never flows back)."""

from __future__ import annotations

import time

import msgspec

from gateway.engine.context import TenantContext, fingerprint
from gateway.errors import PermanentError
from gateway.events import ShopCustomer
from gateway.jobs.execute import Outcome
from gateway.model import Address, Customer
from gateway.rules.apply import SkippedByRule, apply_rules
from gateway.rules.run import Skipped
from gateway.services import Gateway
from gateway.specter.limits import customer_problem


def as_sent(customer: Customer, company_in_address_line1: bool) -> Customer:
    """The customer as Specter gets it: with that setting on, the company name is address
    line 1 and the street moves down a line."""
    if not (company_in_address_line1 and customer.company):
        return customer

    def shift(address: Address) -> Address:
        street = " ".join(p for p in (address.line1, address.line2) if p)
        return msgspec.structs.replace(address, line1=customer.company, line2=street)

    delivery = customer.delivery_address
    return msgspec.structs.replace(
        customer, address=shift(customer.address), delivery_address=shift(delivery) if delivery else None
    )


def customer_key(customer: Customer) -> str:
    """The binding's shop id: the shop's customer id, or the e-mail for a guest."""
    return customer.shop_id or f"email:{customer.email.lower()}"


async def ensure_customer(ctx: TenantContext, customer: Customer) -> tuple[str, bool]:
    """Specter's customer id for this customer, sending it only when new or changed since it
    was last sent; answers (customer id, whether it was sent now)."""
    ruled = await apply_rules(ctx, "customer_to_specter", customer)
    if isinstance(ruled, Skipped):
        raise SkippedByRule(ruled)  # an order without its customer is skipped with it
    customer = ruled
    problem = customer_problem(customer)
    if problem:
        raise PermanentError(f"customer {customer_key(customer)!r} {problem}")
    settings = ctx.settings
    sent = as_sent(customer, settings.company_in_address_line1)
    print_ = fingerprint([sent, settings.ignore_control_email, settings.ignore_control_org_no])
    key = customer_key(customer)
    known = await ctx.binding("customer", key)
    if known and known.to_specter_fp == print_:
        return known.specter_id, False
    customer_id = await ctx.specter.submit_customer(
        sent,
        ignore_control_email=settings.ignore_control_email,
        ignore_control_org_no=settings.ignore_control_org_no,
        force_update=known is not None,
    )
    await ctx.bind("customer", key, specter_id=customer_id, to_specter_fp=print_, to_specter_at=time.time())
    return customer_id, True


async def handle_customer_event(gw: Gateway, event: ShopCustomer) -> Outcome:
    ctx = await TenantContext.load(gw, event.tenant_id)
    if event.action == "deleted":
        return Outcome(status="skipped", result={"reason": "customers are never deleted in Specter"})
    customer = await ctx.shop.fetch_customer(event.object_id)
    if customer is None:
        return Outcome(status="skipped", result={"reason": "the customer no longer exists in the shop"})
    customer_id, sent = await ensure_customer(ctx, customer)
    if not sent:
        return Outcome(status="skipped",
                       result={"reason": "unchanged since last sent", "specter_customer_id": customer_id})
    return Outcome(result={"specter_customer_id": customer_id})
