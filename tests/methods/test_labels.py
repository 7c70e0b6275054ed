"""Methods and their options in words: the labels of comparisons and plots."""

from __future__ import annotations

import pytest

import mse
from mse.methods.labels import METHOD_NAMES, describe_method


def test_every_built_in_method_has_a_readers_name():
    for name in mse.available_methods():
        described = describe_method(name)
        assert described, name
        assert "{" not in described and "_" not in described.replace("Mh_", "").replace("Mth_", ""), described


def test_options_read_as_words_not_as_a_dict():
    assert describe_method("stepwise", {"interval": "profile"}) == "stepwise (Chan et al.), profile interval"
    assert describe_method("bic", {"max_order": 2}) == "BIC-best model, pairs only"
    assert describe_method("bic", {"max_order": None}) == "BIC-best model, terms of every order"
    assert describe_method("Mh_chao") == "Mh (Chao)"
    assert describe_method("independence", {"n_boot": 2000, "progress": False}) == "independence, 2,000 resamples"


def test_a_method_object_labels_itself_with_the_options_it_was_given():
    method = mse.methods.Stepwise(max_order=3, n_boot=2000)
    assert method.label() == "stepwise (Chan et al.), up to three-way terms, 2,000 resamples"
    assert mse.methods.BIC().label() == METHOD_NAMES["bic"]


def test_comparison_rows_have_distinct_labels():
    table = mse.compare(mse.load_dataset("hepatitis_a"), ["independence", "independence", "Mt"])
    assert list(table["label"]) == ["independence", "independence (2)", "Mt"]


@pytest.mark.parametrize("name", ["my_method", "corrected_petersen", "Mixture_model", "MAP_estimate"])
def test_an_unknown_method_keeps_its_own_name(name):
    assert describe_method(name, {"alpha": 0.5}) == f"{name}, alpha=0.5"
