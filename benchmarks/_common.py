"""Shared pieces of the benchmark scripts: README sections, method availability, a reference estimator."""

from __future__ import annotations

import math
import os
import platform
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

import mse

README = Path(__file__).with_name("README.md")
HEADER = """# Benchmarks and simulation studies

Each script here reproduces one study with one command and writes its table into a
section of this file. Unless a section says otherwise, figures were measured on
2 cores, 24 GiB, Linux, Python 3.11, 2026-11-28, on a machine shared with other work
(timings can be inflated by it; the numbers of the studies are not affected).

"""

#: The estimators compared in the grid and speed studies, by their mse.estimate names.
STUDY_METHODS = ["stepwise", "bic", "independence", "Mt", "Mh_chao", "lcmcr", "dga", "sample_coverage"]


def machine() -> str:
    """A one-line description of where a figure was measured."""
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        pass
    return f"{os.cpu_count()} cores{memory}, {platform.system()}, Python {platform.python_version()}"


def available(methods: Iterable[str]) -> tuple[list[str], list[str]]:
    """The methods that exist in this installation, and those that do not."""
    have = set(mse.available_methods())
    methods = list(methods)
    return [m for m in methods if m in have], [m for m in methods if m not in have]


def write_section(key: str, title: str, body: str) -> None:
    """Replace (or append) the section ``key`` of benchmarks/README.md."""
    text = README.read_text() if README.exists() else HEADER
    begin, end = f"<!-- begin {key} -->", f"<!-- end {key} -->"
    section = f"{begin}\n## {title}\n\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), flags=re.DOTALL)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    README.write_text(text)


def markdown(frame: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A DataFrame as a GitHub table (without needing the optional `tabulate`)."""

    def cell(value: object) -> str:
        if isinstance(value, (float, np.floating)):
            return "" if math.isnan(value) else format(value, floatfmt)
        return str(value)

    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def add_executor_arguments(parser) -> None:
    """--workers / --dask / --output-dir / --no-readme, shared by the study scripts."""
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    parser.add_argument("--dask", default=None, help="address of a Dask scheduler, e.g. tcp://host:8786")
    parser.add_argument(
        "--output-dir",
        default=str(Path(__file__).with_name("results")),
        help="where the per-replicate CSV files go (a rerun resumes from them)",
    )
    parser.add_argument("--no-readme", action="store_true", help="print the tables but leave README.md alone")


def make_executor(args):
    """A Dask client when --dask is given, else None (the runner's local process pool)."""
    if args.dask:
        from dask.distributed import Client

        return Client(args.dask)
    return None
