"""Killings in Kosovo, March-June 1999: four lists, five families of models.

Ball et al. (2002) estimated the number of Kosovar Albanians killed from
exhumations, the American Bar Association, the OSCE and Human Rights Watch.
Kosovo is the rare table where every pair of lists overlaps, so the methods
can be compared on an equal footing.

Run:  python examples/kosovo.py [--output DIR]

The figure is written to ``DIR/kosovo.png``: ``--output`` if given, else the
folder in the environment variable ``MSE_OUTPUT_DIR``, else ``output/`` under
the current directory.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import mse
from mse.bayes.graphical.sensitivity import prior_sensitivity

warnings.simplefilter("ignore", mse.MSEWarning)

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument(
    "--output",
    type=Path,
    default=Path(os.environ.get("MSE_OUTPUT_DIR", "output")),
    help="folder for the figure (default: $MSE_OUTPUT_DIR, else ./output)",
)
output = parser.parse_args().output
output.mkdir(parents=True, exist_ok=True)

data = mse.load_dataset("kosovo")
print(data.summary(), "\n")

methods = {
    "independence (Mt)": ("independence", {}),
    "stepwise + BCa": ("stepwise", {"interval": "bca", "n_boot": 500, "progress": False}),
    "BIC, all orders + top-model bootstrap": (
        "bic",
        {"max_order": 3, "interval": "bootstrap_top", "n_boot": 500, "progress": False},
    ),
    "Mth Chao (lower bound)": ("Mth_chao", {}),
    "dga (decomposable graphs)": ("dga", {}),
    "latent classes (LCMCR)": ("lcmcr", {}),
    "Bayesian thresholding": ("bayesthresh", {}),
}
table = mse.compare(data, methods, random_seed=1999)
people = ["estimate", "lower", "upper"]  # counts of people: whole numbers
shown = table[["label", "model", *people, "seconds"]].round({"seconds": 1})
print(shown.astype({column: "Int64" for column in people}).to_string(index=False))

# How much does the hyper-Dirichlet parameter delta move the dga estimate?
sensitivity = prior_sensitivity(data, deltas=[1 / 256, 1 / 64, 1 / 16, 1 / 4, 1])
sensitivity = sensitivity.round({"posterior_mean": 0, "top_probability": 3})
counts = ["estimate", "lower", "upper", "posterior_mean"]
print(
    "\n",
    sensitivity.astype({column: "Int64" for column in counts}).to_string(
        index=False, formatters={"delta": lambda d: f"1/{round(1 / d)}" if d < 1 else f"{d:g}"}
    ),
)

figure, ax = plt.subplots(figsize=(8, 4.5))
mse.plot_comparison(table, ax=ax)
figure.tight_layout()
figure.savefig(output / "kosovo.png", dpi=100)
print(f"\nfigure written to {output / 'kosovo.png'}")
