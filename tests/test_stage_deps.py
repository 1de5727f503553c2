"""Each stage of dvc.yaml lists in its ``deps`` every project module its script can run.

DVC reruns a stage only when one of its deps changes, so a module a stage runs but does not list
is a silent staleness bug. The stages list folders (lrlab/base, lrlab/core and their own
package), so the check is: start at the stage's entry module (``cmd: python -m
stages.<name>``), follow its imports of project modules transitively (lazy imports inside
functions too; ``if TYPE_CHECKING:`` blocks, which never run, not), and assert that each file
lies in a dep. A package ``__init__.py`` holding only a docstring runs nothing and needs no dep.

The dataset stages import their dataset's kind module by name at run time
(:func:`lrlab.datasets.kinds.load`), which no import statement shows, so each kind module is
checked on its own: what importing it runs must be deps of ``download`` (which lists only the
fetching code and its own kind), and everything it can run, of ``prepare``. The tests on a tiny
fake project at the end show that the checker can fail.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("lrlab", "stages")


def files_of(name: str, root: Path, packages: Iterable[str]) -> list[Path]:
    """The project files ``import name`` runs: each package's ``__init__.py`` on the way down,
    then the module; the walk stops at the first part that is no module, so ``name`` may end in
    an attribute (``from m import attr``)."""
    parts = name.split(".")
    files: list[Path] = []
    for depth in range(1, len(parts) + 1 if parts[0] in packages else 1):
        base = root.joinpath(*parts[:depth])
        found = [f for f in (base.with_suffix(".py"), base / "__init__.py") if f.is_file()]
        module = found[0] if found else None
        if module is None and not base.is_dir():
            break
        if module is not None and not runs_nothing(module):
            files.append(module)
    return files


def runs_nothing(path: Path) -> bool:
    """Whether ``path`` holds nothing but a docstring (a package marker)."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body)


def package_of(path: Path, root: Path) -> str:
    """The package ``path`` belongs to (itself for an ``__init__.py``), as a dotted name."""
    parts = path.relative_to(root).parts
    return ".".join(parts[:-1])


def imported_names(path: Path, root: Path, lazy: bool = True) -> set[str]:
    """Dotted names ``path`` imports at run time (``lazy=False``: those importing it runs, none
    inside a function). ``from m import n`` gives ``m`` and ``m.n``: ``n`` may be a submodule."""
    package = package_of(path, root)
    names: set[str] = set()
    todo: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
        elif lazy or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            todo.extend(ast.iter_child_nodes(node))
    return names


def runs(entry: Path, root: Path = REPO, packages: Iterable[str] = PACKAGES, lazy: bool = True):
    """Repo-relative posix paths of the project files that running ``entry`` can execute,
    transitively, its packages' ``__init__.py`` first (``lazy=False``: leaving out the imports
    inside ``entry``'s own functions)."""
    todo, seen = [entry, *files_of(package_of(entry, root), root, tuple(packages))], set()
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            for name in imported_names(path, root, lazy or path != entry):
                todo.extend(files_of(name, root, tuple(packages)))
    return {path.relative_to(root).as_posix() for path in seen}


def uncovered(files: Iterable[str], deps: Iterable[str]) -> list[str]:
    """The files no dep holds (a dep is a file or a folder; an interpolated one holds nothing)."""
    deps = [dep.strip().strip("/") for dep in deps if "${" not in dep]
    return sorted(f for f in files if not any(f == d or f.startswith(d + "/") for d in deps))


def entry_of(cmd: str, root: Path = REPO) -> Path | None:
    """The file ``python -m stages.<name>`` in ``cmd`` runs; None if there is none."""
    match = re.search(r"\bpython\s+-m\s+(stages(?:\.\w+)+)", cmd)
    path = root.joinpath(*match[1].split(".")).with_suffix(".py") if match else None
    return path if path is not None and path.is_file() else None


def bodies(dvc: dict) -> dict[str, dict]:
    """Stage name -> the mapping with its ``cmd`` and ``deps`` (a ``foreach`` stage's ``do``)."""
    return {name: stage.get("do", stage) for name, stage in dvc["stages"].items()}


