"""A shop platform from a separate package: installed with pip, found through its entry point,
and serving a tenant end to end (in fresh interpreters, as an operator would run them).

The package goes into a virtual environment of the test's own, layered over the one running
the tests, so that runs at the same time never see each other's installs."""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "examples" / "specter-gateway-demo-shop"

# Run in a fresh interpreter of the environment where the package is installed.
FLOW = textwrap.dedent('''
    import asyncio, json, sys
    from pathlib import Path
    from gateway.model import StockLevel
    from tests.stack import running_stack

    async def main(tmp):
        catalogue = tmp / "catalogue.json"
        catalogue.write_text(json.dumps({"products": {
            "1": {"sku": "DEMO-1", "name": "Demo one", "price": "80.00", "vat": "25", "stock": 4},
            "2": {"sku": "DEMO-2", "name": "Demo two", "price": "12.50", "vat": "12", "stock": 1}}}))
        async with running_stack(tmp, shops=0) as stack:
            await stack.add_tenant("shop1", "demoshop", {"catalogue": str(catalogue)})
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


def layered_venv(where: Path) -> Path:
    """A virtual environment that sees everything installed in the one running the tests (the
    gateway and its dependencies) and keeps its own installs to itself; answers its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    own = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    # addsitedir, not a plain path: the gateway's editable install is itself a .pth there.
    layers = "".join(f"import site; site.addsitedir({path!r})\n" for path in site.getsitepackages())
    (Path(own) / "under-the-test-environment.pth").write_text(layers)
    return python


def install(python: Path, package: Path) -> None:
    """pip of the test environment installing into ``python``'s, offline, just the package."""
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "--python", str(python),
                    "install", "--no-deps", "--no-build-isolation", "--no-index", str(package)],
                   check=True, capture_output=True)


def platforms(python: Path) -> list[str]:
    listed = subprocess.run([str(python), "-m", "gateway.cli", "platforms"], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    return listed.stdout.splitlines()


def test_an_installed_plugin_package_is_listed_and_serves_a_tenant(tmp_path):
    python = layered_venv(tmp_path / "venv")
    assert not any(line.startswith("demoshop\t") for line in platforms(python))
    source = shutil.copytree(PACKAGE, tmp_path / "package")  # the build writes beside its sources
    install(python, source)

    listed = platforms(python)
    assert "demoshop\tDemo shop (JSON file)" in listed
    assert any(line.startswith("woocommerce\t") for line in listed)  # the built-in adapters are plugins the same way
    here = subprocess.run([sys.executable, "-m", "gateway.cli", "platforms"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    assert "demoshop" not in here  # the test environment itself is untouched

    run = subprocess.run([str(python), "-c", FLOW, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert (result["refused"], result["accepted"], result["export"]) == (401, 200, 202)
    assert "DEMO-1" in result["after_event"] and "DEMO-2" not in result["after_event"]
    assert result["articles"]["DEMO-1"] == "80.00" and result["articles"]["DEMO-2"] == "12.50"
    assert result["stock_in_file"] == 9
