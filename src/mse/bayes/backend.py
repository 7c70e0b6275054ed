"""The Bayesian backend: the one door to PyMC, PyTensor and ArviZ, the convergence rule, the sampler settings.

Every Bayesian module of :mod:`mse` goes through this one (a test scans the
package and fails if any other module imports PyMC, PyTensor or ArviZ). It
holds:

* :func:`import_arviz`, :func:`import_pymc` and :func:`import_pytensor_tensor`,
  the lazy imports, which drop the warnings these packages raise when imported
  (ArviZ announces its refactor with a ``FutureWarning``); nothing is imported
  before a Bayesian method runs, so ``import mse`` stays fast;
* :func:`foreign_calls`, a context manager that records every warning raised
  inside it and quiets PyMC's and PyTensor's loggers;
  :meth:`ForeignWarnings.describe` then says in one sentence what the
  recorded warnings mean, for the caller to put into its status or warning,
  or the caller drops them when the numbers already say it (a NaN R-hat);
* :class:`ConvergenceRule` and :data:`CONVERGENCE`, the one definition of
  when the draws of ``N`` count as converged (R-hat and bulk effective sample
  size, Vehtari et al. 2021), read by every sampler and by
  :func:`mse.mcmc_diagnostics`, and :func:`convergence_of_n`, which computes
  those numbers for the draws of ``N`` of a posterior, and
  :func:`convergence_of_draws`, the same numbers computed from an array
  of draws with numpy alone (no ArviZ import, which costs 1-2 s);
* :func:`inference_data`, which packs draws into ArviZ's ``InferenceData``
  (called when a result's ``idata`` is first read, see :mod:`mse._deferred`);
* :data:`SETTING_NAMES` and :func:`sampler_options`, the one set of names of
  the settings every sampler shares (``draws``, ``tune``, ``chains``), with the
  older names kept as deprecated aliases.

The library's rule is that only its own warnings (:class:`mse.MSEWarning` and
subclasses) reach the user: a foreign warning either means something about
the result, and is then said in the library's words (a
:class:`~mse.ConvergenceWarning`, a status), or it is noise about the other
library's own future and is dropped.

References
----------
Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. & Bürkner, P.-C. (2021).
Rank-normalization, folding, and localization: an improved R-hat for
assessing convergence of MCMC. *Bayesian Analysis*, 16(2), 667-718.
"""

from __future__ import annotations

import functools
import logging
import math
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ParamSpec, TypeVar

import numpy as np

from mse.errors import ModelError, MSEDeprecationWarning, MSEWarning, warn

__all__ = [
    "CONVERGENCE",
    "DEPRECATED_SETTING_NAMES",
    "SETTING_NAMES",
    "ConvergenceRule",
    "ForeignWarnings",
    "accepts_former_setting_names",
    "convergence_of_draws",
    "convergence_of_n",
    "foreign_calls",
    "import_arviz",
    "import_pymc",
    "import_pytensor_tensor",
    "inference_data",
    "sampler_options",
]

#: Loggers of the sampling libraries. PyMC logs at INFO what it is doing ("Auto-assigning NUTS sampler",
#: "Sampling 4 chains") and at WARNING its own convergence verdict, which the library computes itself and
#: reports in its own words; both are kept from the user's terminal.
_LOGGERS = ("pymc", "pytensor", "arviz")

#: Warning categories that speak about the foreign library itself, never about the user's result.
_NOISE = (FutureWarning, DeprecationWarning, PendingDeprecationWarning, ImportWarning)

#: Notices about the installation rather than the run: PyTensor falls back to slower code when it cannot
#: link to a BLAS library or find a C++ compiler; the numbers are the same.
_NOISE_MESSAGES = ("could not link to a BLAS", "g++ not available", "g++ not detected")


def _is_noise(message: warnings.WarningMessage) -> bool:
    text = str(message.message)
    return issubclass(message.category, _NOISE) or any(part in text for part in _NOISE_MESSAGES)


