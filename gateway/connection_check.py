"""The connection test: what would make a tenant's orders fail, found before an order is.

One report for the command line (``specter-gateway tenant check``, and after ``tenant
connect``) and the console's "Test connection", each finding saying what was seen and, when
something is wrong, what to do:

* **Specter**: the account's keys, proven by ``checkAccountSettings``. Specter has no call that
  reads without side effects (every batch read opens a batch the poller must then acknowledge),
  and this one writes the callback URLs the gateway needs anyway, so the test registers them:
  that is also the callbacks check. A public URL on the loopback while Specter is elsewhere is
  one Specter can never call, and is said so.
* **Service articles**: the shipping, discount, fee, gift card and gift wrap article numbers
  the settings name. Specter has no call that reads one article, so the gateway cannot ask
  whether one exists; it knows one does when it read it from Specter, bound it, or made sure of
  it before. The others are listed, and :func:`create_service_articles` makes sure of them:
  each is submitted *without* ``forceArticleUpdate``, which creates a missing article and
  leaves an existing one as it is.
* **Shop**: the first page of products, the authenticated read the bulk export makes: it
  proves the URL (a wrong scheme is said in words) and the API keys.
* **Webhooks**: checked and repaired as every poll does (active, calling this gateway, carrying
  the tenant's current secret) for a platform that can; registered again (which changes nothing
  that is in place) for one that cannot be asked. Never registered for a tenant not connected
  yet: that is "connect"'s to do.
* **Tax classes**: whether the shop can charge each VAT rate Specter's articles use, for a
  platform that keeps VAT in tax classes (``check_tax_rates``).

The checks of one report run one after the other: each is a few calls, and the shop's and
Specter's answers are easier to read in order than to make the operator wait for the slowest
anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import time
from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit

import msgspec

from gateway.model import Article
from gateway.services import Gateway
from gateway.settings import SPECTER_BASE_URL, SpecterAccount, Tenant, TenantSettings
from gateway.shop import Shop
from gateway.shop_webhooks import check_tenant_webhooks, shop_events_url, shop_topics
from gateway.specter.errors import AuthenticationError, SpecterError, SpecterTransientError

SHOP_TIMEOUT_SECONDS = 15.0
# The VAT rates a Swedish Specter account uses, for an account none of whose articles the gateway
# has read yet.
SWEDISH_VAT_RATES = (Decimal(25), Decimal(12), Decimal(6))

# The service articles' settings, what they are for, and the name a created one is given.
SERVICE_ARTICLES: dict[str, tuple[str, str]] = {
    "shipping_article_no": ("shipping", "Frakt"),
    "discount_article_no": ("discount", "Rabatt"),
    "gift_card_article_no": ("gift card", "Presentkort"),
    "payment_fee_article_no": ("payment fee", "Betalningsavgift"),
    "cod_fee_article_no": ("cash-on-delivery fee", "Postförskottsavgift"),
    "gift_wrap_article_no": ("gift wrap", "Presentinslag"),
}
SERVICE_VAT = Decimal(25)  # only the article's own; each order row carries its VAT

State = Literal["ok", "warn", "fail"]


class Finding(msgspec.Struct, kw_only=True, frozen=True):
    """One thing the test looked at: what it found and, unless ``ok``, what to do."""

    area: str  # "Specter", "Service articles", "Shop", "Webhooks", "Tax classes"
    state: State
    found: str
    details: list[str] = []  # one line each, under ``found`` (e.g. each VAT rate the shop cannot charge)
    fix: str = ""


class ConnectionReport(msgspec.Struct, kw_only=True, frozen=True):
    tenant_id: str
    at: float
    findings: list[Finding]
    # Service article numbers Specter may lack: what "create the missing ones" submits.
    unconfirmed_articles: list[str] = []

    @property
    def ok(self) -> bool:
        """Nothing found that will make orders fail (warnings aside)."""
        return all(f.state != "fail" for f in self.findings)

    @property
    def warned(self) -> bool:
        return any(f.state == "warn" for f in self.findings)


def _problem(exc: BaseException) -> str:
    # Adapter and Specter errors are written to be shown (no keys, no signatures).
    return str(exc) or exc.__class__.__name__


def service_article_numbers(settings: TenantSettings) -> dict[str, str]:
    """Article number -> what it is for, of the service articles the settings name."""
    found: dict[str, str] = {}
    for setting, (purpose, _) in SERVICE_ARTICLES.items():
        article_no = getattr(settings, setting)
        if article_no:
            found.setdefault(article_no, purpose)
    return found


async def check_connection(gw: Gateway, tenant: Tenant) -> ConnectionReport:
    """Run every check for the tenant (see the module's docstring)."""
    account = await gw.account_of(tenant)
    findings = [await _specter(gw, account)]
    articles, unconfirmed = await _service_articles(gw, tenant, account)
    findings.append(articles)
    shop = await gw.shop(tenant)
    findings.append(await _shop(shop))
    if findings[-1].state == "ok":  # a shop that cannot be read has nothing more to tell
        findings.append(await _webhooks(gw, tenant, shop))
        findings.append(await _tax_classes(gw, tenant, account, shop))
    return ConnectionReport(tenant_id=tenant.id, at=time.time(), findings=findings, unconfirmed_articles=unconfirmed)


# -- Specter ---------------------------------------------------------------------------------


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_loopback
    return False


async def _specter(gw: Gateway, account: SpecterAccount) -> Finding:
    from gateway.connect import register_callbacks

    where = f"Specter account {account.id} (sbmId {account.sbm_id}) at {account.base_url}"
    try:
        await register_callbacks(gw, account)
    except AuthenticationError as exc:
        keys = ("api_user_id, user_key (ApiUserKey) and integration_key (IntegrationKey)" if account.api_version == 2
                else "user_key (MD5 Key 1) and integration_key (MD5 Key 2)")
        return Finding(area="Specter", state="fail", found=f"{where} refused the keys: {exc.message}",
                       fix=f"Check sbm_id, {keys} of account {account.id}, as Specter's integration settings show "
                           f"them: specter-gateway account set {account.id} --set user_key=- --set integration_key=-")
    except SpecterTransientError as exc:
        return Finding(area="Specter", state="fail", found=f"{where} cannot be reached now: {exc.message}",
                       fix=f"Check the account's base_url ({account.base_url}); Specter's own is "
                           f"{SPECTER_BASE_URL}")
    except SpecterError as exc:
        return Finding(area="Specter", state="fail", found=f"{where} refused checkAccountSettings: {exc.message}",
                       fix="Read Specter's message; the keys and sbmId are what this call checks")
    public = gw.config.public_url.rstrip("/")
    if _loopback(public) and not _loopback(account.base_url):
        return Finding(area="Specter", state="fail",
                       found=f"{where} accepted the keys, but its callbacks go to {public}, an address on this "
                             f"machine that Specter cannot call: stock, article and order changes would wait for "
                             f"the poll every few minutes",
                       fix="Set SPECTER_GATEWAY_PUBLIC_URL to the https address Specter and the shops reach this "
                           "gateway at, restart, and test again")
    return Finding(area="Specter", state="ok",
                   found=f"{where} accepted the keys; it calls {public}/specter/… when stock, articles or orders "
                         f"change (registered now)")


# -- service articles ------------------------------------------------------------------------


async def _service_articles(gw: Gateway, tenant: Tenant,
                            account: SpecterAccount) -> tuple[Finding, list[str]]:
    wanted = service_article_numbers(tenant.settings)
    if not wanted:
        return Finding(area="Service articles", state="ok", found="no service article is configured"), []
    known = set(await gw.store.service_articles(account.id))
    known |= set(await gw.store.article_origins(account.id, list(wanted)))
    unconfirmed = [no for no in wanted if no not in known]
    listing = ", ".join(f"{no} ({purpose})" for no, purpose in wanted.items())
    if not unconfirmed:
        return Finding(area="Service articles", state="ok", found=f"Specter has {listing}"), []
    missing = ", ".join(f"{no} ({wanted[no]})" for no in unconfirmed)
    return Finding(
        area="Service articles", state="warn",
        found=f"not known to exist in Specter: {missing}. Specter has no call that reads one article, and an order "
              f"with such a row is refused (\"article does not exist\") while it is missing",
        fix="Create the missing ones (specter-gateway tenant check --create-service-articles, or the button): each "
            "is submitted without forceArticleUpdate, which creates a missing article and leaves an existing one "
            "as it is; or create them in Specter yourself (as service articles, type TJ, which keep no stock)",
    ), unconfirmed


async def create_service_articles(gw: Gateway, tenant: Tenant) -> list[str]:
    """Make sure Specter has each service article the tenant's settings name: submitted without
    ``forceArticleUpdate`` (a missing one is created with price 0 and 25 % VAT, an existing one
    is left as it is), in one call. Answers the article numbers."""
    account = await gw.account_of(tenant)
    wanted = service_article_numbers(tenant.settings)
    if not wanted:
        return []
    names = {getattr(tenant.settings, setting): name for setting, (_, name) in SERVICE_ARTICLES.items()}
    articles = [Article(article_no=no, name=names.get(no, no.title()), price_ex_vat=Decimal(0), vat_percent=SERVICE_VAT)
                for no in wanted]
    specter = await gw.specter(account)
    await specter.submit_articles(articles, force_update=False, create_stock=False,
                                  webshop_id=tenant.settings.webshop_id, stock_site_id=tenant.settings.stock_site_id)
    await gw.store.put_service_articles(account.id, list(wanted), time.time())
    return list(wanted)


# -- the shop --------------------------------------------------------------------------------


async def _shop(shop: Shop) -> Finding:
    try:
        pages = shop.iter_products(page_size=1)
        try:
            async with asyncio.timeout(SHOP_TIMEOUT_SECONDS):
                await anext(pages, [])
        finally:
            with contextlib.suppress(Exception):
                await pages.aclose()
    except TimeoutError:
        return Finding(area="Shop", state="fail", found=f"the shop did not answer within {SHOP_TIMEOUT_SECONDS:.0f} s",
                       fix="Check the shop's URL, and that its host answers")
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        return Finding(area="Shop", state="fail", found=_problem(exc),
                       fix="Check the shop connection's URL and API keys (a 401 or 403: the keys, or their rights)")
    return Finding(area="Shop", state="ok", found="the shop answered an authenticated product read")


# -- webhooks --------------------------------------------------------------------------------


async def _webhooks(gw: Gateway, tenant: Tenant, shop: Shop) -> Finding:
    url = shop_events_url(gw, tenant)
    if await gw.store.get_webhook_health(tenant.id) is None:
        return Finding(area="Webhooks", state="warn", found="not registered yet: the shop tells the gateway nothing",
                       fix=f"Register callbacks and webhooks (specter-gateway tenant connect {tenant.id})")
    platform = shop.adapter.platform
    if "webhook_secret" in platform.secret_fields and not tenant.shop.get("webhook_secret"):
        return Finding(area="Webhooks", state="fail",
                       found="no webhook secret is set, so every delivery is refused (401) and the shop disables "
                             "its webhooks after a few",
                       fix="Set the shop connection's webhook_secret (any long random text), then register again")
    try:
        if not shop.can_check_webhooks:
            registered = await shop.register_webhooks(url, shop_topics(tenant.settings, platform.topics))
            return Finding(area="Webhooks", state="ok", found="; ".join(registered) or f"the shop calls {url}")
        health = await check_tenant_webhooks(gw, tenant, shop)
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        return Finding(area="Webhooks", state="fail", found=f"checking them failed: {_problem(exc)}",
                       fix="Check that the shop's API keys may read and write webhooks")
    idle = [w.topic for w in health.webhooks if not w.active]
    repaired = [f"{w.topic} {w.repaired}" for w in health.webhooks if w.repaired]
    done = f" (repaired now: {'; '.join(repaired)})" if repaired else ""
    if idle:
        return Finding(area="Webhooks", state="fail",
                       found=f"not delivering: {', '.join(idle)}{done}",
                       fix="Look at the webhooks in the shop's admin: the shop keeps them off")
    return Finding(area="Webhooks", state="ok",
                   found=f"{len(health.webhooks)} webhooks active, calling {url} with the tenant's current "
                         f"secret{done}")


# -- tax classes -----------------------------------------------------------------------------


async def _tax_classes(gw: Gateway, tenant: Tenant, account: SpecterAccount, shop: Shop) -> Finding:
    if not shop.can_check_tax_rates:
        return Finding(area="Tax classes", state="ok",
                       found=f"{shop.adapter.platform.title or shop.platform} keeps the VAT percent on each product")
    read = await gw.store.specter_vat_rates(account.id)
    rates = read or list(SWEDISH_VAT_RATES)
    where = ("the VAT rates of Specter's articles" if read
             else "Sweden's VAT rates (no article has been read from Specter yet)")
    shown = ", ".join(f"{r.normalize():f} %" for r in sorted(set(rates)))
    try:
        problems = await shop.check_tax_rates(rates)
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        return Finding(area="Tax classes", state="fail",
                       found=f"the shop's tax rates could not be read: {_problem(exc)}",
                       fix="Check that the shop's API keys may read its tax settings")
    if problems:
        # Rates Specter's articles use are certain to come; Sweden's, for an account not read
        # yet, only may.
        return Finding(area="Tax classes", state="fail" if read else "warn",
                       found=f"of {where} ({shown}), the shop cannot charge:", details=problems,
                       fix="Set up the missing rates before articles with them are imported or sold")
    return Finding(area="Tax classes", state="ok", found=f"the shop charges each of {where}: {shown}")


def report_lines(report: ConnectionReport) -> list[str]:
    """The report as the command line prints it."""
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    lines = []
    for finding in report.findings:
        lines.append(f"{marks[finding.state]}  {finding.area}: {finding.found}")
        lines += [f"      - {detail}" for detail in finding.details]
        if finding.fix and finding.state != "ok":
            lines.append(f"      fix: {finding.fix}")
    return lines
