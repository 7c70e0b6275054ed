"""Simulation studies: run estimators on many data sets of known truth, on any executor.

:func:`run` fits every method to every replicate of every
:class:`~mse.simulate.Scenario` and returns a :class:`BenchmarkResult` whose
:meth:`~BenchmarkResult.summary` gives bias, RMSE, coverage, interval width,
failure rate and time per scenario and method.
"""

from mse.benchmark.executors import SerialExecutor, is_dask_client
from mse.benchmark.metrics import SUMMARY_COLUMNS, summarise
from mse.benchmark.runner import RESULT_COLUMNS, BenchmarkResult, MethodSpec, replicate_seeds, run

__all__ = [
    "RESULT_COLUMNS",
    "SUMMARY_COLUMNS",
    "BenchmarkResult",
    "MethodSpec",
    "SerialExecutor",
    "is_dask_client",
    "replicate_seeds",
    "run",
    "summarise",
]
