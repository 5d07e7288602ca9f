"""``specter-gateway``: run the gateway, its workers and simulators, and manage tenants.

The management commands work on the gateway's store directly (the same database the server
uses: SQLite in WAL mode, or PostgreSQL, lets both write), so they work whether or not a server
is running.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from gateway.config import GatewayConfig
from gateway.errors import ConfigError, GatewayError
from gateway.model import InvalidInput

if TYPE_CHECKING:
    from gateway.adapter import Simulator
    from gateway.services import Gateway
    from gateway.settings import Tenant


def _value(text: str) -> Any:
    """A command-line value: JSON when it parses (true, 12, ["a"]), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _pairs(items: list[str] | None, option: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"{option} expects KEY=VALUE, got {item!r}")
        result[key.strip()] = _secret_prompt(key) if value == "-" else _value(value)
    return result


def _secret_prompt(name: str) -> str:
    # "-" reads a secret from the terminal, so it stays out of shell history and `ps`.
    return getpass.getpass(f"{name}: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")


def _list_limit(text: str) -> int:
    from gateway.store.base import MAX_LIST_LIMIT

    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIST_LIMIT:
        raise argparse.ArgumentTypeError(f"a number from 1 to {MAX_LIST_LIMIT}, not {text!r}")
    return int(text)


def _event_id(text: str) -> int:
    from gateway.store.base import MAX_ID

    if not text.isascii() or not text.isdigit() or int(text) > MAX_ID:
        raise argparse.ArgumentTypeError(f"an event id (a number), not {text!r}")
    return int(text)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


async def _with_gateway(config: GatewayConfig, work: Callable[[Gateway], Awaitable[int | None]]) -> int:
    from gateway.services import Gateway

    gw = await Gateway.create(config, runner="none")
    try:
        return await work(gw) or 0
    finally:
        await gw.close()


# -- commands --------------------------------------------------------------------------------


def console_url(config: GatewayConfig, host: str, port: int) -> str:
    """Where the operator reaches this gateway: its public URL when one is set, else where it
    listens."""
    if config.public_url != GatewayConfig().public_url:
        return config.public_url
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - only a name to print
    return f"http://{shown}:{port}"


async def announce_first_admin(config: GatewayConfig, url: str) -> None:
    """On a new gateway, make the first console user and print its password (once)."""
    from gateway.firstrun import ensure_first_admin, first_admin_notice

    async def work(gw: Gateway) -> None:
        password = await ensure_first_admin(gw.store)
        if password is not None:
            print(first_admin_notice(password, url), flush=True)

    await _with_gateway(config, work)


def cmd_serve(args: argparse.Namespace, config: GatewayConfig) -> int:
    import uvicorn

    from gateway.web.app import create_app

    asyncio.run(announce_first_admin(config, console_url(config, args.host, args.port)))
    # The store's writer thread hands the GIL back and forth with the event loop for every
    # statement; with the default 5 ms switch interval each hand-off can wait that long.
    sys.setswitchinterval(0.0005)
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


def cmd_demo(args: argparse.Namespace, config: GatewayConfig) -> int:
    from gateway.demo.run import main as run_demo

    return run_demo(args.host, args.port, args.pace, config.plugins)


def cmd_worker(args: argparse.Namespace, config: GatewayConfig) -> int:
    if not config.redis_url:
        raise ConfigError("the arq worker needs a Redis URL: set SPECTER_GATEWAY_REDIS_URL (or --redis-url)")
    from gateway.jobs.arq_runner import run_worker_blocking

    run_worker_blocking(config)
    return 0


