"""Large fuzz profiles: every entry point of mse on (at least) ten thousand awkward tables, and saved files.

Usage::

    python benchmarks/fuzz_large.py                 # the full profile, about half an hour on 2 cores
    python benchmarks/fuzz_large.py --scale 0.05    # a quick look at the same plan
    python benchmarks/fuzz_large.py --profile saved # saved results, corrupted every way, fed to load_result
    python benchmarks/fuzz_large.py --profile cli   # only the command line (5,000 calls, a few minutes)

Table ``i`` is ``mse.testing.awkward_table(kind, n_lists, seed=i)`` with the
kind cycling through :data:`mse.testing.AWKWARD_KINDS` and the number of lists
through 2..10, so any row can be rebuilt from its index. The tables that found bugs
(``REGRESSIONS``) run once each with the entry point that broke on them, as
negative indices. Each entry point is
called on every ``stride``-th table (cheap ones on all of them, samplers and
exhaustive searches on fewer, and only up to the number of lists where one
call takes seconds rather than minutes); see ``PLAN``. Every call runs in a
worker process with a time limit (``SIGALRM`` inside the worker, and the worker
is killed if it does not answer after a grace period), so a hang is counted,
not waited for.

The outcome counts per entry point (ok / non-ok status / MSEError / other
exception / contract violation / timeout) are written, with the date and the
duration of the run, into the "Fuzzing: large profile" section of
``benchmarks/README.md``; the calls that broke the contract are listed there
with the index that rebuilds their table.

The ``saved`` profile takes table ``i`` (the same tables), fits the method
``SAVED_METHODS[i % len(SAVED_METHODS)]`` on it, saves the result, and loads
every corruption of :data:`mse.testing.SAVED_FILE_CORRUPTIONS` of the file
with seed ``i``: each must load as a result that keeps the contract
(:func:`mse.testing.check_loaded`) or raise :class:`mse.DataError`. Its
counts go to the "Fuzzing: saved files" section.

The command-line profile runs ``mse`` (in this process, through
``mse.cli.main``) with the arguments :func:`mse.testing.cli_arguments` draws
for indices ``0 .. --cli-calls - 1``: random valid and invalid options, awkward
CSV files (:data:`mse.testing.CSV_KINDS`) and scenario files, and tiny
simulation studies. Each run must exit 0 with output, 1 for an estimate that
does not exist, or 2 with one line on standard error and no traceback
(:func:`mse.testing.check_cli`). Its counts go into the "Fuzzing: command line"
section of ``benchmarks/README.md``, with the arguments of any run that broke
the contract.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import re
import sys
import time
from collections import Counter, defaultdict
from multiprocessing.connection import Connection, wait
from pathlib import Path

from mse.errors import MSEError
from mse.testing import (
    AWKWARD_KINDS,
    CSV_KINDS,
    SAVED_FILE_CORRUPTIONS,
    CallTimeout,
    Outcome,
    awkward_table,
    check_saved_file,
    cli_arguments,
    corrupt_saved_result,
    run_cli,
    run_target,
    saved_result,
    time_limit,
)

README = Path(__file__).with_name("README.md")
SECTION = "## Fuzzing: large profile"
SAVED_SECTION = "## Fuzzing: saved files"
CLI_SECTION = "## Fuzzing: command line"
#: Seconds before one run of the command counts as hanging.
CLI_TIMEOUT = 120.0

#: target -> (stride over the table indices, largest number of lists, time limit in seconds).
PLAN: dict[str, tuple[int, int, float]] = {
    "check_estimability": (1, 10, 60.0),
    "independence": (1, 10, 60.0),
    "chapman": (1, 10, 60.0),
    "M0": (5, 10, 60.0),
    "Mt": (5, 10, 60.0),
    "Mh_chao": (5, 10, 60.0),
    "Mh_poisson2": (5, 10, 60.0),
    "Mh_darroch": (5, 10, 60.0),
    "Mh_gamma": (5, 10, 60.0),
    "Mth_chao": (5, 10, 60.0),
    "Mth_poisson2": (5, 10, 60.0),
    "Mth_darroch": (5, 10, 60.0),
    "Mth_gamma": (5, 10, 60.0),
    "Mb": (5, 10, 60.0),
    "Mbh": (5, 10, 60.0),
    "lincoln_petersen": (5, 10, 60.0),
    "sample_coverage": (5, 10, 60.0),
    "loglinear": (10, 10, 60.0),
    "goodness_of_fit": (10, 10, 60.0),
    "internal_consistency": (10, 10, 60.0),
    "stepwise": (20, 6, 60.0),
    "bic_aic": (20, 6, 60.0),
    "select_model:stepwise": (20, 6, 60.0),
    "select_model:bic_aic": (20, 6, 60.0),
    "dga": (20, 5, 60.0),
    "lcmcr": (50, 10, 60.0),
    "aic": (50, 5, 60.0),
    "bic": (50, 5, 60.0),
    "select_model:bic": (50, 5, 60.0),
    "stepwise_three_way": (20, 6, 60.0),
    "stepwise_bias_reduced": (20, 6, 60.0),
    "loglinear_bias_reduced": (10, 10, 60.0),
    "bic_average": (50, 5, 60.0),
    "bayes_loglinear": (2000, 5, 300.0),
    "bayesthresh": (2000, 5, 300.0),
}
#: Tables that found bugs, each run once with its target, as table index ``-1 - k``:
#: (target, kind, number of lists, seed).
REGRESSIONS: tuple[tuple[str, str, int, int], ...] = (
    # "ok" numbers on tables without information about N
    ("chapman", "one_list", 2, 0),
    ("auto", "disjoint", 2, 0),
    ("dga", "disjoint", 3, 0),
    ("dga", "single_person", 3, 0),
    ("lcmcr", "disjoint", 2, 0),
    ("lcmcr", "single_person", 3, 0),
    # dga raised ValueError
    ("dga", "four_list_dga", 4, 0),
    ("dga", "n3000", 7, 0),
    # the existence program over 2**20 cells exhausted memory
    ("check_estimability", "n3000", 20, 0),
    # a search of 32,768 models to find that none exists; a covariate with 1,000 levels
    ("bic", "complete_list", 6, 0),
    ("independence", "many_levels", 3, 0),
    ("bic_aic", "many_levels", 3, 0),
)
#: Extra time before a worker that does not answer is killed.
GRACE = 30.0
#: Methods whose saved results the ``saved`` profile corrupts, one per table in turn: intervals, bootstrap and
#: posterior draws, searches, and (on awkward tables) many results whose status is not "ok".
SAVED_METHODS = ("independence", "chapman", "Mt", "Mh_chao", "sample_coverage", "loglinear", "stepwise", "dga", "lcmcr")
#: Time limit of one task of the ``saved`` profile: fit, save, and load every corruption.
SAVED_LIMIT = 120.0
KINDS = ("ok", "status", "error", "other", "violation", "foreign_warning", "timeout")


def table_spec(index: int) -> tuple[str, int, int]:
    """``(kind, n_lists, seed)`` of table ``index`` (negative: one of :data:`REGRESSIONS`)."""
    if index < 0:
        _target, kind, n_lists, seed = REGRESSIONS[-1 - index]
        return kind, n_lists, seed
    kind = AWKWARD_KINDS[index % len(AWKWARD_KINDS)]
    n_lists = 2 + (index // len(AWKWARD_KINDS)) % 9
    return kind, n_lists, index


def plan_tasks(n_tables: int) -> list[tuple[str, int]]:
    tasks = []
    for index in range(n_tables):
        n_lists = table_spec(index)[1]
        for target, (stride, max_lists, _limit) in PLAN.items():
            dga_refusal = target == "dga" and n_lists >= 8  # the typed error for more than 7 lists
            if index % stride == 0 and (n_lists <= max_lists or dga_refusal):
                tasks.append((target, index))
    tasks.extend((target, -1 - k) for k, (target, *_spec) in enumerate(REGRESSIONS))
    return tasks


def plan_saved(n_tables: int) -> list[tuple[str, int]]:
    """One task per table: its method in turn, or ``independence`` beyond that method's ``max lists`` in PLAN."""
    tasks = []
    for index in range(n_tables):
        method = SAVED_METHODS[index % len(SAVED_METHODS)]
        if table_spec(index)[1] > PLAN[method][1]:
            method = "independence"
        tasks.append((f"saved:{method}", index))
    return tasks


