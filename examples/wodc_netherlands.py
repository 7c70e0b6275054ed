"""A WODC-style table of presumed trafficking victims by year and form of exploitation.

The workflow of the Dutch multiple-systems estimates (van Dijk, Cruyff, van der
Heijden and colleagues, for the WODC and the National Rapporteur), on the
synthetic Dutch-style data set shipped with mse, whose truth is known:

1. a log-linear model on lists x covariates, chosen by BIC and then AIC among
   all two-factor terms (year entered as a linear trend);
2. missing covariate values handled by EM (missing at random);
3. the hidden population by year and by form of exploitation, with 95 %
   parametric-bootstrap intervals from one set of replicates;
4. rates per 100,000 residents (SDG indicator 16.2.2).

Run with ``PYTHONPATH=src python examples/wodc_netherlands.py``.
"""

from __future__ import annotations

import time

import pandas as pd

import mse

# Approximate resident population of the Netherlands on 1 January (CBS, rounded).
POPULATION = {
    2010: 16_575_000,
    2011: 16_656_000,
    2012: 16_730_000,
    2013: 16_780_000,
    2014: 16_829_000,
    2015: 16_901_000,
}


def main(n_boot: int = 300) -> None:
    data = mse.load_dataset("netherlands_synthetic")
    truth = mse.load_truth("netherlands_synthetic")
    print(data.summary())
    start = time.perf_counter()
    res = mse.estimate(data, method="bic_aic", year_polynomial={"year": 1}, n_boot=n_boot, random_seed=2017)
    print(f"\n{res.summary()}\n(selection, EM and {n_boot} bootstrap replicates: {time.perf_counter() - start:.0f} s)")
    print("\nSearch path (BIC, then AIC):")
    print(
        res.details["search"][["step", "criterion", "added", "n_params", "bic", "aic", "estimate"]]
        .round(1)
        .to_string(index=False)
    )

    pd.set_option("display.width", 120)
    for covariate in ("year", "form"):
        table = res.breakdown(covariate, round_to=1)
        table = table.merge(truth.groupby(covariate, as_index=False)["N"].sum().rename(columns={"N": "truth"}))
        print(f"\nEstimated number of presumed victims by {covariate} (95 % interval; truth of the synthetic data):")
        print(table.to_string(index=False))
    both = res.breakdown(["year", "form"], round_to=10)
    print("\nBy year and form of exploitation (rounded to 10):")
    print(both.pivot(index="year", columns="form", values="estimate").to_string())

    per_100k = mse.rates(res, pd.Series(POPULATION), by="year")
    print("\nPresumed victims per 100,000 residents (SDG 16.2.2):")
    print(per_100k[["year", "population", "rate", "rate_lower", "rate_upper"]].round(1).to_string(index=False))


if __name__ == "__main__":
    main()
