"""Named points where a job can be held, so that a test can kill a real build exactly there.

A build must resume to the same bytes however it died. The resume tests (tests/resume) prove it by
sending SIGKILL to a running Snakemake's process group at a chosen moment: while a cube is half
converted, while a batch checks its stores, while the manifest is written. Waiting for that moment
from outside (watching files, sleeping) is a race on a loaded machine; instead the job, reaching
the point named by ``$ASTROBUILD_PAUSE_AT``, creates the file ``$ASTROBUILD_PAUSE_FILE`` and waits
there to be killed. Unset (every real build), :func:`pause_point` returns at once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_AT = "ASTROBUILD_PAUSE_AT"
PAUSE_FILE = "ASTROBUILD_PAUSE_FILE"
# A test that fails to kill the job must not leave it waiting forever.
MAX_WAIT_S = 600


class PausePointTimeout(RuntimeError):
    """A job held at a pause point that nobody killed."""


def pause_point(name: str) -> None:
    """Hold the job here when ``$ASTROBUILD_PAUSE_AT`` names this point (see the module docstring)."""
    if os.environ.get(PAUSE_AT) != name:
        return
    signal_file = os.environ.get(PAUSE_FILE)
    if not signal_file:
        raise ValueError(f"${PAUSE_AT}={name} needs ${PAUSE_FILE}, the file that says the job got there")
    Path(signal_file).write_text(f"{name} {os.getpid()}\n", encoding="utf-8")
    time.sleep(MAX_WAIT_S)
    raise PausePointTimeout(f"held at pause point {name!r} for {MAX_WAIT_S} s and not killed")
