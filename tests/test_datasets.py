"""The bundled data sets: registry, loading, citations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import mse
from mse.data.datasets import REGISTRY

DATA_DIR = Path(mse.__file__).parent / "data" / "datasets"

PUBLISHED_N = {  # observed n as published (see each data set's citation)
    "uk2013": 2744,
    "uk2013_5": 2744,
    "uk2013_4": 2428,
    "netherlands": 8234,
    "netherlands_5": 8234,
    "new_orleans": 185,
    "new_orleans_5": 185,
    "western_us": 345,
    "kosovo": 4400,
    "korea": 123,
    "australia": 414,
    "artificial_3": 96,
    "spina_bifida": 626,
    "spina_bifida_ethnicity": 621,
    "hepatitis_a": 271,
    "diabetes": 2069,
    "congenital_anomaly": 537,
    "hiv_rome": 1896,
    "lesbian_allegheny": 2185,
    "snowshoe_hare": 68,
    "scottish_pwid": 5670,
}


def test_every_csv_is_registered():
    assert {p.stem for p in DATA_DIR.glob("*.csv")} == set(REGISTRY)


def test_list_datasets_columns_and_counts():
    table = mse.list_datasets()
    assert list(table.columns[:3]) == ["name", "lists", "n_observed"]
    assert {"description", "citation"} <= set(table.columns)
    assert dict(zip(table["name"], table["n_observed"])) == PUBLISHED_N
    assert table["citation"].str.len().min() > 40


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_load_matches_csv(name):
    data = mse.load_dataset(name)
    raw = pd.read_csv(DATA_DIR / f"{name}.csv")
    assert data.lists == REGISTRY[name].lists
    assert data.covariates == REGISTRY[name].covariates
    assert data.n_observed == raw["count"].sum()


def test_documented_non_overlapping_pairs():
    def empty_pairs(name):
        overlaps = mse.load_dataset(name).overlaps()
        return {(a, b) for a, b, o in overlaps.itertuples(index=False) if o == 0}

    assert empty_pairs("uk2013") == {("LA", "GP"), ("LA", "NCA")}
    assert empty_pairs("netherlands") == {("I", "K"), ("K", "R")}
    assert len(empty_pairs("new_orleans")) == 18
    assert empty_pairs("western_us") == {("A", "B"), ("B", "E")}
    assert empty_pairs("kosovo") == set()


def test_unknown_dataset():
    with pytest.raises(mse.DataError, match="list_datasets"):
        mse.load_dataset("atlantis")
