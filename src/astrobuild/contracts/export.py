"""Write every contract as a readable YAML file under ``schemas/contracts/``.

The contracts are code (``astrobuild.contracts``: they run); the YAML copies
are for reading and for tools outside Python (pandera can load them back with
``pandera.io.from_yaml``). ``make schemas`` regenerates them and a test fails
when a committed copy is stale, so the two never drift.

    python -m astrobuild.contracts.export [OUTDIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from astrobuild.contracts.catalogue import CONTRACTS

HEADER = "# Generated from astrobuild.contracts ({model}) by `make schemas`: edit the model, not this file.\n"


def render(name: str) -> str:
    model = CONTRACTS[name]
    return HEADER.format(model=f"{model.__module__}.{model.__name__}") + model.to_schema().to_yaml()


def export_contracts(outdir: str | Path) -> list[Path]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(CONTRACTS):
        path = outdir / f"{name}.yaml"
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in export_contracts(sys.argv[1] if len(sys.argv) > 1 else "schemas/contracts"):
        print(p)
