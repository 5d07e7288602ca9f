"""The store's interface: everything the gateway keeps, as a few Protocols, one per role
(:class:`Directory`, :class:`BindingStore`, :class:`ShopLooks`, :class:`EventLog`,
:class:`Stories`, :class:`SpecterData`, :class:`ConsoleStore`,
:class:`Leases`), which :class:`Store` joins.

Two implementations: the embedded :mod:`gateway.store.sqlite` (one file, one node) and
:mod:`gateway.store.postgres` (any number of nodes); :func:`gateway.store.factory.make_store`
picks one by the database URL. Each keeps its schema as migrations in its own dialect
(:mod:`gateway.store.migrate`).

The event log is the transactional outbox: an inbound event or an outbound action is recorded
here first, acknowledged, and only then processed by a job. A job carries nothing but the event
id; the store holds the truth about its status, attempts and next attempt time, so a lost or
flushed queue loses nothing (the reconciler re-enqueues what is due).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, NamedTuple, Protocol

import msgspec

from gateway.adapter import WebhookCheck
from gateway.rules.language import RuleSet, RuleSetVersion
from gateway.settings import SpecterAccount, Tenant
from gateway.specter.wire import ArticleInfo

EventStatus = Literal["pending", "running", "retry", "done", "dead", "skipped"]
# pending: waiting for its first run; running: claimed by a worker (until its lease ends);
# retry: failed transiently, runs again at next_attempt_at; done; dead: failed permanently or
# ran out of attempts, last_error says why; skipped: nothing to do (e.g. an excluded draft order).
OPEN_STATUSES: tuple[EventStatus, ...] = ("pending", "running", "retry")

BatchState = Literal["open", "stored", "acknowledged"]


class NewEvent(msgspec.Struct, kw_only=True):
    """An event to record. ``idempotency_key`` makes a repeated delivery a no-op: recording the
    same key for the same scope twice returns the first event."""

    # An event class's kind (gateway.events builds NewEvents), e.g. "shop.order"; the store
    # keeps it and the payload as they are, whatever the kind.
    kind: str
    tenant_id: str | None = None  # None for account-level events (a Specter callback)
    account_id: str | None = None
    subject: str = ""  # the object it is about ("order:123"); jobs on one subject never overlap
    idempotency_key: str | None = None
    payload: dict[str, Any] = {}
    not_before: float | None = None  # unix time; None: now
    # Coalesce with an event of the same kind and subject that has not started yet: a second
    # "work needed" hint while the first still waits adds nothing.
    coalesce: bool = False


class Event(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    tenant_id: str | None
    account_id: str | None
    subject: str
    idempotency_key: str | None
    payload: dict[str, Any]
    status: EventStatus
    attempts: int  # runs started so far
    revision: int  # bumped on every status change; part of a queued job's id
    next_attempt_at: float
    last_error: str | None
    result: dict[str, Any] | None
    created_at: float
    updated_at: float


BindingKind = Literal["order", "article", "customer", "category"]
BindingState = Literal["sending", "bound"]  # sending: an order on its way to Specter


class Binding(msgspec.Struct, kw_only=True):
    """A shop object and its Specter counterpart, for one tenant, with what the gateway last
    wrote in each direction (to recognise echoes, and to write nothing when nothing changed)."""

    tenant_id: str
    account_id: str
    kind: BindingKind
    shop_id: str  # order id; product or variation id; customer id or "email:<address>"; category id
    parent_shop_id: str = ""  # the product a shop variation belongs to
    specter_id: str = ""  # Specter's own id: orderId, customerId ("" when it has none or it is unknown)
    specter_no: str = ""  # the number Specter's users see: orderNo, articleNo, article group code
    external_no: str = ""  # orders: the externalOrderNo they were sent with
    origin: str = ""  # articles: the tenant whose export created it, or "specter"
    state: BindingState = "bound"
    to_specter_fp: str = ""  # fingerprint of what was last sent to Specter
    to_specter_at: float = 0.0
    to_shop_fp: str = ""  # fingerprint of what was last written to the shop
    to_shop_at: float = 0.0
    updated_at: float = 0.0


BINDING_KEY = ("tenant_id", "kind", "shop_id")
# What a binding's upsert may change; the key and the account stay as first written.
BINDING_COLUMNS = frozenset(Binding.__struct_fields__) - {*BINDING_KEY, "account_id"}


class PendingLevel(NamedTuple):
    """A stock level a tenant's shop has yet to receive."""

    article_no: str
    available: int | None  # summed over the tenant's chosen sites; None when unknown for them
    version: int  # which level: a row is cleared only when the level sent is still the latest
    written: int | None  # the level last written to this shop for the article (None: none known)


