"""Presumed victims of trafficking in the Netherlands, 2010-2015: six sparse lists.

Most people in the Dutch data are on one list only (95 %), and two pairs of
lists never overlap. This script shows how the library reports what the data
can and cannot support, and how the estimates move with the method.

Run:  python examples/netherlands.py
"""

from __future__ import annotations

import warnings

import mse

warnings.simplefilter("ignore", mse.MSEWarning)

data = mse.load_dataset("netherlands")
print(data.summary(), "\n")

overlaps = mse.overlap_diagnostics(data)
print("pairs that never overlap:", overlaps.pairs.query("overlap == 0")[["list_a", "list_b"]].values.tolist())
print("lists whose members are on no other list:", overlaps.uninformative_lists or "none")

for model in ["independence", "all two-way"]:
    report = mse.check_estimability(data, model)
    print(
        f"{model!r}: MLE exists {report.mle_exists}, identifiable {report.identifiable}, "
        f"terms at -infinity {report.infinite_terms}"
    )

search = mse.select_model(data, method="bic", max_order=2)
print(f"\nBIC search over {len(search.table):,} two-way models: best {search.best}")
print(search.table.head(5)[["model", "deviance", "df", "bic", "estimate"]].round(1).to_string(index=False))

table = mse.compare(
    data,
    {
        "stepwise + profile": ("stepwise", {}),
        "BIC then AIC (Dutch recipe)": ("bic_aic", {}),
        "dga (decomposable graphs)": ("dga", {}),
        # Run until N has converged (a budget of draws, not seconds): the same answer on any machine.
        "latent classes (LCMCR)": ("lcmcr", {}),
    },
    random_seed=2015,
)
print("\n", table[["label", "model", "estimate", "lower", "upper", "status"]].round(0).to_string(index=False))
print("\nA sampler whose chains have not converged (or that a max_seconds you set cut short) reports its")
print("numbers with a status that says so;")
print("mse.mcmc_diagnostics(result) gives R-hat and effective sample sizes.")