def find_simulator(name: str, config: GatewayConfig) -> Simulator:
    """Specter's simulator, or the fake shop an installed platform names in its ``Platform``."""
    if name == "specter":
        from gateway.simulators.specter import app as specter_simulator

        return specter_simulator.simulator
    from gateway.plugins import Adapters, make_plugin_manager

    adapters = Adapters(make_plugin_manager(config.plugins))
    with_one = ["specter", *(n for n in adapters.names if adapters.platform(n).simulator is not None)]
    if name not in adapters.names:
        raise ConfigError(f"nothing to simulate called {name!r} (simulators: {', '.join(with_one)})")
    found = adapters.platform(name).simulator
    if found is None:
        raise ConfigError(f"the shop platform {name!r} has no simulator (simulators: {', '.join(with_one)})")
    return found


def cmd_simulate(args: argparse.Namespace, config: GatewayConfig) -> int:
    simulator = find_simulator(args.platform, config)
    parser = argparse.ArgumentParser(prog=f"specter-gateway simulate {args.platform}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=simulator.default_port)
    simulator.add_arguments(parser)
    options = parser.parse_args(args.options)
    simulator.run(options.host, options.port, options)
    return 0


def cmd_platforms(args: argparse.Namespace, config: GatewayConfig) -> int:
    from gateway.plugins import Adapters, make_plugin_manager

    adapters = Adapters(make_plugin_manager(config.plugins))
    for name in adapters.names:
        print(f"{name}\t{adapters.platform(name).title}")
    return 0


def cmd_account(args: argparse.Namespace, config: GatewayConfig) -> int:
    from gateway.tenants import TenantService

    async def work(gw: Gateway) -> int:
        service = TenantService(gw.store, gw.adapters)
        if args.action == "add":
            data = {"id": args.id, **_pairs(args.set, "--set")}
            _print_json(service.account_view(await service.add_account(data)))
        elif args.action == "set":
            _print_json(service.account_view(await service.update_account(args.id, _pairs(args.set, "--set"))))
        elif args.action == "show":
            _print_json(service.account_view(await service.account(args.id)))
        elif args.action == "remove":
            await service.remove_account(args.id)
            print(f"removed Specter account {args.id}")
        elif args.action == "list":
            for account in await gw.store.list_accounts():
                print(f"{account.id}\tsbmId {account.sbm_id}\tAPI v{account.api_version}\t{account.base_url}")
        return 0

    return asyncio.run(_with_gateway(config, work))


def cmd_tenant(args: argparse.Namespace, config: GatewayConfig) -> int:
    from gateway.setting_values import settings_patch
    from gateway.settings import TenantSettings
    from gateway.tenants import TenantService

    async def work(gw: Gateway) -> int:
        service = TenantService(gw.store, gw.adapters)
        if args.action == "add":
            data = {
                "id": args.id,
                "platform": args.platform,
                "account_id": args.account,
                "name": args.name or args.id,
                "shop": _pairs(args.shop, "--shop"),
                "settings": settings_patch(TenantSettings(), args.setting, args.replace_setting),
            }
            tenant = await service.add_tenant(data)
            _print_json(service.tenant_view(tenant))
            print(f"shop events URL: {config.public_url.rstrip('/')}/shops/{tenant.id}/events", file=sys.stderr)
        elif args.action == "set":
            patch: dict[str, Any] = {}
            if args.shop:
                patch["shop"] = _pairs(args.shop, "--shop")
            if args.setting or args.replace_setting:
                current = (await service.tenant(args.id)).settings
                patch["settings"] = settings_patch(current, args.setting, args.replace_setting)
            for key in ("name", "platform"):
                if getattr(args, key, None):
                    patch[key] = getattr(args, key)
            if args.account:
                patch["account_id"] = args.account
            if args.enabled is not None:
                patch["enabled"] = args.enabled == "yes"
            _print_json(service.tenant_view(await service.update_tenant(args.id, patch)))
        elif args.action == "show":
            tenant = await service.tenant(args.id)
            view = service.tenant_view(tenant)
            view["counts"] = await gw.store.count_events(tenant.id)
            _print_json(view)
        elif args.action == "remove":
            from gateway.connect import remove_tenant

            removed = await remove_tenant(gw, args.id)
            for line in removed["webhooks"]:
                print(line)
            if removed["warning"]:
                print(f"warning: {removed['warning']}", file=sys.stderr)
            print(f"removed tenant {args.id}")
        elif args.action == "connect":
            from gateway.connect import connect_tenant

            tenant = await service.tenant(args.id)
            _print_json(await connect_tenant(gw, tenant))
            return await _check_tenant(gw, tenant, create_articles=args.create_service_articles)
        elif args.action == "check":
            return await _check_tenant(gw, await service.tenant(args.id), create_articles=args.create_service_articles)
        elif args.action == "list":
            for tenant in await gw.store.list_tenants():
                state = "enabled" if tenant.enabled else "disabled"
                print(f"{tenant.id}\t{tenant.platform}\taccount {tenant.account_id}\t{state}\t{tenant.name}")
        return 0

    return asyncio.run(_with_gateway(config, work))


async def _check_tenant(gw: Gateway, tenant: Tenant, *, create_articles: bool) -> int:
    """The connection test, printed; 1 when something will make orders fail."""
    from gateway.connection_check import check_connection, create_service_articles, report_lines

    report = await check_connection(gw, tenant)
    if create_articles and report.unconfirmed_articles:
        made = await create_service_articles(gw, tenant)
        print(f"made sure Specter has: {', '.join(made)}")
        report = await check_connection(gw, tenant)
    print(f"connection test of {tenant.id}:")
    for line in report_lines(report):
        print(line)
    return 0 if report.ok else 1


def cmd_events(args: argparse.Namespace, config: GatewayConfig) -> int:
    from gateway.store.base import EventFilter, EventStatus
    from gateway.tenants import TenantService

    async def work(gw: Gateway) -> int:
        await TenantService(gw.store, gw.adapters).tenant(args.tenant)
        if args.retry is not None:
            if args.retry:
                ids = await gw.store.requeue_events([args.retry])
            else:
                ids = await gw.store.requeue_events(tenant_id=args.tenant)
            print(f"queued again: {', '.join(map(str, ids)) or 'nothing'}")
            return 0
        status: EventStatus | None = "dead" if args.failed else args.status
        query = EventFilter(tenant_id=args.tenant, status=status, kind=args.kind, limit=args.limit)
        events = await gw.store.list_events(query)
        for e in events:
            error = f"\t{e.last_error}" if e.last_error else ""
            print(f"{e.id}\t{e.kind}\t{e.subject}\t{e.status}\tattempts {e.attempts}{error}")
        return 0

    return asyncio.run(_with_gateway(config, work))


def cmd_export(args: argparse.Namespace, config: GatewayConfig) -> int:
    """Bulk export, run here with a progress bar; refused products are listed with the reason.
    One order ("Export order now") is recorded for the running gateway's jobs instead."""
    if args.what == "order":
        return _export_order(args, config)
    if args.order_id is not None:
        raise InvalidInput(f"export {args.what} takes a tenant only, not {args.order_id!r}")
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from gateway.engine.context import TenantContext
    from gateway.engine.export import export_customers, export_products

    async def work(gw: Gateway) -> int:
        ctx = await TenantContext.load(gw, args.tenant)
        console = Console(stderr=True)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} read"),
                      TimeElapsedColumn(), console=console, disable=not console.is_terminal) as progress:
            task = progress.add_task(f"exporting {args.what} of {args.tenant}", total=None)
            step = lambda seen: progress.update(task, completed=seen)  # noqa: E731
            if args.what == "products":
                report = await export_products(ctx, args.mode, step)
            else:
                report = await export_customers(ctx, step)
        print(f"{report.seen} read, {report.sent} sent to Specter, {len(report.refused)} refused")
        for refused in report.refused:
            print(f"refused\t{refused.shop_id}\t{refused.article_no}\t{refused.reason}")
        return 0

    return asyncio.run(_with_gateway(config, work))


