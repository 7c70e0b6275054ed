"""The worked examples in ``examples/`` run from start to end and write what they say they write.

Each runs in a subprocess of its own, as a reader runs it, with its files in a
temporary folder. Only the examples quick enough for the test suite are here;
the others fit larger models and are run by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: Example -> the files it writes to its output folder.
QUICK = {
    "linkage.py": ("result.json", "report.html"),
}


@pytest.mark.parametrize("name", sorted(QUICK))
def test_the_example_runs(name: str, tmp_path: Path) -> None:
    if name == "linkage.py":
        pytest.importorskip("splink")
    environment = {**os.environ, "MSE_PROGRESS": "0", "MPLBACKEND": "Agg"}
    source = str(Path(__file__).resolve().parents[1] / "src")
    environment["PYTHONPATH"] = os.pathsep.join([source, environment.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for written in QUICK[name]:
        assert (tmp_path / written).stat().st_size > 0, written
    if name == "linkage.py":  # the report of a linked table has its Linkage section
        page = (tmp_path / "report.html").read_text(encoding="utf-8")
        assert '<section id="linkage">' in page and "Correction &#39;review&#39;" in page
