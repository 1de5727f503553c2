"""Each stage of dvc.yaml lists in its ``deps`` every project module its script runs.

DVC reruns a stage only when one of its deps changes, so a module that a stage imports but does
not list is a silent staleness bug: edit it, and ``dvc repro`` keeps the old outputs. The checker
starts at the stage's entry module (``cmd: python -m stages.<name>``), follows its imports of
``lrlab`` and ``stages`` modules transitively through the AST (relative imports resolved, lazy
imports inside functions included, ``if TYPE_CHECKING:`` blocks skipped since they never run),
counts the ``__init__.py`` of every package on the way, and asserts that each file is a dep or
lies inside a folder dep. Deps with DVC interpolation (``${item}``) are data, not code, and are
ignored; listed code deps must exist. The synthetic tests below show that the checker can fail.

A package's ``__init__.py`` that holds only a docstring runs nothing, so no stage needs it as a
dep; the moment it holds code, it counts like any module. The dataset stages import their
dataset's kind module by name at run time (:func:`lrlab.datasets.kinds.load`), which no import
statement shows, so every kind module is checked on its own against them: what importing it
runs must be deps of ``download`` (which runs only the fetching code and its own kind), and
everything it can run, of ``prepare``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("lrlab", "stages")


# --- reading imports -----------------------------------------------------------------------


def module_name(path: Path, root: Path) -> str:
    """Dotted name of the module in ``path`` (a package's ``__init__.py`` names the package)."""
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_of(path: Path, root: Path) -> str:
    """The package that relative imports in ``path`` start from ('' for a top-level module)."""
    name = module_name(path, root)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def executed_files(name: str, root: Path, packages: Iterable[str] = PROJECT_PACKAGES) -> list[Path]:
    """Project files that ``import name`` runs: each package's ``__init__.py`` on the way down,
    then the module itself. Empty for a third-party or stdlib name; the walk stops at the first
    part that is no module (``lrlab.core.config.ParamsFile`` gives ``lrlab/__init__.py`` and
    ``lrlab/core/config.py``), so a ``from`` import's name may be a submodule or an attribute."""
    parts = name.split(".")
    if parts[0] not in packages:
        return []
    files: list[Path] = []
    for depth in range(1, len(parts) + 1):
        base = root.joinpath(*parts[:depth])
        module = next(
            (f for f in (base.with_suffix(".py"), base / "__init__.py") if f.is_file()), None
        )
        if module is not None and not runs_nothing(module):
            files.append(module)
        elif not base.is_dir():  # a folder without __init__.py is a namespace package
            break
    return files


def runs_nothing(path: Path) -> bool:
    """Whether ``path`` holds nothing but a docstring (a package marker): running it changes
    nothing, so it needs no dep."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(
    tree: ast.AST, in_functions: bool = True
) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in ``tree``, at any depth (a lazy import inside a function still
    runs), except those under ``if TYPE_CHECKING:``, which only type checkers read; with
    ``in_functions=False``, only those that importing the module runs (none inside a
    function's body)."""
    todo: list[ast.AST] = [tree]
    functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
        elif not in_functions and isinstance(node, functions):
            continue
        else:
            todo.extend(ast.iter_child_nodes(node))


def from_base(node: ast.ImportFrom, package: str) -> str | None:
    """The absolute module name of ``from <module> import ...``; None when a relative import
    climbs above the top level."""
    if node.level == 0:
        return node.module
    parts = package.split(".") if package else []
    if node.level - 1 >= len(parts):
        return None
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, node.module] if node.module else parts)