def cmd_rules(args: argparse.Namespace, config: GatewayConfig) -> int:
    """A tenant's rules as a file: print the rule set in force (JSON), save one (JSON or TOML),
    or preview one against the tenant's newest orders and products without sending anything."""
    from pathlib import Path

    import msgspec

    from gateway.rules.files import dump, parse
    from gateway.rules.preview import preview

    if args.action != "get" and not args.file:
        raise InvalidInput(f"rules {args.action} needs a file (JSON or TOML)")
    draft = None
    if args.file:
        try:
            text = Path(args.file).read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read {args.file}: {exc.strerror}") from None
        draft = parse(text, args.file)

    async def work(gw: Gateway) -> int:
        tenant = await gw.tenant(args.tenant)
        if args.action == "get":
            saved = await gw.store.get_rules(tenant.id)
            _print_json(dump(saved.rules) if saved else {"rules": []})
        elif args.action == "set":
            assert draft is not None
            saved = await gw.store.put_rules(tenant.id, draft, f"cli ({os.environ.get('USER', 'unknown')})")
            assert saved is not None
            changes = "; ".join(saved.changes) or "no change"
            print(f"saved version {saved.version} of the rules of {tenant.id}: {changes}")
        else:
            assert draft is not None
            _print_json(msgspec.to_builtins(await preview(gw, tenant.id, draft, args.limit)))
        return 0

    return asyncio.run(_with_gateway(config, work))


