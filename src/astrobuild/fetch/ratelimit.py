"""Requests per second, per host: a token bucket each.

Upstreams state their limits per client (KEGG: about 3 requests/s); one bucket per host holds every
request of this process to it, retries included (the HTTP client takes a token before each attempt).
Concurrency across jobs is Snakemake's business: the fetch rules declare a resource per host
(``kegg_api=1``), so ``--resources kegg_api=1`` keeps two jobs from hitting KEGG at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; :meth:`acquire` blocks for one.

    With ``burst`` 1 (the default), successive acquisitions are at least ``1/rate`` s apart: the
    pace a polite client keeps. Waiters queue on reserved slots, so threads cannot overtake the rate.
    """

    def __init__(self, rate: float, burst: int = 1, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0 requests/s, got {rate}")
        if burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst}")
        self.rate, self.burst = float(rate), int(burst)
        self._clock, self._sleep = clock, sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until it is there; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1
            # A negative balance is a reservation: this caller's slot lies that far in the future.
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


class HostLimiter:
    """One :class:`TokenBucket` per host, at ``rate`` requests/s each (None: no limit)."""

    def __init__(self, rate: float | None, burst: int = 1) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, for the job's summary

    def acquire(self, host: str) -> None:
        if not self.rate:
            return
        with self._lock:
            bucket = self._buckets.get(host)
            if bucket is None:
                bucket = self._buckets[host] = TokenBucket(self.rate, self.burst)
        self.waited += bucket.acquire()
