"""HTTP(S) downloads: requests + urllib3's Retry, streamed into the staging area, resumed, verified.

What urllib3's ``Retry`` does for us (mounted on the session's adapter): retries on connection
errors, timeouts, 429 and 5xx, with exponential backoff plus jitter, honouring ``Retry-After``
(up to ``retry_after_max``); 4xx other than 429 are not retried. What it cannot see is a body cut
off half way (the status was 200): :meth:`HttpClient.download` catches that, asks the same ``Retry``
object whether another attempt is left (``increment``) and how long to wait (``sleep``), and
continues from the bytes it has with a ``Range`` request. Certificates are verified (requests'
default; nothing here turns it off); credentials come from ~/.netrc (requests reads it) or a
token in an environment variable, and are masked in logs.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from tqdm import tqdm
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from astrobuild.fetch.files import (
    NOTHING_EXPECTED,
    BackgroundDigest,
    Expected,
    Staging,
    is_verified,
    md5_file,
    verify,
)
from astrobuild.fetch.ratelimit import HostLimiter
from astrobuild.fetch.safety import SecretMask, mask_url

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
# Errors of a response body being read: the connection dropped or stalled after the status line.
BODY_ERRORS = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
               requests.exceptions.Timeout)
USER_AGENT = "astrobuild-fetch/0.1 (rate-limited, retries with backoff)"
# Bytes read from the network at a time: large reads cost less per byte (a cut loses at most one).
STREAM_BLOCK = 4 * 2**20
# Transfers from this size on get a progress bar in the log.
PROGRESS_MIN_BYTES = 8 * 2**20
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


class FetchError(RuntimeError):
    """A download that failed for good; the message names the URL (credentials masked). ``status``:
    the final HTTP status, when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try (config ``fetch:``, schemas/config.schema.yaml)."""

    retries: int = 5
    backoff: float = 1.0
    backoff_max: float = 60.0
    jitter: float = 1.0
    retry_after_max: int = 600
    connect_timeout: float = 30.0
    read_timeout: float = 120.0

    def retry(self, before_attempt: Callable[[], None] | None = None) -> PoliteRetry:
        retry = PoliteRetry(
            total=self.retries, redirect=5, status_forcelist=RETRY_STATUS,
            allowed_methods=frozenset({"GET", "HEAD"}), backoff_factor=self.backoff,
            backoff_max=self.backoff_max, backoff_jitter=self.jitter, respect_retry_after_header=True,
            retry_after_max=self.retry_after_max, raise_on_status=False)
        retry.before_attempt = before_attempt
        return retry


class PoliteRetry(Retry):
    """urllib3's Retry, with two changes: the first retry waits too (urllib3 retries at once; a
    server that just answered 503 deserves the backoff), and every retry takes a rate-limit token
    (``before_attempt``), so retries count against the host's requests per second."""

    before_attempt: Callable[[], None] | None = None

    def new(self, **kw):
        fresh = super().new(**kw)
        fresh.before_attempt = self.before_attempt
        return fresh

    def get_backoff_time(self) -> float:
        errors = 0
        for attempt in reversed(self.history):
            if attempt.redirect_location is not None:
                break
            errors += 1
        if errors == 0:
            return 0.0
        value = self.backoff_factor * (2 ** (errors - 1)) + random.random() * self.backoff_jitter
        return float(max(0.0, min(self.backoff_max, value)))

    def sleep(self, response=None) -> None:
        super().sleep(response)
        if self.before_attempt is not None:
            self.before_attempt()


@dataclass
class Outcome:
    """What one download did: ``kept`` (already staged and verified), ``fetched`` or ``resumed``."""

    rel: PurePosixPath
    action: str
    bytes: int
    md5: str


def small_transfer(total: int | None) -> bool:
    """A transfer too small for a progress bar of its own (a KGML file, a list): the job's summary says enough."""
    return total is not None and total < PROGRESS_MIN_BYTES


