"""From three agencies' records to an estimate, without sharing a name: pseudonymise, link, correct, report.

The police, the labour inspectorate and a shelter (an NGO) each register
presumed victims of trafficking, with names and dates of birth written their
own way: typing errors, missing fields, day and month swapped, "van der"
placed differently. The records here are simulated for a population of
known size (2,000 people), so every step can be checked against the truth:

1. each agency pseudonymises its own records with a secret key held by a
   trusted third party (such as a statistics office): the names and dates of
   birth become keyed tokens before anything leaves the agency;
2. the trusted party links the tokens of the three agencies
   probabilistically (Splink, on DuckDB) into people, with a match
   probability for every candidate pair of records;
3. a clerical review: 100 records of each list, drawn at random, are looked
   up by people allowed to see the names, who find the records of the same
   person on the other lists (here the simulation's truth answers for them);
4. the capture histories of the linked people give the estimate, first as if
   the linkage were exact, then corrected for its missed and false links:
   with the review (``"review"``, the default for a log-linear model once a
   review is attached), from the match probabilities alone (``"rates"``), and
   by drawing link configurations (``"resample"``);
5. the result is saved and ``mse report`` makes the HTML report, with a
   Linkage section and disclosure control.

Run:  python examples/linkage.py [--output DIR]

Needs the linkage extra (``pip install "multiple-systems-estimation[linkage]"``).
Files go to ``DIR`` (``--output``, else ``$MSE_OUTPUT_DIR``, else ``output/``):
``result.json`` and ``report.html``.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import pandas as pd

import mse
from mse.cli import main as mse_command
from mse.linkage import RecordErrors, link, pseudonymise, simulate_records
from mse.linkage.synthetic import COVARIATES, RECORD_FIELDS

warnings.simplefilter("ignore", mse.MSEWarning)
pd.set_option("display.width", 120)

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument(
    "--output",
    type=Path,
    default=Path(os.environ.get("MSE_OUTPUT_DIR", "output")),
    help="folder for the files (default: $MSE_OUTPUT_DIR, else ./output)",
)
output: Path = parser.parse_args().output
output.mkdir(parents=True, exist_ok=True)

# --- the agencies' records: each agency holds its own, in its own formats
simulated = simulate_records(
    2000,
    {"police": 0.30, "inspectorate": 0.20, "shelter": 0.25},
    errors=RecordErrors(typo=0.05, missing=0.05, swap=0.03, particle=0.2),
    random_seed=7,
)
agencies = simulated.frames
print("The police's first records, as the police holds them (simulated people):")
print(agencies["police"].head(3).to_string(index=False), "\n")

# --- 1. pseudonymisation at each agency. The trusted party makes the key once,
# key = secrets.token_bytes(32), and hands it to each agency over a secure channel; it is never stored
# with the data. A fixed key here makes the example reproducible.
key = bytes.fromhex("9f1c5e0a7b3d2c4e8f6a1b0c9d7e5f3a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e")
tokens = {
    name: pseudonymise(records, key=key, fields=RECORD_FIELDS, list_name=name, keep=COVARIATES)
    for name, records in agencies.items()
}
print("What leaves the police: record ids, keyed tokens and the covariates it chose to keep:")
print(tokens["police"].head(3).T.to_string(), "\n")

# --- 2. probabilistic linkage of the tokens by the trusted party
linkage = link(tokens, random_seed=1)
print(linkage)
rates = linkage.error_rates()[["list_a", "list_b", "links", "expected_false_links", "expected_missed_links", "alpha"]]
print("Expected linkage errors at the threshold, per pair of lists:")
print(rates.round(3).to_string(index=False), "\n")

# --- 3. a clerical review of 100 records drawn from each list. The trusted party sends each agency the ids of
# its drawn records with the records they were linked to and the near candidates; people allowed to see the
# names (at the agencies, or at the trusted party under its legal basis) say which are the same person.
sample = linkage.review_sample(100, random_seed=3)
reviewed = simulated.clerical_review(sample, tokens)  # the simulation's truth stands in for the reviewers
linkage = linkage.with_review(reviewed)

data = mse.CaptureData.from_linked(linkage)
print(f"{data.n_observed:,} people after linkage; {simulated.true_data.n_observed:,} were truly registered.\n")

# --- 4. the estimate, as if the linkage were exact, and corrected for its errors
rows = []
for correction in ("ignore", "review", "rates", "resample"):
    result = mse.estimate(data, "independence", linkage_error=correction, random_seed=2026)
    share = result.details["linkage"].get("linkage_share", float("nan"))
    rows.append(
        {
            "linkage_error": correction,
            "estimate": round(result.estimate),
            "lower": round(result.lower),
            "upper": round(result.upper),
            "linkage share of variance": "-" if share != share else f"{share:.0%}",
        }
    )
exact = mse.estimate(simulated.true_data, "independence")
rows.append(
    {
        "linkage_error": "(exact linkage)",
        "estimate": round(exact.estimate),
        "lower": round(exact.lower),
        "upper": round(exact.upper),
        "linkage share of variance": "-",
    }
)
print(f"Estimates of the population (truth: {simulated.population:,} people):")
print(pd.DataFrame(rows).to_string(index=False), "\n")

# with a review attached, the default for a log-linear model is the review correction; the summary says so
result = mse.estimate(data, "independence", random_seed=2026)
print(result.summary(suppress_below=10, round_to=5), "\n")

# --- 5. the saved result (the archive, inside the organisation) and the published report
result.save(output / "result.json")
status = mse_command(
    ["report", "--result", str(output / "result.json"), "--suppress-below", "10", "--round-to", "5",
     "--title", "Presumed victims of trafficking: three agencies, linked", "--output", str(output / "report.html")]
)  # fmt: skip
assert status == 0, "the report failed; its message says why"
