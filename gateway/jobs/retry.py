"""When to try a failed job again: exponential backoff with full jitter, capped."""

from __future__ import annotations

import random

BASE_SECONDS = 2.0
CAP_SECONDS = 15 * 60.0


def backoff(
    attempt: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS, rng: random.Random | None = None
) -> float:
    """Seconds to wait after the ``attempt``-th failure (1-based): a random delay between half
    and all of ``base * 2**(attempt-1)``, capped, so that many jobs failing together (Specter
    down) do not return together."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)