def imported_names(path: Path, root: Path, in_functions: bool = True) -> Iterator[str]:
    """Dotted names ``path`` imports at run time (``in_functions=False``: on being imported).
    For ``from m import n`` both ``m`` and ``m.n`` are given, since ``n`` may be a submodule of
    ``m`` or just one of its attributes."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = package_of(path, root)
    for node in runtime_imports(tree, in_functions):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
            continue
        base = from_base(node, package)
        if base is None:
            continue
        yield base
        yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")


def project_imports(
    entry: Path,
    root: Path = REPO,
    packages: Iterable[str] = PROJECT_PACKAGES,
    entry_functions: bool = True,
) -> set[str]:
    """Repo-relative posix paths of the project files that running ``entry`` executes: the
    entry itself, its packages' ``__init__.py`` files, and every project module imported from
    them, transitively. ``entry_functions=False``: what importing ``entry`` runs, leaving out
    the imports inside its functions (those of the modules it imports still count)."""
    packages = tuple(packages)
    entry = entry if entry.is_absolute() else root / entry
    todo = [entry, *executed_files(package_of(entry, root), root, packages)]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_names(path, root, entry_functions or path != entry):
            todo.extend(executed_files(name, root, packages))
    return {path.relative_to(root).as_posix() for path in seen}


# --- reading dvc.yaml ----------------------------------------------------------------------


def stage_bodies(dvc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Stage name -> the mapping holding its ``cmd`` and ``deps``: the ``do:`` body of a
    ``foreach:`` stage, the stage itself for a plain or ``matrix:`` stage."""
    stages = dvc.get("stages") or {}
    return {name: stage["do"] if "foreach" in stage else stage for name, stage in stages.items()}


def dep_paths(body: Mapping[str, Any]) -> list[str]:
    """The ``deps`` of a stage body as strings (a mapping entry contributes its keys)."""
    paths: list[str] = []
    for dep in body.get("deps") or []:
        paths.extend(map(str, dep) if isinstance(dep, Mapping) else [str(dep)])
    return paths


def entry_module(
    cmd: str | list[str] | None, root: Path = REPO, packages: Iterable[str] = ("stages",)
) -> Path | None:
    """The file that ``python -m <package>.<name> ...`` in ``cmd`` runs; None if there is none."""
    names = "|".join(map(re.escape, packages))
    pattern = re.compile(rf"\bpython\s+-m\s+((?:{names})(?:\.\w+)+)")
    for command in [cmd] if isinstance(cmd, str) else list(cmd or []):
        match = pattern.search(str(command))
        if match:
            files = executed_files(match[1], root, packages=[match[1].partition(".")[0]])
            if files and module_name(files[-1], root) == match[1]:
                return files[-1]
    return None


def _normalized(dep: str) -> str:
    return PurePosixPath(dep.strip()).as_posix()


def covers(dep: str, path: str) -> bool:
    """Whether dep ``dep`` (a file or a folder, with or without a trailing slash) holds
    ``path``; an interpolated dep (``${...}``) holds nothing."""
    if "${" in dep:
        return False
    dep = _normalized(dep)
    return dep == "." or path == dep or path.startswith(dep + "/")


def uncovered(modules: Iterable[str], deps: Iterable[str]) -> list[str]:
    """The modules (repo-relative posix paths) that no dep covers, sorted."""
    deps = list(deps)
    return sorted(m for m in modules if not any(covers(dep, m) for dep in deps))


def missing_code_deps(
    deps: Iterable[str], root: Path = REPO, packages: Iterable[str] = PROJECT_PACKAGES
) -> list[str]:
    """Listed code deps (under a project package, no interpolation) that do not exist."""
    packages = tuple(packages)
    return [
        dep
        for dep in deps
        if "${" not in dep
        and PurePosixPath(_normalized(dep)).parts[:1] in [(p,) for p in packages]
        and not (root / _normalized(dep)).exists()
    ]


# --- the real dvc.yaml ---------------------------------------------------------------------