def _export_order(args: argparse.Namespace, config: GatewayConfig) -> int:
    """"Export order now": send one order to Specter whatever the tenant's export mode."""
    from gateway import operations
    from gateway.tenants import TenantService

    if not args.order_id:
        raise InvalidInput("export order needs the shop's order id: export order TENANT ORDER_ID")

    async def work(gw: Gateway) -> int:
        tenant = await TenantService(gw.store, gw.adapters).tenant(args.tenant)
        event_id = await operations.export_order(gw, tenant, args.order_id)
        print(f"order {args.order_id} queued for Specter as event {event_id}; the running gateway sends it."
              f" Its story: {config.public_url.rstrip('/')}/admin/tenants/{tenant.id}/orders/{args.order_id}")
        return 0

    return asyncio.run(_with_gateway(config, work))


def cmd_queue(args: argparse.Namespace, config: GatewayConfig) -> int:
    """Record an operation for a tenant; the running gateway's jobs carry it out."""
    from gateway import operations
    from gateway.tenants import TenantService

    async def work(gw: Gateway) -> int:
        tenant = await TenantService(gw.store, gw.adapters).tenant(args.tenant)
        start = {"import": operations.import_products, "stock-resync": operations.resync_stock}[args.command]
        event_id = await start(gw, tenant)
        print(f"queued as event {event_id}; follow it with: specter-gateway events {tenant.id}")
        return 0

    return asyncio.run(_with_gateway(config, work))


def cmd_poll(args: argparse.Namespace, config: GatewayConfig) -> int:
    """The shop's and Specter's polls for one tenant, now; the running gateway's jobs carry out
    what they find."""
    from gateway.engine.poller import poll_tenant
    from gateway.tenants import TenantService

    async def work(gw: Gateway) -> int:
        tenant = await TenantService(gw.store, gw.adapters).tenant(args.tenant)
        if not tenant.enabled:
            raise ConfigError(f"tenant {tenant.id!r} is disabled, so its shop is not asked: "
                              f"specter-gateway tenant set {tenant.id} --enabled yes")
        health_before = await gw.store.get_webhook_health(tenant.id)
        found = await poll_tenant(gw, tenant)
        for event, event_id, created in found:
            about = f"\t{event.subject}" if event.subject else ""
            print(f"{'queued' if created else 'already queued'}\t{event_id}\t{event.kind}{about}")
        health = await gw.store.get_webhook_health(tenant.id)
        if health is not None and health != health_before:
            if health.error:
                print(f"webhook check failed: {health.error}", file=sys.stderr)
            for check in health.webhooks:
                print(f"webhook\t{check.topic}\t{'active' if check.active else 'not delivering'}"
                      + (f"\t{check.repaired}" if check.repaired else ""))
        print(f"follow them with: specter-gateway events {tenant.id}")
        return 0

    return asyncio.run(_with_gateway(config, work))


