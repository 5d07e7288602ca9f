"""The plugin manager: finds adapters through entry points and checks them against the contract.

Built-in adapters (``adapters.woocommerce`` …) are ordinary plugins registered through the same
``specter_gateway.adapters`` entry-point group a third-party package uses. Extra plugin modules
can be named in ``SPECTER_GATEWAY_PLUGINS`` (comma-separated module names), as Datasette's
``--plugins-dir`` does, e.g. for handlers that only a test or a demo needs.

Everything a plugin can get wrong is found here, when the gateway starts: a hook implementation
whose name is no hook, a platform claimed twice, a platform without a required operation.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Any

import pluggy

from gateway import hookspecs
from gateway.adapter import Platform
from gateway.errors import ConfigError

ENTRY_POINT_GROUP = "specter_gateway.adapters"

# Core modules that implement hooks themselves (the engine registers its event handlers).
CORE_PLUGINS = ("gateway.engine.handlers",)

HookCaller = Callable[..., Any]


def make_plugin_manager(extra_modules: Iterable[str] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("specter_gateway")
    pm.add_hookspecs(hookspecs)
    for name in CORE_PLUGINS:
        _register(pm, importlib.import_module(name), name)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if pm.get_plugin(entry_point.name) is not None:
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:  # a broken install must say which package, not just crash
            raise ConfigError(
                f"the shop platform plugin {entry_point.name!r} ({entry_point.value}) cannot be loaded: {exc}"
            ) from exc
        _register(pm, plugin, entry_point.name)
    for name in extra_modules:
        name = name.strip()
        if name and pm.get_plugin(name) is None:
            try:
                module = importlib.import_module(name)
            except ImportError as exc:
                raise ConfigError(f"plugin module {name!r} cannot be imported: {exc}") from exc
            _register(pm, module, name)
    _check_hook_names(pm)
    return pm


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    """Register a plugin; a hook implementation with parameters its hook lacks is refused."""
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise ConfigError(f"plugin {name!r} does not fit the gateway's hooks: {exc}") from None


def _check_hook_names(pm: pluggy.PluginManager) -> None:
    """Refuse a hook implementation whose name is no hook: misspelt, it would never be called."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        hooks = _hooks(pm)
        known = [name for name, caller in hooks.items() if caller.has_spec()]
        unknown = [name for name, caller in hooks.items()
                   if not caller.has_spec() and any(impl.plugin is exc.plugin for impl in caller.get_hookimpls())]
        hints = [f"{name!r} (did you mean {close[0]!r}?)" if (close := difflib.get_close_matches(name, known, 1))
                 else repr(name) for name in unknown]
        raise ConfigError(
            f"plugin {pm.get_name(exc.plugin)!r} implements {', '.join(hints)}, which is no hook of the gateway"
        ) from None


class PlatformAdapter:
    """One platform's plugin: what it says of itself, and a caller for each shop operation it
    implements that reaches this plugin alone (another platform's implementation never answers)."""

    def __init__(self, platform: Platform, operations: dict[str, HookCaller]):
        self.platform = platform
        self._operations = operations

    def implements(self, operation: str) -> bool:
        return operation in self._operations

    def operation(self, name: str) -> HookCaller:
        """The caller of shop operation ``name`` (only those :meth:`implements` says it has)."""
        return self._operations[name]