class Cursor(msgspec.Struct, kw_only=True):
    """Where the poller last looked for changes in a shop (ISO 8601 times)."""

    last_look: str
    first_look: str


class WebhookRepair(msgspec.Struct, kw_only=True, frozen=True):
    """Something a webhook check changed in the shop (re-activated a disabled webhook, …)."""

    at: float
    topic: str
    webhook_id: str
    found: str  # the webhook's state before the repair
    repaired: str


REPAIRS_KEPT = 20  # webhook repairs kept per tenant, the newest


class WebhookHealth(msgspec.Struct, kw_only=True, frozen=True):
    """The last check of a tenant's webhooks in its shop (every poll, and "connect")."""

    tenant_id: str
    checked_at: float  # the last check, whether it succeeded or not
    url: str = ""  # the events URL the webhooks were last found calling
    # HMAC of the shop settings the webhooks were last written with (never shown).
    shop_fingerprint: str = ""
    webhooks: list[WebhookCheck] = []  # per topic, as the last successful check left them
    # What checks changed, newest first (the last REPAIRS_KEPT); written: what this check changed.
    repairs: list[WebhookRepair] = []
    error: str | None = None  # why the last check failed; None when it succeeded


ReconcileProblem = Literal["refused", "dead", "never_seen", "missing_in_specter", "missing_in_shop"]
# refused: Specter (or the gateway's checks) refused the order; dead: sending it failed until the
# gateway gave up; never_seen: no event ever found it exportable (a lost webhook);
# missing_in_specter / missing_in_shop: an article one side has and the other lacks.


class NeedsPerson(msgspec.Struct, kw_only=True, frozen=True):
    """What a reconciliation found and does not mend by itself: a person decides."""

    what: Literal["order", "article"]
    key: str  # the shop's order id; an article number (a product without one: its shop id)
    label: str = ""  # the order's number, or the product's name, as the shop shows them
    problem: ReconcileProblem
    reason: str
    event_id: int | None = None  # the order's last event, when it had one


class Drift(msgspec.Struct, kw_only=True, frozen=True):
    """A value the shop showed other than Specter's; healed by writing Specter's."""

    article_no: str
    shop: str
    specter: str


LISTED = 100  # drifts and findings a reconciliation keeps by name, each kind; the counts are whole


class Reconciliation(msgspec.Struct, kw_only=True):
    """A tenant's last comparison of its shop with Specter."""

    tenant_id: str
    event_id: int
    trigger: str  # "demand" or "schedule"
    started_at: float
    finished_at: float = 0.0
    articles: int = 0  # the shop's articles compared
    stock_healed: list[Drift] = []  # the first LISTED
    stock_healed_count: int = 0
    prices_healed: list[Drift] = []
    prices_healed_count: int = 0
    order_days: int = 0  # how far back orders were looked for
    orders: int = 0  # exportable shop orders changed in those days
    orders_in_specter: int = 0
    orders_on_the_way: int = 0  # their events still open: being sent, or to be tried again
    needs_person: list[NeedsPerson] = []  # the first LISTED
    needs_person_count: int = 0
    notes: list[str] = []  # what was not compared, and why

    def found(self, finding: NeedsPerson) -> None:
        """Count a finding; keep it by name while fewer than LISTED of its kind (orders, articles)
        are kept, so a catalogue of unexported products cannot crowd out a missing order."""
        self.needs_person_count += 1
        if sum(1 for kept in self.needs_person if kept.what == finding.what) < LISTED:
            self.needs_person.append(finding)

    def stock_drifted(self, drift: Drift) -> None:
        self.stock_healed_count += 1
        if len(self.stock_healed) < LISTED:
            self.stock_healed.append(drift)

    def price_drifted(self, drift: Drift) -> None:
        self.prices_healed_count += 1
        if len(self.prices_healed) < LISTED:
            self.prices_healed.append(drift)

    def counts(self) -> dict[str, int]:
        return {"articles": self.articles, "stock_healed": self.stock_healed_count,
                "prices_healed": self.prices_healed_count, "orders": self.orders,
                "orders_in_specter": self.orders_in_specter, "orders_on_the_way": self.orders_on_the_way,
                "needs_person": self.needs_person_count}