def time_limit_of(target: str) -> float:
    """The time limit of one task of ``target``: its plan's, a saved-file task's, or 60 s for a regression's
    target outside the plan."""
    if target in PLAN:
        return PLAN[target][2]
    return SAVED_LIMIT if target.startswith("saved:") else 60.0


def run_saved(target: str, index: int) -> list[tuple[str, int, Outcome]]:
    """Fit, save, and load every corruption of the file; one outcome per corruption."""
    method = target.split(":", 1)[1]
    kind, n_lists, seed = table_spec(index)
    data = awkward_table(kind, n_lists, seed)
    try:
        with time_limit(PLAN[method][2]):
            content = saved_result(method, data)
    except MSEError as exc:  # the method refuses the table: nothing to save
        return [(target, index, Outcome(target, "error", str(exc)[:200]))]
    except CallTimeout as exc:  # the fuzz of the estimators counts these; here there is nothing to save
        return [(target, index, Outcome(target, "timeout", str(exc)))]
    outcomes = [(target, index, check_saved_file(content))]
    for corruption in SAVED_FILE_CORRUPTIONS:
        label = f"load_result:{corruption}"
        outcome = check_saved_file(corrupt_saved_result(content, corruption, index))
        outcomes.append((label, index, Outcome(label, outcome.kind, outcome.message, outcome.seconds)))
    return outcomes


