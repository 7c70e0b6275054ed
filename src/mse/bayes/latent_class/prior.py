"""The prior of the latent-class model, shared by its samplers and its PyMC formulation.

The model of Manrique-Vallier (2016) has one prior, whatever fits it: a
stick-breaking prior truncated at ``K`` classes (Dunson and Xing 2009) whose
concentration ``alpha`` is gamma, a beta prior on every capture probability,
and ``p(N) ~ 1/N``. The Gibbs sampler,
the HMC sampler and the PyMC model take it as the same five keywords
(``K``, ``a_alpha``, ``b_alpha``, ``a_lambda``, ``b_lambda``), gathered here
with their defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypedDict

__all__ = ["LatentClassPrior"]


class LatentClassPriorOptions(TypedDict, total=False):
    """The keywords that set a :class:`LatentClassPrior`, for typing ``**prior``."""

    K: int
    a_alpha: float
    b_alpha: float
    a_lambda: float
    b_lambda: float


@dataclass(frozen=True)
class LatentClassPrior:
    """Number of classes and prior parameters of the latent-class model of Manrique-Vallier (2016).

    .. math::

        \\pi \\sim \\mathrm{SB}_K(\\alpha), \\quad
        \\alpha \\sim \\mathrm{Gamma}(a_\\alpha, b_\\alpha), \\quad
        \\lambda_{jk} \\sim \\mathrm{Beta}(a_\\lambda, b_\\lambda), \\quad
        p(N) \\propto 1/N.

    Parameters
    ----------
    K : int
        Number of latent classes of the truncated stick-breaking prior.
    a_alpha, b_alpha : float
        Shape and rate of the gamma prior on the concentration ``alpha``.
    a_lambda, b_lambda : float
        Beta prior on every capture probability ``lambda_jk``.

    Examples
    --------
    >>> from mse.bayes.latent_class.prior import LatentClassPrior
    >>> LatentClassPrior(K=5)
    LatentClassPrior(K=5, a_alpha=0.25, b_alpha=0.25, a_lambda=1.0, b_lambda=1.0)
    >>> LatentClassPrior.split({"K": 3, "draws": 200})
    (LatentClassPrior(K=3, a_alpha=0.25, b_alpha=0.25, a_lambda=1.0, b_lambda=1.0), {'draws': 200})
    """

    K: int = 10
    a_alpha: float = 0.25
    b_alpha: float = 0.25
    a_lambda: float = 1.0
    b_lambda: float = 1.0

    @classmethod
    def split(cls, options: Mapping[str, Any]) -> tuple[LatentClassPrior, dict[str, Any]]:
        """The prior set by ``options`` (defaults for what they leave out), and the other options.

        Parameters
        ----------
        options
            Keyword arguments, some of which may name the prior's fields.

        Returns
        -------
        prior : LatentClassPrior
            The prior.
        rest : dict
            The options that are not the prior's.
        """
        names = {field.name for field in fields(cls)}
        prior = cls(**{name: value for name, value in options.items() if name in names})
        return prior, {name: value for name, value in options.items() if name not in names}

    def keywords(self) -> LatentClassPriorOptions:
        """The prior as the keywords ``**prior`` of the samplers and of the PyMC model.

        Returns
        -------
        dict
            ``K``, ``a_alpha``, ``b_alpha``, ``a_lambda`` and ``b_lambda``.
        """
        return {
            "K": self.K,
            "a_alpha": self.a_alpha,
            "b_alpha": self.b_alpha,
            "a_lambda": self.a_lambda,
            "b_lambda": self.b_lambda,
        }