class Batch(msgspec.Struct, kw_only=True):
    account_id: str
    flow: str  # "stock", "article", "order"
    batch_no: str
    state: BatchState
    created_at: float
    updated_at: float


# The largest id SQLite's INTEGER holds: a larger one names nothing (and must not reach SQLite,
# which refuses it with an overflow).
MAX_ID = 2**63 - 1
MAX_LIST_LIMIT = 1000  # the most rows one list call answers (events, alerts, reports)


SearchField = Literal["id", "number", "email", "article_no", "specter_no", "external_no"]
# What a search matched: the shop's order id or number, the customer's e-mail or an article
# number (recorded when the order was handled); Specter's order or article number
# (specter_no), the externalOrderNo an order was sent with (external_no).
TermField = Literal["id", "number", "email", "article_no"]  # the ones recorded as search terms
SEARCH_PREFIX_MIN = 3  # a search this long also finds what starts with it


class SearchHit(msgspec.Struct, kw_only=True, frozen=True):
    """One thing a search found: an order (``id`` its shop order id) or an article (``id``
    its article number) of a tenant, and what matched."""

    tenant_id: str
    kind: Literal["order", "article"]
    id: str
    field: SearchField
    value: str  # the matched value as kept (its case)
    exact: bool  # the whole value matched, not only its start


class Attempt(msgspec.Struct, kw_only=True, frozen=True):
    """One run of an event and how it ended."""

    event_id: int
    attempt: int  # counted again from 1 after "transfer again"
    status: EventStatus  # retry, done, skipped or dead
    detail: str  # the error (retry, dead) or the handler's reason (done, skipped); "" when none
    at: float  # when the run ended


class KeptArticle(msgspec.Struct, kw_only=True, frozen=True):
    """An article as last read from Specter."""

    info: ArticleInfo
    read_at: float


class SiteLevel(NamedTuple):
    site: str  # '' when Specter answered for all sites at once
    available: int
    updated_at: float


class EventFilter(msgspec.Struct, kw_only=True):
    tenant_id: str | None = None
    account_id: str | None = None
    kind: str | None = None
    status: EventStatus | None = None
    # Bounds checked where the filter is converted from a request (msgspec.convert).
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIST_LIMIT)] = 100
    before_id: Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)] | None = None  # paging: events with a smaller id


# -- alerts and reports (gateway/alerts/) ---------------------------------------------------------

Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+$", max_length=254)]


class AlertSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Who is told about a tenant's trouble, and how; each field with the help text the console
    and the OpenAPI document show."""

    emails: Annotated[list[Email], msgspec.Meta(
        max_length=20, title="E-mail to",
        description="The addresses told by e-mail (over the gateway's SMTP server), one a line.")] = []
    webhook_url: Annotated[str, msgspec.Meta(
        max_length=2000, pattern=r"^(https?://[^\s]+)?$", title="Webhook URL",
        description="Each alert is also POSTed here as JSON with a \"text\" field, so a Slack or Microsoft "
                    "Teams incoming webhook's URL works as it is; the call is signed (X-Specter-Gateway-"
                    "Signature). Empty: no webhook.")] = ""
    webhook_secret: Annotated[str, msgspec.Meta(
        max_length=200, title="Webhook secret",
        description="Signs each webhook call (HMAC-SHA256); made by the gateway when a webhook URL is set "
                    "without one.")] = ""
    daily_report: Annotated[bool, msgspec.Meta(
        title="Daily report by e-mail",
        description="E-mail yesterday's report (what failed and why, what was healed, counts per flow) to the "
                    "addresses above each morning. The console keeps every tenant's reports either way.")] = True

    SECRET_FIELDS = ("webhook_secret",)


class Alert(msgspec.Struct, kw_only=True):
    """Something a person should be told about one tenant."""

    id: int
    tenant_id: str
    cause: str  # e.g. "event_dead"; gateway.alerts.CAUSES names the known ones
    detail: str
    created_at: float
    message_id: int | None = None  # the message that told it; None while it waits


class AlertMessage(msgspec.Struct, kw_only=True):
    """One message (e-mail and webhook call) telling the alerts of one cause that waited."""

    id: int
    tenant_id: str
    cause: str
    alerts: int  # how many alerts it told
    claimed_at: float
    sent_at: float | None = None  # None: being sent, or failed (error says why)
    channels: str = ""  # "e-mail, webhook"; "" when nobody is set to be told
    error: str | None = None


class DailyReport(msgspec.Struct, kw_only=True):
    tenant_id: str
    day: str  # YYYY-MM-DD, the day it covers
    report: dict[str, Any]  # see gateway.alerts.reports
    created_at: float
    sent_at: float | None = None  # when it was e-mailed
    error: str | None = None  # why the last e-mail failed


class KindCount(msgspec.Struct, kw_only=True, frozen=True):
    kind: str
    status: str
    count: int  # subjects (orders, products, …): each counted once, whatever the events about it


class EventGroup(msgspec.Struct, kw_only=True, frozen=True):
    """Events of one kind (and, for failures, one reason): how many subjects, and the newest
    few event ids."""

    kind: str
    count: int
    event_ids: list[int]
    reason: str = ""


class EventSummary(msgspec.Struct, kw_only=True, frozen=True):
    """A tenant's events that finished in a time window (see :meth:`Store.summarize_events`)."""

    counts: list[KindCount]  # per kind and final status
    failures: list[EventGroup]  # dead, per kind and reason, most frequent first
    healed: list[EventGroup]  # done after more than one attempt, per kind