def cmd_backfill(args: argparse.Namespace, config: GatewayConfig) -> int:
    """Send the orders changed since a date that Specter lacks; the running gateway's jobs send them."""
    from gateway import operations
    from gateway.tenants import TenantService

    async def work(gw: Gateway) -> int:
        tenant = await TenantService(gw.store, gw.adapters).tenant(args.tenant)
        report = await operations.backfill(gw, tenant, args.since)
        counts = report.counts()
        print(f"{counts['found']} orders changed since {report.since}: {counts['queued']} queued for Specter, "
              f"{counts['already_queued']} queued by an earlier backfill, {counts['in_specter']} already in Specter, "
              f"{counts['not_exportable']} not exportable")
        for order_id in report.queued:
            print(f"queued\t{order_id}")
        for skipped in report.not_exportable:
            print(f"not exportable\t{skipped.order_id}\t{skipped.reason}")
        if report.queued:
            print(f"follow them with: specter-gateway events {tenant.id} --kind shop.order")
        return 0

    return asyncio.run(_with_gateway(config, work))


def cmd_reconcile(args: argparse.Namespace, config: GatewayConfig) -> int:
    """Reconcile a shop with Specter: queued for the running gateway's jobs, then (unless told
    not to wait) its report printed once it has run; ``--last`` prints the last report only."""
    import time

    from gateway import operations
    from gateway.reconcile_report import report_lines
    from gateway.store.base import OPEN_STATUSES
    from gateway.tenants import TenantService

    async def work(gw: Gateway) -> int:
        tenant = await TenantService(gw.store, gw.adapters).tenant(args.tenant)
        if not args.last:
            event_id = await operations.reconcile(gw, tenant)
            print(f"queued as event {event_id}", file=sys.stderr)
            if args.no_wait:
                print(f"follow it with: specter-gateway events {tenant.id} --kind reconcile")
                return 0
            print("waiting for the gateway's jobs to run it (it stays queued if you stop waiting)", file=sys.stderr)
            deadline = time.monotonic() + args.wait
            while (event := await gw.store.get_event(event_id)) is not None and event.status in OPEN_STATUSES:
                if time.monotonic() > deadline:
                    print(f"error: event {event_id} has not finished after {args.wait:.0f} s: is the gateway "
                          f"running? Follow it with: specter-gateway events {tenant.id} --kind reconcile",
                          file=sys.stderr)
                    return 1
                await asyncio.sleep(0.5)
            if event is not None and event.status == "dead":
                print(f"error: the reconciliation failed: {event.last_error}", file=sys.stderr)
                return 1
        report = await gw.store.get_reconciliation(tenant.id)
        if report is None:
            raise ConfigError(f"shop {tenant.id!r} has not been reconciled yet: "
                              f"run specter-gateway reconcile {tenant.id}")
        for line in report_lines(report):
            print(line)
        return 0

    return asyncio.run(_with_gateway(config, work))


