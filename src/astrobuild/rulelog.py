"""Logging for rule scripts: one log file per rule, errors still visible.

A script run by Snakemake's ``script:`` directive wraps its work in
:func:`rule_logging`. Logging and stderr (progress bars included) go to the
rule's log file; an exception is written there with its traceback and its
one-line message is also printed to the console, so the user sees *why* a
rule failed without opening the log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Iterator

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextlib.contextmanager
def rule_logging(log_path: str | os.PathLike[str] | None, level: int = logging.INFO) -> Iterator[logging.Logger]:
    console = sys.stderr
    if log_path is None:
        logging.basicConfig(level=level, format=FORMAT, stream=console, force=True)
        yield logging.getLogger("astrobuild")
        return
    os.makedirs(os.path.dirname(os.fspath(log_path)) or ".", exist_ok=True)
    with open(log_path, "w", encoding="utf-8", buffering=1) as handle:
        logging.basicConfig(level=level, format=FORMAT, stream=handle, force=True)
        logging.captureWarnings(True)
        sys.stderr = handle
        try:
            yield logging.getLogger("astrobuild")
        except BaseException as exc:
            handle.write(_masked(traceback.format_exc()))
            console.write(_masked(f"{type(exc).__name__}: {exc}\n(full log: {log_path})\n"))
            raise
        finally:
            sys.stderr = console
            logging.captureWarnings(False)
            logging.basicConfig(level=level, format=FORMAT, stream=console, force=True)


def _masked(text: str) -> str:
    """``text`` with the secrets registered on the log's handlers masked (the fetch rules install a
    :class:`~astrobuild.fetch.safety.SecretMask` there): a traceback is written past the logging
    filters, and an exception raised by a library may carry a URL with an API key in it."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            mask = getattr(found, "mask", None)
            if callable(mask):
                text = mask(text)
    return text
