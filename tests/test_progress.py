"""Progress on stderr: rich's live bars on a terminal, sparse plain lines in a log (CI, a pipe, a file)."""

from __future__ import annotations

import io
import re

from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

from simsales.cli import app
from simsales.cli import progress as progress_module
from simsales.cli.progress import LogProgress, progress_display, seconds_text

from .conftest import SMALL

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""Control characters (not newline or tab): a log must hold none (no cursor moves, no colours, no \\r)."""


class Clock:
    """A fake clock, seconds."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def log_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, width=200), buffer


def test_a_log_gets_a_line_at_most_every_half_minute_with_the_time_left():
    console, buffer = log_console()
    clock = Clock()
    with progress_display("{task.description}", console=console, clock=clock) as bar:
        assert isinstance(bar, LogProgress)
        task = bar.add_task("fast: 6 plans x 1000 replications", total=1000)
        for _ in range(100):  # 10 replications every 6 s: 10 minutes in all
            clock.now += 6
            bar.advance(task, 10)
    lines = buffer.getvalue().splitlines()
    # 600 s at one line per 30 s at most: 20 progress lines and the last one, not one line per advance.
    assert 15 <= len(lines) <= 21, lines
    assert lines[0] == "fast: 6 plans x 1000 replications: 50/1,000 (5%), 30 s so far, about 9 min 30 s left"
    assert "500/1,000 (50%), 5 min 0 s so far, about 5 min 0 s left" in "\n".join(lines)
    assert lines[-1] == "fast: 6 plans x 1000 replications: done, 1,000/1,000 in 10 min"
    assert not CONTROL.search(buffer.getvalue())


def test_a_short_task_says_nothing_in_a_log():
    console, buffer = log_console()
    clock = Clock()
    with progress_display("{task.description}", console=console, clock=clock) as bar:
        task = bar.add_task("levers: up to 3 runs x 4 replications", total=12)
        for _ in range(12):
            clock.now += 1
            bar.advance(task, 1)
    assert buffer.getvalue() == ""


def test_stages_each_report_in_a_log():
    """The optimiser's stages: a task each, updated to done when the next starts."""
    console, buffer = log_console()
    clock = Clock()
    with progress_display("{task.description}", console=console, clock=clock, transient=False) as bar:
        first = bar.add_task("race, round 1: 30 plans x 10 replications", total=300)
        clock.now += 40
        bar.advance(first, 100)
        bar.update(first, completed=300)
        second = bar.add_task("race, round 2: 27 plans x 20 replications", total=540)
        clock.now += 10
        bar.advance(second, 20)
    assert buffer.getvalue().splitlines() == [
        "race, round 1: 30 plans x 10 replications: 100/300 (33%), 40 s so far, about 1 min 20 s left",
        "race, round 1: 30 plans x 10 replications: done, 300/300 in 40 s",
    ]


def test_a_terminal_gets_rich_live_bars_and_json_gets_none():
    terminal = Console(file=io.StringIO(), force_terminal=True)
    bar = progress_display("{task.description}", console=terminal)
    assert type(bar) is Progress and not bar.disable
    console, _ = log_console()
    assert progress_display("{task.description}", console=console, disable=True).disable


def test_seconds_text():
    assert [seconds_text(s) for s in (0.4, 45, 185, 600, 4320)] == ["0 s", "45 s", "3 min 5 s", "10 min",
                                                                     "1 h 12 min"]


def test_a_run_logged_to_a_file_shows_its_progress_in_plain_lines(monkeypatch):
    """stderr not a terminal (CI): a run printed nothing from its start to its end, however long."""
    monkeypatch.setattr(progress_module, "LOG_SECONDS", 0.0)  # a line at every batch
    result = CliRunner().invoke(app, ["run", str(SMALL), "-n", "4", "--workers", "1", "--format", "table"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "replications:" in line]
    assert [re.sub(r" \d+ s", " N s", line.split("replications: ", 1)[1]) for line in lines] == [
        "1/4 (25%), N s so far, about N s left", "2/4 (50%), N s so far, about N s left",
        "3/4 (75%), N s so far, about N s left", "done, 4/4 in N s"], lines
    assert all(re.match(r"fast: \d+ plans x 4 replications: ", line) for line in lines), lines
    assert not CONTROL.search(result.stderr)


def test_the_first_compile_counts_its_seconds_on_a_terminal_without_a_thread(monkeypatch):
    """The compile said "about 13 s" and took 60 s on a loaded machine with nothing moving on the screen.

    Its count runs on a timer signal: a thread beside the compile would stop it forking its helper.
    """
    import signal
    import threading
    import time

    from simsales.cli import execution
    from simsales.montecarlo import warmup

    buffer = io.StringIO()
    monkeypatch.setattr(execution, "err", Console(file=buffer, force_terminal=True, width=200))
    threads = []

    def slow_compile(engine, policies):
        threads.append(threading.active_count())
        time.sleep(2.3)  # sleeps through the signals (each call is resumed)
        threads.append(threading.active_count())

    monkeypatch.setattr(warmup, "warm_up", slow_compile)
    before = threading.active_count()
    execution.prepare_engine("fast", ["weighted"], compiling=13)
    said = buffer.getvalue()
    line = "preparing the fast engine (first run only, about 13 s)..."
    assert said.startswith(line), said
    assert f"\r{line} 1 s" in said and f"\r{line} 2 s" in said, said
    assert said.endswith(f"\r{line} done in 2 s\n"), said
    assert threads == [before, before]  # no thread of its own
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0) and signal.getsignal(signal.SIGALRM) in (
        signal.SIG_DFL, None)