def _import_quietly(name: str) -> ModuleType:
    import importlib

    with warnings.catch_warnings():
        # ArviZ warns once a day, when imported, that its API is being refactored; PyMC imports ArviZ and
        # PyTensor, which may also warn about their environment (a missing BLAS). None of it concerns a result.
        warnings.simplefilter("ignore")
        return importlib.import_module(name)


def import_arviz() -> ModuleType:
    """Import ArviZ (on first use, for ``import mse`` to stay fast) without its import-time warnings."""
    return _import_quietly("arviz")


def import_pymc() -> ModuleType:
    """Import PyMC (and with it PyTensor and ArviZ) without their import-time warnings."""
    import_arviz()
    return _import_quietly("pymc")


def import_pytensor_tensor() -> ModuleType:
    """Import ``pytensor.tensor``, for building PyMC models, without its import-time warnings."""
    import_pymc()
    return _import_quietly("pytensor.tensor")


class ForeignWarnings(list[warnings.WarningMessage]):
    """The warnings a block of foreign calls raised, in order (a list of :class:`warnings.WarningMessage`)."""

    def describe(self, what: str) -> str | None:
        """One sentence in the library's words on what the recorded warnings mean (``None`` if none).

        Floating-point warnings (``RuntimeWarning``: overflow, invalid values met in the log density or
        its gradient) mean the sampler met regions where the model cannot be evaluated; any other warning
        is quoted, since it comes from the sampler about this run.

        Parameters
        ----------
        what
            The subject of the sentence, e.g. ``"NUTS sampling of model 'A:B'"``.
        """
        if not self:
            return None
        counts = Counter(str(w.message).strip().splitlines()[0] for w in self)
        total = sum(counts.values())
        quoted = "; ".join(f"{text} (x{n})" if n > 1 else text for text, n in counts.most_common(3))
        if all(issubclass(w.category, RuntimeWarning) for w in self):
            return (
                f"{what} met floating-point trouble (overflow or invalid values; {total} warning"
                f"{'s' if total > 1 else ''}: {quoted}): the posterior may be improper or badly scaled"
            )
        return f"{what} warned {total} time{'s' if total > 1 else ''}: {quoted}"


@contextmanager
def foreign_calls() -> Iterator[ForeignWarnings]:
    """Run foreign calls with their warnings recorded and their loggers quiet.

    Yields a :class:`ForeignWarnings` list that holds, after the block, every
    warning raised inside it other than the library's own. Warnings of
    :class:`mse.MSEWarning` raised inside (by the library's code called back
    from the block) are issued again after it, unchanged. Pure noise
    (``FutureWarning``, ``DeprecationWarning`` and the like) is dropped.
    Logger levels are restored afterwards.

    Not thread-safe, like :func:`warnings.catch_warnings` itself: use it in
    the thread that calls into the foreign library.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> with foreign_calls() as caught:
    ...     _ = np.log(np.zeros(1))
    >>> caught.describe("the test")
    'the test met floating-point trouble (overflow or invalid values; 1 warning: divide by zero encountered in log)...'
    """
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    levels = [logger.level for logger in loggers]
    caught = ForeignWarnings()
    ours: list[warnings.WarningMessage] = []
    try:
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        with warnings.catch_warnings(record=True) as recorded:
            warnings.simplefilter("always")
            yield caught
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
    for message in recorded:
        if issubclass(message.category, MSEWarning):
            ours.append(message)
        elif not _is_noise(message):
            caught.append(message)
    for message in ours:
        warnings.warn_explicit(message.message, message.category, message.filename, message.lineno)


