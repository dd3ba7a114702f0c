"""The package holds no test scaffolding (issue 19, item 5).

The loopback servers and the sample laid out as its upstreams serve it live in ``tests/support``: no
module under ``src/astrobuild`` is one of them or imports ``tests``, and importing what the data build
runs pulls in neither ``tests.support`` nor pyftpdlib (a dev dependency, in no build env).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.workflow import REPO

SRC = REPO / "src"
PACKAGE = SRC / "astrobuild"
SCAFFOLDING = {"loopback", "upstream"}


def _modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)


def _imported(path: Path) -> set[str]:
    """Every module an ``import`` or ``from ... import`` in ``path`` names (absolute ones; a relative
    import stays inside the package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_package_has_no_scaffolding_module():
    modules = _modules()
    assert len(modules) > 20  # the scan sees the package
    found = [str(path.relative_to(SRC)) for path in modules
             if path.stem in SCAFFOLDING or (path.name == "__init__.py" and path.parent.name in SCAFFOLDING)]
    assert found == [], f"test scaffolding in the package (it belongs in tests/support): {found}"


def test_no_package_module_imports_the_tests():
    offenders = {str(path.relative_to(SRC)): sorted(name for name in _imported(path)
                                                   if name == "tests" or name.startswith("tests."))
                 for path in _modules()}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_support_modules_are_where_the_tests_import_them_from():
    from tests.support import loopback, upstream

    assert Path(loopback.__file__).resolve() == REPO / "tests" / "support" / "loopback.py"
    assert Path(upstream.__file__).resolve() == REPO / "tests" / "support" / "upstream.py"
    assert "tests.support.loopback" in _imported(REPO / "tests" / "support" / "upstream.py")


def _build_modules() -> list[str]:
    """The package modules the data build's scripts import (training, ``astrobuild.learn``, is the
    train stage's, not the build's), and the sample generators ``generate`` imports by name."""
    from astrobuild.sample import GENERATORS

    named = {name for script in (REPO / "scripts").glob("*.py") for name in _imported(script)
             if name.startswith("astrobuild.") and not name.startswith("astrobuild.learn")}
    return sorted(named | set(GENERATORS.values()) | {"astrobuild.fetch", "astrobuild.sample"})


def test_importing_what_the_build_runs_pulls_in_no_scaffolding():
    """A fresh interpreter, with the repository root on its path (so ``tests`` could be imported),
    imports the modules the build's scripts use: nothing of ``tests``, nor pyftpdlib, comes with them."""
    modules = _build_modules()
    assert {"astrobuild.fetch.jobs", "astrobuild.fetch.ncbi", "astrobuild.sample.organisms"} <= set(modules)
    probe = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules\n"
        "                        if m == 'tests' or m.startswith(('tests.', 'pyftpdlib')))))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(REPO)])}
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, check=True, capture_output=True,
                         text=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