def cmd_user(args: argparse.Namespace, config: GatewayConfig) -> int:
    """Admin console users: a vendor admin (--admin) or a user of one tenant (--tenant)."""
    import msgspec

    from gateway.store.base import AdminUser
    from gateway.web.console.passwords import hash_password, password_problem

    async def work(gw: Gateway) -> int:
        if args.action == "add":
            if args.admin == bool(args.tenant):
                raise InvalidInput("give either --admin or --tenant TENANT")
            if args.tenant and await gw.store.get_tenant(args.tenant) is None:
                raise ConfigError(f"unknown tenant {args.tenant!r}")
            password = _secret_prompt("password")
            if problem := password_problem(password):
                raise InvalidInput(problem)
            await gw.store.put_admin_user(AdminUser(name=args.name, password_hash=hash_password(password),
                                                    tenant_id=args.tenant))
            await gw.store.clear_signin_failures(f"user:{args.name}")  # a new password lifts a lock-out
            print(f"user {args.name}: {'vendor admin' if args.admin else 'tenant ' + args.tenant}")
        elif args.action == "password":
            user = await gw.store.get_admin_user(args.name)
            if user is None:
                raise ConfigError(f"unknown user {args.name!r}")
            password = _secret_prompt("new password")
            if problem := password_problem(password):
                raise InvalidInput(problem)
            await gw.store.put_admin_user(msgspec.structs.replace(user, password_hash=hash_password(password)))
            await gw.store.clear_signin_failures(f"user:{args.name}")  # a new password lifts a lock-out
            print(f"user {args.name}: password changed")
        elif args.action == "remove":
            if not await gw.store.remove_admin_user(args.name):
                raise ConfigError(f"unknown user {args.name!r}")
            print(f"removed user {args.name}")
        else:
            for user in await gw.store.list_admin_users():
                print(f"{user.name}\t{'admin' if user.tenant_id is None else 'tenant ' + user.tenant_id}")
        return 0

    return asyncio.run(_with_gateway(config, work))


