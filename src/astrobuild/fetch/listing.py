"""Directory trees on an FTP or HTTP server -> an ``ls -lR`` listing (listing only, no data files).

The listing is written the way ``ls -lR`` writes one, so the local-mode parser (rule
dirlists_to_master) reads it unchanged: a ``./<dir>:`` header per directory, its path relative to
the source's base URL (the upstream path), then one ``ls -l`` line per entry. Over FTP the lines are
the server's own ``LIST`` answer; over HTTP they are made from the server's index page (name, date,
exact size; a ``HEAD`` request gives a size the page does not). Subdirectories are walked in name
order, so the same tree gives the same bytes. A directory whose name is unsafe (``..``, a slash,
odd characters) is not entered: its line stays in the listing, where the parser quarantines or
keeps it as data, and the job's summary counts it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import unquote

from astrobuild.fetch.safety import join_url, unsafe_reason
from astrobuild.genomes.listings import LS_LINE

log = logging.getLogger(__name__)

Lister = Callable[[str], list[str]]


@dataclass
class TreeStats:
    directories: int = 0
    files: int = 0
    links: int = 0
    unparsed: int = 0
    refused: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"directories": self.directories, "files": self.files, "links": self.links,
                "unparsed_lines": self.unparsed, "refused_directories": self.refused}


def walk_tree(lister: Lister, root: str, skip: frozenset[str] = frozenset(), stats: TreeStats | None = None) -> str:
    """The ``ls -lR`` text of the tree at ``root`` (a path under the base URL), without entering the
    directories in ``skip`` (paths under the base: other roots listed on their own)."""
    stats = stats or TreeStats()
    sections: list[str] = []
    pending = [root.strip("/")]
    while pending:
        path = pending.pop()
        lines = lister(path)
        stats.directories += 1
        sections += [f"./{path}:", *lines, ""]
        children = []
        for line in lines:
            match = LS_LINE.match(line)
            if not match:
                stats.unparsed += 1
                continue
            kind, name = match.group("kind"), match.group("name")
            if kind == "l":
                stats.links += 1
            elif kind != "d":
                stats.files += 1
            elif name not in (".", ".."):
                reason = unsafe_reason(name)
                child = f"{path}/{name}" if path else name
                if reason or "/" in name:
                    stats.refused.append(f"{path}/{name}: {reason or 'slash in a name'}")
                    log.warning("not entering directory %r under %s: %s", name, path, reason or "slash in a name")
                elif child not in skip:
                    children.append(child)
        # Depth first, in name order (the stack pops the last pushed first).
        pending += sorted(children, reverse=True)
    return "\n".join(sections) + "\n"


def listed_sizes(text: str) -> dict[str, int]:
    """Bytes of every regular file of an ``ls -lR`` text as :func:`walk_tree` writes it (``./<dir>:``
    headers), by path under the base URL. Lines without a numeric size (``?``) give none."""
    sizes: dict[str, int] = {}
    here: str | None = None
    for line in text.splitlines():
        if line.startswith("./") and line.endswith(":"):
            here = line[2:-1]
            continue
        match = LS_LINE.match(line)
        if here is not None and match and match.group("kind") == "-":
            sizes[f"{here}/{match.group('name')}" if here else match.group("name")] = int(match.group("size"))
    return sizes


# ---- HTTP index pages (Apache, nginx and Python's http.server styles) -------------------------

_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%d-%b-%Y %H:%M")
_AFTER_LINK = re.compile(r"^\s*(\d{4}-\d{2}-\d{2} \d{2}:\d{2}|\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2})(?::\d{2})?\s+(\d+|-)?")


class _IndexPage(HTMLParser):
    """(href, text after the link) of every link of an index page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[list[str]] = []
        self._in_link = False

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href is not None:
                self.links.append([href, ""])
                self._in_link = True

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_link = False

    def handle_data(self, data):
        if self.links and not self._in_link:
            self.links[-1][1] += data


def index_entries(html: str) -> list[tuple[str, bool, int | None, datetime | None]]:
    """(name, is_directory, size or None, modified or None) of the entries of an index page; links
    to other places (parent, sort orders, absolute or external) are not entries."""
    parser = _IndexPage()
    parser.feed(html)
    entries, seen = [], set()
    for href, after in parser.links:
        if not href or href[0] in "?#/" or "://" in href or href.startswith(".."):
            continue
        is_dir = href.endswith("/")
        name = unquote(href.rstrip("/"))
        if not name or name in seen:
            continue
        seen.add(name)
        size, when = None, None
        match = _AFTER_LINK.match(after.replace("\n", " "))
        if match:
            for fmt in _DATE_FORMATS:
                try:
                    when = datetime.strptime(match.group(1), fmt)
                    break
                except ValueError:
                    continue
            if match.group(2) and match.group(2).isdigit():
                size = int(match.group(2))
        entries.append((name, is_dir, size, when))
    return entries


def ls_line(name: str, is_dir: bool, size: int | None, when: datetime | None) -> str:
    """An ``ls -l`` line (the classic format, year form of the date). An unknown date is written as
    the epoch, a visible placeholder; an unknown size as ``?``, which the listing parser quarantines
    with the line (never a guessed number)."""
    when = when or datetime(1970, 1, 1)
    mode = "drwxr-xr-x" if is_dir else "-rw-r--r--"
    shown = "?" if size is None else str(size)
    return f"{mode}    1 ftp      ftp      {shown:>12s} {when:%b} {when.day:>2d}  {when.year} {name}"


def http_lister(get_text: Callable[[str], str], head: Callable[[str], tuple[int | None, str | None]],
                base: str) -> Lister:
    """A :data:`Lister` of directories under ``base`` served as HTTP index pages; ``head(url)`` gives
    (Content-Length, Last-Modified) of a file whose size the page does not show exactly."""

    def lister(path: str) -> list[str]:
        url = join_url(base, path) + "/"
        lines = []
        for name, is_dir, size, when in index_entries(get_text(url)):
            if not is_dir and size is None:
                size, modified = head(join_url(base, path, name))
                if when is None and modified:
                    when = parsedate_to_datetime(modified).replace(tzinfo=None)
            lines.append(ls_line(name, is_dir, 4096 if is_dir else size, when))
        return lines

    return lister
