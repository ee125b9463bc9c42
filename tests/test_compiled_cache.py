"""The fast engine's numba cache follows every source the compiled code is made of."""

from __future__ import annotations

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
                         "rules.route-140.py311.nbi")
    other = cached_files(tmp_path, "ramp_walk.walk-10.py311.nbi")
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
    assert {"engine.py", "rules.py", "queues.py", "split.py", "loop.py",
            "world.py", "calendar.py"} <= names
    a, b = tmp_path / "fast_rules.py", tmp_path / "fast_loop.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    before = compiled_cache.fingerprint([a, b])
    a.write_text("x = 3\n")
    assert compiled_cache.fingerprint([a, b]) != before


def test_importing_the_engine_stamps_its_cache_with_the_current_sources():
    dirs = compiled_cache.cache_dirs((fast.fast_loop.run_loop, fast.fast_split.run_split))
    assert dirs
    for directory in dirs:
        assert (directory / compiled_cache.FINGERPRINT).read_text() == compiled_cache.fingerprint()
