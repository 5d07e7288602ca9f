"""Alerts and daily reports: who is told, how, and how often, against a real SMTP server
(aiosmtpd on loopback) and a webhook receiver, with the whole system running."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from gateway.alerts import notify
from gateway.alerts.loop import alerts_once
from gateway.alerts.notify import deliver
from gateway.alerts.reports import make_due_reports
from gateway.engine.poller import poll_once
from gateway.errors import ConfigError
from gateway.model import InvalidInput
from gateway.simulators.specter.faults import FaultConfig
from gateway.store.base import NewEvent
from tests.console_client import Console, add_user, console_session
from tests.databases import both_databases
from tests.gateway_process import free_port
from tests.shops.woocommerce import order_payload, product_fields, woocommerce
from tests.smtp_server import Inbox, smtp_server, use_smtp
from tests.stack import running_stack, wait_for
from tests.test_admin_api import api, make_tenant

OPS = "ops@shop.test"


@dataclass
class Hooks:
    """A webhook receiver on loopback, as a Slack incoming webhook or a program would be."""

    url: str = ""
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@asynccontextmanager
async def webhook_receiver(status: int = 200) -> AsyncIterator[Hooks]:
    hooks = Hooks()

    async def receive(request: web.Request) -> web.Response:
        hooks.calls.append((dict(request.headers), await request.read()))
        return web.Response(status=status, text="ok")

    app = web.Application()
    app.router.add_post("/hook/{secret}", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    hooks.url = f"http://127.0.0.1:{port}/hook/T000-B000-XXXX"
    try:
        yield hooks
    finally:
        await runner.cleanup()


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, as docs/alerts.md tells it."""
    timestamp = headers["X-Specter-Gateway-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Specter-Gateway-Signature"])


def _alert_mails(inbox: Inbox):
    """The alert messages received (the daily report, which the loop may send any time, aside)."""
    return [m for m in inbox.messages() if "report for" not in m.subject]


async def _messages(inbox: Inbox, count: int):
    found = _alert_mails(inbox)
    return found if len(found) >= count else None


async def _alerts(gw, tenant_id: str, count: int = 1):
    found = await gw.store.list_alerts(tenant_id, 100)
    return found if len(found) >= count else None


@both_databases
async def test_an_order_that_goes_dead_is_told_by_e_mail_and_a_signed_webhook(tmp_path, database):
    with smtp_server() as inbox:
        async with running_stack(tmp_path, database_url=database.url) as stack, webhook_receiver() as hooks:
            use_smtp(stack.gw.config, inbox)
            status, body = await stack.admin("PATCH", "/tenants/woo1/alerts",
                                             {"emails": [OPS], "webhook_url": hooks.url})
            assert status == 200, body
            secret = body["settings"]["webhook_secret"]  # made by the gateway, shown this once
            assert len(secret) >= 32
            status, shown = await stack.admin("GET", "/tenants/woo1/alerts")
            assert shown["settings"]["webhook_secret"] == "********"

            # An order whose shipping row names an article Specter lacks: it fails for good.
            await stack.set_settings(shipping_article_no="FRAKT-X")
            ts = await woocommerce(stack.driver).control("POST", "products", product_fields("TS-1"))
            await woocommerce(stack.driver).checkout(order_payload([(ts["id"], 1)]))
            await stack.settle()
            [mail] = await wait_for(lambda: _messages(inbox, 1), 20, "the alert e-mail")
            await wait_for(lambda: _calls(hooks, 1), 20, "the alert webhook call")

    assert mail.to == [OPS]
    assert mail.subject.startswith("[Specter Gateway] woo1: Work failed for good")
    assert "FRAKT-X" in mail.text and "does not exist" in mail.text and "shop.order order" in mail.text
    assert "/admin/tenants/woo1" in mail.text
    [(headers, raw)] = hooks.calls
    assert verified(secret, headers, raw)
    assert not verified("another-secret-of-some-length", headers, raw)
    sent = json.loads(raw)
    assert sent["cause"] == "event_dead" and sent["tenant_id"] == "woo1" and sent["count"] == 1
    assert "FRAKT-X" in sent["text"] and "FRAKT-X" in sent["alerts"][0]["detail"]


