"""Which rule should ``method="auto"`` use for three or more lists? Candidates against known truths.

    python benchmarks/study_default_rule.py                         # every part
    python benchmarks/study_default_rule.py --parts bs kosovo       # the quick parts
    python benchmarks/study_default_rule.py --parts chan --replicates 200

Candidates (95 % intervals that account for model selection unless said):

``stepwise2_bca``
    The rule up to version 0.x: Chan, Silverman & Vincent's (2021) stepwise
    selection over pairs, BCa bootstrap repeating the selection.
``stepwise3_bca``
    The same search allowed to go on to three-way terms (``max_order=3``).
``stepwise3_bca_reduced``
    The same with Rivest & Lévesque's (2001) bias-reduced estimate of ``N``
    under the chosen model (``bias_correction=True``), in every resample too.
``bic_top``
    The BIC-best model over all hierarchical models up to order 3 (five lists
    or fewer; order 2 beyond), with Silverman, Chan & Vincent's (2024)
    top-model bootstrap: the 60 best models by BIC refitted in every resample.
``bic_average``
    The BIC-weighted average of ``N`` over the same models (weights
    ``exp(-BIC / 2)``), with the top-model bootstrap averaging in every
    resample as well (BCa limits).
``dga``
    Madigan & York's model averaging over decomposable graphs (default prior).
``lcmcr_union``
    The union of the ``bic_top`` interval and the latent-class model's
    (``lcmcr``) posterior interval; point estimate of ``bic_top``. Only on
    the real data (``bs``, ``kosovo``): each latent-class fit takes seconds
    to minutes.

Parts:

``bs``
    Binette & Steorts (2022): each list of ``uk2013_5``, ``netherlands_5``
    and ``australia`` in turn as a population of known size, estimated from
    the other lists (the ten cases with at least 30 members seen).
``kosovo``
    The Kosovo Memory Book's near-census count of killings, 10,401.
``chan``
    Chan et al. (2021) §3.4: tables drawn from the stepwise model fitted to
    ``uk2013_5`` (N = 11,313).
``grid``
    The homogeneous cells of the grid study (``study_grid.py``): four lists,
    N = 2,000, no heterogeneity, lists independent or A and B dependent
    (log odds ratio +1 or -1); the cells where a log-linear model is right.

References
----------
Binette, O. & Steorts, R. C. (2022). On the reliability of multiple systems
estimation for the quantification of modern slavery. JRSS A 185(2), 640-676.

Chan, L., Silverman, B. W. & Vincent, K. (2021). Multiple systems estimation
for sparse capture data: inferential challenges when there are nonoverlapping
lists. JASA 116(535), 1297-1306.

Silverman, B. W., Chan, L. & Vincent, K. (2024). Bootstrapping multiple
systems estimates to account for model selection. Statistics and Computing 34, 44.
"""

from __future__ import annotations

import argparse
import datetime
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import pandas as pd
from _common import add_executor_arguments, machine, make_executor, markdown, write_section
from study_chan2021 import fitted_scenario
from study_grid import grid

import mse
from mse.benchmark import run
from mse.benchmark.metrics import summarise
from mse.diagnostics.consistency import list_as_population
from mse.information import information_problem

KOSOVO_TRUTH = 10_401
BS_DATASETS = ("uk2013_5", "netherlands_5", "australia")
N_BOOT = 1000


def _quiet(method: str, data: mse.CaptureData, **options: Any) -> mse.Estimate:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mse.estimate(data, method=method, **options)


def stepwise2_bca(data, *, level, interval=None, random_seed=None, **_):
    return _quiet("stepwise", data, interval="bca", level=level, random_seed=random_seed, n_boot=N_BOOT)


def stepwise3_bca(data, *, level, interval=None, random_seed=None, **_):
    return _quiet(
        "stepwise", data, max_order=3 if data.n_lists > 3 else 2, interval="bca", level=level,
        random_seed=random_seed, n_boot=N_BOOT,
    )


