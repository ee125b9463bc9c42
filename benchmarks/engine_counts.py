"""Where the fast engine's time per lead goes, counted rather than timed, for teams of 20 and 250 managers.

    python benchmarks/engine_counts.py [--json] [--managers 20 250] [--l2-bytes 1048576]

Timings on a shared machine move 6-10% between runs of the same code, and
a virtual machine often exposes no processor counters.  Valgrind's
callgrind counts instead, the same on every run: instructions, reads and
writes that miss a simulated first-level data cache (D1) and a simulated
second-level cache (``--l2-bytes``, 8-way, 64-byte lines; callgrind calls
it LL), and mispredicted conditional branches (its branch simulator).
Each count is per lead simulated, for one call of the fast engine on
q3 with its team and lead volume scaled to each ``--managers``
(``bench_engines.scaled_q3``), with the numba cache warm, so nothing but
that call is counted.  The engine is compiled for ``x86-64-v2`` here
(valgrind cannot run AVX-512 code), so the machine code differs a little
from a native run's: the counts show where the work and the misses are,
not the native time.

Requires valgrind (``apt-get install valgrind``); not run by the tests
(tests/test_engine_counts.py checks how callgrind's output is read).  Each
team size takes a minute or two.  The figures are in docs/engines.md, "What
the 250-manager runs pay for, counted".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: What the engine is compiled for, with its features spelled out so that numba's cache key is the same
#: inside valgrind (which reports other processor features) as in the process that compiled it.
CPU_ENV = {"NUMBA_CPU_NAME": "x86-64-v2",
           "NUMBA_CPU_FEATURES": "+64bit,+cmov,+cx16,+cx8,+fxsr,+mmx,+sse,+sse2,+sse3,+ssse3,+sse4.1,"
                                 "+sse4.2,+popcnt,+sahf"}
#: The figures reported, as named in the output: instructions, D1 and L2 misses, mispredictions.
FIGURES = {"instructions": ("Ir",), "d1_misses": ("D1mr", "D1mw"), "l2_misses": ("DLmr", "DLmw"),
           "mispredicted": ("Bcm", "Bim")}


def short_name(symbol: str) -> str:
    """``_ZN8simsales7engines4fast8handover5flushB3v97B...`` -> ``handover.flush``; others unchanged.

    numba's symbols are Itanium-mangled paths (length, name, ...); the
    engine's are shortened to module and function.
    """
    if not symbol.startswith("_ZN"):
        return symbol
    parts, i = [], 3
    while i < len(symbol) and symbol[i].isdigit():
        j = i
        while j < len(symbol) and symbol[j].isdigit():
            j += 1
        n = int(symbol[i:j])
        parts.append(symbol[j:j + n])
        i = j + n
    if parts[:3] == ["simsales", "engines", "fast"]:
        parts = parts[3:]
    return ".".join(parts) if parts else symbol


def read_callgrind(path: Path, symbols: list[tuple[int, str]]) -> dict[str, dict[str, int]]:
    """Self cost per function from a callgrind output written with ``--dump-instr=yes``.

    Args:
        path: the output file.
        symbols: ``(address, name)`` of the functions compiled at run time,
            which callgrind cannot name; an instruction belongs to the
            nearest function starting at or before it.  Others keep
            callgrind's name.

    Returns:
        Per function, per event of the file's ``events:`` line (``Ir``,
        ``D1mr`` ...), the total.  The cost lines under a ``calls=`` line (the
        callee's inclusive cost) are not counted.
    """
    starts = sorted(symbols)
    events: list[str] = []
    n_positions = 1
    names: dict[str, str] = {}  # callgrind names a function once, then by its number alone
    costs: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    fn, addr, callee_line = "?", 0, False
    for line in path.read_text().splitlines():
        if line.startswith("positions:"):
            n_positions = len(line.split()) - 1
        elif line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith(("fn=", "cfn=")):  # a callee's name may come first in a cfn= line
            number, _, name = line.split("=", 1)[1].partition(" ")
            if name:
                names[number] = name
            if line.startswith("fn="):
                fn = names.get(number, number)
        elif line.startswith("calls="):
            callee_line = True
        elif line and (line[0] in "+-*" or line.startswith("0x")):
            fields = line.split()
            pos = fields[0]
            if pos.startswith("0x"):
                addr = int(pos, 16)
            elif pos[0] in "+-":
                addr += int(pos)
            if callee_line:  # the call's inclusive cost: the callee's own lines count it
                callee_line = False
                continue
            name = _owner(addr, starts) or fn
            for event, value in zip(events, fields[n_positions:], strict=False):
                costs[name][event] += int(value)
    return {name: dict(c) for name, c in costs.items()}


def _owner(addr: int, starts: list[tuple[int, str]]) -> str | None:
    """The function of ``starts`` (sorted by address) that ``addr`` falls in, or None below them all."""
    lo, hi = 0, len(starts)
    while lo < hi:
        mid = (lo + hi) // 2
        if starts[mid][0] <= addr:
            lo = mid + 1
        else:
            hi = mid
    if lo == 0 or addr - starts[lo - 1][0] > 1 << 16:  # not in the run-time code at all
        return None
    return starts[lo - 1][1]


def per_lead(costs: dict[str, dict[str, int]], leads: int, top: int) -> dict:
    """Totals and the ``top`` functions by instructions, each figure of ``FIGURES`` per lead."""
    def figures(c: dict[str, int]) -> dict[str, float]:
        return {k: sum(c.get(e, 0) for e in evs) / leads for k, evs in FIGURES.items()}
    total: dict[str, int] = defaultdict(int)
    for c in costs.values():
        for e, v in c.items():
            total[e] += v
    ranked = sorted(costs.items(), key=lambda kv: -kv[1].get("Ir", 0))[:top]
    return {"leads": leads, "total": figures(total),
            "functions": [{"function": short_name(n), **figures(c)} for n, c in ranked]}


def _world(managers: int):
    """The engine's arguments for q3 scaled to ``managers``: (world, stream), replication 0."""
    from bench_engines import scaled_q3, worlds

    from simsales import montecarlo
    scenario = scaled_q3(managers)
    ((r, world),) = worlds(scenario, 1)
    return world, lambda: montecarlo.stream(scenario.seed, r, "dynamics")


def _run_split_library():
    """The compiled ``run_split``'s code library (its callees are linked into it)."""
    from simsales.engines.fast import split
    (cres,) = split.run_split.overloads.values()
    return cres.library


def child_names(managers: int, out: Path) -> None:
    """In a fresh process with an empty numba cache: compile, run once, write the engine's function names."""
    from simsales.engines import get_engine
    world, stream = _world(managers)
    get_engine("fast")(world, stream())
    names = [f.name for f in _run_split_library()._final_module.functions if not f.is_declaration]
    out.write_text("\n".join(names) + "\n")


def child_count(managers: int, names: Path, symbols: Path) -> None:
    """Under callgrind: one warm engine call, the only one instrumented; the functions' addresses written."""
    from simsales.engines import get_engine
    from simsales.engines.contract import ReplicationCache
    world, stream = _world(managers)
    simulate, cache = get_engine("fast"), ReplicationCache()
    simulate(world, stream(), cache=cache)  # from numba's cache; the replication's tables sized
    library = _run_split_library()
    rows = []
    for name in names.read_text().split():
        try:
            rows.append(f"{library.get_pointer_to_function(name):x} {name}")
        except Exception:  # inlined everywhere: no symbol of its own
            continue
    symbols.write_text("\n".join(rows) + "\n")
    control = shutil.which("callgrind_control") or "callgrind_control"
    subprocess.run([control, "-i", "on", str(os.getpid())], check=True, capture_output=True)
    simulate(world, stream(), cache=cache)
    subprocess.run([control, "-i", "off", str(os.getpid())], check=True, capture_output=True)
    print(len(world.leads))


def count(managers: list[int], l2_bytes: int, top: int) -> list[dict]:
    """Each team size counted under callgrind, side by side (the runs in parallel, two at a time)."""
    if not shutil.which("valgrind"):
        sys.exit("engine_counts: valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="simsales-counts-") as tmp:
        tmp_path = Path(tmp)
        env = {**os.environ, **CPU_ENV, "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
               "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "benchmarks")])}
        names = tmp_path / "names.txt"
        print("compiling the engine for x86-64-v2 (about a minute) ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, __file__, "--child-names", str(min(managers)), str(names)],
                       check=True, env=env)
        rows = []
        for pair in (managers[i:i + 2] for i in range(0, len(managers), 2)):
            runs = {}
            for n in pair:
                print(f"counting {n} managers under callgrind (about a minute) ...", file=sys.stderr,
                      flush=True)
                out, symbols = tmp_path / f"callgrind.{n}", tmp_path / f"symbols.{n}"
                cmd = ["valgrind", "--tool=callgrind", "--cache-sim=yes", "--branch-sim=yes",
                       f"--LL={l2_bytes},8,64", "--instr-atstart=no", "--dump-instr=yes",
                       f"--callgrind-out-file={out}", sys.executable, __file__, "--child-count", str(n),
                       str(names), str(symbols)]
                runs[n] = (subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                            text=True), out, symbols)
            for n, (proc, out, symbols) in runs.items():
                stdout, _ = proc.communicate()
                if proc.returncode:
                    sys.exit(f"engine_counts: the callgrind run for {n} managers failed ({proc.returncode})")
                leads = int(stdout.split()[-1])
                lines = [line.split(maxsplit=1) for line in symbols.read_text().splitlines() if line.strip()]
                table = [(int(a, 16), name) for a, name in lines]
                rows.append({"managers": n, **per_lead(read_callgrind(out, table), leads, top)})
    return rows


def text(rows: list[dict], l2_bytes: int) -> str:
    """The counts as a table: totals per team size, then the top functions."""
    head = f"{'per lead':<28}" + "".join(f"{r['managers']:>10} mgr" for r in rows)
    lines = [f"fast engine, counted by callgrind (D1 32 KiB, L2 {l2_bytes // 1024} KiB), per lead simulated",
             head]
    for k in FIGURES:
        lines.append(f"{k:<28}" + "".join(f"{r['total'][k]:>14.1f}" for r in rows))
    for r in rows:
        lines += ["", f"{r['managers']} managers ({r['leads']:,} leads): the top functions",
                  f"{'function':<34}" + "".join(f"{k:>14}" for k in FIGURES)]
        lines += [f"{f['function'][:34]:<34}" + "".join(f"{f[k]:>14.1f}" for k in FIGURES)
                  for f in r["functions"]]
    return "\n".join(lines)


def main() -> None:
    """Count, print (or ``--json``)."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child-names":
        child_names(int(sys.argv[2]), Path(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child-count":
        child_count(int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--managers", type=int, nargs="+", default=[20, 250], help="team sizes")
    parser.add_argument("--l2-bytes", type=int, default=1 << 20,
                        help="the simulated second-level cache's size (a power of two; default 1 MiB)")
    parser.add_argument("--top", type=int, default=8, help="functions listed per team size")
    args = parser.parse_args()
    rows = count(args.managers, args.l2_bytes, args.top)
    if args.json:
        doc = {"l2_bytes": args.l2_bytes, "cpu": CPU_ENV["NUMBA_CPU_NAME"], "counts": rows}
        print(json.dumps(doc, indent=2))
    else:
        print(text(rows, args.l2_bytes))


if __name__ == "__main__":
    main()
