"""Methods of installed packages: declared under the ``mse.methods`` entry point, found in every process.

A tiny distribution is written into a temporary directory (a module and a
``*.dist-info`` with ``entry_points.txt``), which is put on ``sys.path``, as
``pip install`` would leave it in ``site-packages``. It declares one working
method and one whose module does not exist.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mse
from mse.methods import registry

PLUGIN = '''
"""A method of another package: Chapman's estimate, reported with the process that computed it."""

import os

from mse.methods import Chapman, Method, option, specification


@specification
class Tally(Method):
    """Chapman's estimate plus ``offset``, with the process id in the model name.

    Examples
    --------
    >>> Tally(offset=1)
    Tally(offset=1)
    """

    name = "tally"

    offset: int = option(0, "Added to the estimate and its limits.")

    def run(self, data, *, level, interval, random_seed):
        result = Chapman().run(data, level=level, interval=interval, random_seed=random_seed)
        return result.with_updates(
            method=self.name,
            model=f"process {os.getpid()}",
            estimate=result.estimate + self.offset,
            lower=result.lower + self.offset,
            upper=result.upper + self.offset,
        )
'''

ENTRY_POINTS = """
[mse.methods]
tally = mse_tally_plugin:Tally
broken_tally = mse_tally_missing:Nothing
"""

TWO_LISTS = mse.CaptureData.from_patterns({"10": 30, "01": 20, "11": 10}, lists=["A", "B"])


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A directory holding the installed distribution ``mse-tally-plugin``, on ``sys.path`` for these tests."""
    root = tmp_path_factory.mktemp("site-packages")
    (root / "mse_tally_plugin.py").write_text(textwrap.dedent(PLUGIN))
    info = root / "mse_tally_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mse-tally-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(root))
        importlib.invalidate_caches()
        yield root
        registry._LOADED.pop("tally", None)
        sys.modules.pop("mse_tally_plugin", None)
    importlib.invalidate_caches()


def test_an_installed_method_is_found_and_fitted(site):
    assert registry.method_class("tally").__module__ == "mse_tally_plugin"
    result = mse.estimate(TWO_LISTS, "tally", offset=5)
    assert result.ok and result.method == "tally"
    assert result.estimate == pytest.approx(mse.estimate(TWO_LISTS, "chapman").estimate + 5)
    assert result.metadata["options"]["offset"] == 5
    with pytest.raises(mse.ModelError, match=r"unknown option\(s\) \['ofset'\].*'offset'"):
        mse.estimate(TWO_LISTS, "tally", ofset=5)


def test_an_installed_method_is_listed_and_a_broken_one_is_named(site):
    with pytest.warns(mse.MSEWarning, match=r"broken_tally = 'mse_tally_missing:Nothing'.*left out"):
        names = mse.available_methods()
    assert "tally" in names and "broken_tally" not in names
    assert names.index("tally") > names.index("auto")  # after the built-in methods
    with pytest.raises(mse.ModelError, match=r"entry point broken_tally .* could not be loaded: ModuleNotFoundError"):
        mse.estimate(TWO_LISTS, "broken_tally")


def _environment(site: Path) -> dict[str, str]:
    source = str(Path(mse.__file__).parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), source, os.environ.get("PYTHONPATH", "")])}


def test_import_mse_reads_no_entry_point(site):
    code = "import mse; import importlib.metadata as m; print('ok')"
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=True, env=_environment(site)
    )
    assert out.stdout.strip() == "ok" and not out.stderr


STUDY = """
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from mse.benchmark import run
from mse.simulate import Scenario

if __name__ == "__main__":
    # a worker started afresh: it knows only what it imports, as on a cluster
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as workers:
        study = run(Scenario(2000, [0.3, 0.4], name="two"), ["tally"], n_replicates=2, random_seed=1,
                    executor=workers, progress=False)
    print(os.getpid())
    print(";".join(study.results["status"]))
    print(";".join(study.results["model"]))
"""


def test_the_study_runner_finds_an_installed_method_on_a_fresh_worker(site, tmp_path):
    script = tmp_path / "study.py"
    script.write_text(STUDY)
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, env=_environment(site), cwd=tmp_path
    )
    main_pid, statuses, models = out.stdout.strip().splitlines()
    assert statuses == "ok;ok"
    worker_pids = {model.split()[-1] for model in models.split(";")}
    assert main_pid not in worker_pids and len(worker_pids) == 1
