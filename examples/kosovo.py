"""Killings in Kosovo, March-June 1999: four lists, five families of models.

Ball et al. (2002) estimated the number of Kosovar Albanians killed from
exhumations, the American Bar Association, the OSCE and Human Rights Watch.
Kosovo is the rare table where every pair of lists overlaps, so the methods
can be compared on an equal footing.

Run:  python examples/kosovo.py
"""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import mse
from mse.bayes.graphical.sensitivity import prior_sensitivity

warnings.simplefilter("ignore", mse.MSEWarning)

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
print(table[["label", "model", "estimate", "lower", "upper", "seconds"]].round(1).to_string(index=False))

# How much does the hyper-Dirichlet parameter delta move the dga estimate?
print("\n", prior_sensitivity(data, deltas=[1 / 256, 1 / 64, 1 / 16, 1 / 4, 1]).round(0).to_string(index=False))

figure, ax = plt.subplots(figsize=(8, 4.5))
mse.plot_comparison(table, ax=ax)
figure.tight_layout()
figure.savefig("kosovo.png", dpi=100)
print("\nfigure written to kosovo.png")