class Directory(Protocol):
    """Specter accounts and the tenants (shops) on them. Secrets arrive and leave in clear and are
    stored encrypted (:mod:`gateway.store.sealing`)."""

    async def put_account(self, account: SpecterAccount) -> None: ...
    async def get_account(self, account_id: str) -> SpecterAccount | None: ...
    async def account_by_callback_token(self, token: str) -> SpecterAccount | None: ...
    async def list_accounts(self) -> list[SpecterAccount]: ...
    async def remove_account(self, account_id: str) -> bool:
        """Refuses (raises ConfigError) while tenants still use the account."""

    async def put_tenant(self, tenant: Tenant) -> None: ...
    async def get_tenant(self, tenant_id: str) -> Tenant | None: ...
    async def list_tenants(self, account_id: str | None = None) -> list[Tenant]: ...
    async def remove_tenant(self, tenant_id: str) -> bool: ...


class BindingStore(Protocol):
    """Bindings: a shop object <-> its Specter counterpart, per tenant and kind."""

    async def get_binding(self, tenant_id: str, kind: BindingKind, shop_id: str) -> Binding | None: ...
    async def binding_by_specter_no(self, tenant_id: str, kind: BindingKind, specter_no: str) -> Binding | None:
        """The most recently updated binding with that Specter number."""

    async def binding_by_specter_id(self, tenant_id: str, kind: BindingKind, specter_id: str) -> Binding | None: ...
    async def order_binding_by_external(self, tenant_id: str, account_id: str, external_no: str) -> Binding | None:
        """The tenant's order sent with that externalOrderNo."""

    async def bindings_by_specter_nos(
        self, tenant_id: str, kind: BindingKind, specter_nos: list[str]
    ) -> dict[str, Binding]: ...
    async def bindings_by_parent(self, tenant_id: str, kind: BindingKind, parent_shop_id: str) -> list[Binding]: ...
    async def article_origins(self, account_id: str, article_nos: list[str]) -> dict[str, set[str]]:
        """Who created each of these article numbers' Specter article, as far as the gateway
        knows, per number: the origins that article bindings on the account record (a tenant
        id, or 'specter'), and 'specter' for an article read from Specter. A number nobody
        bound and Specter never handed out is left out."""

    async def put_bindings(self, bindings: list[Binding], *, columns: frozenset[str] = BINDING_COLUMNS) -> None:
        """Insert or update many bindings in one transaction; an existing binding changes only
        in ``columns`` (so one direction's write leaves the other's fingerprint alone)."""

    async def update_binding(self, tenant_id: str, kind: BindingKind, shop_id: str, **columns: Any) -> bool:
        """Change some columns of an existing binding; answer whether it exists."""

    async def remove_binding(self, tenant_id: str, kind: BindingKind, shop_id: str) -> bool: ...
    async def begin_order(self, binding: Binding) -> Binding | None:
        """Record that the gateway is sending this order with its ``external_no`` and
        ``to_specter_fp`` (state 'sending'), unless another order binding on the same Specter
        account holds that externalOrderNo: then answer that binding and write nothing."""


