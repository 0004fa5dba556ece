"""The house's layer rules, checked over the source (issue #9 §3).

The floors table of docs/ARCHITECTURE.md is parsed and every import statement of
``src/seawatch`` (found with :mod:`ast`, inside functions and ``TYPE_CHECKING`` blocks too)
is checked against it:

1. every package and top-level module of ``src/seawatch`` has a row;
2. a package imports only packages on a lower floor (never its own floor or above);
3. a row's "imports" column is exactly what the package imports (the document is true
   to the code);
4. no package imports another package's private module (``seawatch.x._y`` from outside
   ``x``); the floor-0 modules are shared by all;
5. no ``importlib.import_module("seawatch...")`` or ``__import__("seawatch...")``: every
   dependency is an import statement that this test sees;
6. the engine names no detector: its scheduling modules import no detector module and hold
   no detector id or event type as a string (it schedules :data:`seawatch.detect.REGISTRY`).

The checks run on synthetic sources first, so that each rule is shown to fail.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src" / "seawatch"
DOC = REPO / "docs" / "ARCHITECTURE.md"

ENGINE_SCHEDULERS = ("__init__.py", "_run.py", "_bucket.py", "_partition.py")
"""The engine's modules that schedule detectors (``_dark.py`` is the scene step itself)."""

PRIVATE_ALLOWED: frozenset[tuple[str, str]] = frozenset()
"""Known imports of another package's private module, each with its reason. Entries may go
stale (then they are simply unused); new ones need a reason here."""


@dataclass(frozen=True, slots=True)
class Row:
    floor: int
    package: str
    imports: frozenset[str]


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    """``seawatch.x.y`` as written (``from seawatch.x import y`` gives ``seawatch.x.y``)."""
    line: int


def parse_floors(text: str) -> dict[str, Row]:
    """The rows of the floors table between ``<!-- floors: begin -->`` and ``end``."""
    m = re.search(r"<!-- floors: begin -->(.*?)<!-- floors: end -->", text, re.S)
    assert m is not None, "docs/ARCHITECTURE.md has no floors table"
    rows: dict[str, Row] = {}
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].isdigit():
            continue
        package = cells[1].strip("`")
        imports = frozenset(
            i.strip().strip("`") for i in cells[2].split(",") if i.strip() not in ("", "-")
        )
        assert package not in rows, f"{package} has two rows"
        rows[package] = Row(int(cells[0]), package, imports)
    assert rows, "the floors table has no rows"
    return rows


def package_of(path: Path, root: Path) -> str:
    """``detect`` for ``root/detect/x.py``, ``_units`` for ``root/_units.py``, ``seawatch``
    for ``root/__init__.py``."""
    parts = path.relative_to(root).parts
    if len(parts) > 1:
        return parts[0]
    name = parts[0].removesuffix(".py")
    return "seawatch" if name == "__init__" else name


def imports_of(source: str) -> Iterator[Import]:
    """Every absolute import of a ``seawatch`` module in ``source``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "seawatch" or node.module.startswith("seawatch."):
                for alias in node.names:
                    yield Import(f"{node.module}.{alias.name}", node.lineno)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("seawatch."):
                    yield Import(alias.name, node.lineno)


def dynamic_imports(source: str) -> Iterator[tuple[int, str]]:
    """``importlib.import_module("seawatch...")`` / ``__import__("seawatch...")`` calls
    with a literal (or f-string) first argument naming a seawatch module."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name not in ("import_module", "__import__"):
            continue
        arg = node.args[0]
        text = ""
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            text = arg.value
        elif isinstance(arg, ast.JoinedStr) and arg.values:
            head = arg.values[0]
            if isinstance(head, ast.Constant) and isinstance(head.value, str):
                text = head.value
        if text == "seawatch" or text.startswith("seawatch."):
            yield node.lineno, text


def target_package(module: str) -> str:
    """``detect`` for ``seawatch.detect.x``; ``_units`` for ``seawatch._units``;
    ``seawatch`` for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "seawatch"


def private_target(module: str, rows: Mapping[str, Row]) -> str | None:
    """The private module ``module`` reaches into (``seawatch.x._y``), or None."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] in rows:
        for i, part in enumerate(parts[2:], start=2):
            if part.startswith("_") and not part.startswith("__"):
                return ".".join(parts[: i + 1])
    return None