async def _calls(hooks: Hooks, count: int):
    return hooks.calls if len(hooks.calls) >= count else None


@both_databases
async def test_one_message_per_cause_in_the_quiet_hour_then_a_digest(tmp_path, database):
    with smtp_server() as inbox:
        async with running_stack(tmp_path, database_url=database.url) as stack:
            use_smtp(stack.gw.config, inbox)
            gw = stack.gw
            await stack.admin("PATCH", "/tenants/woo1/alerts", {"emails": [OPS]})
            await notify(gw, "woo1", "reconciliation", "order 17 is in the shop but not in Specter")
            await wait_for(lambda: _messages(inbox, 1), 20, "the first message")

            await notify(gw, "woo1", "reconciliation", "order 18 is in the shop but not in Specter")
            await notify(gw, "woo1", "reconciliation", "article TS-1 has 4 in the shop, 6 in Specter")
            await notify(gw, "woo1", "webhook_disabled", "the shop's order.created webhook 3 was disabled")
            await wait_for(lambda: _messages(inbox, 2), 20, "the other cause's message")
            await alerts_once(gw)  # the loop's round: the first cause is still quiet
            assert await deliver(gw, "woo1", "reconciliation") is None
            assert len(_alert_mails(inbox)) == 2

            gw.config.alert_quiet_seconds = 0  # as when the hour has passed
            await alerts_once(gw)
            messages = await wait_for(lambda: _messages(inbox, 3), 20, "the digest")

    first, other, digest = messages
    assert "Reconciliation found" in first.subject and "order 17" in first.text
    assert "disabled a webhook" in other.subject
    assert digest.subject.endswith("(2)")  # both waiting alerts, in one message
    assert "order 18" in digest.text and "TS-1" in digest.text and "order 17" not in digest.text


async def test_a_message_that_could_not_be_sent_is_sent_later_with_what_waited(tmp_path):
    with smtp_server() as inbox:
        async with running_stack(tmp_path) as stack:
            gw = stack.gw
            await stack.admin("PATCH", "/tenants/woo1/alerts", {"emails": [OPS]})
            await notify(gw, "woo1", "reconciliation", "order 17 is missing in Specter")  # no SMTP server set yet
            status, body = await wait_for(lambda: _failed_message(stack), 20, "the failed message")
            assert "no SMTP server is set" in body["messages"][0]["error"]

            use_smtp(gw.config, inbox)
            gw.config.alert_retry_seconds = 0  # as when the time to try again has come
            await alerts_once(gw)
            [mail] = await wait_for(lambda: _messages(inbox, 1), 20, "the message, sent now")
    assert "order 17" in mail.text


async def _failed_message(stack):
    status, body = await stack.admin("GET", "/tenants/woo1/alerts")
    return (status, body) if body["messages"] and body["messages"][0]["error"] else None


async def test_specter_refusing_the_keys_is_told_as_such(tmp_path):
    async with running_stack(tmp_path) as stack:
        ts = await woocommerce(stack.driver).control("POST", "products", product_fields("TS-1"))
        await stack.settle()
        await stack.admin("PATCH", "/accounts/acct", {"integration_key": "a-wrong-key"})
        await woocommerce(stack.driver).checkout(order_payload([(ts["id"], 1)]))
        await stack.settle()
        alerts = await wait_for(lambda: _alerts(stack.gw, "woo1"), 20, "the alert")
    assert {a.cause for a in alerts} == {"specter_keys"}
    assert "a-wrong-key" not in alerts[0].detail


async def test_the_shop_refusing_the_credentials_is_told_at_the_poll(tmp_path):
    async with running_stack(tmp_path) as stack:
        status, body = await stack.admin("PATCH", "/tenants/woo1", {"shop": {"consumer_secret": "cs_wrong"}})
        assert status == 200, body
        await poll_once(stack.gw)
        alerts = await wait_for(lambda: _alerts(stack.gw, "woo1"), 20, "the alert")
    assert [a.cause for a in alerts] == ["shop_credentials"]  # once for the poll, not per request
    assert "checking the shop's webhooks" in alerts[0].detail and "401" in alerts[0].detail
    assert "cs_wrong" not in alerts[0].detail