class Adapters:
    """The shop platforms known to a plugin manager, each checked against the contract."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        claims: dict[str, pluggy.HookImpl] = {}  # platform name -> the shop_platform that named it
        platforms: dict[str, Platform] = {}
        for impl in pm.hook.shop_platform.get_hookimpls():
            platform = impl.function()
            if not isinstance(platform, Platform):
                raise ConfigError(f"plugin {impl.plugin_name!r}: shop_platform returned {platform!r}, not a Platform")
            if platform.name in claims:
                raise ConfigError(
                    f"two plugins claim the shop platform {platform.name!r}: "
                    f"{claims[platform.name].plugin_name} and {impl.plugin_name}"
                )
            claims[platform.name] = impl
            platforms[platform.name] = platform
        # Every specified hook (check_pending has refused the others by now).
        hooks = {name: caller for name, caller in _hooks(pm).items() if caller.has_spec()}
        _refuse_strays(hooks, {impl.plugin for impl in claims.values()})
        self._adapters = {
            name: self._adapter(platforms[name], impl, hooks,
                                [other.plugin for other in claims.values() if other is not impl])
            for name, impl in claims.items()
        }

    def _adapter(self, platform: Platform, claim: pluggy.HookImpl, hooks: dict[str, Any],
                 others: list[object]) -> PlatformAdapter:
        """Check a platform plugin against the contract; callers of the shop operations it implements."""
        own = {name: impl for name, caller in hooks.items() for impl in caller.get_hookimpls()
               if impl.plugin is claim.plugin}
        missing = sorted(hooks.keys() - hookspecs.OPTIONAL_HOOKS - own.keys())
        if missing:
            raise ConfigError(
                f"the shop platform plugin {claim.plugin_name!r} (platform {platform.name!r}) lacks the required "
                f"hook{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
            )
        operations = {}
        for name in own.keys() - hookspecs.PLUGIN_HOOKS:
            _check_async(hooks[name], own[name], name)
            operations[name] = self._caller(name, others)
        return PlatformAdapter(platform, operations)

    def _caller(self, name: str, others: list[object]) -> HookCaller:
        caller = self.pm.subset_hook_caller(name, remove_plugins=others)
        impls = caller.get_hookimpls()
        if len(impls) == 1 and not (impls[0].hookwrapper or impls[0].wrapper):
            return _direct(impls[0])  # the usual case: skip pluggy's per-call machinery
        return caller

    @property
    def names(self) -> list[str]:
        return sorted(self._adapters)

    def adapter(self, name: str) -> PlatformAdapter:
        """The adapter of the platform called ``name``; a clear error naming the known ones otherwise."""
        try:
            return self._adapters[name]
        except KeyError:
            known = ", ".join(self.names) or "none"
            raise ConfigError(f"unknown shop platform {name!r} (installed: {known})") from None

    def platform(self, name: str) -> Platform:
        return self.adapter(name).platform


def _refuse_strays(hooks: dict[str, Any], platform_plugins: set[object]) -> None:
    """A shop operation belongs to the platform plugin whose tenants it serves. One implemented by
    a plugin that names no platform would answer for every platform's tenants (pluggy calls the
    latest registered first), so it is refused rather than left to win or lose by load order."""
    for name, caller in hooks.items():
        if name in hookspecs.PLUGIN_HOOKS:
            continue
        for impl in caller.get_hookimpls():
            if impl.plugin not in platform_plugins:
                raise ConfigError(
                    f"plugin {impl.plugin_name!r} implements the shop operation {name!r} but names no shop "
                    "platform (shop_platform): shop operations belong to a platform's own plugin"
                )


def _check_async(caller: Any, impl: pluggy.HookImpl, name: str) -> None:
    """An operation the contract declares ``async def`` must be one in the plugin too (and the
    other way round): a plain function would fail only at its first call, on a tenant's order."""
    if name == "close_shop":  # may be either: the gateway awaits what it returns, if anything
        return
    wants_async = inspect.iscoroutinefunction(caller.spec.function)
    if inspect.iscoroutinefunction(impl.function) != wants_async:
        raise ConfigError(
            f"plugin {impl.plugin_name!r}: hook {name!r} must be "
            f"{'an async def' if wants_async else 'a plain def (not async def)'}, as the contract declares it"
        )


def _hooks(pm: pluggy.PluginManager) -> dict[str, Any]:
    """Every hook caller by name: the specified hooks, and any a plugin implements unspecified."""
    return {name: caller for name, caller in vars(pm.hook).items() if not name.startswith("_")}


def _direct(impl: pluggy.HookImpl) -> HookCaller:
    """Call one hook implementation as pluggy would (passing only the arguments it names)."""
    function, argnames = impl.function, impl.argnames
    return lambda **kwargs: function(*[kwargs[name] for name in argnames])