class ShopLooks(Protocol):
    """What the poller keeps per shop: where it last looked for changes, and the last check of
    the shop's webhooks."""

    async def get_cursor(self, tenant_id: str, name: str) -> Cursor | None: ...
    async def put_cursor(self, tenant_id: str, name: str, cursor: Cursor) -> None: ...
    async def start_cursor(self, tenant_id: str, name: str, cursor: Cursor) -> Cursor:
        """Record ``cursor`` unless the tenant has one of that name; answer the one it has now
        (the earlier start wins, so a poll and a connect at once lose nothing)."""

    async def put_webhook_health(self, health: WebhookHealth) -> None:
        """Replace the tenant's last check, adding ``health.repairs`` (this check's) before the
        repairs kept, in one transaction: two checks at once (the poller, and "connect" in
        another process) lose no repair."""

    async def get_webhook_health(self, tenant_id: str) -> WebhookHealth | None: ...


class EventLog(Protocol):
    """The event log (outbox): events recorded before they are acknowledged, claimed by one job at
    a time, retried, dead or "transferred again"."""

    async def record_events(self, events: list[NewEvent]) -> list[tuple[int, bool]]:
        """Record events durably in one transaction; answer (event id, created) per event, where
        created is False for an idempotency key already recorded."""

    async def get_event(self, event_id: int) -> Event | None: ...

    async def claim_event(self, event_id: int, lease_seconds: float) -> Event | None | Literal["busy"]:
        """Mark a due event running (attempts + 1, revision + 1, lease until now + lease_seconds)
        and return it. None when it is not due (done, dead, skipped, running with a live lease,
        or next_attempt_at in the future); "busy" when another event of the same tenant and
        subject is running with a live lease."""

    async def finish_event(
        self, event_id: int, status: EventStatus, *, error: str | None = None, result: dict[str, Any] | None = None
    ) -> None:
        """Close a claimed event: done, skipped or dead (with the error); the run is kept as an
        :class:`Attempt` (its detail: the error, else ``result["reason"]``)."""

    async def retry_event(
        self, event_id: int, next_attempt_at: float, error: str, *, count_attempt: bool = True
    ) -> None:
        """Put a claimed event back for a later run; ``count_attempt`` False for "busy" (which
        is no attempt, and is not kept as one)."""

    async def event_attempts(self, event_ids: list[int]) -> dict[int, list[Attempt]]:
        """Every run of these events that has ended, oldest first, per event."""

    async def event_history(self, event_id: int) -> list[dict[str, Any]]:
        """Earlier outcomes of an event that was transferred again, oldest first: each with
        ``at`` (when it was queued again), ``status``, ``attempts``, ``error`` and ``result``."""

    async def due_events(self, now: float, limit: int) -> list[tuple[int, int]]:
        """(id, revision) of events that should run now: pending or retry and due, or running
        with an expired lease (a worker died); oldest first."""

    async def list_events(self, query: EventFilter) -> list[Event]: ...

    async def count_events(self, tenant_id: str | None = None) -> dict[str, int]:
        """Events per status."""

    async def latest_order_events(self, tenant_id: str, subjects: list[str]) -> dict[str, Event]:
        """The newest order event (kind ``shop.order``) of each of these subjects that has one,
        by subject."""

    async def requeue_events(self, event_ids: list[int] | None = None, *, tenant_id: str | None = None) -> list[int]:
        """"Transfer again": put dead (or, by id, also done/skipped) events back to pending with
        a fresh attempt count; by ids, or every dead event of a tenant. Returns the ids."""

    async def update_event_progress(self, event_id: int, progress: dict[str, Any]) -> None:
        """Write ``progress`` into a running event's result (``result["progress"]``); a
        no-op once the event has finished."""


