"""Change flags and the pull-and-acknowledge batches of one flow (stock, article data, orders).

Each flagged key carries the version of its latest change. A read snapshots up to ``limit``
flagged keys (with their versions and the data to answer) into the open batch; acknowledging
that batch un-flags a key only if it has not changed again since the read, so a change made
between read and acknowledgement comes again with the next read. Reads and acks cost
O(batch), never O(all articles).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Generic, TypeVar

from .model import Code, SpecterError

K = TypeVar("K", bound=Hashable)
P = TypeVar("P")


@dataclass(slots=True)
class Batch(Generic[K, P]):
    batch_no: str
    items: list[tuple[K, int, P]] = field(default_factory=list)  # (key, version, payload)


class FlagFlow(Generic[K, P]):
    def __init__(self) -> None:
        self.flags: dict[K, int] = {}
        self.open: Batch[K, P] | None = None
        self._version = 0

    def flag(self, keys: Iterable[K]) -> None:
        self._version += 1
        version = self._version
        flags = self.flags
        for key in keys:
            flags[key] = version

    def discard(self, key: K) -> None:
        self.flags.pop(key, None)

    def read(self, batch_no: str, limit: int | None, payload: Callable[[K], P]) -> Batch[K, P]:
        """The open batch when ``batch_no`` is it (a crashed reader may re-read), else a new one.

        Nothing flagged opens no batch, so a reader that gets nothing is never left holding one.
        """
        if self.open is not None:
            if self.open.batch_no != batch_no:
                raise SpecterError(Code.OPEN_BATCH, f"An earlier batch is still open: '{self.open.batch_no}'")
            return self.open
        flagged = self.flags.items() if limit is None else islice(self.flags.items(), limit)
        batch = Batch(batch_no, [(key, version, payload(key)) for key, version in flagged])
        if batch.items:
            self.open = batch
        return batch

    def more_waiting(self, batch: Batch[K, P]) -> bool:
        """Whether keys outside ``batch`` are flagged too."""
        in_batch = sum(1 for key, _, _ in batch.items if key in self.flags)
        return len(self.flags) > in_batch

    def ack(self, batch_no: str) -> int:
        """Close the open batch if it is ``batch_no``; returns how many keys were un-flagged."""
        if self.open is None or self.open.batch_no != batch_no:
            return 0
        done = 0
        flags = self.flags
        for key, version, _ in self.open.items:
            if flags.get(key) == version:
                del flags[key]
                done += 1
        self.open = None
        return done

    def clear(self) -> str:
        """Close a stuck batch without un-flagging anything; returns its number ('' if none)."""
        old = self.open.batch_no if self.open else ""
        self.open = None
        return old
