"""Imports follow the layers: base ← geo ← analyses ← maps ← jobs ← cli (issue 11).

A module imports only from its own layer or an earlier one, so a path says what a module may
depend on: ``shequ/errors.py`` (base) never reaches into ``geo/``, a map never computes, a job
never is imported by an analysis. Lazy imports inside functions count as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["base", "geo", "analyses", "maps", "jobs", "cli"]
FOLDERS = {"geo": "geo", "analyses": "analyses", "maps": "maps", "jobs": "shequ/jobs"}


def layer_of(module: str) -> str:
    """The layer of a dotted ``shequ`` module name (``shequ.data`` is bundled files: base)."""
    parts = module.split(".")
    if parts[1:2] and parts[1] in FOLDERS:
        return parts[1]
    return "cli" if parts[1:2] in (["cli"], ["__main__"]) else "base"


def backward_imports(source: str, layer: str) -> list[str]:
    """Every ``shequ`` import in ``source`` from a layer later than ``layer``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "shequ":  # `from shequ import jobs` names a module
                names = [f"shequ.{alias.name}" for alias in node.names]
        for name in names:
            if name.startswith("shequ.") and ORDER.index(layer_of(name)) > ORDER.index(layer):
                found.append(f"line {node.lineno}: {name} ({layer_of(name)})")
    return found


def source_files() -> list[tuple[Path, str]]:
    files = [(p, "base") for p in (ROOT / "shequ").glob("*.py")]
    files = [(p, "cli" if p.stem in ("cli", "__main__") else layer) for p, layer in files]
    files += [(p, "base") for p in (ROOT / "data").glob("*.py")]
    for layer, folder in FOLDERS.items():
        files += [(p, layer) for p in (ROOT / folder).glob("*.py")]
    return files


def test_every_import_follows_the_layers():
    files = source_files()
    assert len(files) > 70, "the source folders were not found"
    wrong = [
        f"{path.relative_to(ROOT)} ({layer}) {hit}"
        for path, layer in files
        for hit in backward_imports(path.read_text(encoding="utf-8"), layer)
    ]
    assert not wrong, "imports against base ← geo ← analyses ← maps ← jobs ← cli:\n" + "\n".join(
        wrong
    )


def test_a_backward_import_is_caught():
    """The check is not vacuous: a geo module importing a job, or base importing geo, fails."""
    assert backward_imports("from shequ.jobs.access import compute_access\n", "geo")
    assert backward_imports("def f():\n    import shequ.geo.homes\n", "base")
    assert backward_imports("from shequ import cli\n", "jobs")
    assert backward_imports("from shequ.maps.page import x\n", "analyses")
    assert not backward_imports("from shequ.errors import InputError\n", "geo")
    assert not backward_imports("from shequ.analyses.milp import Milp\n", "maps")


def test_every_package_folder_is_in_the_wheel():
    """A new subpackage must be listed in pyproject.toml, or the wheel lacks it (the editable
    install used by the tests would not notice)."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    folders = {"shequ": ROOT / "shequ", **{f"shequ.{n}": ROOT / n for n in FOLDERS if n != "jobs"}}
    found = set()
    for name, folder in folders.items():
        found.add(name)
        found |= {f"{name}.{p.parent.name}" for p in folder.glob("*/__init__.py")}
    assert found - {"shequ.data"} <= listed, sorted(found - listed)
