"""netherlands_5 under the latent-class model: which of two answers is the posterior?

R's LCMCR gives a posterior median of N of about 48,000 [42,000, 58,000] on
this table and ``mse.estimate(..., method="lcmcr")`` about 145,000 with a lower
limit between 47,000 and 100,000 (and a convergence warning). The posterior of
the model of Manrique-Vallier (2016) has two modes in these regions; this
script measures how the posterior mass is shared between them, with evidence
that does not rest on one sampler:

1. the densities: the PyMC formulation (:mod:`mse.bayes.latent_class.pymc_model`)
   and the density the HMC sampler uses agree up to a constant;
2. parallel tempering with a dense ladder of 12 temperatures (the likelihood
   raised to powers from 1 down to 1/4): at the hot end the chains cross
   between the regions thousands of times, and the share of each mode at
   every temperature is reported;
3. thermodynamic integration between neighbouring temperatures: from the
   share of the low-N region at a temperature where the chains mix well,
   ``d/d beta log(P_beta(low) / P_beta(high)) = E_low[log L] - E_high[log L]``
   carries the odds to the posterior (beta = 1) without relying on chains
   crossing between the modes at the cold end;
4. the data-augmentation Gibbs sampler of the paper (no collapsed moves, as in
   R's LCMCR) and mse's Gibbs sampler with collapsed moves, 8 chains started
   in each mode;
5. PyMC's sequential Monte Carlo on the PyMC model (stick-breaking weights
   written as ``V = 1 - U^(1/alpha)`` with ``U`` uniform, the same prior, so that
   prior draws stay finite when ``alpha`` is tiny);
6. the default ``mse.estimate`` fit.

The two regions are told apart by ``E[N | pi, lambda] = n / (1 - p0)`` below or
above 75,000. Run from the repository root (about 12 minutes on 2 cores)::

    PYTHONPATH=src python benchmarks/study_lcmcr_netherlands5.py [--skip-smc]

``--replicas 8 --iterations 10000 --seed 3 --tempering-only`` repeats the tempering with
other chains (about 3 minutes).
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import mse
from mse.bayes.latent_class.gibbs import _Sampler
from mse.bayes.latent_class.hmc import HMCChains, LatentClassHMC

K = 10
PRIOR = {"K": K, "a_alpha": 0.25, "b_alpha": 0.25, "a_lambda": 1.0, "b_lambda": 1.0}
CUT = 75_000.0

#: Representative states of the two modes (lists IO, K, P, R, Z; the three largest classes).
#: Low-N mode: two large classes, each missed by a different group of lists.
#: High-N mode: one class holding almost everyone, captured with probability 0.4 % or less by four lists.
MODE_STATES = {
    "low": (
        [0.7453, 0.2462, 0.0084],
        [
            [0.0176, 0.0015, 0.0921, 0.0155, 0.0064],
            [0.0014, 0.0837, 0.0263, 0.0022, 0.0050],
            [0.1487, 0.0123, 0.2606, 0.0039, 0.9476],
        ],
        0.25,
    ),
    "high": (
        [0.9708, 0.0283, 0.0009],
        [
            [0.0039, 0.0103, 0.0320, 0.0043, 0.0004],
            [0.1078, 0.0056, 0.1800, 0.0024, 0.2104],
            [0.0447, 0.0011, 0.4960, 0.8896, 0.0156],
        ],
        0.07,
    ),
}


def table() -> tuple[np.ndarray, np.ndarray, int]:
    data = mse.load_dataset("netherlands_5")
    keep = data.counts > 0
    return data.histories[keep], data.counts[keep], int(data.counts.sum())


def mode_state(which: str, n_chains: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capture probabilities (C, J, K), log class weights (C, K) and alpha (C,) near one mode."""
    weights, lam_top, alpha = MODE_STATES[which]
    lam = rng.uniform(0.05, 0.95, size=(n_chains, 5, K))
    lam[:, :, :3] = np.array(lam_top).T
    pi = np.full(K, 1e-6)
    pi[:3] = weights
    pi /= pi.sum()
    return lam, np.tile(np.log(pi), (n_chains, 1)), np.full(n_chains, alpha)


