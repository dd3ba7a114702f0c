"""Secrets cannot be committed by accident: .gitignore covers the usual credential files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SECRETS = [".env", ".env.local", "config/.env", ".netrc", ".pypirc", "credentials.json",
           "config/gcp-credentials.json", "service-account-prod.json", ".aws/credentials", ".aws/config",
           ".ssh/id_ed25519", "id_rsa", "keys/server.pem", "tls.key", "cert.p12"]
KEPT = ["envs/astrobuild.yaml", "config/config.yaml", "schemas/config.schema.yaml", "README.md"]


def _ignored(path: str) -> bool:
    # --no-index: ask the ignore rules, whether or not the path happens to be tracked.
    proc = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=REPO, capture_output=True)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return proc.returncode == 0


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="not a git checkout")
def test_credential_files_are_ignored_and_project_files_are_not() -> None:
    assert [p for p in SECRETS if not _ignored(p)] == []
    assert [p for p in KEPT if _ignored(p)] == []
