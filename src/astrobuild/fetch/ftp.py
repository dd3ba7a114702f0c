"""FTP listings and downloads (ftplib), with the same contract as the HTTP client.

The 1000 Genomes trees are served over FTP as well as HTTPS; their directory listings are what
``ls -lR`` files are made of (``LIST`` answers ``ls -l`` lines). Each command takes a rate-limit
token; a failed one is retried under urllib3's ``Retry`` (its counters and backoff, the same policy
as HTTP) on a fresh connection; permanent errors (5xx replies: no such file, no permission) are not
retried. Downloads resume with ``REST`` and are checked against the server's ``SIZE``.
Credentials: ~/.netrc for the host, else anonymous (the public servers).
"""

from __future__ import annotations

import ftplib
import hashlib
import logging
import netrc
import sys
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from tqdm import tqdm
from urllib3.exceptions import MaxRetryError

from astrobuild.fetch.files import (
    BLOCK,
    NOTHING_EXPECTED,
    BackgroundDigest,
    Expected,
    Staging,
    is_verified,
    md5_file,
    verify,
)
from astrobuild.fetch.http import FetchError, Outcome, RetryPolicy, small_transfer
from astrobuild.fetch.ratelimit import HostLimiter
from astrobuild.fetch.safety import SecretMask, mask_url

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT = (OSError, EOFError, ftplib.error_temp, ftplib.error_reply, ftplib.error_proto)


def netrc_login(host: str) -> tuple[str, str] | None:
    """(login, password) for ``host`` from ~/.netrc (or $NETRC), None when it has no entry."""
    try:
        entry = netrc.netrc().authenticators(host)
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return None
    return (entry[0], entry[2]) if entry else None


class FtpClient:
    """One FTP connection to the host of ``base`` (reopened after a failure)."""

    def __init__(self, base: str, policy: RetryPolicy, limiter: HostLimiter, mask: SecretMask | None = None) -> None:
        parts = urlsplit(base)
        if parts.scheme != "ftp":
            raise ValueError(f"not an ftp:// URL: {base!r}")
        self.base = base.rstrip("/")
        self.host, self.port = parts.hostname or "", parts.port or 21
        self.root = unquote(parts.path).rstrip("/")
        self.policy, self.limiter = policy, limiter
        self.mask = mask or SecretMask()
        self._ftp: ftplib.FTP | None = None
        self.requests = 0

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def _remote(self, path: str) -> str:
        return f"{self.root}/{path.lstrip('/')}"

    def _connect(self) -> ftplib.FTP:
        ftp = ftplib.FTP(timeout=self.policy.read_timeout)
        ftp.connect(self.host, self.port, timeout=self.policy.connect_timeout)
        login = netrc_login(self.host)
        if login:
            self.mask.add(login[1])
            ftp.login(*login)
        else:
            ftp.login()  # anonymous
        ftp.set_pasv(True)
        ftp.voidcmd("TYPE I")
        return ftp

    def close(self) -> None:
        if self._ftp is not None:
            try:
                self._ftp.quit()
            except (*TRANSIENT, ftplib.error_perm):
                self._ftp.close()
            self._ftp = None

    def _call(self, path: str, op: Callable[[ftplib.FTP], T]) -> T:
        """``op`` on the connection, retried on transient failures (each attempt rate-limited)."""
        retry = self.policy.retry()
        url = mask_url(self.url(path))
        while True:
            self.limiter.acquire(self.host)
            self.requests += 1
            try:
                if self._ftp is None:
                    self._ftp = self._connect()
                return op(self._ftp)
            except ftplib.error_perm as exc:
                raise FetchError(self.mask.mask(f"{url}: FTP {exc} (not retried: a permanent error)")) from None
            except TRANSIENT as exc:
                if self._ftp is not None:
                    self._ftp.close()
                self._ftp = None
                try:
                    retry = retry.increment(method="GET", url=url, error=exc)
                except MaxRetryError:
                    raise FetchError(self.mask.mask(f"{url}: gave up after {self.policy.retries + 1} attempts: "
                                                    f"{type(exc).__name__}: {exc}")) from None
                log.warning("%s: %s: %s; retrying", url, type(exc).__name__, self.mask.mask(str(exc)))
                retry.sleep()

    def list_lines(self, path: str) -> list[str]:
        """The server's ``LIST`` lines (``ls -l`` format) of directory ``path`` under the base."""
        def listing(ftp: ftplib.FTP) -> list[str]:
            lines: list[str] = []
            ftp.cwd(self._remote(path) or "/")
            ftp.retrlines("LIST", lines.append)
            return lines

        return self._call(path, listing)

    def size(self, path: str) -> int | None:
        """The server's SIZE of a file (None when the server will not say)."""
        def size(ftp: ftplib.FTP) -> int | None:
            try:
                return ftp.size(self._remote(path))
            except ftplib.error_perm:
                return None

        return self._call(path, size)

    def download(self, path: str, rel: PurePosixPath, staging: Staging, expected: Expected = NOTHING_EXPECTED,
                 show_progress: bool = True) -> Outcome:
        """Fetch file ``path`` (under the base) into the staging file ``rel``: kept when already staged
        and verified, else resumed from its ``.part`` file with REST, verified (upstream's size and
        md5 where given, else the server's SIZE) and renamed."""
        url = self.url(path)
        target = staging.path(rel)
        if is_verified(target, expected, mask_url(url)):
            return Outcome(rel, "kept", target.stat().st_size, md5_file(target).hexdigest())
        total = expected.size if expected.size is not None else self.size(path)
        part = staging.part(rel)
        part.parent.mkdir(parents=True, exist_ok=True)
        resumed = part.exists() and part.stat().st_size > 0
        state: dict[str, object] = {}

        def retrieve(ftp: ftplib.FTP) -> None:
            offset = part.stat().st_size if part.exists() else 0
            if total is not None and offset > total:
                part.unlink()
                offset = 0
            digest = md5_file(part) if offset else hashlib.md5(usedforsecurity=False)
            state["digest"] = digest
            bar = tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024, desc=str(rel),
                       mininterval=2.0, ascii=True, disable=not show_progress or small_transfer(total), file=sys.stderr,
                       leave=False)
            with open(part, "ab" if offset else "wb") as out, bar, BackgroundDigest(digest) as hashing:
                def block(data: bytes) -> None:
                    out.write(data)
                    hashing.update(data)
                    bar.update(len(data))

                if total is not None and offset == total:
                    return  # complete already (killed before its rename)
                ftp.retrbinary(f"RETR {self._remote(path)}", block, blocksize=BLOCK, rest=offset or None)

        self._call(path, retrieve)
        digest = state["digest"]
        md5_hex = digest.hexdigest()  # type: ignore[attr-defined]
        verify(part, Expected(size=total, md5=expected.md5), mask_url(url), md5_hex=md5_hex)
        staging.complete(part, rel)
        return Outcome(rel, "resumed" if resumed else "fetched", target.stat().st_size, md5_hex)