def density_check(h: np.ndarray, c: np.ndarray) -> str:
    """The PyMC model's log density against the HMC sampler's at random points (differences)."""
    from mse.bayes.latent_class.pymc_model import build_model

    model = LatentClassHMC(h, c, **PRIOR)
    q = model.initial_positions(6, np.random.default_rng(0))
    mse_logp, _ = model.logp_and_grad(q)
    pm_model = build_model(h, c, **PRIOR)
    logp = pm_model.compile_logp()
    JK = 5 * K
    pymc_logp = np.array(
        [logp({"alpha_log__": x[-1], "sticks_logodds__": x[JK:-1], "lam_logodds__": x[:JK].reshape(5, K)}) for x in q]
    )
    gap = np.abs((mse_logp - mse_logp[0]) - (pymc_logp - pymc_logp[0])).max()
    return f"largest difference between the two log densities' changes over 6 random points: {gap:.1e}"


def mode_densities(h, c) -> str:
    """Highest log posterior density found near each mode (L-BFGS from the representative states).

    The density is that of the coordinates the HMC sampler uses (logit lambda, logit V, log alpha;
    classes and N summed out), up to the same constant for both modes.
    """
    from scipy.optimize import minimize

    model = LatentClassHMC(h, c, **PRIOR)
    lines = []
    for which in ("low", "high"):
        lam, log_pi, alpha = mode_state(which, 1, np.random.default_rng(0))
        lam[:, :, 3:] = 0.5
        pi = np.exp(log_pi[0])
        sticks = pi[:-1] / (1.0 - np.concatenate([[0.0], np.cumsum(pi[:-2])]))
        start = np.concatenate([np.log(lam[0] / (1 - lam[0])).ravel(), np.log(sticks / (1 - sticks)), np.log(alpha)])

        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            logp, grad = model.logp_and_grad(x[None, :])
            return -float(logp[0]), -grad[0]

        fit = minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": 5000})
        x = fit.x[None, :]
        _, _, loglik = model.tempered(x, np.ones(1))
        expected_n = float(c.sum() / -np.expm1(model.log_p0(x))[0])
        lines.append(
            f"- {which}-N mode: log posterior density {-fit.fun:,.2f}, log-likelihood {loglik[0]:,.2f}, "
            f"E[N | pi, lambda] {expected_n:,.0f}"
        )
    return "\n".join(lines)


def parallel_tempering(h, c, n, replicas: int, n_iter: int, seed: int) -> dict:
    """12 temperatures, beta from 1 to 1/4; the low-N share and the mean log-likelihood of each region per level."""
    model = LatentClassHMC(h, c, **PRIOR)
    T = 12
    chains = HMCChains(
        model, replicas, 48, np.random.default_rng(seed), n_threads=2, n_temperatures=T, max_temperature=4.0
    )
    low, loglik, n0 = [], [], []
    rng = np.random.default_rng(seed + 1)
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as executor:
        chains.executor = executor
        chains.warmup(500)
        for _ in range(n_iter):
            chains.iterate()
            log_p0 = model.log_p0(chains.q)
            low.append(n / -np.expm1(log_p0) < CUT)
            loglik.append(chains.loglik.copy())
            n0.append(rng.negative_binomial(n, -np.expm1(log_p0[:replicas])))
    low = np.array(low).reshape(n_iter, T, replicas)
    loglik = np.array(loglik).reshape(n_iter, T, replicas)
    return {
        "betas": chains.beta[::replicas],
        "low": low,
        "loglik": loglik,
        "N": n + np.array(n0).T,  # cold chains (replicas, draws)
        "exchange": chains.exchanges_accepted / np.maximum(chains.exchanges_proposed, 1),
        "seconds": time.perf_counter() - started,
    }