# -- parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="specter-gateway", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="where the embedded store and keys live (default ./data)")
    parser.add_argument("--redis-url", help="run jobs on arq with this Redis (default: in-process)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the gateway's web application")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="the gateway at work by itself: Specter's simulator, a simulated shop of each "
                                    "platform and a gentle stream of orders and changes, on data of its own")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--pace", type=float, default=4.0, metavar="SECONDS", help="time between two happenings")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("worker", help="run an arq worker (needs a Redis URL); start as many as you like")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("simulate", help="run Specter's simulator or a shop platform's fake shop, for demos")
    p.add_argument("platform", help="specter, or an installed shop platform with a fake shop (woocommerce, abicart)")
    p.add_argument("options", nargs=argparse.REMAINDER,
                   help="--host, --port and the simulator's own options (PLATFORM --help lists them)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("platforms", help="list the installed shop platforms")
    p.set_defaults(func=cmd_platforms)

    p = sub.add_parser("account", help="manage Specter accounts")
    p.add_argument("action", choices=["add", "list", "show", "set", "remove"])
    p.add_argument("id", nargs="?")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="sbm_id, api_version, api_user_id, user_key, integration_key, base_url (VALUE '-' prompts)")
    p.set_defaults(func=cmd_account)

    p = sub.add_parser("tenant", help="manage tenants (shops); connect registers webhooks and callbacks, then "
                                      "tests what orders need (check: only the test)")
    p.add_argument("action", choices=["add", "list", "show", "set", "remove", "connect", "check"])
    p.add_argument("id", nargs="?")
    p.add_argument("--platform")
    p.add_argument("--account", help="the Specter account id")
    p.add_argument("--name")
    p.add_argument("--enabled", choices=["yes", "no"])
    p.add_argument("--shop", action="append", metavar="KEY=VALUE", help="shop connection setting (VALUE '-' prompts)")
    p.add_argument("--setting", action="append", metavar="KEY=VALUE",
                   help="tenant setting, read as its type (text stays text); a map (payment_types=swish=SW, or one "
                        "entry: payment_types.swish=SW) is merged into the tenant's map, which starts as the defaults")
    p.add_argument("--replace-setting", action="append", metavar="KEY=VALUE",
                   help="replace a map setting as a whole: KEY=k1=v1,k2=v2 or a JSON object")
    p.add_argument("--create-service-articles", action="store_true",
                   help="connect, check: make sure Specter has the service articles the settings name (a missing "
                        "one is created, an existing one left as it is)")
    p.set_defaults(func=cmd_tenant)

    p = sub.add_parser("export", help="export a tenant's products or customers to Specter, or one order now")
    p.add_argument("what", choices=["products", "customers", "order"])
    p.add_argument("tenant")
    p.add_argument("order_id", nargs="?", metavar="ORDER_ID",
                   help="with 'order': the shop's order id, sent whatever the tenant's order export mode")
    p.add_argument("--mode", choices=["new", "all"], default="new",
                   help="new: leave articles Specter has untouched; all: update them (never their stock)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="import products from Specter into a tenant's shop (get_specter_articles)")
    p.add_argument("tenant")
    p.set_defaults(func=cmd_queue)

    p = sub.add_parser("stock-resync", help="update stock now: every article's stock from Specter to the shop")
    p.add_argument("tenant")
    p.set_defaults(func=cmd_queue)

    p = sub.add_parser("backfill", help="send Specter every order changed since a date that it lacks, once")
    p.add_argument("tenant")
    p.add_argument("--since", required=True, metavar="DATE",
                   help="YYYY-MM-DD (from 00:00 UTC) or an ISO 8601 time; orders changed since then are looked at")
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser("poll", help="ask the tenant's shop and Specter for what changed, now (as the "
                                    "gateway does every few minutes)")
    p.add_argument("tenant")
    p.set_defaults(func=cmd_poll)

    p = sub.add_parser("reconcile", help="compare a shop with Specter: heal stock and price drift, list what needs "
                                         "a person (the running gateway's jobs do it; its report is printed)")
    p.add_argument("tenant")
    p.add_argument("--last", action="store_true", help="print the last reconciliation's report; run none")
    p.add_argument("--no-wait", action="store_true", help="queue it and return at once")
    p.add_argument("--wait", type=float, default=600, metavar="SECONDS",
                   help="how long to wait for the report (default 600)")
    p.set_defaults(func=cmd_reconcile)

    p = sub.add_parser("events", help="show a tenant's event log, or queue failed events again")
    p.add_argument("tenant")
    p.add_argument("--failed", action="store_true", help="only events that failed for good")
    p.add_argument("--status")
    p.add_argument("--kind")
    p.add_argument("--limit", type=_list_limit, default=50, help="at most this many (1 to 1000)")
    p.add_argument("--retry", type=_event_id, nargs="?", const=0, metavar="EVENT_ID",
                   help="transfer again: one event, or without an id every failed event")
    p.set_defaults(func=cmd_events)

    p = sub.add_parser("rules", help="a tenant's rules as a file: get (JSON), set FILE (JSON or TOML), preview FILE "
                                     "(against the newest orders and products; sends nothing)")
    p.add_argument("tenant")
    p.add_argument("action", choices=["get", "set", "preview"])
    p.add_argument("file", nargs="?")
    p.add_argument("--limit", type=int, choices=range(1, 51), default=10, metavar="1..50",
                   help="preview: how many orders and products")
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser("user", help="manage admin console users (the password is asked for, or read from stdin)")
    p.add_argument("action", choices=["add", "list", "password", "remove"])
    p.add_argument("name", nargs="?")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--admin", action="store_true", help="a vendor admin: sees every tenant")
    who.add_argument("--tenant", help="a user of this tenant only")
    p.set_defaults(func=cmd_user)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("account", "tenant") and args.action != "list" and not args.id:
        parser.error(f"{args.command} {args.action} needs an id")
    if args.command == "user" and args.action != "list" and not args.name:
        parser.error(f"user {args.action} needs a name")
    config = GatewayConfig.from_env(data_dir=args.data_dir, redis_url=args.redis_url)
    command: Callable[[argparse.Namespace, GatewayConfig], int] = args.func
    try:
        return command(args, config)
    except InvalidInput as exc:
        where = f" (at {exc.field})" if exc.field and exc.field not in str(exc) else ""
        print(f"error: {exc}{where}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GatewayError as exc:  # a shop or Specter failing now: say so, without a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
