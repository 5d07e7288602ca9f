"""The plugin manager: finds adapters through entry points and routes a tenant's calls to its own.

Built-in adapters (``adapters.woocommerce`` …) are ordinary plugins registered through the same
``specter_gateway.adapters`` entry-point group a third-party package uses. Extra plugin modules
can be named in ``SPECTER_GATEWAY_PLUGINS`` (comma-separated module names), as Datasette's
``--plugins-dir`` does, e.g. for handlers that only a test or a demo needs.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from importlib.metadata import entry_points
from typing import Any

import pluggy

from gateway import hookspecs, metrics
from gateway.adapter import Platform
from gateway.errors import ConfigError

ENTRY_POINT_GROUP = "specter_gateway.adapters"

# Core modules that implement hooks themselves (the engine registers its event handlers).
CORE_PLUGINS = ("gateway.engine.handlers",)


def make_plugin_manager(extra_modules: Iterable[str] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("specter_gateway")
    pm.add_hookspecs(hookspecs)
    for name in CORE_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if pm.get_plugin(entry_point.name) is not None:
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:  # a broken install must say which package, not just crash
            raise ConfigError(
                f"the shop platform plugin {entry_point.name!r} ({entry_point.value}) cannot be loaded: {exc}"
            ) from exc
        pm.register(plugin, name=entry_point.name)
    for name in extra_modules:
        name = name.strip()
        if name and pm.get_plugin(name) is None:
            try:
                module = importlib.import_module(name)
            except ImportError as exc:
                raise ConfigError(f"plugin module {name!r} cannot be imported: {exc}") from exc
            pm.register(module, name=name)
    return pm


class Adapters:
    """The shop platforms known to a plugin manager, and calls routed to one of them."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self._platforms: dict[str, Platform] = {}
        self._plugins: dict[str, object] = {}
        for impl in pm.hook.shop_platform.get_hookimpls():
            platform = impl.function()
            if platform.name in self._platforms:
                raise ConfigError(
                    f"two plugins claim the shop platform {platform.name!r}: "
                    f"{pm.get_name(self._plugins[platform.name])} and {impl.plugin_name}"
                )
            self._platforms[platform.name] = platform
            self._plugins[platform.name] = impl.plugin
        self._callers: dict[tuple[str, str], Callable[..., Any]] = {}

    @property
    def names(self) -> list[str]:
        return sorted(self._platforms)

    def platform(self, name: str) -> Platform:
        """The platform called ``name``; a clear error naming the known ones otherwise."""
        try:
            return self._platforms[name]
        except KeyError:
            known = ", ".join(self.names) or "none"
            raise ConfigError(f"unknown shop platform {name!r} (installed: {known})") from None

    def hook(self, platform: str, name: str) -> Callable[..., Any]:
        """A caller of hook ``name`` that reaches only ``platform``'s adapter."""
        key = (platform, name)
        caller = self._callers.get(key)
        if caller is None:
            self.platform(platform)
            others = [p for n, p in self._plugins.items() if n != platform]
            caller = self.pm.subset_hook_caller(name, remove_plugins=others)
            impls = caller.get_hookimpls()
            if len(impls) == 1 and not (impls[0].hookwrapper or impls[0].wrapper):
                caller = _direct(impls[0])  # the usual case: skip pluggy's per-call machinery
            self._callers[key] = caller
        return caller

    async def call(self, platform: str, name: str, **kwargs: Any) -> Any:
        """Call a shop operation on ``platform``'s adapter and await its answer."""
        with metrics.timed(metrics.SHOP_CALLS, platform, name):
            result = self.hook(platform, name)(**kwargs)
            if isinstance(result, Awaitable):
                result = await result
        return result


def _direct(impl: Any) -> Callable[..., Any]:
    """Call one hook implementation as pluggy would (passing only the arguments it names)."""
    function, argnames = impl.function, impl.argnames
    return lambda **kwargs: function(*[kwargs[name] for name in argnames])
