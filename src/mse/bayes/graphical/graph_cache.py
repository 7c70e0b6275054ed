"""The enumerated decomposable graphs, kept on disk so that a new Python process need not enumerate them.

Seven lists have 617,675 decomposable graphs, found by testing all two
million graphs on seven vertices (about a second); the compressed file of
2.9 MB loads in about a tenth of that. The file is an ``.npz`` in the user's cache directory,
named by the number of lists and :data:`FORMAT_VERSION`:

* ``$MSE_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/mse``, else ``~/.cache/mse``;
* ``MSE_CACHE_DIR=off`` (or ``0``, ``false``, ``no``, ``none``, the empty string) turns the disk cache off.

A file is written to a temporary name in the same directory and renamed into
place, which is atomic, so processes that enumerate at the same time each
leave a complete file and a reader never sees a half-written one. A file is
trusted only if it is the right version and number of lists, its arrays have
the shapes and ranges of a coefficient matrix, and its checksum matches;
otherwise the graphs are enumerated again and the file replaced. Any failure
to read or write the cache falls back to enumerating: the cache can only
save time, never change an answer.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zlib
from pathlib import Path

import numpy as np

__all__ = ["FORMAT_VERSION", "MIN_CACHED_LISTS", "cache_directory", "cache_path", "load_rows", "save_rows"]

#: Raised whenever the file's layout or the enumeration's order changes; older files are then ignored.
FORMAT_VERSION = 1

#: Fewer lists enumerate in milliseconds; only these and more are kept on disk.
MIN_CACHED_LISTS = 6

#: Number of decomposable graphs on 1 to 7 labelled vertices (OEIS A058862), to check a file against.
GRAPH_COUNTS = {1: 1, 2: 2, 3: 8, 4: 61, 5: 822, 6: 18_154, 7: 617_675}

_OFF = {"", "0", "off", "false", "no", "none"}

Rows = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def cache_directory() -> Path | None:
    """The directory of the disk cache, or ``None`` when it is turned off.

    ``$MSE_CACHE_DIR`` if set (``off``, ``0``, ``false``, ``no`` or empty turn
    the cache off), else ``$XDG_CACHE_HOME/mse``, else ``~/.cache/mse``.

    Returns
    -------
    pathlib.Path or None

    Examples
    --------
    >>> import os
    >>> from mse.bayes.graphical.graph_cache import cache_directory
    >>> os.environ["MSE_CACHE_DIR"] = "off"
    >>> cache_directory() is None
    True
    >>> del os.environ["MSE_CACHE_DIR"]
    """
    configured = os.environ.get("MSE_CACHE_DIR")
    if configured is not None:
        if configured.strip().lower() in _OFF:
            return None
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "mse"


def cache_path(n_lists: int) -> Path | None:
    """The cache file of the graphs on ``n_lists`` lists, or ``None`` when they are not kept on disk."""
    directory = cache_directory()
    if directory is None or n_lists < MIN_CACHED_LISTS:
        return None
    return directory / f"decomposable_graphs_t{n_lists}_v{FORMAT_VERSION}.npz"


def _narrow(rows: Rows) -> Rows:
    """The arrays in the narrowest types that hold them (a tenth of their size in int64), as stored."""
    edges, lengths, subsets, values = rows
    return (
        np.ascontiguousarray(edges, dtype=np.uint32),
        np.ascontiguousarray(lengths, dtype=np.uint8),
        np.ascontiguousarray(subsets, dtype=np.uint8),
        np.ascontiguousarray(values, dtype=np.int8),
    )


def _checksum(n_lists: int, rows: Rows) -> int:
    checksum = zlib.crc32(np.array([FORMAT_VERSION, n_lists], dtype=np.int64).tobytes())
    for array in rows:
        checksum = zlib.crc32(array.data.cast("B"), checksum)
    return checksum


def load_rows(n_lists: int) -> Rows | None:
    """The cached ``(edges, lengths, subsets, values)`` of :func:`~mse.bayes.graphical.kernels.chordal_rows`.

    In their stored types (``uint32``, ``uint8``, ``uint8``, ``int8``); ``None``
    when the cache is off, the file is missing, or it fails any check.
    """
    path = cache_path(n_lists)
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            header = stored["header"]
            rows = tuple(stored[name] for name in ("edges", "lengths", "subsets", "values"))
            checksum = int(stored["checksum"])
        edges, lengths, subsets, values = rows
        n_graphs = GRAPH_COUNTS[n_lists]
        valid = (
            header.tolist() == [FORMAT_VERSION, n_lists]
            and [array.dtype for array in rows] == [np.uint32, np.uint8, np.uint8, np.int8]
            and edges.shape == (n_graphs,)
            and lengths.shape == (n_graphs,)
            and subsets.shape == values.shape == (int(lengths.sum(dtype=np.int64)),)
            and checksum == _checksum(n_lists, (edges, lengths, subsets, values))
            and bool(np.all(np.diff(edges.astype(np.int64)) > 0))
            and bool(np.all((lengths >= 1) & (lengths <= 2 * n_lists)))
            and bool(np.all((subsets >= 1) & (subsets < 1 << n_lists)))
            and bool(np.all(values != 0))
        )
    except Exception:  # whatever is wrong with the file, enumerating again is the answer
        return None
    return (edges, lengths, subsets, values) if valid else None


def save_rows(n_lists: int, rows: Rows) -> None:
    """Write the enumeration to the cache, atomically; a failure to write is ignored."""
    path = cache_path(n_lists)
    if path is None:
        return
    edges, lengths, subsets, values = narrow = _narrow(rows)
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(descriptor, "wb") as handle:
            np.savez_compressed(
                handle,
                header=np.array([FORMAT_VERSION, n_lists], dtype=np.int64),
                edges=edges,
                lengths=lengths,
                subsets=subsets,
                values=values,
                checksum=np.array(_checksum(n_lists, narrow), dtype=np.int64),
            )
        os.replace(temporary, path)
        temporary = None
    except OSError:
        pass
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