def stepwise3_bca_reduced(data, *, level, interval=None, random_seed=None, **_):
    return _quiet(
        "stepwise", data, max_order=3 if data.n_lists > 3 else 2, interval="bca", level=level,
        random_seed=random_seed, n_boot=N_BOOT, bias_correction=True,
    )


def bic_top(data, *, level, interval=None, random_seed=None, **_):
    return _quiet("bic", data, interval="bootstrap_top", level=level, random_seed=random_seed, n_boot=N_BOOT)


def bic_average(data, *, level, interval=None, random_seed=None, **_):
    return _quiet("bic_average", data, level=level, random_seed=random_seed, n_boot=N_BOOT)


def dga(data, *, level, interval=None, random_seed=None, **_):
    return _quiet("dga", data, level=level, random_seed=random_seed)


def lcmcr_union(data, *, level, interval=None, random_seed=None, **_):
    base = bic_top(data, level=level, random_seed=random_seed)
    latent = _quiet("lcmcr", data, level=level, random_seed=random_seed)
    return base.with_updates(
        lower=min(base.lower, latent.lower), upper=max(base.upper, latent.upper), method="lcmcr_union"
    )


CANDIDATES = {
    "stepwise2_bca": stepwise2_bca,
    "stepwise3_bca": stepwise3_bca,
    "stepwise3_bca_reduced": stepwise3_bca_reduced,
    "bic_top": bic_top,
    "bic_average": bic_average,
    "dga": dga,
    "lcmcr_union": lcmcr_union,
}
SIMULATION_CANDIDATES = ["stepwise2_bca", "stepwise3_bca", "stepwise3_bca_reduced", "bic_top", "bic_average", "dga"]


def _score(result: mse.Estimate, truth: float) -> dict[str, Any]:
    finite = math.isfinite(result.estimate)
    return {
        "estimate": result.estimate,
        "lower": result.lower,
        "upper": result.upper,
        "covered": bool(finite and result.lower <= truth <= result.upper),
        "log_relative_bias": math.log(result.estimate / truth) if finite and result.estimate > 0 else math.nan,
        "status": result.status,
    }


def part_real(candidates: list[str], seed: int) -> pd.DataFrame:
    """The ten Binette & Steorts cases and Kosovo, every candidate."""
    cases = []
    for name in BS_DATASETS:
        data = mse.load_dataset(name).collapse_covariates()
        for list_name in data.lists:
            truth, restricted = list_as_population(data, list_name)
            # Binette & Steorts' cases: at least 30 members seen, and the other lists overlap (else no
            # estimate carries information about N)
            if restricted is not None and restricted.n_observed >= 30 and information_problem(restricted) is None:
                cases.append(("bs", f"{name}:{list_name}", truth, restricted))
    cases.append(("kosovo", "kosovo", KOSOVO_TRUTH, mse.load_dataset("kosovo")))
    rows = []
    for part, case, truth, data in cases:
        for label in candidates:
            started = time.perf_counter()
            result = CANDIDATES[label](data, level=0.95, random_seed=seed)
            rows.append(
                {"part": part, "case": case, "truth": truth, "method": label, **_score(result, truth),
                 "seconds": time.perf_counter() - started}
            )
            print(f"{case:>18} {label:>14}: {result.estimate:10.1f} [{result.lower:10.1f}, {result.upper:10.1f}]",
                  flush=True)
    return pd.DataFrame(rows)


def part_simulation(part: str, candidates: list[str], args: argparse.Namespace) -> None:
    """Run the simulated tables of ``part`` for each candidate, one resumable CSV per candidate."""
    if part == "chan":
        data = mse.load_dataset("uk2013_5")
        fitted = _quiet("stepwise", data, random_seed=2021)
        scenarios = {"chan2021": fitted_scenario(data, fitted.model)}
    else:
        scenarios = {label: s for label, s in grid().items() if label.startswith("none/")}
    for label in candidates:
        run(
            scenarios,
            {label: CANDIDATES[label]},
            args.replicates,
            args.seed,
            executor=make_executor(args),
            n_workers=args.workers,
            output=Path(args.output_dir) / f"default_rule_{part}_{label}.csv",
        )