def violations(files: Mapping[str, str], rows: Mapping[str, Row]) -> list[str]:
    """Every rule broken by ``files`` (path relative to the package root -> source)."""
    out: list[str] = []
    actual: dict[str, set[str]] = {p: set() for p in rows}
    for rel, source in sorted(files.items()):
        pkg = package_of(Path(rel), Path())
        if pkg not in rows:
            out.append(f"{rel}: package {pkg!r} has no row in the floors table")
            continue
        me = rows[pkg]
        for imp in imports_of(source):
            target = target_package(imp.module)
            if target not in rows and imp.module.count(".") == 1:
                target = "seawatch"  # a name of the package root: from seawatch import x
            if target == pkg:
                continue
            if target not in rows:
                out.append(f"{rel}:{imp.line}: {imp.module}: no row for {target!r}")
                continue
            actual[pkg].add(target)
            if rows[target].floor >= me.floor:
                out.append(
                    f"{rel}:{imp.line}: {pkg} (floor {me.floor}) imports {imp.module} "
                    f"({target}, floor {rows[target].floor}): imports flow down only"
                )
            private = private_target(imp.module, rows)
            if private is not None and (rel, private) not in PRIVATE_ALLOWED:
                out.append(
                    f"{rel}:{imp.line}: {pkg} imports {private}, a private module of "
                    f"{target}: import its public name instead"
                )
        for line, text in dynamic_imports(source):
            out.append(f"{rel}:{line}: importlib of {text!r} hides an import: use a statement")
    for pkg, row in rows.items():
        present = any(package_of(Path(rel), Path()) == pkg for rel in files)
        if present and set(row.imports) != actual[pkg]:
            missing = sorted(actual[pkg] - row.imports)
            extra = sorted(row.imports - actual[pkg])
            out.append(
                f"floors table row {pkg!r}: imports column is not what the code imports "
                f"(not listed: {missing}; listed but not imported: {extra})"
            )
    return out


def engine_names_detectors(files: Mapping[str, str], names: frozenset[str]) -> list[str]:
    """Detector ids or event types named by the engine's scheduling modules, and detector
    modules they import."""
    out: list[str] = []
    for rel, source in sorted(files.items()):
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and (node.value in names)
            ):
                out.append(f"{rel}:{node.lineno}: names the detector {node.value!r}")
        for imp in imports_of(source):
            parts = imp.module.split(".")
            if len(parts) >= 3 and parts[1] == "detect" and parts[2] in names | _MODULES:
                out.append(f"{rel}:{imp.line}: imports the detector module {imp.module}")
    return out


def _registry_names() -> tuple[frozenset[str], frozenset[str]]:
    from seawatch.detect import REGISTRY

    names = frozenset({d.name for d in REGISTRY} | {t for d in REGISTRY for t in d.types})
    modules = frozenset(d.module for d in REGISTRY)
    return names, modules


_NAMES, _MODULES = _registry_names()


