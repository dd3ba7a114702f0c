"""Real servers on 127.0.0.1 for the tests and benchmarks of the fetch rules (no network needed).

:class:`LoopbackHTTP` serves routes (URL path -> bytes, a file, or a function of the query string
for a service whose answer depends on it, such as NCBI's efetch) with what the fetch code must cope with: Range requests, index pages of directories, and scripted faults per path (an error
status, a 429 with Retry-After, a body cut off after N bytes). It records every request with its
arrival time, so a test can check retries and the rate limit from the server's side.
:func:`loopback_ftp` serves a folder read-only, anonymously, with pyftpdlib (a dev dependency).
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

# A dynamic route: the query string (parse_qs) -> the body, or None for "not found" (HTTP 404).
Dynamic = Callable[[dict[str, list[str]]], bytes | None]
Route = bytes | Path | Dynamic


@dataclass(frozen=True)
class Fault:
    """One scripted answer: ``status`` (with ``headers``) instead of the file, or, with ``cut``, the
    file's headers and only its first ``cut`` bytes before the connection is closed."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    cut: int | None = None


@dataclass(frozen=True)
class Request:
    at: float  # time.monotonic() on arrival
    method: str
    path: str
    query: dict[str, list[str]]
    range: str | None
    authorization: str | None = None


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A client that drops a connection the server was told to cut is the point of the test.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class LoopbackHTTP:
    """A threaded HTTP/1.1 server on 127.0.0.1 (a free port) serving ``routes``."""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[Request] = []
        self.ranges = True  # False: ignore Range headers (answer 200 with the whole file)
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LoopbackHTTP:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, path: str, *faults: Fault) -> None:
        """Answer the next requests of ``path`` with ``faults``, in order, then normally."""
        with self._lock:
            self.faults.setdefault(path, []).extend(faults)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def _next_fault(self, path: str) -> Fault | None:
        with self._lock:
            queue = self.faults.get(path)
            return queue.pop(0) if queue else None

    def _index(self, path: str) -> bytes | None:
        """An nginx-style index page of directory ``path`` (ends with '/'), when routes lie under it."""
        names: dict[str, int | None] = {}
        for route, body in self.routes.items():
            if route.startswith(path) and route != path:
                head, _, rest = route[len(path):].partition("/")
                names[head + "/" if rest else head] = None if rest or callable(body) else _size(body)
        if not names:
            return None
        rows = ['<a href="../">../</a>']
        for name in sorted(names):
            size = names[name]
            rows.append(f'<a href="{quote(name)}">{html.escape(name)}</a>'
                        f'{" " * max(1, 50 - len(name))}01-Jan-2024 00:00 {size if size is not None else "-":>12}')
        return (f"<html><head><title>Index of {html.escape(path)}</title></head><body><h1>Index of "
                f"{html.escape(path)}</h1><hr><pre>" + "\n".join(rows) + "</pre><hr></body></html>\n").encode()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet: the tests read server.requests
                pass

            def do_HEAD(self) -> None:
                self._answer(head=True)

            def do_GET(self) -> None:
                self._answer(head=False)

            def _send(self, status: int, headers: dict[str, str], body: bytes = b"", head: bool = False) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _answer(self, head: bool) -> None:
                parts = urlsplit(self.path)
                path = unquote(parts.path)
                with server._lock:
                    server.requests.append(Request(time.monotonic(), self.command, path, parse_qs(parts.query),
                                                   self.headers.get("Range"), self.headers.get("Authorization")))
                fault = server._next_fault(path)
                if fault is not None and fault.cut is None:
                    self._send(fault.status, dict(fault.headers), f"scripted {fault.status}\n".encode(), head)
                    return
                body = server.routes.get(path)
                if callable(body):
                    body = body(parse_qs(parts.query))
                if body is None and path.endswith("/"):
                    index = server._index(path)
                    if index is not None:
                        self._send(200, {"Content-Type": "text/html"}, index, head)
                        return
                if body is None:
                    self._send(404, {"Content-Type": "text/plain"}, b"not found\n", head)
                    return
                size = _size(body)
                start, status, headers = 0, 200, {"Accept-Ranges": "bytes" if server.ranges else "none",
                                                  "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
                wanted = self.headers.get("Range")
                if wanted and server.ranges:
                    first = wanted.removeprefix("bytes=").split("-", 1)[0]
                    start = int(first) if first.isdigit() else 0
                    if start >= size:
                        self._send(416, {"Content-Range": f"bytes */{size}"}, b"", head)
                        return
                    status = 206
                    headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
                headers["Content-Length"] = str(size - start)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if head:
                    return
                count = size - start if fault is None else min(fault.cut, size - start)
                _write(self.connection, self.wfile, body, start, count)
                if fault is not None:  # a cut: the rest never comes
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)

        return Handler


def _size(body: bytes | Path) -> int:
    return len(body) if isinstance(body, bytes) else body.stat().st_size


def _write(sock: socket.socket, wfile, body: bytes | Path, start: int, count: int) -> None:
    if isinstance(body, bytes):
        wfile.write(body[start:start + count])
        return
    wfile.flush()
    with open(body, "rb") as handle:  # zero-copy: the server must not be what limits a benchmark
        sock.sendfile(handle, offset=start, count=count)


@contextlib.contextmanager
def loopback_ftp(root: str | os.PathLike[str]) -> Iterator[str]:
    """An anonymous, read-only FTP server on 127.0.0.1 serving folder ``root``; yields its URL."""
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import ThreadedFTPServer

    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)  # one line per command otherwise
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(os.fspath(root))
    handler = type("Handler", (FTPHandler,), {"authorizer": authorizer, "passive_ports": None})
    server = ThreadedFTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.2, "blocking": True}, daemon=True)
    thread.start()
    try:
        yield f"ftp://127.0.0.1:{server.address[1]}"
    finally:
        server.close_all()
        thread.join(timeout=5)


def query_of(request: Request, key: str) -> str | None:
    values = request.query.get(key)
    return values[0] if values else None


# ---- NCBI E-utilities ---------------------------------------------------------------------------

_VERSION = re.compile(rb"^VERSION\s+(\S+)", re.MULTILINE)


def genbank_records(text: bytes) -> dict[str, bytes]:
    """The records of a GenBank flat file by their VERSION (accession.version), each up to its ``//``."""
    records = {}
    for chunk in re.split(rb"(?m)^(?=LOCUS)", text):
        match = _VERSION.search(chunk)
        if match and chunk.rstrip().endswith(b"//"):
            records[match.group(1).decode()] = chunk.rstrip() + b"\n"
    return records


def efetch_route(records: dict[str, bytes]) -> Dynamic:
    """A route answering as NCBI's ``efetch.fcgi?db=nuccore&id=A,B&rettype=gbwithparts&retmode=text``
    does: the records asked for (by accession.version, or accession for the latest), in the order
    asked, a blank line between them; ids it has no record for left out; nothing known: 404."""

    def answer(query: dict[str, list[str]]) -> bytes | None:
        if query.get("db") != ["nuccore"] or query.get("rettype") != ["gbwithparts"]:
            return None
        out = []
        for wanted in (query.get("id") or [""])[0].split(","):
            key = wanted if wanted in records else max(
                (k for k in records if k.split(".", 1)[0] == wanted), default=None,
                key=lambda k: int(k.rpartition(".")[2] or 0))
            if key is not None:
                out.append(records[key])
        return b"\n".join(out) if out else None

    return answer