def summarise_real(directory: Path) -> str:
    cases = pd.concat([pd.read_csv(f) for f in sorted(directory.glob("default_rule_real_*.csv"))], ignore_index=True)
    cases["covered"] = cases["covered"].astype(str) == "True"
    order = [c for c in CANDIDATES if c in set(cases["method"])]
    bs = (
        cases[cases["part"] == "bs"]
        .groupby("method")
        .agg(
            cases=("case", "size"),
            mean_log_relative_bias=("log_relative_bias", "mean"),
            coverage=("covered", "mean"),
            seconds=("seconds", "mean"),
        )
        .reindex(order)
    )
    kosovo = cases[cases["part"] == "kosovo"].set_index("method")
    bs["kosovo"] = [
        f"{kosovo.loc[m, 'estimate']:,.0f} [{kosovo.loc[m, 'lower']:,.0f}, {kosovo.loc[m, 'upper']:,.0f}]"
        for m in bs.index
    ]
    bs["kosovo_covered"] = [bool(kosovo.loc[m, "covered"]) for m in bs.index]
    return "**Binette & Steorts' ten cases, and Kosovo (truth 10,401)**\n\n" + markdown(bs.reset_index())


def summarise_simulation(part: str, directory: Path) -> str:
    files = sorted(directory.glob(f"default_rule_{part}_*.csv"))
    if not files:
        return ""
    summary = summarise(pd.concat([pd.read_csv(f) for f in files], ignore_index=True))
    order = {c: i for i, c in enumerate(CANDIDATES)}
    summary = summary.sort_values(["scenario", "method"], key=lambda c: c.map(order) if c.name == "method" else c)
    columns = [
        "scenario", "method", "replicates", "coverage", "relative_bias", "mean_log_relative_bias",
        "mean_width", "failure_rate", "seconds",
    ]
    columns = [c for c in columns if c in summary.columns]
    title = {"chan": "Chan et al. (2021), tables from the stepwise fit to uk2013_5 (N = 11,313)",
             "grid": "The grid study's homogeneous cells (four lists, N = 2,000)"}[part]
    return f"**{title}**\n\n" + markdown(summary[columns])


def main() -> None:
    global N_BOOT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", nargs="*", default=["real", "chan", "grid"])
    parser.add_argument("--candidates", nargs="*", default=list(CANDIDATES))
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--n-boot", type=int, default=N_BOOT, help="resamples of every bootstrap interval")
    add_executor_arguments(parser)
    args = parser.parse_args()
    N_BOOT = args.n_boot
    directory = Path(args.output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    if "real" in args.parts:
        for label in args.candidates:
            part_real([label], args.seed).to_csv(directory / f"default_rule_real_{label}.csv", index=False)
    for part in ("chan", "grid"):
        if part in args.parts:
            part_simulation(part, [c for c in args.candidates if c in SIMULATION_CANDIDATES], args)
    sections = [
        summarise_real(directory),
        summarise_simulation("chan", directory),
        summarise_simulation("grid", directory),
    ]
    print("\n\n".join(sections))
    if args.no_readme:
        return
    body = (
        "`python benchmarks/study_default_rule.py` (seed 2026; every part and candidate writes its own "
        "per-case CSV in `results/`, and the tables are summarised from all of them; the simulated parts were run "
        "with `--replicates 100 --n-boot 500` for Chan et al.'s tables and `--replicates 50 --n-boot 500` for the "
        "grid, the real data with 1,000 resamples). The candidates and parts are described in the script's "
        "docstring.\n\n"
        + "\n\n".join(x for x in sections if x)
        + f"\n\nMeasured on {machine()}, {datetime.date.today().isoformat()}."
    )
    write_section("default_rule", "Choosing the default rule for three or more lists", body)


if __name__ == "__main__":
    main()
