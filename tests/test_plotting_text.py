"""Plots a statistician can put in a report as they are: no two pieces of text overlap.

Each plot is drawn at matplotlib's default size on the hardest inputs the
library promises to handle (seven lists, twenty methods, residuals crowded
together, lists without an estimate), and the extents of every piece of text
the figure shows (titles, axis and tick labels in view, annotations, legends),
as the renderer lays them out, are compared pairwise.
"""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import mse
from mse.methods.labels import describe_method
from mse.simulate import Scenario, generate


def drawn_texts(figure):
    """Every piece of text the figure shows: titles, axis labels, tick labels in view, annotations, legends."""
    figure.canvas.draw()
    texts = list(figure.texts)
    for ax in figure.axes:
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            texts += [*legend.get_texts(), legend.get_title()]
        for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            low, high = sorted(limits)
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                if low <= tick.get_loc() <= high:
                    texts += [tick.label1, tick.label2]
    return [text for text in texts if text.get_visible() and text.get_text().strip()]


def overlapping_texts(figure) -> list[tuple[str, str]]:
    renderer = figure.canvas.get_renderer()
    boxes = [(text.get_text(), text.get_window_extent(renderer)) for text in drawn_texts(figure)]
    # A pixel of slack: glyph boxes of neighbouring tick labels may touch.
    return [
        (a, b)
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
        if box_a.x0 + 1 < box_b.x1 and box_b.x0 + 1 < box_a.x1 and box_a.y0 + 1 < box_b.y1 and box_b.y0 + 1 < box_a.y1
    ]


def _seven_lists():
    return generate(Scenario(5000, [0.2] * 7), random_seed=1)[0]


def _twenty_methods() -> pd.DataFrame:
    methods = [
        ("stepwise", {"interval": "profile"}), ("stepwise", {"max_order": 3, "interval": "bca"}),
        ("bic", {"max_order": 2}), ("bic", {"max_order": None, "interval": "bootstrap_top"}), ("aic", {}),
        ("bic_aic", {}), ("bic_average", {}), ("independence", {}), ("Mt", {}), ("Mh_chao", {}), ("Mth_chao", {}),
        ("Mh_darroch", {}), ("Mth_poisson2", {}), ("sample_coverage", {}), ("lcmcr", {}), ("dga", {}),
        ("bayesthresh", {}), ("bayes_loglinear", {}), ("Mb", {}), ("auto", {}),
    ]  # fmt: skip
    estimate = np.random.default_rng(1).uniform(8_000, 20_000, len(methods))
    table = pd.DataFrame(
        {
            "label": [describe_method(name, options) for name, options in methods],
            "estimate": estimate,
            "lower": 0.8 * estimate,
            "upper": 1.3 * estimate,
            "level": 0.95,
            "observed": 4_400,
        }
    )
    table.loc[3, ["estimate", "lower", "upper"]] = np.nan
    return table


def _crowded_residuals() -> dict:
    cells = pd.DataFrame(
        {
            "history": ["110000", "101000", "100100", "000011", "111111"],
            "fitted": [10.0, 10.5, 11.0, 1000.0, 0.1],
            "pearson_residual": [5.0, 5.05, 4.95, 0.1, -0.2],
            "deviance_residual": [4.0, 4.0, 4.0, 0.1, -0.2],
        }
    )
    return {"cells": cells}


def _lists_without_estimates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "list": list("ABCDEFG"),
            "truth": [100, 2000, 300, 400, 50, 600, 700],
            "estimate": [110, np.nan, 290, 420, np.nan, 580, 760],
            "lower": [90, np.nan, 250, 380, np.nan, 500, 600],
            "upper": [140, np.nan, 350, 470, np.nan, 700, 900],
        }
    )


CASES = {
    "overlaps, 7 lists": lambda ax: mse.plot_overlaps(_seven_lists(), ax=ax),
    "overlaps, kosovo, protected": lambda ax: mse.plot_overlaps(
        mse.load_dataset("kosovo"), ax=ax, policy=mse.DisclosurePolicy(suppress_below=10)
    ),
    "models": lambda ax: mse.plot_models(mse.select_model(mse.load_dataset("kosovo"), method="aic"), ax=ax),
    "residuals, 7 lists": lambda ax: mse.plot_residuals(
        mse.goodness_of_fit(mse.estimate(_seven_lists(), method="independence")), ax=ax
    ),
    "residuals, uk2013": lambda ax: mse.plot_residuals(
        mse.goodness_of_fit(mse.estimate(mse.load_dataset("uk2013"), method="independence")), ax=ax
    ),
    "residuals, crowded": lambda ax: mse.plot_residuals(_crowded_residuals(), ax=ax),
    "internal consistency, lists without an estimate": lambda ax: mse.plot_internal_consistency(
        _lists_without_estimates(), ax=ax
    ),
    "sensitivity, 6 lists": lambda ax: mse.plot_sensitivity(
        mse.sensitivity(mse.load_dataset("uk2013"), method="independence"), ax=ax
    ),
    "comparison, 20 methods": lambda ax: mse.plot_comparison(_twenty_methods(), ax=ax),
    "posterior": lambda ax: mse.plot_posterior(mse.estimate(mse.load_dataset("kosovo"), method="dga"), ax=ax),
    "breakdown": lambda ax: mse.plot_breakdown(
        mse.estimate(mse.load_dataset("spina_bifida_ethnicity"), method="independence", n_boot=30, random_seed=1),
        "eth",
        ax=ax,
    ),
}


@pytest.mark.filterwarnings("ignore::mse.MSEWarning")
@pytest.mark.parametrize("case", sorted(CASES))
def test_no_text_overlaps_at_the_default_size(case):
    figure, ax = plt.subplots()
    try:
        CASES[case](ax)
        assert overlapping_texts(figure) == []
    finally:
        plt.close(figure)


def test_every_public_plot_is_checked():
    drawn = {case.split(",")[0].replace(" ", "_") for case in CASES}
    assert {name.removeprefix("plot_") for name in mse.plotting.__all__} == drawn


def test_the_checker_sees_an_overlap():
    figure, ax = plt.subplots()
    try:
        ax.annotate("first label", (0.5, 0.5))
        ax.annotate("second label", (0.5, 0.5))
        assert overlapping_texts(figure) == [("first label", "second label")]
    finally:
        plt.close(figure)


def test_a_comparison_says_its_interval_level_and_names_methods_in_words():
    figure, ax = plt.subplots()
    try:
        table = mse.compare(mse.load_dataset("kosovo"), [("stepwise", {"interval": "profile"}), "Mt"], level=0.9)
        mse.plot_comparison(table, ax=ax)
        assert ax.get_title() == "Estimates by method, 90 % intervals"
        labels = [text.get_text() for text in ax.get_yticklabels()]
        assert labels == ["stepwise (Chan et al.), profile interval", "Mt"]
    finally:
        plt.close(figure)


def test_no_estimate_is_said_in_the_row_label():
    figure, ax = plt.subplots()
    try:
        mse.plot_internal_consistency(_lists_without_estimates(), ax=ax)
        labels = [text.get_text() for text in ax.get_yticklabels()]
        assert labels[1] == "B (no estimate)" and labels[0] == "A"
        assert not ax.texts
    finally:
        plt.close(figure)
