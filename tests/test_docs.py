"""The project's own documents agree with the code they describe."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT


def _layout_table() -> set[str]:
    """Every path named in the README's "Layout" table."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {path for row in rows for path in re.findall(r"`([^`]+)`", row)}


def test_the_readme_layout_table_matches_the_tree() -> None:
    listed = _layout_table()
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "kb").rglob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    assert sorted(modules - listed) == [], "modules missing from the README's Layout table"
    assert sorted(p for p in listed if not (ROOT / p).exists()) == [], "the README's Layout table names files that do not exist"


def test_package_init_files_import_nothing() -> None:
    """Importing a package must not import its modules: `kb find` starts fast because of it.
    A docstring saying what the package holds is welcome."""
    import ast

    busy = []
    for init in (ROOT / "kb").rglob("__init__.py"):
        body = ast.parse(init.read_text()).body
        if [node for node in body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]:
            busy.append(str(init.relative_to(ROOT)))
    assert busy == []


def test_ci_runs_lint_then_the_readme_test_command() -> None:
    run = (ROOT / ".ci" / "run").read_text()
    assert "make lint" in run and "make test" in run and run.index("make lint") < run.index("make test")
    assert "make test" in (ROOT / "README.md").read_text()


def test_every_module_in_the_contributing_layout_exists() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text()
    section = text.split("## Changing the code", 1)[1]
    for folder in re.findall(r"\| `(kb/[a-z_]+/)` \|", section):
        assert (ROOT / Path(folder)).is_dir(), folder