STAGES = bodies(yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8")))
KINDS = sorted(p for p in (REPO / "lrlab/datasets/kinds").glob("*.py") if p.name[0] != "_")


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_stage_lists_every_module_it_runs_and_nothing_that_is_gone(stage):
    body = STAGES[stage]
    entry = entry_of(body["cmd"])
    assert entry is not None, f"stage {stage!r}: cmd {body['cmd']!r} runs no stages/ module"
    missing = uncovered(runs(entry), body["deps"])
    assert not missing, "\n".join(
        f"stage {stage!r} runs {path}, which none of its deps holds: add it to the stage's deps"
        for path in missing
    )
    gone = [d for d in body["deps"] if d.startswith(PACKAGES) and "${" not in d]
    gone = [d for d in gone if not (REPO / d).exists()]
    assert not gone, f"stage {stage!r} lists {gone}, which do not exist: fix or remove them"


def test_the_download_stage_depends_on_its_own_kind_module_alone():
    assert KINDS, "no dataset kind modules found"
    deps = STAGES["download"]["deps"]
    assert "lrlab/datasets/kinds/${item.kind}.py" in deps
    kinds = [path.relative_to(REPO).as_posix() for path in KINDS]
    assert uncovered(kinds, deps) == kinds, "one kind's edit would fetch every dataset again"


@pytest.mark.parametrize("module", KINDS, ids=lambda path: path.stem)
def test_a_kind_module_runs_only_what_the_dataset_stages_list(module):
    own = module.relative_to(REPO).as_posix()
    missing = uncovered(runs(module, lazy=False) - {own}, STAGES["download"]["deps"])
    assert not missing, (
        f"{own} imports {missing} at its top, which download's deps do not hold: import them in "
        "the function that needs them (download runs only the fetching code and the kind)"
    )
    missing = uncovered(runs(module), STAGES["prepare"]["deps"])
    assert not missing, f"{own} imports {missing}, which prepare's deps do not hold: add them"


SHARED = {"lrlab/base": ["lrlab/base"], "lrlab/core": ["lrlab/base", "lrlab/core"]}


@pytest.mark.parametrize(
    "module",
    [m for folder in SHARED for m in sorted((REPO / folder).glob("*.py"))],
    ids=lambda path: path.relative_to(REPO).as_posix(),
)
def test_what_the_stages_share_imports_nothing_above_it(module):
    folder = module.parent.relative_to(REPO).as_posix()
    outside = uncovered(runs(module), SHARED[folder])
    assert not outside, (
        f"{module.relative_to(REPO)} imports {outside}: {folder} is what the stages share, so it "
        f"may import only {' and '.join(SHARED[folder])} (move the code or the import)"
    )


# --- the checker itself, on a tiny fake project -------------------------------------------

FAKE = {
    "app/__init__.py": '"""Only a docstring: it runs nothing."""\n',
    "app/run.py": (
        "import os, numpy\n"
        "from typing import TYPE_CHECKING\n"
        "from pkg import a\n"
        "from pkg.attrs import VALUE\n"
        "if TYPE_CHECKING:\n"
        "    from pkg import typing_only\n"
        "def main():\n"
        "    from pkg.lazy import go  # read only when main() runs\n"
    ),
    "pkg/__init__.py": "VERSION = 1\n",
    "pkg/a.py": "from . import b\n",
    "pkg/b.py": "from .sub.deep import X\n",
    "pkg/attrs.py": "VALUE = 1\n",
    "pkg/lazy.py": "def go():\n    return 1\n",
    "pkg/typing_only.py": "",
    "pkg/unused.py": "",
    "pkg/sub/__init__.py": "NAME = 'sub'\n",
    "pkg/sub/deep.py": "from ..attrs import VALUE as X\n",
}
RUNS = {"app/run.py", "pkg/__init__.py", "pkg/a.py", "pkg/b.py", "pkg/attrs.py", "pkg/lazy.py"}
RUNS |= {"pkg/sub/__init__.py", "pkg/sub/deep.py"}


@pytest.fixture
def fake(tmp_path: Path):
    for name, text in FAKE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return lambda lazy=True: runs(tmp_path / "app/run.py", tmp_path, ("app", "pkg"), lazy)


def test_the_checker_follows_exactly_what_runs(fake, tmp_path):
    assert fake() == RUNS, "not: third-party, TYPE_CHECKING-only, unused or docstring-only"
    assert fake(lazy=False) == RUNS - {"pkg/lazy.py"}, "without the entry's lazy import"
    (tmp_path / "app/__init__.py").write_text('"""Now it runs something."""\nimport pkg.unused\n')
    (tmp_path / "pkg/sub/deep.py").write_text("X = 1\n")  # pkg/attrs.py: still run.py's
    (tmp_path / "pkg/unused.py").write_text("from .sub import deep\n")
    assert fake() == RUNS | {"app/__init__.py", "pkg/unused.py"}, "the entry's package runs"
    (tmp_path / "app/run.py").write_text("import app.run\n")
    assert fake() == {"app/run.py", "app/__init__.py", "pkg/__init__.py", "pkg/unused.py"} | {
        "pkg/sub/__init__.py",
        "pkg/sub/deep.py",
    }


def test_a_file_no_dep_holds_is_reported():
    assert uncovered(RUNS, sorted(RUNS - {"pkg/attrs.py"})) == ["pkg/attrs.py"]
    assert uncovered(RUNS, ["app", "pkg/"]) == []
    assert uncovered(RUNS, ["app/", "pkg/sub", "pkg/a.py", "pkg/b.py", "pkg/__init__.py"]) == [
        "pkg/attrs.py",
        "pkg/lazy.py",
    ]
    assert uncovered(["pkg/sub/deep.py"], ["pkg/su", "pkg/sub/deep", "${item}/pkg"]) == [
        "pkg/sub/deep.py"
    ]


def test_the_entry_is_read_from_the_stage_cmd(tmp_path):
    assert entry_of("python -m stages.train x") == REPO / "stages/train.py"
    assert entry_of("python  -m stages.missing") is None
    assert entry_of("python stages/train.py") is None
    dvc = {"stages": {"a": {"cmd": "x", "deps": []}, "b": {"foreach": [1], "do": {"cmd": "y"}}}}
    assert bodies(dvc) == {"a": {"cmd": "x", "deps": []}, "b": {"cmd": "y"}}