STAGES = stage_bodies(yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8")))


@pytest.mark.parametrize("stage", list(STAGES))
def test_stage_deps_hold_every_module_the_stage_imports(stage):
    body = STAGES[stage]
    entry = entry_module(body.get("cmd"))
    assert entry is not None, (
        f"stage {stage!r}: cmd {body.get('cmd')!r} does not run an existing module as "
        "`python -m stages.<name>`"
    )
    missing = uncovered(project_imports(entry), dep_paths(body))
    assert not missing, "\n".join(
        f"stage {stage!r} imports {module}, which none of its deps holds: "
        "add it to the stage's deps in dvc.yaml"
        for module in missing
    )


@pytest.mark.parametrize("stage", list(STAGES))
def test_listed_code_deps_exist(stage):
    gone = missing_code_deps(dep_paths(STAGES[stage]))
    assert not gone, "\n".join(
        f"stage {stage!r} lists {dep}, which does not exist: fix or remove it in dvc.yaml"
        for dep in gone
    )


KINDS = sorted(p for p in (REPO / "lrlab/datasets/kinds").glob("*.py") if p.name[0] != "_")


KIND_DEP = "lrlab/datasets/kinds/${item.kind}.py"


def test_the_download_stage_depends_on_its_own_kind_module_alone():
    assert KINDS, "no dataset kind modules found"
    deps = dep_paths(STAGES["download"])
    assert KIND_DEP in deps
    kinds = [path.relative_to(REPO).as_posix() for path in KINDS]
    assert uncovered(kinds, deps) == kinds, "one kind's edit would fetch every dataset again"


@pytest.mark.parametrize("module", KINDS, ids=lambda path: path.stem)
def test_a_kind_module_runs_only_what_the_dataset_stages_list(module):
    own = module.relative_to(REPO).as_posix()
    on_import = project_imports(module, entry_functions=False)
    missing = uncovered(on_import - {own}, dep_paths(STAGES["download"]))
    assert not missing, "\n".join(
        f"{own} imports {path} at its top, which download's deps do not hold: import it inside "
        "the function that needs it (download runs only the fetching code and the kind), or "
        "add it"
        for path in missing
    )
    missing = uncovered(project_imports(module), dep_paths(STAGES["prepare"]))
    assert not missing, "\n".join(
        f"{own} imports {path}, which prepare's deps do not hold: add it to them in dvc.yaml"
        for path in missing
    )


SHARED = {"lrlab/base": ("lrlab/base/",), "lrlab/core": ("lrlab/base/", "lrlab/core/")}


@pytest.mark.parametrize(
    "module",
    [m for folder in SHARED for m in sorted((REPO / folder).glob("*.py"))],
    ids=lambda path: path.relative_to(REPO).as_posix(),
)
def test_what_the_stages_share_imports_nothing_above_it(module):
    folder = module.parent.relative_to(REPO).as_posix()
    outside = sorted(p for p in project_imports(module) if not p.startswith(SHARED[folder]))
    assert not outside, (
        f"{module.relative_to(REPO)} imports {outside}: {folder} is what the stages share, so it "
        f"may import only {' and '.join(SHARED[folder])} (move the code, or the import, to the "
        "package that needs it)"
    )


# --- the checker itself, on a tiny fake project -------------------------------------------

FAKE = {
    "app/__init__.py": '"""Only a docstring: it runs nothing."""\n',
    "app/run.py": (
        "import os\n"
        "import numpy as np\n"
        "from typing import TYPE_CHECKING\n"
        "from pkg import a\n"
        "from pkg.attrs import VALUE\n"
        "if TYPE_CHECKING:\n"
        "    from pkg import typing_only\n"
        "def main():\n"
        "    from pkg.lazy import go  # read only when main() runs\n"
        "    return go()\n"
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
FAKE_PACKAGES = ("app", "pkg")


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    for name, text in FAKE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def fake_imports(root: Path) -> set[str]:
    return project_imports(Path("app/run.py"), root, FAKE_PACKAGES)


def test_the_fake_entry_imports_exactly_what_it_runs(fake):
    assert fake_imports(fake) == {
        "app/run.py",
        "pkg/__init__.py",
        "pkg/a.py",
        "pkg/attrs.py",
        "pkg/b.py",
        "pkg/lazy.py",
        "pkg/sub/__init__.py",
        "pkg/sub/deep.py",
    }, "third-party, TYPE_CHECKING-only and unimported modules and docstring-only packages: no deps"


def test_a_package_marker_counts_once_it_holds_code(fake):
    assert "app/__init__.py" not in fake_imports(fake)
    (fake / "app/__init__.py").write_text('"""Now it runs something."""\nimport pkg.attrs\n')
    assert "app/__init__.py" in fake_imports(fake)


def test_a_module_missing_from_the_deps_is_reported(fake):
    modules = fake_imports(fake)
    assert uncovered(modules, sorted(modules)) == []
    assert uncovered(modules, sorted(modules - {"pkg/attrs.py"})) == ["pkg/attrs.py"]


def test_a_folder_dep_covers_the_files_inside_it(fake):
    modules = fake_imports(fake)
    assert uncovered(modules, ["app", "pkg/"]) == []
    assert uncovered(modules, ["app/", "./pkg/sub", "pkg/a.py", "pkg/b.py", "pkg/__init__.py"]) == [
        "pkg/attrs.py",
        "pkg/lazy.py",
    ]
    assert uncovered(["pkg/sub/deep.py"], ["pkg/su", "pkg/sub/deep"]) == ["pkg/sub/deep.py"]
    assert uncovered(["pkg/a.py"], ["${item}", "${item.dataset}/pkg"]) == ["pkg/a.py"]


def test_a_lazy_import_inside_a_function_is_found(fake):
    assert "pkg/lazy.py" in fake_imports(fake)
    on_import = project_imports(Path("app/run.py"), fake, FAKE_PACKAGES, entry_functions=False)
    assert on_import == fake_imports(fake) - {"pkg/lazy.py"}, "only the entry's lazy import goes"
    (fake / "app/run.py").write_text(FAKE["app/run.py"].replace("from pkg.lazy import go", "go"))
    assert "pkg/lazy.py" not in fake_imports(fake)


def test_relative_imports_are_resolved(fake):
    # pkg/a.py: `from . import b` (a submodule); pkg/b.py: `from .sub.deep import X`;
    # pkg/sub/deep.py: `from ..attrs import VALUE as X` (two levels up)
    assert {"pkg/b.py", "pkg/sub/__init__.py", "pkg/sub/deep.py", "pkg/attrs.py"} <= (
        fake_imports(fake)
    )
    (fake / "pkg/sub/deep.py").write_text("X = 1\n")
    assert "pkg/attrs.py" in fake_imports(fake), "still imported by app/run.py"
    (fake / "app/run.py").write_text("from pkg import a\n")
    assert "pkg/attrs.py" not in fake_imports(fake)


def test_from_import_names_a_submodule_or_an_attribute(fake):
    (fake / "app/run.py").write_text("from pkg import a, something\nfrom pkg.sub import deep\n")
    assert fake_imports(fake) >= {"pkg/__init__.py", "pkg/a.py", "pkg/sub/deep.py"}
    (fake / "app/run.py").write_text("import pkg.sub.deep\n")
    assert fake_imports(fake) >= {"pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/deep.py"}


def test_a_listed_code_dep_that_does_not_exist_is_reported(fake):
    deps = ["pkg/a.py", "pkg/sub/", "pkg/gone.py", "pkg/old/", "data/x.csv", "pkg/${item}.py"]
    assert missing_code_deps(deps, fake, FAKE_PACKAGES) == ["pkg/gone.py", "pkg/old/"]


def test_stage_bodies_and_entries_are_read_from_every_stage_form(fake):
    dvc = {
        "stages": {
            "plain": {"cmd": "python -m app.run --fast", "deps": ["app/run.py"]},
            "loop": {
                "foreach": ["a", "b"],
                "do": {"cmd": "python -m app.run ${item}", "deps": ["pkg", "${item}"]},
            },
            "grid": {
                "matrix": {"x": [1, 2]},
                "cmd": ["echo ${item.x}", "python  -m app.run ${item.x}"],
                "deps": ["pkg/a.py"],
            },
        }
    }
    bodies = stage_bodies(dvc)
    assert {name: dep_paths(body) for name, body in bodies.items()} == {
        "plain": ["app/run.py"],
        "loop": ["pkg", "${item}"],
        "grid": ["pkg/a.py"],
    }
    for body in bodies.values():
        assert entry_module(body["cmd"], fake, ["app"]) == fake / "app/run.py"
    assert entry_module("python -m app.missing", fake, ["app"]) is None
    assert entry_module("python -m stages.train x") == REPO / "stages/train.py"
    assert entry_module("python train.py") is None