def _source_files() -> dict[str, str]:
    return {
        str(p.relative_to(SRC)): p.read_text(encoding="utf-8")
        for p in sorted(SRC.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def rows() -> dict[str, Row]:
    return parse_floors(DOC.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------
# the rules fail where they should


SMALL = {
    "_units.py": Row(0, "_units", frozenset()),
    "ais": Row(1, "ais", frozenset({"_units"})),
    "store": Row(2, "store", frozenset({"ais"})),
    "detect": Row(2, "detect", frozenset({"ais"})),
}


def _small_rows() -> dict[str, Row]:
    return {r.package: r for r in SMALL.values()}


def test_a_clean_tree_passes() -> None:
    files = {
        "_units.py": "X = 1\n",
        "ais/__init__.py": "from seawatch._units import X\n",
        "store/_s.py": "from seawatch.ais import codes\nfrom seawatch.store import _t\n",
        "detect/d.py": "import seawatch.ais\n",
    }
    assert violations(files, _small_rows()) == []


def test_an_upward_import_fails() -> None:
    files = {
        "_units.py": "",
        "ais/__init__.py": "from seawatch._units import X\n",
        "store/_s.py": "from seawatch.ais import codes\n",
        "detect/d.py": "def f():\n    from seawatch.store import open_store\n",
    }
    found = violations(files, _small_rows())
    assert any("detect/d.py:2: detect (floor 2) imports seawatch.store" in v for v in found)
    # and the table's imports column no longer matches
    assert any("row 'detect'" in v and "'store'" in v for v in found)


def test_a_private_module_of_another_package_fails() -> None:
    files = {
        "_units.py": "",
        "ais/__init__.py": "from seawatch._units import X\n",
        "store/_s.py": "from seawatch.ais._decoder import NmeaDecoder\n",
        "detect/d.py": "from seawatch.ais import _kernels\n",
    }
    found = violations(files, _small_rows())
    assert any("store/_s.py:1: store imports seawatch.ais._decoder" in v for v in found)
    assert any("detect/d.py:1: detect imports seawatch.ais._kernels" in v for v in found)


def test_importlib_of_a_seawatch_module_fails() -> None:
    files = {
        "_units.py": "",
        "ais/__init__.py": "import importlib\nm = importlib.import_module('seawatch.store')\n",
        "store/_s.py": "from seawatch.ais import x\n",
        "detect/d.py": "from seawatch.ais import x\nm = __import__(f'seawatch.{n}')\n",
    }
    found = violations(files, _small_rows())
    assert any("ais/__init__.py:2: importlib of 'seawatch.store'" in v for v in found)
    assert any("detect/d.py:2: importlib of 'seawatch.'" in v for v in found)


def test_a_package_without_a_row_fails() -> None:
    found = violations({"alerts/rules.py": "X = 1\n"}, _small_rows())
    assert found == ["alerts/rules.py: package 'alerts' has no row in the floors table"]


def test_the_engine_check_fails_on_a_named_detector() -> None:
    src = 'from seawatch.detect import encounters\nif "loitering" in selected:\n    pass\n'
    found = engine_names_detectors({"engine/_run.py": src}, _NAMES)
    assert found == [
        "engine/_run.py:2: names the detector 'loitering'",
        "engine/_run.py:1: imports the detector module seawatch.detect.encounters",
    ]


def test_the_floors_table_parses() -> None:
    text = (
        "x\n<!-- floors: begin -->\n| floor | package | imports | role |\n|---|---|---|---|\n"
        "| 0 | `_units` | - | units |\n| 3 | `detect` | `ais`, `_units` | kernels |\n"
        "<!-- floors: end -->\n"
    )
    assert parse_floors(text) == {
        "_units": Row(0, "_units", frozenset()),
        "detect": Row(3, "detect", frozenset({"ais", "_units"})),
    }


# ------------------------------------------------------------------------------------------
# the rules hold for seawatch


def test_every_package_has_a_floor(rows: dict[str, Row]) -> None:
    packages = {package_of(Path(rel), Path()) for rel in _source_files()}
    assert packages - set(rows) == set(), "packages without a row in docs/ARCHITECTURE.md"
    assert set(rows) - packages == set(), "rows for packages that do not exist"


def test_seawatch_keeps_its_floors(rows: dict[str, Row]) -> None:
    found = violations(_source_files(), rows)
    assert found == [], "\n".join(found)


def test_the_engine_names_no_detector() -> None:
    files = {
        f"engine/{name}": (SRC / "engine" / name).read_text(encoding="utf-8")
        for name in ENGINE_SCHEDULERS
    }
    found = engine_names_detectors(files, _NAMES)
    assert found == [], "\n".join(found)


def test_the_registry_is_the_one_table() -> None:
    """EVENT_TYPES, KERNELS and PRESETS are derived from the registry, and every detector
    of a kind has what its kind needs."""
    from seawatch.detect import EVENT_TYPES, KERNELS, PRESETS, REGISTRY

    assert dict(EVENT_TYPES) == {d.name: d.types for d in REGISTRY}
    assert set(KERNELS) == {d.name for d in REGISTRY if d.kind == "vessel"}
    for preset in PRESETS.values():
        assert list(preset) == [d.name for d in REGISTRY]
        for d in REGISTRY:
            assert isinstance(preset[d.name], d.params)
    for d in REGISTRY:
        assert (d.kernel is not None) == (d.kind == "vessel"), d.name
        assert (d.pair is not None) == (d.kind == "pair"), d.name
        assert (d.statics is not None) == (d.kind == "statics"), d.name
        assert set(d.needs) <= {x.name for x in REGISTRY}, d.name
        module = importlib.import_module(f"seawatch.detect.{d.module}")
        if d.kind != "scene":  # the naming scheme: module.module() finds the events
            assert callable(getattr(module, d.module)), d.name
        assert set(d.types) == set(getattr(module, "TYPES", (getattr(module, "TYPE", None),)))
        if d.pair is not None:
            assert (d.pair.stream is None) != (d.pair.window is None), d.name
            assert (d.pair.window is None) == (d.pair.halo_us is None), d.name
