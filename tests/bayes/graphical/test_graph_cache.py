"""The on-disk cache of enumerated decomposable graphs.

The cache may only save time: a process that finds a good file must get the
same graphs as one that enumerates, and a missing, corrupt, tampered or
foreign file must lead to enumerating again (and a good file afterwards).
Each test uses its own cache directory through ``MSE_CACHE_DIR``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mse.bayes.graphical import graph_cache
from mse.bayes.graphical.graphs import decomposable_graphs

T = graph_cache.MIN_CACHED_LISTS


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MSE_CACHE_DIR", str(tmp_path))
    decomposable_graphs.cache_clear()
    yield tmp_path
    decomposable_graphs.cache_clear()


def _same_graphs(a, b) -> bool:
    return (
        np.array_equal(a.edges, b.edges)
        and all(np.array_equal(getattr(a.coefficients, k), getattr(b.coefficients, k)) for k in ("indptr", "indices"))
        and np.array_equal(a.coefficients.data, b.coefficients.data)
    )


def _run(code: str, env_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MSE_CACHE_DIR": str(env_dir)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, check=False, timeout=300
    )


def test_cache_directory_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MSE_CACHE_DIR", str(tmp_path / "here"))
    assert graph_cache.cache_directory() == tmp_path / "here"
    for off in ("off", "0", "", "false"):
        monkeypatch.setenv("MSE_CACHE_DIR", off)
        assert graph_cache.cache_directory() is None
        assert graph_cache.cache_path(7) is None
    monkeypatch.delenv("MSE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert graph_cache.cache_directory() == tmp_path / "xdg" / "mse"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert graph_cache.cache_directory() == Path.home() / ".cache" / "mse"


def test_small_enumerations_are_not_written(cache_dir: Path) -> None:
    decomposable_graphs(T - 1)
    assert list(cache_dir.iterdir()) == []


def test_a_fresh_process_loads_the_graphs_from_the_cache(cache_dir: Path) -> None:
    enumerated = decomposable_graphs(T)
    path = graph_cache.cache_path(T)
    assert path is not None and path.is_file()
    # The second process may not enumerate: if it tried, it would fail.
    result = _run(
        f"""
        import hashlib
        from mse.bayes.graphical import graphs
        def refuse(*args):
            raise AssertionError("enumerated instead of loading")
        graphs._enumerate = refuse
        found = graphs.decomposable_graphs({T})
        c = found.coefficients
        digest = hashlib.sha256(found.edges.tobytes() + c.indptr.tobytes() + c.indices.tobytes() + c.data.tobytes())
        print(digest.hexdigest())
        """,
        cache_dir,
    )
    assert result.returncode == 0, result.stderr
    c = enumerated.coefficients
    expected = hashlib.sha256(enumerated.edges.tobytes() + c.indptr.tobytes() + c.indices.tobytes() + c.data.tobytes())
    assert result.stdout.strip() == expected.hexdigest()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "tampered", "other_lists"])
def test_a_bad_cache_file_is_enumerated_again_and_replaced(cache_dir: Path, damage: str) -> None:
    reference = decomposable_graphs(T)
    path = graph_cache.cache_path(T)
    assert path is not None
    if damage == "garbage":
        path.write_bytes(b"not a numpy file")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "tampered":
        # A valid file whose numbers were changed but whose checksum was not.
        with np.load(path) as stored:
            arrays = {name: stored[name] for name in stored.files}
        arrays["values"] = arrays["values"].copy()
        arrays["values"][10] = -arrays["values"][10]
        np.savez_compressed(path, **arrays)
    else:
        # The file of another number of lists under this name.
        rows = graph_cache._narrow(_rows(T - 1))
        np.savez_compressed(
            path,
            header=np.array([graph_cache.FORMAT_VERSION, T - 1]),
            edges=rows[0],
            lengths=rows[1],
            subsets=rows[2],
            values=rows[3],
            checksum=np.array(graph_cache._checksum(T - 1, rows)),
        )
    assert graph_cache.load_rows(T) is None
    decomposable_graphs.cache_clear()
    again = decomposable_graphs(T)
    assert _same_graphs(again, reference)
    assert graph_cache.load_rows(T) is not None


def _rows(t: int) -> graph_cache.Rows:
    from itertools import combinations

    from mse.bayes.graphical.graphs import _enumerate

    return _enumerate(t, tuple(combinations(range(t), 2)))


def test_the_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MSE_CACHE_DIR", "off")
    decomposable_graphs.cache_clear()
    try:
        assert decomposable_graphs(T).n_graphs == graph_cache.GRAPH_COUNTS[T]
    finally:
        decomposable_graphs.cache_clear()
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_cache_directory_only_costs_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the directory should be")
    monkeypatch.setenv("MSE_CACHE_DIR", str(blocker / "mse"))
    decomposable_graphs.cache_clear()
    try:
        assert decomposable_graphs(T).n_graphs == graph_cache.GRAPH_COUNTS[T]
    finally:
        decomposable_graphs.cache_clear()


def test_processes_writing_at_once_leave_one_good_file(cache_dir: Path) -> None:
    code = f"""
        from mse.bayes.graphical.graphs import decomposable_graphs
        print(decomposable_graphs({T}).n_graphs)
        """
    env = {**os.environ, "MSE_CACHE_DIR": str(cache_dir)}
    processes = [
        subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=300)[0].strip() for process in processes]
    assert outputs == [str(graph_cache.GRAPH_COUNTS[T])] * 3
    assert [p.name for p in cache_dir.iterdir()] == [graph_cache.cache_path(T).name]
    assert graph_cache.load_rows(T) is not None