class Stories(Protocol):
    """Finding an order or an article, and telling its story (gateway/search.py, gateway/story.py)."""

    async def put_search_terms(self, tenant_id: str, kind: Literal["order"], shop_id: str,
                               terms: list[tuple[TermField, str]]) -> None:
        """Replace what the object is found by: (field, value) pairs, searched ignoring case."""

    async def search_terms(self, tenant_id: str, kind: Literal["order"], shop_id: str) -> list[tuple[TermField, str]]:
        """The object's (field, value) pairs, as last recorded."""

    async def search(self, text: str, tenant_ids: list[str], limit: int) -> list[SearchHit]:
        """Up to ``limit`` hits for ``text`` among these tenants, ignoring case: the search
        terms, the order bindings' Specter and external order numbers, the article bindings'
        and Specter's article numbers. Exact matches first; a text of
        :data:`SEARCH_PREFIX_MIN` characters or more also finds values that start with it.
        Every look-up is an index search."""

    async def link_events(self, links: list[tuple[str, Literal["order", "article"], str, int]]) -> None:
        """Note that events were about objects whose subject they do not name: (tenant id,
        kind, shop id, event id); a link made twice is kept once."""

    async def shop_object_events(self, tenant_id: str, kind: Literal["shop.order", "shop.product"],
                                 subjects: list[str], limit: int) -> list[Event]:
        """The newest ``limit`` events of this kind with these subjects, oldest first."""

    async def linked_events(self, tenant_id: str, kind: Literal["order", "article"], shop_id: str,
                            limit: int) -> list[Event]:
        """The newest ``limit`` events linked to the object (:meth:`link_events`), oldest first."""

    async def written_levels(self, tenant_id: str, article_nos: list[str]) -> dict[str, int]:
        """The stock level last written to the tenant's shop per article (those known)."""

    async def site_levels(self, account_id: str, article_no: str) -> list[SiteLevel]:
        """Specter's levels of the article per stock site, as last read."""

    async def kept_article(self, account_id: str, article_no: str) -> KeptArticle | None:
        """The article as last read from Specter, if it ever was."""

    async def article_bindings(self, account_id: str, article_no: str) -> list[Binding]:
        """Every tenant's bindings of this article number on the account."""


class SpecterData(Protocol):
    """What was read from Specter, kept durably before its batch is acknowledged: stock levels
    (and what each shop has yet to receive), Specter's articles, the batches themselves; and each
    tenant's last reconciliation with it."""

    # -- Stock, Specter to shop: levels kept durably before a batch is acknowledged.
    async def store_stock(self, account_id: str, levels: list[tuple[str, str, int]], tenant_ids: list[str],
                          batch: Batch) -> int: ...
    async def pending_stock(self, tenant_id: str, account_id: str, sites: list[str], limit: int,
                            after: str = "") -> list[PendingLevel]: ...

    async def specter_levels(self, account_id: str, sites: list[str], article_nos: list[str]) -> dict[str, int]:
        """Specter's available quantity of these articles as last read, summed over the chosen
        stock sites (every site when ``sites`` is empty); an article the gateway keeps no level
        for, or only a total when sites are chosen, is left out."""

    async def clear_pending_stock(self, tenant_id: str, sent: list[tuple[str, int]]) -> None: ...
    async def stock_written(self, tenant_id: str, written: list[tuple[str, int, int]]) -> None:
        """Levels (article number, version, available) the shop took: clear them as
        :meth:`clear_pending_stock` does, and keep each as the level last written."""

    async def park_stock(self, tenant_id: str, levels: list[tuple[str, int]]) -> None:
        """Levels (article number, version) whose product the shop lacks wait for it (and
        what was last written for them is forgotten)."""

    async def wake_stock(self, tenant_id: str, article_nos: list[str]) -> int: ...
    async def has_waiting_stock(self, tenant_id: str) -> bool: ...
    async def resend_stock(self, tenant_id: str, account_id: str, article_nos: list[str]) -> int:
        """Make the levels kept for these articles pending for the tenant, to be written even
        when the shop was last given the same level."""

    async def resend_all_stock(self, tenant_id: str, account_id: str) -> int:
        """Every level kept for the account, pending for the tenant and written whatever was
        written before ("update stock now")."""

    async def stock_on_the_way(self, tenant_id: str, article_nos: list[str]) -> set[str]:
        """Which of these articles have a level pending for the tenant that a push will send
        (not one waiting for its product)."""

    async def stock_drifted(self, tenant_id: str, account_id: str, seen: list[tuple[str, int]]) -> int:
        """The shop showed these levels, (article number, level), other than Specter's: keep
        each as the level last written to the shop and make Specter's pending for the tenant,
        so the push writes it where it still differs. Answers how many were made pending."""

    # -- Specter's articles, every one read, per account (what "import" brings to a shop).
    async def store_article_infos(self, account_id: str, infos: list[ArticleInfo]) -> None: ...
    async def specter_articles(self, account_id: str, after: str, limit: int) -> list[ArticleInfo]: ...
    async def specter_articles_by_no(self, account_id: str, article_nos: list[str]) -> dict[str, ArticleInfo]:
        """The kept articles with these numbers (those Specter handed out)."""

    # -- Each tenant's last reconciliation.
    async def put_reconciliation(self, report: Reconciliation) -> None:
        """Keep the report as the tenant's last (replacing the one before)."""

    async def get_reconciliation(self, tenant_id: str) -> Reconciliation | None: ...

    async def specter_vat_rates(self, account_id: str) -> list[Decimal]:
        """The VAT percents of the account's articles read from Specter, each once, ascending."""

    # -- Service articles the connection test made sure exist in Specter (see 0010_firstrun.sql).
    async def put_service_articles(self, account_id: str, article_nos: list[str], at: float) -> None: ...
    async def service_articles(self, account_id: str) -> dict[str, float]:
        """Article number -> when the gateway last made sure Specter has it."""

    async def put_batch(self, batch: Batch) -> None: ...
    async def open_batch(self, account_id: str, flow: str) -> Batch | None:
        """The batch of this flow not yet acknowledged, if any."""


