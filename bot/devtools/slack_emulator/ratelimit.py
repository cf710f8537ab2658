"""Slack's per-method rate-limit tiers, and faults a test injects on purpose.

Slack publishes a tier for each Web API method. Tier 1 allows about 1 call a
minute, Tier 2 about 20, Tier 3 about 50 and Tier 4 about 100, each with some
burst allowed. `chat.postMessage` has a "special" limit instead: about one
message a second in each channel, with short bursts tolerated. Every handler
declares its tier where it is registered (see `methods/`).
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Tier(Enum):
    """A rate-limit tier: sustained calls a minute and the burst allowed."""

    TIER_1 = (1.0, 1)
    TIER_2 = (20.0, 20)
    TIER_3 = (50.0, 50)
    TIER_4 = (100.0, 100)
    # One a second per channel; a burst of five covers a handful of messages
    # posted back to back, which Slack tolerates.
    POST_MESSAGE = (60.0, 5)

    @property
    def per_minute(self) -> float:
        """Return the sustained calls a minute the tier allows."""
        return self.value[0]

    @property
    def burst(self) -> int:
        """Return how many calls may arrive at once before limiting starts."""
        return self.value[1]


class _Bucket:
    """A token bucket: `capacity` calls at once, refilled at `rate` a second."""

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.updated = now

    def take(self, now: float) -> float:
        """Spend one token; return 0 on success or the seconds to wait."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimiter:
    """Decide whether a call fits its method's tier; `scale` shrinks every limit."""

    def __init__(self, clock: Callable[[], float], *, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError("rate_limit_scale must be greater than 0, e.g. 0.1")
        self._clock = clock
        self._scale = scale
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, method: str, tier: Tier, key: str = "") -> int:
        """Count a call; return 0 if allowed, else the Retry-After in seconds."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get((method, key))
            if bucket is None:
                capacity = max(1.0, math.floor(tier.burst * self._scale))
                rate = tier.per_minute * self._scale / 60.0
                bucket = self._buckets[(method, key)] = _Bucket(capacity, rate, now)
            wait = bucket.take(now)
        return 0 if wait == 0 else max(1, math.ceil(wait))


@dataclass(frozen=True)
class Fault:
    """An answer to force on the next call of a method."""

    status: int
    error: str
    retry_after: int


class FaultInjector:
    """Queue forced answers per method; each is used once, in order."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = defaultdict(deque)
        self._lock = threading.Lock()

    def add(self, method: str, fault: Fault, times: int) -> None:
        """Queue `fault` for the next `times` calls of `method`."""
        with self._lock:
            self._queues[method].extend([fault] * times)

    def take(self, method: str) -> Fault | None:
        """Pop the next forced answer for `method`, if one is queued."""
        with self._lock:
            queue = self._queues.get(method)
            return queue.popleft() if queue else None
