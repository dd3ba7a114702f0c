"""What a fetch may trust: paths from remote listings, URLs from config, secrets in logs.

A name in someone else's listing or manifest is data: :func:`safe_relpath` accepts it as a path
under a download folder only when it cannot escape it or surprise a tool downstream. Secrets (tokens
from the environment, passwords from ~/.netrc) are registered with :class:`SecretMask`, which
rewrites them to ``***`` in every log record and in every error message this package builds.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit, urlunsplit

# A path segment: letters, digits and a few punctuation marks upstream names use (1000 Genomes,
# KEGG, archive and mission file names). Not allowed: spaces, quotes, shell or glob characters,
# braces (Snakemake would read them as wildcards), backslashes, control characters.
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+=@,-]*$")
MAX_PATH = 1024


class UnsafePathError(ValueError):
    """A name from a remote listing or manifest that may not be used as a local path."""


def unsafe_reason(name: str) -> str | None:
    """Why ``name`` (from a remote listing) may not become a relative path, or None when it may."""
    if not name:
        return "empty name"
    if len(name) > MAX_PATH:
        return f"longer than {MAX_PATH} characters"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if "\\" in name:
        return "backslash in name"
    for segment in name.split("/"):
        if segment in ("", ".", ".."):
            return f"{segment or 'empty'!r} segment" if segment else "empty segment ('//' or a trailing '/')"
        if not _SEGMENT.match(segment):
            return f"odd character in {segment!r} (allowed: letters, digits, . _ + = @ , -; not first: . or -)"
    return None


def safe_relpath(name: str, what: str = "remote name") -> PurePosixPath:
    """``name`` as a relative POSIX path that stays under any folder it is joined to.

    Raises :class:`UnsafePathError` naming ``what`` and the reason for '..' or '.' segments,
    absolute paths, backslashes, hidden names (a leading dot: partial files are hidden) and odd
    characters.
    """
    reason = unsafe_reason(name)
    if reason:
        raise UnsafePathError(f"{what} {name!r} refused: {reason}")
    return PurePosixPath(name)


def safe_join(root: str | os.PathLike[str], name: str, what: str = "remote name") -> Path:
    """``root / name`` for a checked ``name``, also checked to lie under ``root`` once resolved
    (a symlink already inside ``root`` cannot lead out of it)."""
    rel = safe_relpath(name, what)
    root = Path(root)
    target = root.joinpath(*rel.parts)
    if not target.resolve().is_relative_to(root.resolve()):
        raise UnsafePathError(f"{what} {name!r} refused: resolves outside {root}")
    return target


def check_url(url: str, key: str) -> str:
    """A base URL from config: http, https or ftp, no password in it (credentials come from the
    environment or ~/.netrc, never from the repository's files). Returned without a trailing '/'."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ftp") or not parts.hostname:
        raise ValueError(f"config: {key}: {url!r} is not an http(s):// or ftp:// URL")
    if parts.password is not None:
        raise ValueError(f"config: {key}: the URL holds a password; put credentials in ~/.netrc or an "
                         "environment variable (token_env), never in a file of the repository")
    if parts.query or parts.fragment:
        raise ValueError(f"config: {key}: {url!r}: a base URL takes no query or fragment")
    return url.rstrip("/")


def join_url(base: str, *parts: str) -> str:
    """``base`` and path parts joined with single slashes (parts are not re-quoted: they are checked
    names or fixed REST paths)."""
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts if p.strip("/"))])


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


class SecretMask(logging.Filter):
    """Rewrites registered secrets (and the password part of URLs) to ``***``.

    Installed on the handlers of a rule's log, so nothing a library logs (urllib3's retry
    warnings, requests' errors) carries a token to the log file.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        # Very short values would mask ordinary text; no real token is that short.
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def mask(self, text: str) -> str:
        text = _URL_PASSWORD.sub(r"\1***@", text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True

    def install(self, logger: logging.Logger | None = None) -> None:
        """Add this filter to every handler of ``logger`` (default: the root logger)."""
        for handler in (logger or logging.getLogger()).handlers:
            if self not in handler.filters:
                handler.addFilter(self)


_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/@:\s]+:)[^/@\s]+@", re.IGNORECASE)


def mask_url(url: str) -> str:
    """``url`` without a password (``user:***@host``), for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
