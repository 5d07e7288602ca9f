"""The engine's one call per flow: ``order = await apply_rules(ctx, "order_to_specter", order)``.

It answers the object as the tenant's rules make it (the caller's own is never changed), or a
:class:`Skipped` saying which rule skipped it and why; a rule that would make the object one
Specter refuses stops the job with an error naming the rule. The names of the rules that
changed or skipped something are kept for the event's result (see :func:`traced`).
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any, TypeVar

from gateway.errors import PermanentError
from gateway.events import E
from gateway.rules.language import Flow, RuleSet
from gateway.rules.run import Compiled, Ran, Skipped, limits_broken

if TYPE_CHECKING:  # pragma: no cover
    from gateway.engine.context import TenantContext
    from gateway.jobs.registry import Handler
    from gateway.services import Gateway

T = TypeVar("T")
NO_RULES = Compiled(RuleSet())
# Keyed by when the version was saved too: a tenant made again (or another gateway's data) has
# its own version 1.
_CACHE: dict[tuple[str, int, float], Compiled] = {}
_CACHE_MAX = 1000

# The rules that changed or skipped something during the current job. A context variable, not
# an argument: the job's tasks (a stock push's workers) share the list it holds, and the flows
# keep their signatures.
_TRACE: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("rules_trace", default=None)


async def compiled_rules(ctx: TenantContext) -> Compiled:
    """The tenant's rule set as it is now, read once per job and compiled once per version.

    Read when the job first needs it: a rule set saved while a job runs applies from the next
    job on, so one job never mixes two versions."""
    if ctx.rules is None:
        saved = await ctx.gw.store.get_rules(ctx.tenant.id)
        if saved is None:
            ctx.rules = NO_RULES
        else:
            key = (ctx.tenant.id, saved.version, saved.saved_at)
            if key not in _CACHE:
                if len(_CACHE) >= _CACHE_MAX:
                    _CACHE.clear()
                _CACHE[key] = Compiled(saved.rules, saved.version)
            ctx.rules = _CACHE[key]
    return ctx.rules


async def apply_rules(ctx: TenantContext, flow: Flow, obj: T) -> T | Skipped:
    compiled = await compiled_rules(ctx)
    if not compiled.has(flow):
        return obj
    ran = compiled.run(flow, obj)
    trace = _TRACE.get()
    if trace is not None:
        trace.extend(ran.changed_by + ([ran.skipped.rule] if ran.skipped else []))
    return decided(flow, obj, ran)


def decided(flow: Flow, obj: T, ran: Ran[T]) -> T | Skipped:
    """What the engine goes on with after the rules ran: the object, a skip, or (raised) an
    error naming the rules that made the object one Specter would refuse."""
    if ran.skipped is not None:
        return ran.skipped
    if ran.changed_by:
        problem = limits_broken(flow, obj, ran.obj)
        if problem:
            names = ", ".join(repr(n) for n in ran.changed_by)
            raise PermanentError(f"rule {names} makes what Specter refuses: {problem}")
    return ran.obj


def skipped_result(skipped: Skipped) -> dict[str, Any]:
    return {"reason": str(skipped), "rule": skipped.rule}


def traced(handler: Handler[E]) -> Handler[E]:
    """The handler, with ``rules`` in its result: the rules that changed or skipped what it
    handled."""

    from gateway.jobs.execute import Outcome

    async def run(gw: Gateway, event: E) -> Outcome | None:
        token = _TRACE.set([])
        try:
            try:
                outcome = await handler(gw, event)
            except SkippedByRule as exc:
                outcome = Outcome(status="skipped", result=skipped_result(exc.skipped))
            names = list(dict.fromkeys(_TRACE.get() or []))
        finally:
            _TRACE.reset(token)
        if names and outcome is not None:
            outcome.result = {**outcome.result, "rules": names}
        return outcome

    return run


class SkippedByRule(Exception):
    """Raised where a flow cannot answer a skip itself (a customer inside an order's job);
    :func:`traced` makes it the job's skipped outcome."""

    def __init__(self, skipped: Skipped):
        super().__init__(str(skipped))
        self.skipped = skipped


async def apply_each(ctx: TenantContext, flow: Flow, objs: list[T]) -> tuple[list[T], list[tuple[T, Skipped]]]:
    """The rules on each of a batch's objects: those to send (as the rules made them), and each
    skipped one with its skip."""
    kept: list[T] = []
    skipped: list[tuple[T, Skipped]] = []
    for obj in objs:
        ruled = await apply_rules(ctx, flow, obj)
        if isinstance(ruled, Skipped):
            skipped.append((obj, ruled))
        else:
            kept.append(ruled)
    return kept, skipped
