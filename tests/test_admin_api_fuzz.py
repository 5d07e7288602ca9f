"""A fuzz run of the admin API from its own OpenAPI document (schemathesis): requests generated
from every operation's schema, valid and invalid, against the whole system running (the
tenant's shop and the Specter simulator answering), none answered with a server error.

Bounded: a few examples per operation and kind, derandomized (the same requests each run), no
shrinking; it takes seconds. Each operation is tried with its path naming the running system's
tenant (and account, event, order) as well as with generated path values, so the generated
queries and bodies reach past "unknown tenant"; every request carries the admin token. The
deleting operations run last, so the others find the tenant still there.
"""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from tests.gateway_process import ADMIN_TOKEN
from tests.shops.woocommerce import product_fields, woocommerce
from tests.stack import running_stack

EXAMPLES = 10  # per operation and pass
REAL_IDS: dict[str, Any] = {"tenant_id": "woo1", "account_id": "acct", "order_id": "1", "article_no": "TS-1",
                            "day": "today"}
# What the requests must reach beyond their refusals (a 2xx answer, at least once); the others
# (adding tenants and accounts, a backfill, removing the account) take bodies generated data
# seldom gets right, or are refused in this state.
REACHED = {
    ("GET", "/tenants/{tenant_id}"), ("PATCH", "/tenants/{tenant_id}"), ("GET", "/tenants/{tenant_id}/events"),
    ("GET", "/tenants/{tenant_id}/events/{event_id}"), ("POST", "/tenants/{tenant_id}/events/{event_id}/retry"),
    ("POST", "/tenants/{tenant_id}/connect"), ("POST", "/tenants/{tenant_id}/export"),
    ("POST", "/tenants/{tenant_id}/orders/{order_id}/export"), ("POST", "/tenants/{tenant_id}/stock/resync"),
    ("GET", "/tenants/{tenant_id}/alerts"), ("PATCH", "/tenants/{tenant_id}/alerts"),
    ("GET", "/tenants/{tenant_id}/reports"), ("GET", "/tenants/{tenant_id}/reports/{day}"),
    ("GET", "/accounts/{account_id}"), ("PATCH", "/accounts/{account_id}"), ("DELETE", "/tenants/{tenant_id}"),
}
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE


Answered = dict[tuple[str, str], set[int]]  # per (method, path): the statuses it answered


def fuzz(document: dict[str, Any], base_url: str, event_id: int) -> tuple[Answered, list[str]]:
    """Run every operation; answer the statuses each answered, and the 5xx answers."""
    schema = schemathesis.openapi.from_dict(document)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=lambda op: op.method == "delete")
    answered: Answered = {}
    failures: list[str] = []
    for operation in operations:
        real = {p.name: (REAL_IDS | {"event_id": event_id})[p.name] for p in operation.path_parameters}
        passes = [(POSITIVE, real), (NEGATIVE, real)] + ([(NEGATIVE, None)] if real else [])
        for mode, path_parameters in passes:

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            def run(case: schemathesis.Case) -> None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {ADMIN_TOKEN}"}
                response = case.call(base_url=base_url, timeout=30)
                key = (case.operation.method.upper(), case.operation.path)
                answered.setdefault(key, set()).add(response.status_code)
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} for {case.as_curl_command()}: {response.text[:300]}")

            run()
    return answered, failures


async def test_generated_requests_get_no_server_error(tmp_path):
    async with running_stack(tmp_path) as stack:
        await woocommerce(stack.driver).control("POST", "products", product_fields("TS-1"))
        [event, *_] = await stack.settle()
        status, document = await stack.admin("GET", "/openapi.json")
        assert status == 200
        answered, failures = await asyncio.to_thread(fuzz, document, stack.gateway.url + "/admin/api", event.id)
    assert failures == []
    assert {(m, p) for (m, p) in answered} == {(m.upper(), p) for p, ops in document["paths"].items() for m in ops
                                                if m != "parameters"}  # every operation was tried
    reached = {op for op, statuses in answered.items() if any(200 <= s < 300 for s in statuses)}
    assert REACHED <= reached, sorted(REACHED - reached)