@dataclass(frozen=True)
class ConvergenceRule:
    """When draws count as converged: rank-normalised split R-hat and bulk effective sample size.

    The defaults are the thresholds of Vehtari et al. (2021): R-hat at most
    1.01 and a bulk effective sample size of at least 400 (100 per chain for
    four chains). A NaN (chains that never move, or R-hat of a single chain)
    fails the test, so it counts as not converged.

    Parameters
    ----------
    max_rhat
        Largest R-hat that passes.
    min_ess
        Smallest bulk effective sample size that passes.

    Examples
    --------
    >>> rule = ConvergenceRule()
    >>> rule.converged(1.005, 812.0), rule.converged(1.02, 812.0), rule.converged(float("nan"), 812.0)
    (True, False, False)
    """

    max_rhat: float = 1.01
    min_ess: float = 400.0

    def rhat_ok(self, rhat: float) -> bool:
        """Whether ``rhat`` is at most :attr:`max_rhat` (``False`` for NaN)."""
        return bool(rhat <= self.max_rhat)

    def ess_ok(self, ess: float) -> bool:
        """Whether ``ess`` is at least :attr:`min_ess` (``False`` for NaN)."""
        return bool(ess >= self.min_ess)

    def converged(self, rhat: float, ess: float) -> bool:
        """Whether both R-hat and the bulk effective sample size pass."""
        return self.rhat_ok(rhat) and self.ess_ok(ess)

    def converged_where(self, rhat: Any, ess: Any) -> np.ndarray:
        """:meth:`converged` element by element, for arrays or columns of R-hat and ESS."""
        return np.logical_and(np.less_equal(rhat, self.max_rhat), np.greater_equal(ess, self.min_ess))


#: The rule every sampler (``lcmcr``'s adaptive runs and verdict, ``bayes_loglinear``, ``bayesthresh``)
#: and :func:`mse.mcmc_diagnostics` apply. Callers look it up here when they run (``backend.CONVERGENCE``),
#: so it is defined once.
CONVERGENCE = ConvergenceRule()


def convergence_of_n(idata: Any) -> tuple[float, float, float]:
    """Rank-normalised split R-hat, bulk and tail effective sample sizes of ``N`` (Vehtari et al. 2021).

    R-hat compares chains, so it is NaN for a posterior of one chain.

    Parameters
    ----------
    idata
        An ArviZ ``InferenceData`` whose posterior holds ``N`` by chain and draw.

    Returns
    -------
    rhat, ess_bulk, ess_tail : float
        NaN where ArviZ cannot tell (chains that never move), which
        :data:`CONVERGENCE` counts as not converged.

    Examples
    --------
    >>> import numpy as np
    >>> az = import_arviz()
    >>> draws = np.random.default_rng(1).poisson(500, size=(4, 300))
    >>> rhat, ess_bulk, ess_tail = convergence_of_n(az.from_dict(posterior={"N": draws}))
    >>> CONVERGENCE.converged(rhat, ess_bulk)
    True
    """
    az = import_arviz()
    with foreign_calls():
        # ArviZ warns about its own future API, and divides by zero for chains that never move (a table whose N
        # is known, everyone on every list): the NaN it then returns is reported as not converged, so its
        # warnings add nothing.
        one_chain = idata.posterior.sizes["chain"] < 2
        rhat = math.nan if one_chain else float(az.rhat(idata, var_names=["N"])["N"])
        ess_bulk = float(az.ess(idata, var_names=["N"], method="bulk")["N"])
        ess_tail = float(az.ess(idata, var_names=["N"], method="tail")["N"])
    return rhat, ess_bulk, ess_tail


