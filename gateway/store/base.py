"""The store's interface: everything the gateway keeps, as a few Protocols, one per role
(:class:`Directory`, :class:`BindingStore`, :class:`ShopLooks`, :class:`EventLog`,
:class:`SpecterData`, :class:`ConsoleStore`, :class:`Leases`), which :class:`Store` joins.

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

from typing import Any, Literal, NamedTuple, Protocol

import msgspec

from gateway.adapter import WebhookCheck
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


class Batch(msgspec.Struct, kw_only=True):
    account_id: str
    flow: str  # "stock", "article", "order"
    batch_no: str
    state: BatchState
    created_at: float
    updated_at: float


class EventFilter(msgspec.Struct, kw_only=True):
    tenant_id: str | None = None
    account_id: str | None = None
    kind: str | None = None
    status: EventStatus | None = None
    limit: int = 100
    before_id: int | None = None  # paging: events with a smaller id


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
        """Close a claimed event: done, skipped or dead (with the error)."""

    async def retry_event(
        self, event_id: int, next_attempt_at: float, error: str, *, count_attempt: bool = True
    ) -> None:
        """Put a claimed event back for a later run; ``count_attempt`` False for "busy"."""

    async def due_events(self, now: float, limit: int) -> list[tuple[int, int]]:
        """(id, revision) of events that should run now: pending or retry and due, or running
        with an expired lease (a worker died); oldest first."""

    async def list_events(self, query: EventFilter) -> list[Event]: ...

    async def count_events(self, tenant_id: str | None = None) -> dict[str, int]:
        """Events per status."""

    async def requeue_events(self, event_ids: list[int] | None = None, *, tenant_id: str | None = None) -> list[int]:
        """"Transfer again": put dead (or, by id, also done/skipped) events back to pending with
        a fresh attempt count; by ids, or every dead event of a tenant. Returns the ids."""

    async def update_event_progress(self, event_id: int, progress: dict[str, Any]) -> None:
        """Write ``progress`` into a running event's result (``result["progress"]``); a
        no-op once the event has finished."""

    async def event_history(self, event_id: int) -> list[dict[str, Any]]:
        """Earlier outcomes of an event that was transferred again, oldest first."""


class SpecterData(Protocol):
    """What was read from Specter, kept durably before its batch is acknowledged: stock levels
    (and what each shop has yet to receive), Specter's articles, the batches themselves."""

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

    async def store_article_infos(self, account_id: str, infos: list[ArticleInfo]) -> None: ...
    async def specter_articles(self, account_id: str, after: str, limit: int) -> list[ArticleInfo]: ...

    async def put_batch(self, batch: Batch) -> None: ...
    async def open_batch(self, account_id: str, flow: str) -> Batch | None:
        """The batch of this flow not yet acknowledged, if any."""


class ConsoleStore(Protocol):
    """The admin console: its users, their sessions, what "connect" last answered, and each
    tenant's product-import token (kept as its SHA-256 only)."""

    async def put_admin_user(self, user: AdminUser) -> None:
        """Add or replace a console user; raises ConfigError for an unknown tenant."""

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


class Store(Directory, BindingStore, ShopLooks, EventLog, SpecterData, ConsoleStore, Leases, Protocol):
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
