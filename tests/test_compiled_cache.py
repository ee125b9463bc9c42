"""The fast engine's numba cache follows every source the compiled code is made of."""

from __future__ import annotations

import ast
from pathlib import Path

from simsales.engines.fast import cache as compiled_cache
from simsales.engines.fast import engine as fast


def cached_files(directory: Path, *names: str) -> list[Path]:
    files = [directory / name for name in names]
    for f in files:
        f.write_bytes(b"machine code")
    return files


def test_an_edit_of_any_engine_source_drops_the_engines_cached_code(tmp_path):
    stale = cached_files(tmp_path, "loop.run_loop-53.py311.nbi", "loop.run_loop-53.py311.1.nbc",
                         "routing.route-140.py311.nbi", "chain.take-1.py311.nbi")
    other = cached_files(tmp_path, "ramp_months.walk_days_months-10.py311.nbi")
    assert sorted(compiled_cache.forget_if_stale([tmp_path], "digest-1")) == sorted(stale)
    assert not any(f.exists() for f in stale) and all(f.exists() for f in other)
    assert (tmp_path / compiled_cache.FINGERPRINT).read_text() == "digest-1"
    # The same sources: the code compiled since is kept.
    fresh = cached_files(tmp_path, "loop.run_loop-53.py311.nbi")
    assert compiled_cache.forget_if_stale([tmp_path], "digest-1") == []
    assert fresh[0].exists()
    # Another edit: dropped again.
    assert compiled_cache.forget_if_stale([tmp_path], "digest-2") == fresh


def test_the_fingerprint_covers_the_rules_and_the_constants(tmp_path):
    names = {p.name for p in compiled_cache.SOURCES}
    assert {"engine.py", "chain.py", "dispatch.py", "routing.py", "queues.py", "tables.py", "split.py",
            "loop.py", "contract.py", "contact.py", "units.py", "policies.py"} <= names
    assert all(p.is_file() for p in compiled_cache.SOURCES)
    a, b = tmp_path / "fast_rules.py", tmp_path / "fast_loop.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    before = compiled_cache.fingerprint([a, b])
    a.write_text("x = 3\n")
    assert compiled_cache.fingerprint([a, b]) != before


def module_name(path: Path) -> str:
    parts = path.resolve().relative_to(compiled_cache.PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class Imports(ast.NodeVisitor):
    """The modules a file imports at run time (``if TYPE_CHECKING:`` blocks left out)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.names.update(alias.name for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module:
            self.names.add(node.module)
            self.names.update(f"{node.module}.{alias.name}" for alias in node.names)


def simsales_imports(path: Path) -> set[str]:
    """The simsales modules ``path`` imports at run time."""
    visitor = Imports()
    visitor.visit(ast.parse(path.read_text()))
    root = compiled_cache.PACKAGE.parent
    return {name for name in visitor.names if name.startswith("simsales.") and (
        (root / Path(*name.split("."))).with_suffix(".py").is_file()
        or (root / Path(*name.split(".")) / "__init__.py").is_file())}


def test_every_module_the_compiled_code_imports_is_a_source_or_python_only():
    """A new import into the engine's sources must be fingerprinted, or said to be Python only."""
    sources = {module_name(p) for p in compiled_cache.SOURCES}
    for path in compiled_cache.SOURCES:
        for imported in simsales_imports(path):
            assert imported in sources or imported in compiled_cache.PYTHON_ONLY, (
                f"{module_name(path)} imports {imported}: add it to SOURCES or PYTHON_ONLY")
    assert not sources & compiled_cache.PYTHON_ONLY


def test_importing_the_engine_stamps_its_cache_with_the_current_sources():
    dirs = compiled_cache.cache_dirs((fast.fast_loop.run_loop, fast.fast_split.run_split))
    assert dirs
    for directory in dirs:
        assert (directory / compiled_cache.FINGERPRINT).read_text() == compiled_cache.fingerprint()