def gibbs_from_modes(h, c, collapsed_steps: int, n_iter: int, seed: int) -> dict:
    """8 chains started in each mode; draws of N every 10th iteration."""
    rng = np.random.default_rng(seed)
    sampler = _Sampler(h, c, n_chains=16, collapsed_steps=collapsed_steps, observed_steps=0, rng=rng, **PRIOR)
    for rows, which in ((slice(0, 8), "low"), (slice(8, 16), "high")):
        sampler.lam[rows], sampler.log_pi[rows], sampler.alpha[rows] = mode_state(which, 8, rng)
    started = time.perf_counter()
    for _ in range(200):
        sampler.step(adapt=True)
    draws = []
    for it in range(n_iter):
        sampler.step()
        if it % 10 == 0:
            draws.append(sampler.n + sampler.m0.sum(axis=1))
    return {"N": np.array(draws).T, "seconds": time.perf_counter() - started}


def smc(h, c, n, particles: int, chains: int, seed: int) -> dict:
    import pymc as pm
    import pytensor.tensor as pt

    logging.getLogger("pymc").setLevel(logging.ERROR)
    x, counts = h.astype(float), c.astype(float)
    with pm.Model() as model:
        alpha = pm.Gamma("alpha", alpha=0.25, beta=0.25)
        U = pm.Uniform("U", 0.0, 1.0, shape=K - 1)
        log_1mv = pt.log(U) / alpha  # V = 1 - U^(1/alpha) ~ Beta(1, alpha)
        log_v = pt.log(-pt.expm1(log_1mv))
        log_pi = pt.concatenate([log_v, pt.zeros(1)]) + pt.concatenate([pt.zeros(1), pt.cumsum(log_1mv)])
        lam = pm.Beta("lam", 1.0, 1.0, shape=(5, K))
        log_p_h = pt.logsumexp(pt.dot(x, pt.log(lam)) + pt.dot(1.0 - x, pt.log1p(-lam)) + log_pi[None, :], axis=1)
        log_p0 = pt.logsumexp(log_pi + pt.sum(pt.log1p(-lam), axis=0))
        pm.Deterministic("p0", pt.exp(log_p0))
        pm.Potential("conditional_likelihood", pt.sum(counts * log_p_h) - n * pt.log(-pt.expm1(log_p0)))
    started = time.perf_counter()
    with model, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = pm.sample_smc(
            draws=particles,
            chains=chains,
            cores=1,
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
        )
    p0 = idata.posterior["p0"].values
    N = n + np.random.default_rng(seed).negative_binomial(n, 1.0 - p0)
    return {"N": N, "low": n / (1.0 - p0) < CUT, "seconds": time.perf_counter() - started}


