"""Model specifications: parsing, hierarchy, names and errors."""

from __future__ import annotations

import pytest

import mse
from mse.loglinear.model.design import Design
from mse.loglinear.model.terms import (
    all_k_way,
    format_model,
    format_models,
    generating_terms,
    is_hierarchical,
    parse_model,
)
from mse.loglinear.search.model_search import enumerate_models

LISTS = ["LA", "NG", "PF", "GO"]


def test_pairs_and_hierarchy_are_implied():
    terms = parse_model("LA:NG:PF + PF:GO", LISTS)
    assert terms == {(0, 1), (0, 2), (1, 2), (0, 1, 2), (2, 3)}
    assert is_hierarchical(terms)
    assert generating_terms(terms) == [(2, 3), (0, 1, 2)]


def test_named_models():
    assert parse_model("independence", LISTS) == frozenset()
    assert parse_model("", LISTS) == frozenset()
    assert parse_model("all two-way", LISTS) == all_k_way(4, 2)
    assert len(parse_model("all three-way", LISTS)) == 6 + 4
    assert parse_model("All_Two_Way", LISTS) == all_k_way(4, 2)


def test_tuples_and_strings_agree_and_main_effects_are_allowed():
    assert parse_model([("LA", "NG"), "NG:PF", "GO"], LISTS) == parse_model("LA:NG + NG:PF + GO", LISTS)
    assert parse_model(" LA : NG ", LISTS) == {(0, 1)}


def test_names_round_trip():
    for model in ("independence", "LA:NG + PF:GO", "PF:GO + LA:NG:PF"):
        name = format_model(parse_model(model, LISTS), LISTS)
        assert parse_model(name, LISTS) == parse_model(model, LISTS)
    assert format_model(parse_model("NG:LA", LISTS), LISTS) == "LA:NG"


@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        ("LA:XX", "unknown list"),
        ("LA:LA", "repeats a list"),
        ("LA: + NG", "empty term"),
        ("LA:NG:PF:GO", "all 4 lists"),
        (42, "string like"),
    ],
)
def test_malformed_models_raise_model_error(model, fragment):
    with pytest.raises(mse.ModelError, match=fragment):
        parse_model(model, LISTS)


def test_order_too_high_for_the_lists():
    with pytest.raises(mse.ModelError, match="highest estimable order"):
        parse_model("all three-way", ["A", "B", "C"])


@pytest.mark.parametrize(
    ("lists", "order", "count"),
    [
        (3, 2, 8),  # every graph on three lists
        (4, 3, 113),  # Rcapture closedpMS.t(maxorder=3) on kosovo: "113 models fitted"
        (5, 2, 1024),  # closedpMS.t(maxorder=2) on five lists: "1024 models fitted"
        (6, 2, 32768),
    ],
)
def test_enumeration_counts_match_rcapture(lists, order, count):
    models = enumerate_models(lists, order)
    assert models is not None and len(models) == count
    assert len(set(models)) == count
    assert all(is_hierarchical(m) for m in models)


def test_enumeration_gives_up_beyond_the_limit():
    assert enumerate_models(6, 2, limit=1000) is None


@pytest.mark.parametrize(
    "spec",
    ["LA:NG + PF:GO:NG", [("LA", "NG"), "NG:PF"], "independence", frozenset({(0, 1), (1, 2)})],
)
def test_lists_only_model_is_the_covariate_model_without_covariates_in_its_terms(spec):
    # One parser: covariates the model does not name change nothing in how the lists' terms are read.
    assert parse_model(spec, LISTS, covariates=["sex"]) == parse_model(spec, LISTS)
    assert parse_model(spec, LISTS, covariates=()) == parse_model(spec, LISTS)


def test_unreadable_term_is_a_model_error_with_and_without_covariates():
    for covariates in ((), ("sex",)):
        with pytest.raises(mse.ModelError, match="cannot read model term"):
            parse_model([("LA", "NG"), 3], LISTS, covariates=covariates)


@pytest.mark.parametrize(("n_lists", "max_order"), [(3, 2), (4, 2), (4, 3), (5, 2), (5, 3), (5, 4), (6, 2)])
def test_format_models_names_every_model_as_format_model_does(n_lists, max_order):
    lists = [f"L{i}" for i in range(n_lists)]
    design = Design(n_lists, all_k_way(n_lists, max_order))
    models = enumerate_models(n_lists, max_order)
    masks = design.column_masks(models)[:, design.n_base :]
    assert format_models(masks, design.terms, lists) == [format_model(m, lists) for m in models]