class ConsoleStore(Protocol):
    """The admin console: its users, their sessions, what "connect" last answered, and each
    tenant's product-import token (kept as its SHA-256 only)."""

    async def put_admin_user(self, user: AdminUser) -> None:
        """Add or replace a console user; raises ConfigError for an unknown tenant."""

    async def add_first_admin(self, user: AdminUser) -> bool:
        """Add ``user`` as a vendor admin only while the gateway is new (no console user, no
        tenant, no Specter account); answer whether it was added."""

    async def get_admin_user(self, name: str) -> AdminUser | None: ...
    async def list_admin_users(self) -> list[AdminUser]: ...
    async def remove_admin_user(self, name: str) -> bool:
        """Remove the user and end its sessions."""

    async def put_admin_session(self, session: AdminSession) -> None: ...
    async def get_admin_session(self, token_hash: str) -> AdminSession | None:
        """The session, also when expired (the caller decides)."""

    async def remove_admin_session(self, token_hash: str) -> None:
        """Sign out; also drops every expired session."""

    async def put_connect_result(self, tenant_id: str, result: dict[str, Any]) -> None: ...
    async def get_connect_result(self, tenant_id: str) -> dict[str, Any] | None: ...

    async def put_import_token(self, tenant_id: str, token_hash: str) -> None:
        """Set the tenant's import token (replacing any earlier one)."""

    async def get_import_token(self, tenant_id: str) -> ImportToken | None: ...

    # -- Alerts and daily reports (gateway/alerts/); the webhook secret is stored encrypted.
    async def put_alert_settings(self, tenant_id: str, settings: AlertSettings) -> None: ...
    async def get_alert_settings(self, tenant_id: str) -> AlertSettings | None: ...
    async def record_alert(self, tenant_id: str, cause: str, detail: str) -> int:
        """Keep an alert, waiting for a message; raises ConfigError for an unknown tenant."""

    async def claim_alerts(self, tenant_id: str, cause: str, *, quiet_seconds: float, retry_seconds: float,
                           lease_seconds: float, limit: int) -> tuple[AlertMessage, list[Alert]] | None:
        """Take every alert of the tenant and cause that waits into a new message, in one
        transaction, unless a message of that cause went out in the last ``quiet_seconds``, one
        failed in the last ``retry_seconds``, or one is being sent (claimed less than
        ``lease_seconds`` ago; an older one's sender is taken to have died, and its alerts wait
        again). Answers the message and its oldest ``limit`` alerts, or None."""

    async def finish_alert_message(self, message_id: int, *, sent: bool, channels: str,
                                   error: str | None) -> None:
        """Record how a claimed message went; when not ``sent`` its alerts wait again."""

    async def waiting_alert_causes(self, lease_seconds: float) -> list[tuple[str, str]]:
        """(tenant, cause) of every alert waiting for a message, or held by a message whose
        sender has not finished within ``lease_seconds``."""

    # -- Per-tenant rules (gateway/rules/), every saved version kept.
    async def put_rules(self, tenant_id: str, rules: RuleSet, saved_by: str,
                        expected_version: int | None = None) -> RuleSetVersion | None:
        """Save ``rules`` as the tenant's next version (the one that runs from now on); None,
        nothing saved, when ``expected_version`` is given and is no longer the newest (0: none)."""

    async def get_rules(self, tenant_id: str, version: int | None = None) -> RuleSetVersion | None:
        """The tenant's newest rule set (or that version); None when it has none."""

    async def rule_history(self, tenant_id: str, limit: int) -> list[RuleSetVersion]:
        """The tenant's saved versions, the newest first."""

    async def list_alerts(self, tenant_id: str, limit: int) -> list[Alert]:
        """The tenant's newest alerts first."""

    async def list_alert_messages(self, tenant_id: str, limit: int) -> list[AlertMessage]: ...
    async def put_daily_report(self, report: DailyReport) -> bool:
        """Keep a report unless the tenant has one for that day; answer whether it was new."""

    async def claim_daily_report(self, tenant_id: str, day: str, retry_seconds: float) -> DailyReport | None:
        """Take the report to e-mail it: None when it was sent, or another sender tried it in
        the last ``retry_seconds``."""

    async def finish_daily_report(self, tenant_id: str, day: str, *, sent: bool, error: str | None) -> None: ...
    async def unsent_daily_reports(self, since: float) -> list[tuple[str, str]]:
        """(tenant, day) of reports made since ``since`` that were not e-mailed yet."""

    async def get_daily_report(self, tenant_id: str, day: str) -> DailyReport | None: ...
    async def list_daily_reports(self, tenant_id: str, limit: int) -> list[DailyReport]:
        """The tenant's reports, the newest day first."""

    async def summarize_events(self, tenant_id: str, since: float, until: float) -> EventSummary:
        """The tenant's events that last changed in [since, until): their subjects (an order, a
        product) counted per kind and status, the failed ones grouped by reason, and those done
        after more than one attempt."""

    async def prune_alerts(self, before: float) -> None:
        """Forget alerts and messages told before ``before``, and reports made before it."""

    # -- Failed console sign-ins, by key ("user:NAME", "address:IP").
    async def record_signin_failure(self, keys: list[str], at: float) -> None:
        """Count a failed sign-in under each key (and forget failures older than a day)."""

    async def signin_failures(self, key: str, since: float) -> list[float]:
        """When the key's failures since ``since`` happened, oldest first."""

    async def clear_signin_failures(self, key: str) -> None: ...