def q(x: np.ndarray) -> str:
    lo, mid, hi = np.quantile(x, [0.025, 0.5, 0.975])
    return f"{mid:,.0f} [{lo:,.0f}, {hi:,.0f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=16)
    parser.add_argument("--iterations", type=int, default=12_000)
    parser.add_argument("--seed", type=int, default=2026, help="seed of the parallel-tempering run")
    parser.add_argument("--skip-smc", action="store_true")
    parser.add_argument("--tempering-only", action="store_true", help="sections 1-3 only")
    args = parser.parse_args()
    import arviz as az

    h, c, n = table()
    print("## 1. Densities\n")
    print(density_check(h, c), "\n", flush=True)
    print(mode_densities(h, c), "\n", flush=True)

    print("## 2-3. Parallel tempering and thermodynamic integration\n")
    pt_run = parallel_tempering(h, c, n, args.replicas, args.iterations, seed=args.seed)
    betas, low, loglik = pt_run["betas"], pt_run["low"], pt_run["loglik"]
    print(
        f"{args.replicas} replicas x 12 temperatures x {args.iterations} iterations after 500 warm-up, "
        f"{pt_run['seconds']:.0f} s; exchange acceptance {np.round(pt_run['exchange'], 2).tolist()}\n"
    )
    print(
        "| beta | share of low-N region | R-hat | ESS | E[log L], low | E[log L], high "
        "| share carried from beta=0.60 by TI |"
    )
    print("|---|---|---|---|---|---|---|")
    diff = np.array([loglik[:, i][low[:, i]].mean() - loglik[:, i][~low[:, i]].mean() for i in range(len(betas))])
    start = int(np.argmin(np.abs(betas - 0.6)))
    share0 = low[:, start].mean()
    log_odds = np.log(share0 / (1 - share0))
    carried = {start: log_odds}
    for i in range(start - 1, -1, -1):  # towards beta = 1 (betas are decreasing)
        log_odds += 0.5 * (diff[i] + diff[i + 1]) * (betas[i] - betas[i + 1])
        carried[i] = log_odds
    for i, b in enumerate(betas):
        x = low[:, i].T.astype(float)
        ti = f"{1 / (1 + np.exp(-carried[i])):.4f}" if i in carried else ""
        print(
            f"| {b:.3f} | {x.mean():.4f} | {float(az.rhat(x)):.3f} | {float(az.ess(x)):.0f} "
            f"| {loglik[:, i][low[:, i]].mean():,.2f} | {loglik[:, i][~low[:, i]].mean():,.2f} | {ti} |"
        )
    N = pt_run["N"]
    cold_low = low[:, 0].T
    print(
        f"\nposterior (cold chains): N {q(N)}, R-hat {float(az.rhat(N)):.3f}, ESS {float(az.ess(N)):.0f}; "
        f"low-N mode {cold_low.mean():.3f} of the draws: N {q(N[cold_low])}; high-N mode: N {q(N[~cold_low])}\n",
        flush=True,
    )
    if args.tempering_only:
        return

    print("## 4. Gibbs samplers started in each mode (8 + 8 chains, 20,000 iterations)\n")
    for steps, name in ((0, "data augmentation (the paper's sampler)"), (2, "with collapsed moves")):
        g = gibbs_from_modes(h, c, steps, 20_000, seed=7)
        Ng = g["N"]
        switches = (np.diff((Ng < CUT).astype(int), axis=1) != 0).sum(axis=1)
        print(
            f"- {name}, {g['seconds']:.0f} s: started low: N {q(Ng[:8])}, share of draws below 75,000 "
            f"{(Ng[:8] < CUT).mean():.3f}, chain medians {np.median(Ng[:8], axis=1).astype(int).tolist()}; "
            f"started high: N {q(Ng[8:])}, share below 75,000 {(Ng[8:] < CUT).mean():.3f}; "
            f"region changes per chain {switches.tolist()}",
            flush=True,
        )

    if not args.skip_smc:
        print("\n## 5. Sequential Monte Carlo (PyMC, 2 runs of 1,000 particles)\n")
        s = smc(h, c, n, 1000, 2, seed=1)
        for r in range(s["N"].shape[0]):
            print(
                f"- run {r + 1}: N {q(s['N'][r])}, share in the low-N region {s['low'][r].mean():.3f}, "
                f"distinct particles {len(np.unique(s['N'][r]))}"
            )
        print(f"  ({s['seconds']:.0f} s)", flush=True)

    print("\n## 6. Default fit\n")
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mse.estimate(mse.load_dataset("netherlands_5"), method="lcmcr", random_seed=1)
    Nd = res.idata.posterior["N"].values
    print(
        f"mse.estimate(method='lcmcr', random_seed=1): {res.estimate:,.0f} [{res.lower:,.0f}, {res.upper:,.0f}], "
        f"R-hat {res.details['rhat']:.3f}, ESS {res.details['ess']:.0f}, share below 75,000 {(Nd < CUT).mean():.3f}, "
        f"{time.perf_counter() - started:.0f} s; status: {res.status}"
    )


if __name__ == "__main__":
    main()
