"""A shop platform from a separate package: installed with pip, found through its entry point,
and serving a tenant end to end (in fresh interpreters, as an operator would run them)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "examples" / "specter-gateway-demo-shop"
CLI = Path(sys.executable).parent / "specter-gateway"

# Run in a fresh interpreter, where the newly installed package is importable.
FLOW = textwrap.dedent('''
    import asyncio, json, sys
    from pathlib import Path
    from decimal import Decimal
    from tests.platform_stack import platform_stack
    from gateway.model import StockLevel

    async def main(tmp):
        catalogue = tmp / "catalogue.json"
        catalogue.write_text(json.dumps({"products": {
            "1": {"sku": "DEMO-1", "name": "Demo one", "price": "80.00", "vat": "25", "stock": 4},
            "2": {"sku": "DEMO-2", "name": "Demo two", "price": "12.50", "vat": "12", "stock": 1}}}))
        async with platform_stack(tmp, "demoshop", {"catalogue": str(catalogue)}) as stack:
            token = await stack.inbound_token()
            async with stack.http.post(stack.events_url + "?token=wrong", json={}) as resp:
                refused = resp.status
            async with stack.http.post(f"{stack.events_url}?token={token}",
                                       json={"object": "product", "action": "updated", "id": "1"}) as resp:
                accepted = resp.status
            await stack.settle()
            after_event = sorted(stack.sim.articles)
            status, _ = await stack.admin("POST", f"/tenants/{stack.tenant_id}/export", {"what": "products"})
            await stack.settle()
            tenant = await stack.gw.tenant(stack.tenant_id)
            shop = await stack.gw.shop(tenant)
            await shop.update_stock([StockLevel(article_no="DEMO-2", available=9)])
            print(json.dumps({
                "refused": refused, "accepted": accepted, "export": status, "after_event": after_event,
                "articles": {no: str(a.price_ex_vat) for no, a in stack.sim.articles.items()},
                "stock_in_file": json.loads(catalogue.read_text())["products"]["2"]["stock"]}))

    asyncio.run(main(Path(sys.argv[1])))
''')


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True,
                   capture_output=True)


def test_an_installed_plugin_package_is_listed_and_serves_a_tenant(tmp_path):
    pip("install", "--no-deps", "--no-build-isolation", "-e", str(PACKAGE))
    try:
        listed = subprocess.run([str(CLI), "platforms"], capture_output=True, text=True, check=True).stdout
        assert "demoshop\tDemo shop (JSON file)" in listed.splitlines()
        assert "woocommerce" in listed  # the built-in adapters are plugins the same way

        run = subprocess.run([sys.executable, "-c", FLOW, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, run.stderr[-3000:]
        result = json.loads(run.stdout.strip().splitlines()[-1])
        assert (result["refused"], result["accepted"], result["export"]) == (401, 200, 202)
        assert "DEMO-1" in result["after_event"] and "DEMO-2" not in result["after_event"]
        assert result["articles"]["DEMO-1"] == "80.00" and result["articles"]["DEMO-2"] == "12.50"
        assert result["stock_in_file"] == 9
    finally:
        pip("uninstall", "-y", "specter-gateway-demo-shop")
    gone = subprocess.run([str(CLI), "platforms"], capture_output=True, text=True, check=True).stdout
    assert "demoshop" not in gone