class Leases(Protocol):
    """Named leases: work that must run on one node at a time, whichever of several nodes runs it
    (the shop poller, the reconciler). A node takes a lease for a few seconds and keeps renewing
    it (:mod:`gateway.leases`); a node that dies stops renewing, and its leases, and its claims
    on the events it was running, pass to another node once their time runs out."""

    async def take_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Hold the lease ``name`` until ``seconds`` from now, if nobody else holds it (nobody
        ever took it, or its holder's time ran out); answer whether ``holder`` holds it now."""

    async def keep_leases(self, holder: str, names: list[str], claims: list[tuple[int, int]],
                          seconds: float) -> set[str]:
        """A node's heartbeat, one transaction: extend the leases ``names`` it holds and its
        claims on the events it runs, (event id, revision), to ``seconds`` from now. Answers
        the names it still holds (one whose time ran out and another node took is lost). A
        claim whose event has moved on (finished, or claimed again after its lease ended) is
        left alone."""

    async def release_lease(self, name: str, holder: str) -> None:
        """Give a lease up (a node stopping), if ``holder`` holds it."""

    async def list_leases(self) -> list[Lease]: ...


class Store(Directory, BindingStore, ShopLooks, EventLog, Stories, SpecterData, ConsoleStore, Leases, Protocol):
    """Everything the gateway keeps, in one database (the roles above); built from the database
    URL by :func:`gateway.store.factory.make_store`. All times are unix seconds (float)."""

    @property
    def dialect(self) -> str:
        """The kind of database: "sqlite" or "postgresql"."""

    async def open(self) -> None:
        """Connect and apply pending migrations."""

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise when the database cannot be reached (for /readyz)."""


class Lease(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    holder: str  # the node (host, process, random part) that holds it
    taken_at: float  # when this holder took it
    expires_at: float  # free for another node from then on, unless renewed


class AdminUser(msgspec.Struct, kw_only=True):
    """A console user: a vendor admin (``tenant_id`` None, sees every tenant) or a user of one
    tenant only."""

    name: str
    password_hash: str
    tenant_id: str | None = None
    created_at: float = 0.0


class ImportToken(msgspec.Struct, kw_only=True):
    token_hash: str  # SHA-256 of the token in the import URL
    created_at: float


class AdminSession(msgspec.Struct, kw_only=True):
    token_hash: str  # SHA-256 of the cookie's token
    user_name: str
    csrf_token: str  # put in every form of this session, checked on every POST
    created_at: float
    expires_at: float