def convergence_of_draws(draws: Any) -> tuple[float, float, float]:
    """Rank-normalised split R-hat, bulk and tail effective sample sizes of draws shaped (chains, draws).

    The numbers :func:`convergence_of_n` takes from ArviZ, computed with numpy
    alone by :mod:`mse.bayes.convergence` (Vehtari et al. 2021), which the
    samplers also use for their checks; the tests check that they agree with
    ArviZ.

    Parameters
    ----------
    draws
        Array of shape ``(chains, draws)``.

    Returns
    -------
    rhat, ess_bulk, ess_tail : float
        NaN where they cannot be told (fewer than 4 draws, non-finite draws,
        R-hat of a single chain, chains that never move).

    Examples
    --------
    >>> import numpy as np
    >>> draws = np.random.default_rng(1).poisson(500, size=(4, 300))
    >>> rhat, ess_bulk, ess_tail = convergence_of_draws(draws)
    >>> CONVERGENCE.converged(rhat, ess_bulk)
    True
    """
    from mse.bayes.convergence import ess_bulk, ess_tail, rhat_rank

    draws = np.atleast_2d(np.asarray(draws, dtype=float))
    if draws.shape[1] < 4 or not np.all(np.isfinite(draws)):
        return math.nan, math.nan, math.nan
    return rhat_rank(draws), ess_bulk(draws), ess_tail(draws)


def inference_data(**groups: Any) -> Any:
    """ArviZ's ``InferenceData`` from plain arrays: ``arviz.from_dict(**groups)``, ArviZ's notices dropped.

    Parameters
    ----------
    **groups
        Keyword arguments of ``arviz.from_dict`` (``posterior``, ``sample_stats``, ``observed_data``,
        ``coords``, ``dims``, ``attrs``).
    """
    az = import_arviz()
    with foreign_calls():
        # Packing arrays whose shapes the caller built: anything ArviZ says concerns its own API.
        return az.from_dict(**groups)


#: The settings every sampler shares, named as PyMC's ``pm.sample`` names them (and as ArviZ names the
#: ``chain`` and ``draw`` dimensions of ``Estimate.idata``): kept draws per chain, warm-up (tuning)
#: iterations per chain, and chains.
SETTING_NAMES = ("draws", "tune", "chains")

#: Older names of the same settings (those of the latent-class samplers and of ``dga``), accepted with an
#: :class:`mse.MSEDeprecationWarning`.
DEPRECATED_SETTING_NAMES = {"n_draws": "draws", "n_burnin": "tune", "n_chains": "chains"}


def sampler_options(options: Mapping[str, Any], method: str) -> dict[str, Any]:
    """``options`` with the deprecated names of the shared sampler settings replaced by the current ones.

    Parameters
    ----------
    options
        Options as the caller gave them.
    method
        Name used in messages (``"lcmcr"``). The warnings point at the user's
        line (:func:`mse.errors.warn`).

    Returns
    -------
    dict
        A new dictionary; ``n_draws``, ``n_burnin`` and ``n_chains`` become ``draws``, ``tune`` and
        ``chains``, each with an :class:`mse.MSEDeprecationWarning`.

    Raises
    ------
    ModelError
        When a setting is given under both names (``draws=`` and ``n_draws=``, say).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True, action="always") as caught:
    ...     sampler_options({"K": 3, "n_draws": 200}, "lcmcr")
    {'K': 3, 'draws': 200}
    >>> caught[0].category.__name__
    'MSEDeprecationWarning'
    """
    renamed = dict(options)
    for old, new in DEPRECATED_SETTING_NAMES.items():
        if old not in renamed:
            continue
        if new in renamed:
            raise ModelError(f"{method}: give {new}= or its deprecated name {old}=, not both.")
        warn(
            f"{method}: the option {old}= is deprecated and will be removed; use {new}= (the same setting, "
            f"named as in PyMC).",
            MSEDeprecationWarning)
        renamed[new] = renamed.pop(old)
    return renamed


_P = ParamSpec("_P")
_R = TypeVar("_R")


def accepts_former_setting_names(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Let a sampler function take ``n_draws``, ``n_burnin`` and ``n_chains`` for ``draws``, ``tune``, ``chains``.

    The former names are renamed by :func:`sampler_options`, with an :class:`mse.MSEDeprecationWarning`.
    """

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        renamed = sampler_options(kwargs, function.__name__)
        return function(*args, **renamed)  # type: ignore[arg-type]

    return wrapper
