"""Modern slavery in the UK, 2013: the estimate behind the Home Office's 10,000-13,000.

Silverman (2014) estimated the number of potential victims of modern slavery
from six lists. This script reproduces the log-linear analysis with Chan,
Silverman & Vincent's (2021) stepwise selection and an interval that repeats
the selection in every bootstrap replicate, then checks how much the answer
depends on the lists and the method.

Run:  python examples/uk_modern_slavery.py [--output DIR]

The figure is written to ``DIR/uk_modern_slavery.png``: ``--output`` if given, else the
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

warnings.simplefilter("ignore", mse.MSEWarning)  # the summaries below list every warning

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument(
    "--output",
    type=Path,
    default=Path(os.environ.get("MSE_OUTPUT_DIR", "output")),
    help="folder for the figure (default: $MSE_OUTPUT_DIR, else ./output)",
)
output = parser.parse_args().output
output.mkdir(parents=True, exist_ok=True)

data = mse.load_dataset("uk2013")
print(mse.dataset_info("uk2013").citation, "\n")
print(data.summary(), "\n")

# Which models can be estimated at all? LA never overlaps GP or NCA.
report = mse.check_estimability(data, "all two-way")
print("all two-way model: MLE exists:", report.mle_exists, "| non-overlapping pairs:", report.non_overlapping_pairs)

# The headline estimate: stepwise selection, BCa interval with re-selection in each replicate.
headline = mse.estimate(data, method="stepwise", interval="bca", n_boot=1000, random_seed=2013, progress=False)
print("\n" + headline.summary(round_to=10))

# Other methods side by side.
table = mse.compare(
    data,
    ["independence", ("stepwise", {"interval": "profile"}), ("bic", {"max_order": 2}), "Mth_chao", "dga"],
    random_seed=1,
)
print("\n", table[["label", "model", "estimate", "lower", "upper", "status"]].round(0).to_string(index=False))

# Sensitivity: each list left out, and police forces merged with the National Crime Agency.
sensitivity = mse.sensitivity(data, method="stepwise", merges={"PFNCA": ["PF", "NCA"]})
print("\n", sensitivity.round(0).to_string(index=False))

figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
mse.plot_comparison(table, ax=axes[0])
mse.plot_sensitivity(sensitivity, ax=axes[1])
figure.tight_layout()
figure.savefig(output / "uk_modern_slavery.png", dpi=100)
print(f"\nfigure written to {output / 'uk_modern_slavery.png'}")