def test_the_first_compile_says_it_once_in_a_log(monkeypatch):
    from simsales.cli import execution
    from simsales.montecarlo import warmup

    console, buffer = log_console()
    monkeypatch.setattr(execution, "err", console)
    monkeypatch.setattr(warmup, "warm_up", lambda engine, policies: None)
    execution.prepare_engine("fast", ["weighted"], compiling=13)
    assert buffer.getvalue() == "preparing the fast engine (first run only, about 13 s)...\n"


def test_steps_keep_each_ones_time_on_a_terminal_and_are_plain_lines_in_a_log():
    """calibrate's steps were bare lines: a step of 13 s (the diagnostics report) looked like a hang."""
    from simsales.cli.progress import Steps

    buffer = io.StringIO()
    clock = Clock()
    with Steps(Console(file=buffer, force_terminal=True, width=100), clock) as say:
        say("reading [export]")
        clock.now += 5
        say("touch chain: 598,287 calls")
        clock.now += 13
    final = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", buffer.getvalue()).split("\r")[-1]
    lines = [" ".join(line.split()) for line in final.splitlines() if line.strip()]
    assert lines[-2:] == ["reading [export] 0:00:05", "touch chain: 598,287 calls 0:00:13"], lines
    console, log = log_console()
    with Steps(console, clock) as say:
        say("reading [export]")
        say("touch chain: 598,287 calls")
    assert log.getvalue() == "reading [export]\ntouch chain: 598,287 calls\n"


def test_a_local_batch_is_a_few_seconds_of_work():
    """big.yaml (about 1.4 s a replication of its 6 plans): 25 replications a batch, 37 s of a core
    (93 s on a loaded machine) before the progress first moved; now 2."""
    from simsales.cli.execution import LOCAL_BATCH_SECONDS, local_batch_size

    assert local_batch_size(1.37, 1000, 2) == 2
    assert local_batch_size(10.0, 1000, 2) == 1  # longer than the target: one at a time
    assert local_batch_size(0.06, 1000, 2) == 25  # q3-sized: the runner's default, at most 25
    assert local_batch_size(0.06, 40, 2) == 5  # and a few batches per worker
    assert local_batch_size(1.37, 1000, 2) * 1.37 <= LOCAL_BATCH_SECONDS


def test_a_run_moves_its_progress_after_each_few_seconds_of_work(monkeypatch):
    from simsales.cli import execution

    monkeypatch.setattr(progress_module, "LOG_SECONDS", 0.0)  # a line at every batch
    monkeypatch.setattr(execution, "LOCAL_BATCH_SECONDS", 1e-9)  # as if a replication took hours
    result = CliRunner().invoke(app, ["run", str(SMALL), "-n", "8", "--workers", "1", "--format", "table"])
    assert result.exit_code == 0, result.output
    counts = re.findall(r"replications: (\d)/8 ", result.stderr)
    assert counts == [str(k) for k in range(1, 8)], result.stderr  # one batch per replication


def test_short_stages_one_after_another_still_get_a_line_in_a_log():
    """optimize's race rounds of 20-30 s each: a line per task every 30 s left 87 s without one."""
    console, buffer = log_console()
    clock = Clock()
    with progress_display("{task.description}", console=console, clock=clock, transient=False) as bar:
        for round_ in (1, 2, 3, 4):
            task = bar.add_task(f"race, round {round_}", total=10)
            for _ in range(10):  # 20 s a round
                clock.now += 2
                bar.advance(task, 1)
    lines = buffer.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["race, round 2", "race, round 2", "race, round 4",
                                                      "race, round 4"], lines
    assert lines[0].startswith("race, round 2: 5/10 (50%), 10 s so far") and "done" in lines[1], lines