async def test_a_webhook_the_shop_disabled_is_told(tmp_path):
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        ts = await shop.control("POST", "products", product_fields("TS-1", stock=100))
        await stack.settle()
        await stack.stop_gateway()
        for _ in range(7):  # the shop disables the webhook after too many failed deliveries
            await shop.checkout(order_payload([(ts["id"], 1)]))
        await stack.start_gateway(same_port=True)
        await poll_once(stack.gw)
        alerts = await wait_for(lambda: _alerts(stack.gw, "woo1"), 20, "the alert")
    assert {a.cause for a in alerts} == {"webhook_disabled"}
    assert any("order.created webhook" in a.detail and "was disabled" in a.detail for a in alerts)


async def test_notify_is_the_call_for_what_needs_a_person(running_gateway, http):
    gw = running_gateway.gateway
    await make_tenant(http, running_gateway)
    with pytest.raises(ConfigError):
        await notify(gw, "no-such-shop", "reconciliation", "x")
    with pytest.raises(InvalidInput):
        await notify(gw, "acme-woo", "Not a cause!", "x")
    await notify(gw, "acme-woo", "stock_drift", "article TS-1: 4 in the shop, 6 in Specter")
    status, body = await api(http, running_gateway, "GET", "/tenants/acme-woo/alerts")
    assert status == 200
    assert body["alerts"][0]["cause"] == "stock_drift" and "TS-1" in body["alerts"][0]["detail"]
    # Nobody is set to be told: the message is kept as told to nobody, and never retried.
    message = await wait_for(lambda: _first_message(gw), 10, "the message")
    assert message.sent_at is not None and message.channels == "" and message.error is None


async def _first_message(gw):
    found = await gw.store.list_alert_messages("acme-woo", 1)
    return found[0] if found and found[0].sent_at else None


async def test_alert_settings_are_validated_and_the_test_message_says_what_went(running_gateway, http):
    await make_tenant(http, running_gateway)
    path = "/tenants/acme-woo/alerts"
    for bad, where in (({"emails": ["not an address"]}, "$.emails[0]"), ({"webhook_url": "ftp://x"}, "$.webhook_url"),
                       ({"daily_report": "yes"}, "$.daily_report"), ({"colour": "red"}, None)):
        status, body = await api(http, running_gateway, "PATCH", path, bad)
        assert status == 422, (bad, body)
        assert body.get("field") == where, body
        assert "regex" not in body["error"]
    status, body = await api(http, running_gateway, "POST", path + "/test")
    assert status == 409 and "nobody is set" in body["error"]
    with smtp_server() as inbox:
        use_smtp(running_gateway.gateway.config, inbox)
        async with webhook_receiver(status=404) as hooks:
            status, body = await api(http, running_gateway, "PATCH", path,
                                     {"emails": [OPS, OPS, " "], "webhook_url": hooks.url,
                                      "webhook_secret": "a-secret-of-enough-length"})
            assert status == 200 and body["settings"]["emails"] == [OPS]
            assert body["settings"]["webhook_secret"] == "********"  # given, so not shown back
            status, body = await api(http, running_gateway, "POST", path + "/test")
        assert status == 200 and body["sent"] is False
        assert body["channels"]["e-mail"] is None
        assert "answered HTTP 404" in body["channels"]["webhook"] and "T000" not in body["channels"]["webhook"]
        [mail] = _alert_mails(inbox)
        assert "A test message" in mail.subject