def _worker(connection: Connection) -> None:
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.getLogger("pymc").setLevel(logging.ERROR)
    while True:
        task = connection.recv()
        if task is None:
            return
        target, index = task
        if target.startswith("saved:"):
            connection.send(run_saved(target, index))
            continue
        kind, n_lists, seed = table_spec(index)
        data = awkward_table(kind, n_lists, seed)
        outcome = run_target(target, data, timeout=time_limit_of(target))
        connection.send((target, index, outcome))


class Worker:
    def __init__(self, context: mp.context.BaseContext) -> None:
        self.context = context
        self.task: tuple[str, int] | None = None
        self.started = 0.0
        self._spawn()

    def _spawn(self) -> None:
        parent, child = self.context.Pipe()
        self.connection = parent
        self.process = self.context.Process(target=_worker, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def submit(self, task: tuple[str, int]) -> None:
        self.task, self.started = task, time.perf_counter()
        self.connection.send(task)

    def overdue(self) -> bool:
        return self.task is not None and time.perf_counter() - self.started > time_limit_of(self.task[0]) + GRACE

    def restart(self) -> None:
        self.process.kill()
        self.process.join()
        self.connection.close()
        self._spawn()
        self.task = None

    def stop(self) -> None:
        if self.process.is_alive():
            self.connection.send(None)
            self.process.join(timeout=10)
            if self.process.is_alive():
                self.process.kill()


def run(tasks: list[tuple[str, int]], n_workers: int) -> list[tuple[str, int, Outcome]]:
    context = mp.get_context("fork")
    workers = [Worker(context) for _ in range(n_workers)]
    pending = list(reversed(tasks))
    results: list[tuple[str, int, Outcome]] = []
    n_done = 0
    done_at = time.perf_counter()
    try:
        while pending or any(w.task is not None for w in workers):
            for worker in workers:
                if worker.task is None and pending:
                    worker.submit(pending.pop())
            busy = {w.connection: w for w in workers if w.task is not None}
            for connection in wait(list(busy), timeout=1.0):
                worker = busy[connection]
                n_done += 1
                try:
                    received = connection.recv()
                    results.extend(received if isinstance(received, list) else [received])
                except EOFError:  # the worker died (segfault, out of memory): count it, go on
                    target, index = worker.task  # type: ignore[misc]
                    results.append((target, index, Outcome(target, "other", "the worker process died")))
                    worker.restart()
                    continue
                worker.task = None
            for worker in workers:
                if worker.overdue():
                    target, index = worker.task  # type: ignore[misc]
                    results.append((target, index, Outcome(target, "timeout", "killed after no answer")))
                    n_done += 1
                    worker.restart()
            if time.perf_counter() - done_at > 60:
                done_at = time.perf_counter()
                print(f"  {n_done}/{len(tasks)} tasks", flush=True)
    finally:
        for worker in workers:
            worker.stop()
    return results


def report(results: list[tuple[str, int, Outcome]], *, n_tables: int, seconds: float, n_workers: int) -> str:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    time_by_target: Counter[str] = Counter()
    bad = []
    for target, index, outcome in results:
        counts[target][outcome.kind] += 1
        time_by_target[target] += outcome.seconds
        if not outcome.acceptable:
            bad.append((target, index, outcome))
    today = dt.date.today().isoformat()
    lines = [
        SECTION,
        "",
        f"`python benchmarks/fuzz_large.py` on {today}: {n_tables:,} awkward tables "
        f"(`mse.testing.awkward_table`, {len(AWKWARD_KINDS)} kinds, 2-10 lists), {len(results):,} calls, "
        f"{seconds / 60:.1f} min with {n_workers} worker processes "
        f"(2 cores, 24 GiB, {platform.system()}, Python {platform.python_version()}; the machine was shared).",
        "Cheap entry points see every table; the others every `stride`-th table up to `max lists` "
        "(searches and samplers take seconds per call there), with the small budgets of "
        "`mse.testing.SMALL_BUDGETS`. ok / status / MSEError keep the contract; other exception, "
        'violation (an "ok" result with non-finite or inconsistent numbers), foreign warning (a warning that '
        "is not an MSEWarning reached the caller) and timeout do not.",
        "",
        "| entry point | stride | max lists | calls | ok | non-ok status | MSEError | other exception | violation "
        "| foreign warning | timeout | mean s/call |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for target, (stride, max_lists, _limit) in PLAN.items():
        c = counts.get(target, Counter())
        total = sum(c.values())
        mean = time_by_target[target] / total if total else float("nan")
        cells = " | ".join(str(c[k]) for k in KINDS)
        lines.append(f"| {target} | {stride} | {max_lists} | {total} | {cells} | {mean:.3f} |")
    lines.append("")
    if bad:
        lines.append(f"Calls that broke the contract ({len(bad)}; table index -> `table_spec(index)`):")
        lines.append("")
        for target, index, outcome in bad[:40]:
            kind, n_lists, _seed = table_spec(index)
            message = outcome.message[:200]
            lines.append(f"- {target} on table {index} ({kind}, {n_lists} lists): {outcome.kind}: {message}")
    else:
        lines.append("Every call kept the contract.")
    return "\n".join(lines) + "\n"


def report_saved(results: list[tuple[str, int, Outcome]], *, n_tables: int, seconds: float, n_workers: int) -> str:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for target, _index, outcome in results:
        counts[target][outcome.kind] += 1
    n_loads = sum(sum(c.values()) for t, c in counts.items() if t.startswith("load_result:"))
    today = dt.date.today().isoformat()
    lines = [
        SAVED_SECTION,
        "",
        f"`python benchmarks/fuzz_large.py --profile saved --tables {n_tables}` on {today}: the results of "
        f"{len(SAVED_METHODS)} methods ({', '.join(SAVED_METHODS)}, one per awkward table in turn) saved with "
        f"`Estimate.save`, and {n_loads:,} corrupted copies (`mse.testing.corrupt_saved_result`, "
        f"{len(SAVED_FILE_CORRUPTIONS)} kinds, seed = table index) given to `mse.load_result`; "
        f"{seconds / 60:.1f} min with {n_workers} worker processes "
        f"(2 cores, 24 GiB, {platform.system()}, Python {platform.python_version()}; the machine was shared).",
        'A load keeps the contract when it returns a result that passes `mse.testing.check_loaded` ("ok") or '
        "raises `DataError`; any other exception, a loaded result that breaks the contract or whose views "
        "raise (violation), and a timeout do not. An edit can leave a valid result (a renamed key inside "
        "`metadata`, an estimate scaled within its interval, 1e999 or 1e-999 among the draws or in `details`), "
        "so some corrupted files load.",
        "",
        "| saved file | files | loads as saved | method refused the table | other | violation | timeout |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for method in SAVED_METHODS:
        c = counts.get(f"saved:{method}", Counter())
        lines.append(
            f"| {method} | {sum(c.values())} | {c['ok']} | {c['error']} | {c['other']} | {c['violation']} "
            f"| {c['timeout']} |"
        )
    lines += [
        "",
        "| corruption | loads | ok | DataError | other exception | violation | timeout |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for corruption in SAVED_FILE_CORRUPTIONS:
        c = counts.get(f"load_result:{corruption}", Counter())
        lines.append(
            f"| {corruption} | {sum(c.values())} | {c['ok']} | {c['error']} | {c['other']} | {c['violation']} "
            f"| {c['timeout']} |"
        )
    lines.append("")
    bad = [(t, i, o) for t, i, o in results if not o.acceptable]
    if bad:
        lines.append(f"Loads that broke the contract ({len(bad)}; table index -> `table_spec(index)`):")
        lines.append("")
        for target, index, outcome in bad[:40]:
            lines.append(f"- {target} on table {index}: {outcome.kind}: {outcome.message[:200]}")
    else:
        lines.append("Every load kept the contract.")
    return "\n".join(lines) + "\n"


def run_cli_profile(n_calls: int) -> list[tuple[int, Outcome]]:
    """Run the command with the arguments of indices ``0 .. n_calls - 1``, in this process."""
    import tempfile
    import warnings

    results = []
    shown = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index in range(n_calls):
            results.append((index, run_cli(cli_arguments(index, directory, studies=True), timeout=CLI_TIMEOUT)))
            if time.perf_counter() - shown > 60:
                shown = time.perf_counter()
                print(f"  {index + 1}/{n_calls} command-line calls", flush=True)
    return results


def cli_report(results: list[tuple[int, Outcome]], *, seconds: float) -> str:
    counts: Counter[str] = Counter(outcome.kind for _index, outcome in results)
    commands: dict[str, Counter[str]] = defaultdict(Counter)
    for _index, outcome in results:
        commands[outcome.target.split(" ", 1)[0]][outcome.kind] += 1
    bad = [(index, outcome) for index, outcome in results if not outcome.acceptable]
    today = dt.date.today().isoformat()
    lines = [
        CLI_SECTION,
        "",
        f"`python benchmarks/fuzz_large.py --profile cli --cli-calls {len(results)}` on {today}: {len(results):,} runs of "
        "`mse` with the "
        f"arguments of `mse.testing.cli_arguments(index, directory, studies=True)` ({len(CSV_KINDS)} kinds of "
        f"awkward CSV file, scenario files good and bad, valid and invalid options), {seconds / 60:.1f} min in one "
        f"process ({platform.system()}, Python {platform.python_version()}; the machine was shared). "
        "Exit 0 (ok), 1 (status: an estimate that does not exist) and 2 with one line on standard error (error) "
        "keep the contract; an exception escaping `main` (other), a broken contract (violation) and a hang "
        "(timeout) do not.",
        "",
        "| command | runs | ok | status | error | other | violation | timeout |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for command in sorted(commands):
        c = commands[command]
        lines.append(f"| {command} | {sum(c.values())} | " + " | ".join(str(c[k]) for k in CLI_KINDS) + " |")
    lines.append(f"| all | {len(results)} | " + " | ".join(str(counts[k]) for k in CLI_KINDS) + " |")
    lines.append("")
    if bad:
        lines.append(f"Runs that broke the contract ({len(bad)}; arguments from `cli_arguments(index, ...)`):")
        lines.append("")
        for index, outcome in bad[:40]:
            lines.append(f"- index {index}: {outcome.kind}: {outcome.message[:200]}")
    else:
        lines.append("Every run kept the contract.")
    return "\n".join(lines) + "\n"


CLI_KINDS = ("ok", "status", "error", "other", "violation", "timeout")


def write_section(text: str, section: str = SECTION) -> None:
    current = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(section) + r".*?(?=^## |^<!-- |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text + "\n", current)
    else:
        updated = current.rstrip() + "\n\n" + text
    README.write_text(updated, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--profile",
        choices=["large", "saved", "cli"],
        default="large",
        help="what to fuzz: the tables and the command line (large, the default), saved files, or the command line",
    )
    parser.add_argument("--tables", type=int, default=None, help="number of tables (default 10,000; 2,000 for saved)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the tables to run, for a quick look")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--no-write", action="store_true", help="print the table instead of updating README.md")
    parser.add_argument("--cli-calls", type=int, default=5_000, help="runs of the command line (default 5,000)")
    args = parser.parse_args(argv)
    kept = True
    if args.profile in ("large", "saved"):
        saved = args.profile == "saved"
        tables = args.tables if args.tables is not None else (2_000 if saved else 10_000)
        n_tables = max(1, int(tables * args.scale))
        tasks = plan_saved(n_tables) if saved else plan_tasks(n_tables)
        print(f"{len(tasks)} calls on {n_tables} tables with {args.workers} workers", flush=True)
        started = time.perf_counter()
        results = run(tasks, args.workers)
        seconds = time.perf_counter() - started
        render = report_saved if saved else report
        text = render(results, n_tables=n_tables, seconds=seconds, n_workers=args.workers)
        print(text)
        if not args.no_write:
            write_section(text, SAVED_SECTION if saved else SECTION)
        kept = all(outcome.acceptable for _t, _i, outcome in results)
    if args.profile in ("large", "cli"):
        n_calls = max(1, int(args.cli_calls * args.scale))
        print(f"{n_calls} runs of the command line", flush=True)
        started = time.perf_counter()
        cli_results = run_cli_profile(n_calls)
        text = cli_report(cli_results, seconds=time.perf_counter() - started)
        print(text)
        if not args.no_write:
            write_section(text, CLI_SECTION)
        kept = kept and all(outcome.acceptable for _i, outcome in cli_results)
    return 0 if kept else 1


if __name__ == "__main__":
    sys.exit(main())
