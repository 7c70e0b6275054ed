"""From the agencies' records to a published report: the Dutch (WODC) workflow on the command line.

Six agencies register presumed victims of trafficking; after linkage there is
one row per person, a 0/1 column per agency and the person's year, sex, age
group, nationality and form of exploitation (some unknown). This example
writes such a file from the synthetic Dutch-style data set shipped with mse
(whose truth is known), then runs what a research institute runs:

1. ``mse estimate``: a log-linear model on agencies x covariates chosen by BIC
   and then AIC, EM for the missing covariate values, bootstrap intervals,
   estimates by year and by age x form of exploitation, rates per 100,000
   residents, and the whole result saved;
2. ``mse report``: the self-contained HTML report of that result, with
   disclosure control, the change between two years and the trend;
3. in Python, the subgroup the monitoring asks about: minors in domestic
   sexual exploitation (Dutch nationality, form "sexual").

Run:  python examples/wodc_report.py [--output DIR] [--n-boot B]

Files go to ``DIR`` (``--output``, else ``$MSE_OUTPUT_DIR``, else ``output/``):
``records.csv``, ``population.csv``, ``result.json`` and ``report.html``.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import mse
from mse.cli import main as mse_command

warnings.simplefilter("ignore", mse.MSEWarning)

# Resident population of the Netherlands on 1 January, rounded (CBS Statline), by year.
RESIDENTS = {2010: 16_575_000, 2011: 16_656_000, 2012: 16_730_000, 2013: 16_780_000, 2014: 16_829_000, 2015: 16_901_000}
AGENCIES = ["I", "K", "O", "P", "R", "Z"]
COVARIATES = ["year", "sex", "age", "nationality", "form"]

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument(
    "--output",
    type=Path,
    default=Path(os.environ.get("MSE_OUTPUT_DIR", "output")),
    help="folder for the files (default: $MSE_OUTPUT_DIR, else ./output)",
)
parser.add_argument("--n-boot", type=int, default=500, help="bootstrap replicates (default 500)")
arguments = parser.parse_args()
output: Path = arguments.output
output.mkdir(parents=True, exist_ok=True)

# --- the linked records: one row per person, as the agencies' linkage delivers them
table = mse.load_dataset("netherlands_synthetic").to_frame()
people = table.loc[np.repeat(table.index.to_numpy(), table["count"].to_numpy())].drop(columns="count")
people = people.sample(frac=1.0, random_state=1).reset_index(drop=True)  # records come in no particular order
records = output / "records.csv"
people.to_csv(records, index=False)  # an unknown value is an empty field
pd.DataFrame({"year": list(RESIDENTS), "population": list(RESIDENTS.values())}).to_csv(
    output / "population.csv", index=False
)
print(f"{len(people):,} linked records of {len(AGENCIES)} agencies written to {records}\n")

data_arguments = [
    "--csv",
    str(records),
    "--records",
    "--lists",
    ",".join(AGENCIES),
    "--covariates",
    ",".join(COVARIATES),
]
model_arguments = ["--method", "bic_aic", "--n-boot", str(arguments.n_boot), "--seed", "2017"]
publication = ["--suppress-below", "10", "--round-to", "5"]

# --- 1. the estimate, its breakdowns and rates, and the saved result (the archive)
status = mse_command(
    ["estimate", *data_arguments, *model_arguments, "--by", "year", "--by", "age,form",
     "--population", str(output / "population.csv"), "--save", str(output / "result.json"), *publication]
)  # fmt: skip
assert status == 0, "the estimate failed; its status says why"

# --- 2. the report, from the saved result: no refit
status = mse_command(
    ["report", "--result", str(output / "result.json"), *data_arguments, "--by", "year", "--by", "age,form",
     "--change", "year:2014:2015", *publication, "--output", str(output / "report.html")]
)  # fmt: skip
assert status == 0

# --- 3. the subgroup the monitoring asks about, in Python from the same result
result = mse.load_result(output / "result.json")
policy = mse.DisclosurePolicy(suppress_below=10, round_to=5)
subgroups = result.breakdown(["age", "nationality", "form"], policy=policy)
young_domestic_sexual = subgroups.query("age == 'minor' and nationality == 'Dutch' and form == 'sexual'")
print("\nMinors in domestic sexual exploitation, all years (95 % interval):")
print(young_domestic_sexual.to_string(index=False))
print("\nChange from 2014 to 2015 (difference and ratio, same replicates):")
print(result.contrast("year", 2014, 2015, policy=policy).to_string(index=False))
print("\nAverage change per year, 2010-2015:")
print(result.trend("year").round(3).to_string(index=False))

truth = mse.load_truth("netherlands_synthetic")
known = truth.query("age == 'minor' and nationality == 'Dutch' and form == 'sexual'")["N"].sum()
print(f"\n(The synthetic data's truth for that subgroup: {known:,} people.)")