@both_databases
async def test_the_daily_report_tells_what_failed_and_was_healed_and_is_e_mailed(tmp_path, database):
    with smtp_server() as inbox:
        async with running_stack(tmp_path, database_url=database.url) as stack:
            gw = stack.gw
            use_smtp(gw.config, inbox)
            await stack.admin("PATCH", "/tenants/woo1/alerts", {"emails": [OPS]})
            shop = woocommerce(stack.driver)
            ts = await shop.control("POST", "products", product_fields("TS-1"))
            await stack.settle()
            # Specter is down for a (simulated) minute: the order waits, then goes through.
            now = [0.0]
            stack.specter.faults.clock = lambda: now[0]
            stack.specter.faults.configure(FaultConfig(down_for_s=60))
            await shop.checkout(order_payload([(ts["id"], 1)]))
            await wait_for(lambda: _retrying(stack), 20, "the order to wait for Specter")
            now[0] += 61
            await stack.settle()
            await stack.admin("PATCH", "/accounts/acct", {"integration_key": "a-wrong-key"})
            for _ in range(2):
                await shop.checkout(order_payload([(ts["id"], 1)]))
            await stack.settle()
            await gw.submit([NewEvent(kind="test.unhandled", tenant_id="woo1", account_id="acct")])
            await stack.settle()

            tomorrow = dt.datetime.now().astimezone() + dt.timedelta(days=1)
            [made] = await make_due_reports(gw, tomorrow.replace(hour=gw.config.report_hour))
            assert await make_due_reports(gw, tomorrow.replace(hour=23)) == []  # once a day
            await alerts_once(gw)
            mails = await wait_for(lambda: _report_mail(inbox, made.day), 20, "the report e-mail")
            status, listed = await stack.admin("GET", "/tenants/woo1/reports")
            status, one = await stack.admin("GET", f"/tenants/woo1/reports/{made.day}")

    report = made.report
    assert report["day"] == dt.date.today().isoformat()
    orders = next(f for f in report["flows"] if f["kind"] == "shop.order")
    assert (orders["done"], orders["failed"]) == (1, 2)
    [keys, unhandled] = sorted(report["failed"], key=lambda f: -f["count"])
    assert keys["count"] == 2 and "key" in keys["reason"] and keys["flow"] == "Orders to Specter"
    assert unhandled["count"] == 1 and "no handler" in unhandled["reason"]
    assert report["alerts"]
    [healed] = [h for h in report["healed"] if h["kind"] == "shop.order"]
    assert healed["count"] == 1 and "went through after a retry" in healed["what"]
    [mail] = mails
    assert f"report for {made.day}" in mail.subject and "2 × Orders to Specter" in mail.text
    assert listed[0]["day"] == made.day and listed[0]["sent_at"]  # the newest first
    assert one["report"]["failed"] == report["failed"]


async def _retrying(stack):
    # A retry with an attempt spent: Specter refused it (a job that only waited its turn behind
    # the order's other event gives its attempt back).
    return [e for e in await stack.events() if e.kind == "shop.order" and e.status == "retry" and e.attempts] or None


async def _report_mail(inbox: Inbox, day: str):
    found = [m for m in inbox.messages() if f"report for {day}" in m.subject]
    return found or None


async def test_the_console_shows_alerts_and_reports_to_the_tenants_user_only(tmp_path):
    async with running_stack(tmp_path) as stack:
        gw = stack.gw
        await notify(gw, "woo1", "reconciliation", "order 17 is missing in Specter")
        tomorrow = dt.datetime.now().astimezone() + dt.timedelta(days=1)
        [made] = await make_due_reports(gw, tomorrow.replace(hour=gw.config.report_hour))
        await add_user(gw, "owner", "woo1")
        async with console_session() as session:
            console = Console(stack.gateway.url, session)
            assert await console.sign_in("owner") == 200
            status, page = await console.get("/admin/tenants/woo1/alerts")
            assert status == 200 and "order 17 is missing in Specter" in page
            assert "No SMTP server is set" in page
            status, _, location = await console.post("/admin/tenants/woo1/alerts",
                                                      {"emails": "ops@shop.test\nboss@shop.test",
                                                       "webhook_url": "", "webhook_secret": "",
                                                       "daily_report": "on"})
            assert status == 303 and location.endswith("notice=alerts")
            assert (await gw.store.get_alert_settings("woo1")).emails == [OPS, "boss@shop.test"]
            status, page, _ = await console.post("/admin/tenants/woo1/alerts", {"emails": "not-an-address"})
            assert status == 422 and "not-an-address" in page
            status, page = await console.get("/admin/tenants/woo1/reports")
            assert status == 200 and f'data-day="{made.day}"' in page
            status, page = await console.get(f"/admin/tenants/woo1/reports/{made.day}")
            assert status == 200 and "What failed" in page
            status, page = await console.get("/admin/tenants/woo1/reports/today")
            assert status == 200 and "so far" in page
            assert (await console.get("/admin/tenants/woo1/reports/2020-13-45"))[0] == 404
            assert (await console.get("/admin/accounts"))[0] == 404  # accounts are for the vendor's admins
