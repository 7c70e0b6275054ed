"""Where the work of a study runs: local processes, any ``concurrent.futures`` executor, or Dask.

The runner needs only two operations, submit a task and collect finished
tasks in any order, and this module gives every back end that shape. Dask is
optional: :mod:`distributed` is imported here, and only when a
``dask.distributed.Client`` is actually passed in.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mse.errors import ModelError

__all__ = ["SerialExecutor", "WorkPool", "is_dask_client", "open_pool"]


class SerialExecutor(concurrent.futures.Executor):
    """An executor that runs each task at once in the calling process (for debugging and tiny studies).

    Examples
    --------
    >>> from mse.benchmark import SerialExecutor
    >>> SerialExecutor().submit(sum, [1, 2, 3]).result()
    6
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future, as any executor does
            future.set_exception(exc)
        return future


def is_dask_client(obj: Any) -> bool:
    """Whether ``obj`` is a ``dask.distributed.Client`` (checked without importing dask).

    Parameters
    ----------
    obj
        Anything passed as ``executor=``.

    Returns
    -------
    bool
        True for a dask client, whose tasks are submitted and gathered the dask way.

    Examples
    --------
    >>> from mse.benchmark import SerialExecutor, is_dask_client
    >>> is_dask_client(SerialExecutor())
    False
    """
    return type(obj).__module__.split(".")[0] == "distributed" and hasattr(obj, "submit") and hasattr(obj, "gather")


class WorkPool:
    """The common face of an executor: :meth:`submit`, :meth:`as_completed`, :attr:`n_workers`."""

    def __init__(self, executor: Any, n_workers: int, owned: bool) -> None:
        self.executor = executor
        self.n_workers = max(int(n_workers), 1)
        self._owned = owned
        self._dask = is_dask_client(executor)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._dask:
            # pure=False: two identical tasks are two pieces of work, never deduplicated by key.
            return self.executor.submit(fn, *args, pure=False)
        return self.executor.submit(fn, *args)

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        if self._dask:
            import distributed

            return iter(distributed.as_completed(list(futures)))
        return concurrent.futures.as_completed(list(futures))

    def close(self, cancel: bool = False) -> None:
        if self._owned:
            self.executor.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> WorkPool:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.close(cancel=exc_type is not None)


def _dask_workers(client: Any) -> int:
    try:
        return sum(client.nthreads().values()) or 1
    except Exception:  # a client that cannot report its workers still runs tasks
        return 1


def open_pool(executor: Any = None, n_workers: int | None = None) -> WorkPool:
    """Wrap ``executor``; with ``None``, start a process pool on ``n_workers`` (default: every local core).

    Raises
    ------
    ModelError
        When ``executor`` is neither a ``concurrent.futures.Executor`` nor a Dask client.
    """
    if executor is None:
        workers = n_workers or os.cpu_count() or 1
        return WorkPool(concurrent.futures.ProcessPoolExecutor(max_workers=workers), workers, owned=True)
    if is_dask_client(executor):
        return WorkPool(executor, n_workers or _dask_workers(executor), owned=False)
    if isinstance(executor, concurrent.futures.Executor):
        workers = n_workers or getattr(executor, "_max_workers", None) or 1
        if isinstance(executor, SerialExecutor):
            workers = 1
        return WorkPool(executor, workers, owned=False)
    raise ModelError(
        f"executor must be a concurrent.futures.Executor or a dask.distributed.Client, got {type(executor).__name__}."
    )