def _host_key(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/", parts.hostname or ""


class HttpClient:
    """One requests session: a retrying adapter and a rate-limit bucket per host, optional token."""

    def __init__(self, policy: RetryPolicy, limiter: HostLimiter, mask: SecretMask | None = None,
                 token: str | None = None, token_scheme: str = "Bearer") -> None:
        self.policy, self.limiter = policy, limiter
        self.mask = mask or SecretMask()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        if token:
            self.mask.add(token)
            self.session.headers["Authorization"] = f"{token_scheme} {token}"
        self._mounted: set[str] = set()
        self.requests = 0

    def close(self) -> None:
        self.session.close()

    def _adapter(self, url: str) -> str:
        prefix, host = _host_key(url)
        if prefix not in self._mounted:
            retry = self.policy.retry(before_attempt=lambda: self.limiter.acquire(host))
            self.session.mount(prefix, HTTPAdapter(max_retries=retry))
            self._mounted.add(prefix)
        return host

    def _error(self, url: str, text: str, status: int | None = None) -> FetchError:
        return FetchError(self.mask.mask(f"{mask_url(url)}: {text}"), status)

    def get(self, url: str, headers: dict[str, str] | None = None, accept: tuple[int, ...] = ()) -> requests.Response:
        """A streamed GET after a rate-limit token; retried per the policy. Raises FetchError naming
        the URL when the answer is an error status (other than those in ``accept``) or when every
        attempt failed."""
        host = self._adapter(url)
        self.limiter.acquire(host)
        self.requests += 1
        try:
            response = self.session.get(url, headers=headers, stream=True,
                                        timeout=(self.policy.connect_timeout, self.policy.read_timeout))
        except requests.exceptions.RetryError as exc:
            raise self._error(url, f"gave up after {self.policy.retries + 1} attempts: {exc}") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise self._error(url, f"gave up after {self.policy.retries + 1} attempts: {exc}") from None
        if response.status_code >= 400 and response.status_code not in accept:
            attempts = 1 + len(getattr(getattr(response.raw, "retries", None), "history", ()) or ())
            response.close()
            if response.status_code in RETRY_STATUS:
                why = f"after {attempts} attempts"
            else:
                why = "not retried: a client error"
            raise self._error(url, f"HTTP {response.status_code} {response.reason} ({why})", response.status_code)
        return response

    def get_text(self, url: str) -> str:
        """The body of a small text resource (a manifest, a listing page)."""
        response = self.get(url)
        try:
            return response.text
        finally:
            response.close()

    def head(self, url: str) -> tuple[int | None, str | None]:
        """(Content-Length, Last-Modified) of ``url`` by a HEAD request (rate-limited, retried)."""
        host = self._adapter(url)
        self.limiter.acquire(host)
        self.requests += 1
        try:
            response = self.session.head(url, allow_redirects=True,
                                         timeout=(self.policy.connect_timeout, self.policy.read_timeout))
        except (requests.exceptions.RetryError, requests.exceptions.ConnectionError,
                requests.exceptions.Timeout) as exc:
            raise self._error(url, f"gave up after {self.policy.retries + 1} attempts: {exc}") from None
        if response.status_code >= 400:
            raise self._error(url, f"HTTP {response.status_code} {response.reason} (HEAD)")
        length = response.headers.get("Content-Length")
        return (int(length) if length and length.isdigit() else None), response.headers.get("Last-Modified")

    def download(self, url: str, rel: PurePosixPath, staging: Staging, expected: Expected = NOTHING_EXPECTED,
                 show_progress: bool = True) -> Outcome:
        """Fetch ``url`` into the staging file ``rel``: kept as is when already staged and verified,
        else streamed into ``<rel>.part`` (resumed with a Range request where one is left from an
        interrupted run), verified against ``expected`` (size, md5) and renamed to ``rel``.

        A body cut off half way is resumed from where it stopped while the retry policy allows. A
        size or md5 mismatch deletes the file and raises VerifyError with both values.
        """
        target = staging.path(rel)
        if is_verified(target, expected, mask_url(url)):
            return Outcome(rel, "kept", target.stat().st_size, md5_file(target).hexdigest())
        part = staging.part(rel)
        part.parent.mkdir(parents=True, exist_ok=True)
        retry = self.policy.retry(before_attempt=lambda: self.limiter.acquire(_host_key(url)[1]))
        resumed, restarted = False, False
        while True:
            offset = part.stat().st_size if part.exists() else 0
            response = self.get(url, headers={"Range": f"bytes={offset}-"} if offset else None, accept=(416,))
            if response.status_code == 416:
                response.close()
                whole = re.match(r"^bytes \*/(\d+)$", response.headers.get("Content-Range", ""))
                if offset and whole and int(whole.group(1)) == offset:
                    # Complete already (a run killed between the last byte and the rename): verify it.
                    digest, total, resumed = md5_file(part), offset, True
                    break
                # The partial file is longer than the remote one: start over, once.
                if restarted or not offset:
                    raise self._error(url, "HTTP 416 Range Not Satisfiable for a fresh download")
                log.warning("%s: partial file of %d bytes not resumable (HTTP 416); starting over", rel, offset)
                part.unlink()
                restarted = True
                continue
            offset = self._resume_offset(response, offset)
            resumed = resumed or offset > 0
            digest = md5_file(part) if offset else hashlib.md5(usedforsecurity=False)
            total = self._total(response, offset, expected)
            try:
                self._stream(response, part, offset, digest, total, rel, show_progress)
            except BODY_ERRORS as exc:
                try:
                    retry = retry.increment(method="GET", url=url, error=exc)
                except MaxRetryError:
                    raise self._error(url, f"body cut off at byte {part.stat().st_size}; gave up after "
                                           f"{self.policy.retries + 1} attempts: {exc}") from None
                log.warning("%s: transfer cut off at byte %d (%s); resuming", mask_url(url), part.stat().st_size,
                            type(exc).__name__)
                retry.sleep()
                continue
            finally:
                response.close()
            break
        checks = Expected(size=expected.size if expected.size is not None else total, md5=expected.md5)
        md5_hex = digest.hexdigest()
        verify(part, checks, mask_url(url), md5_hex=md5_hex)
        staging.complete(part, rel)
        return Outcome(rel, "resumed" if resumed else "fetched", target.stat().st_size, md5_hex)

    @staticmethod
    def _resume_offset(response: requests.Response, offset: int) -> int:
        """Where the body starts: ``offset`` when the server honoured the Range (206 from there),
        0 when it sent the whole file (200: the partial file is overwritten)."""
        if not offset or response.status_code != 206:
            return 0
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if not match or int(match.group(1)) != offset:
            raise FetchError(f"{response.url}: asked for bytes from {offset}, got Content-Range "
                             f"{response.headers.get('Content-Range')!r}")
        return offset

    @staticmethod
    def _total(response: requests.Response, offset: int, expected: Expected) -> int | None:
        """The full size, from upstream's published size, else the server's headers (None: unknown)."""
        if expected.size is not None:
            return expected.size
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if match and match.group(3) != "*":
            return int(match.group(3))
        length = response.headers.get("Content-Length")
        encoded = response.headers.get("Content-Encoding", "identity") not in ("", "identity")
        return offset + int(length) if length and length.isdigit() and not encoded else None

    @staticmethod
    def _stream(response: requests.Response, part, offset: int, digest, total: int | None, rel: PurePosixPath,
                show_progress: bool) -> None:
        bar = tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024, desc=str(rel),
                   mininterval=2.0, ascii=True, disable=not show_progress or small_transfer(total), file=sys.stderr,
                   leave=False)
        with open(part, "ab" if offset else "wb") as out, bar, BackgroundDigest(digest) as hashing:
            if not offset:
                out.truncate()
            for chunk in response.iter_content(STREAM_BLOCK):
                out.write(chunk)
                hashing.update(chunk)
                bar.update(len(chunk))
