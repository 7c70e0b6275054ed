"""CaptureData: constructors, accessors, list operations and their algebraic properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import mse
from mse import CaptureData, DataError


def _random_table(draw, max_lists: int = 6, with_covariate: bool = False):
    t = draw(st.integers(min_value=2, max_value=max_lists))
    lists = [f"L{i}" for i in range(t)]
    n_rows = draw(st.integers(min_value=1, max_value=12))
    rows = []
    for _ in range(n_rows):
        bits = draw(st.lists(st.integers(0, 1), min_size=t, max_size=t).filter(any))
        count = draw(st.integers(min_value=1, max_value=10**6))
        row = [*bits, count]
        if with_covariate:
            row.insert(t, draw(st.sampled_from(["a", "b", None])))
        rows.append(row)
    columns = [*lists, "sex", "count"] if with_covariate else [*lists, "count"]
    return pd.DataFrame(rows, columns=columns), lists


@st.composite
def tables(draw, with_covariate: bool = False):
    return _random_table(draw, with_covariate=with_covariate)


def _records_from_counts(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[frame.index.repeat(frame["count"])].drop(columns="count").reset_index(drop=True)


class TestConstructors:
    def test_from_counts_sums_duplicate_histories(self):
        df = pd.DataFrame({"A": [1, 1, 0], "B": [0, 0, 1], "count": [3, 4, 5]})
        data = CaptureData.from_counts(df, lists=["A", "B"])
        assert data.n_observed == 12
        assert data.pattern_counts().to_dict() == {"10": 7, "01": 5}

    def test_from_counts_does_not_modify_input(self):
        df = pd.DataFrame({"A": [1, 1, 0], "B": [0, 0, 1], "count": [3, 4, 5]})
        before = df.copy()
        CaptureData.from_counts(df, lists=["A", "B"])
        pd.testing.assert_frame_equal(df, before)

    def test_from_records_accepts_booleans_and_present_value(self):
        people = pd.DataFrame({"A": [True, True, False], "B": [False, True, True]})
        assert CaptureData.from_records(people, lists=["A", "B"]).pattern_counts().to_dict() == {
            "10": 1,
            "01": 1,
            "11": 1,
        }
        yes_no = pd.DataFrame({"A": ["yes", "yes", "no"], "B": ["no", "yes", "yes"]})
        data = CaptureData.from_records(yes_no, lists=["A", "B"], present="yes")
        assert data.n_observed == 3 and data.overlaps()["overlap"].item() == 1

    def test_from_patterns(self):
        data = CaptureData.from_patterns({"110": 5, "001": 7}, lists=["A", "B", "C"])
        assert data.lists == ("A", "B", "C")
        assert data.list_totals().to_dict() == {"A": 5, "B": 5, "C": 7}

    def test_large_counts_are_exact(self):
        data = CaptureData.from_patterns({"10": 10**9, "01": 10**9, "11": 10**9 - 1}, lists=["A", "B"])
        assert data.n_observed == 3 * 10**9 - 1

    def test_covariates_keep_missing_values(self):
        people = pd.DataFrame({"A": [1, 1, 0, 1], "B": [0, 1, 1, 0], "sex": ["f", "m", None, "f"]})
        data = CaptureData.from_records(people, lists=["A", "B"], covariates=["sex"])
        assert data.covariates == ("sex",)
        assert data.covariate_levels == {"sex": ("f", "m")}
        assert data.has_missing_covariates
        frame = data.to_frame()
        assert frame["count"].sum() == 4
        assert frame["sex"].isna().sum() == 1

    def test_immutable(self):
        data = mse.load_dataset("kosovo")
        with pytest.raises(AttributeError):
            data.lists = ("x",)  # type: ignore[misc]
        with pytest.raises(ValueError):
            data.counts[0] = 1

    def test_thirty_lists_and_many_records(self):
        rng = np.random.default_rng(1)
        t, n = 30, 100_000
        capture = rng.random((n, t)) < 0.08
        capture[~capture.any(axis=1), 0] = True
        frame = pd.DataFrame(capture, columns=[f"S{i}" for i in range(t)])
        data = CaptureData.from_records(frame, lists=list(frame.columns))
        assert data.n_observed == n
        np.testing.assert_array_equal(data.list_totals().to_numpy(), capture.sum(axis=0))


class TestValidation:
    @pytest.mark.parametrize(
        ("frame", "match"),
        [
            (pd.DataFrame({"A": [1, 2], "B": [0, 1], "count": [1, 1]}), r"'A' holds a number in row 1"),
            (pd.DataFrame({"A": [1, None], "B": [0, 1], "count": [1, 1]}), r"'A' has a missing value in row 1"),
            (pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [1, -3]}), r"negative .* row 1"),
            (pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [1, 2.5]}), r"fraction in row 1"),
            (pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [1, None]}), r"missing value in row 1"),
            (pd.DataFrame({"A": [1, 0], "B": [0, 0], "count": [1, 4]}), r"4 people have the all-zero"),
            (pd.DataFrame({"A": [1], "B": [0], "count": [0]}), r"no observed people"),
        ],
    )
    def test_bad_tables(self, frame, match):
        with pytest.raises(DataError, match=match):
            CaptureData.from_counts(frame, lists=["A", "B"])

    @pytest.mark.parametrize(
        ("lists", "match"),
        [(["A"], "at least two lists"), (["A", "A"], "unique"), (["A", ""], "non-empty"), ("AB", "single string")],
    )
    def test_bad_list_names(self, lists, match):
        frame = pd.DataFrame({"A": [1], "B": [1], "": [1], "count": [1]})
        with pytest.raises(DataError, match=match):
            CaptureData.from_counts(frame, lists=lists)

    def test_missing_column_is_named(self):
        with pytest.raises(DataError, match=r"\['C'\] not found"):
            CaptureData.from_counts(pd.DataFrame({"A": [1], "B": [1], "count": [1]}), lists=["A", "B", "C"])

    def test_drop_unobserved_warns(self):
        frame = pd.DataFrame({"A": [1, 0], "B": [0, 0], "count": [1, 4]})
        with pytest.warns(mse.DataWarning, match="dropped 4 people"):
            data = CaptureData.from_counts(frame, lists=["A", "B"], drop_unobserved=True)
        assert data.n_observed == 1

    def test_empty_list_warns(self):
        frame = pd.DataFrame({"A": [1, 1], "B": [0, 1], "C": [0, 0], "count": [3, 4]})
        with pytest.warns(mse.DataWarning, match=r"nobody is on list\(s\) \['C'\]"):
            CaptureData.from_counts(frame, lists=["A", "B", "C"])

    def test_data_error_is_value_error(self):
        assert issubclass(DataError, ValueError) and issubclass(DataError, mse.MSEError)

    def test_bad_pattern(self):
        with pytest.raises(DataError, match="string of 3 characters"):
            CaptureData.from_patterns({"12": 3}, lists=["A", "B", "C"])


class TestOperations:
    def test_uk2013_merged_equals_uk2013_5(self):
        merged = mse.load_dataset("uk2013").merge_lists(["PF", "NCA"], into="PFNCA")
        assert merged == mse.load_dataset("uk2013_5")

    def test_a_merged_list_is_named_from_its_parts(self):
        merged = mse.load_dataset("uk2013").merge_lists(["PF", "NCA"])
        assert merged.lists == ("LA", "NG", "PF/NCA", "GO", "GP")
        # The name works in a model string, and the model reads back with it.
        res = mse.estimate(merged, method="loglinear", model="LA:PF/NCA", interval="wald")
        assert "LA:PF/NCA" in res.model

    @pytest.mark.parametrize("into", ["PF+NCA", "PF:NCA", " PF"])
    def test_a_merged_name_that_model_strings_cannot_hold_is_refused(self, into):
        with pytest.raises(mse.DataError, match="rename|model strings"):
            mse.load_dataset("uk2013").merge_lists(["PF", "NCA"], into=into)

    def test_dropping_gp_from_uk2013_5(self):
        dropped = mse.load_dataset("uk2013_5").drop_lists(["GP"])
        assert dropped.n_observed == 2428
        assert dropped == mse.load_dataset("uk2013_4")

    def test_overlaps_of_higher_order(self):
        data = CaptureData.from_patterns({"111": 2, "110": 3, "011": 4, "100": 1}, lists=["A", "B", "C"])
        pairs = data.overlaps().set_index(["list_a", "list_b"])["overlap"].to_dict()
        assert pairs == {("A", "B"): 5, ("A", "C"): 2, ("B", "C"): 6}
        assert data.overlaps(order=3)["overlap"].item() == 2

    def test_select_and_stratify(self):
        pwid = mse.load_dataset("scottish_pwid")
        parts = pwid.stratify("Gender")
        assert sum(part.n_observed for part in parts.values()) == pwid.n_observed
        assert parts["Female"] == pwid.select(Gender="Female").drop_covariates(["Gender"])
        assert "Gender" not in parts["Female"].covariates

    def test_stratify_warns_about_missing_values(self):
        people = pd.DataFrame({"A": [1, 1, 0], "B": [0, 1, 1], "sex": ["f", "m", None]})
        data = CaptureData.from_records(people, lists=["A", "B"], covariates=["sex"])
        with pytest.warns(mse.DataWarning, match="1 person has no value of .sex. and is in no stratum"):
            parts = data.stratify("sex")
        assert sum(p.n_observed for p in parts.values()) == 2

    def test_dense_counts(self):
        data = CaptureData.from_patterns({"110": 5, "001": 7}, lists=["A", "B", "C"])
        dense = data.dense_counts()
        assert dense.shape == (8,) and dense[0b110] == 5 and dense[0b001] == 7 and dense.sum() == 12

    def test_unknown_list(self):
        with pytest.raises(DataError, match="unknown list"):
            mse.load_dataset("kosovo").drop_lists(["XYZ"])

    def test_hash_is_stable_and_content_based(self):
        a = mse.load_dataset("kosovo")
        b = CaptureData.from_counts(a.to_frame().sample(frac=1.0, random_state=3), lists=list(a.lists))
        assert a.content_hash == b.content_hash
        assert a.content_hash != a.scale_counts(2).content_hash


@pytest.mark.filterwarnings("ignore::mse.DataWarning")
class TestProperties:
    @settings(max_examples=40, deadline=None)
    @given(tables())
    def test_records_counts_round_trip(self, table):
        frame, lists = table
        frame = frame.assign(count=frame["count"] % 7 + 1)
        from_counts = CaptureData.from_counts(frame, lists=lists)
        from_records = CaptureData.from_records(_records_from_counts(frame), lists=lists)
        assert from_counts == from_records
        assert CaptureData.from_counts(from_counts.to_frame(), lists=lists) == from_counts

    @settings(max_examples=40, deadline=None)
    @given(tables(with_covariate=True))
    def test_round_trip_with_missing_covariates(self, table):
        frame, lists = table
        frame = frame.assign(count=frame["count"] % 5 + 1)
        from_counts = CaptureData.from_counts(frame, lists=lists, covariates=["sex"])
        records = _records_from_counts(frame)
        assert CaptureData.from_records(records, lists=lists, covariates=["sex"]) == from_counts
        assert from_counts.collapse_covariates().n_observed == from_counts.n_observed

    @settings(max_examples=40, deadline=None)
    @given(tables(), st.randoms(use_true_random=False))
    def test_permuting_lists_permutes_the_table(self, table, random):
        frame, lists = table
        data = CaptureData.from_counts(frame, lists=lists)
        order = list(lists)
        random.shuffle(order)
        permuted = data.reorder_lists(order)
        assert permuted.n_observed == data.n_observed
        assert permuted.list_totals().to_dict() == data.list_totals().to_dict()
        assert permuted.reorder_lists(list(lists)) == data
        back = {"".join(p[order.index(name)] for name in lists): c for p, c in permuted.pattern_counts().items()}
        assert back == data.pattern_counts().to_dict()

    @settings(max_examples=40, deadline=None)
    @given(tables())
    def test_merge_then_drop_equals_drop(self, table):
        frame, lists = table
        if len(lists) < 4:
            return
        data = CaptureData.from_counts(frame, lists=lists)
        first, second = lists[:2]
        merged = data.merge_lists([first, second], into="M")
        # Dropping the merged list removes exactly the people only the two merged lists saw.
        try:
            expected = data.drop_lists([first, second])
        except DataError:  # nobody is left on the other lists
            with pytest.raises(DataError, match="no observed people"):
                merged.drop_lists(["M"])
        else:
            assert merged.drop_lists(["M"]) == expected
        # Merging keeps everybody, and the merged total counts people on either list once.
        assert merged.n_observed == data.n_observed
        on_either = np.asarray(data.histories)[:, :2].any(axis=1)
        assert merged.list_totals()["M"] == int(np.asarray(data.counts)[on_either].sum())

    @settings(max_examples=30, deadline=None)
    @given(tables(), st.integers(min_value=2, max_value=1000))
    def test_scaling_counts(self, table, factor):
        frame, lists = table
        data = CaptureData.from_counts(frame, lists=lists)
        scaled = data.scale_counts(factor)
        assert scaled.n_observed == factor * data.n_observed
        pd.testing.assert_frame_equal(scaled.overlaps().assign(overlap=lambda f: f.overlap // factor), data.overlaps())


class TestCountBounds:
    """Counts are whole numbers from 0 to 2**62, in every column type, and so is their total."""

    @pytest.mark.parametrize(
        "column",
        [
            np.array([2**64 - 1, 30, 10], dtype=np.uint64),  # was silently dropped: n_observed 40
            np.array([2**62 + 1, 30, 10], dtype=np.uint64),
            np.array([2**63 - 1, 30, 10], dtype=np.int64),
            np.array([2.0**63, 30.0, 10.0]),
            pd.Series([10**23, 30, 10], dtype=object),  # a Python int beyond 64 bits
            pd.Series([10**400, 30, 10], dtype=object),  # beyond even a float
            pd.Series(["18446744073709551615", "30", "10"]),
        ],
    )
    def test_a_count_above_the_bound_is_refused(self, column):
        frame = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": column})
        with pytest.raises(DataError, match=r"'count' is above 2\*\*62 in row 0"):
            CaptureData.from_counts(frame, ["A", "B"])

    def test_counts_whose_total_overflows_are_refused(self):
        """Three counts of 2**62 used to give a negative n_observed and an "ok" Chapman estimate."""
        frame = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [2**62] * 3})
        with pytest.raises(DataError, match=r"add up to more than 2\*\*62"):
            CaptureData.from_counts(frame, ["A", "B"])
        many = pd.DataFrame({"A": [1] * 5, "B": [0] * 5, "count": np.full(5, 2**61, dtype=np.int64)})
        with pytest.raises(DataError, match=r"add up to more than 2\*\*62"):
            CaptureData.from_counts(many, ["A", "B"])  # duplicate histories would be summed in int64

    def test_counts_at_the_bound_are_exact(self):
        frame = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": np.array([2**62 - 40, 30, 10], dtype=np.uint64)})
        assert CaptureData.from_counts(frame, ["A", "B"]).n_observed == 2**62
        text = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [" 1000000000", "30", "10"]})
        assert CaptureData.from_counts(text, ["A", "B"]).n_observed == 10**9 + 40

    @pytest.mark.parametrize(
        ("value", "match"),
        [(-(10**30), "negative"), ("abc", "not a number"), ("2.5", "fraction"), ("1e400", "not finite")],
    )
    def test_any_column_type_gives_a_data_error(self, value, match):
        with pytest.raises(DataError, match=match):
            CaptureData.from_patterns({"10": value, "01": 3, "11": 1}, ["A", "B"])

    def test_scaling_past_the_bound_is_refused(self):
        data = CaptureData.from_patterns({"10": 40, "01": 30, "11": 10}, ["A", "B"])
        with pytest.raises(DataError, match=r"more than 2\*\*62"):
            data.scale_counts(2**60)
        assert data.scale_counts(3.0).n_observed == 240


class TestNoValuesInMessages:
    """Errors name columns and rows, never record values (a column taken for a list may hold names)."""

    def test_a_name_column_taken_for_a_list_is_not_echoed(self):
        people = pd.DataFrame({"name": ["Alice Smith", "Bob Jones"], "A": [1, 0], "B": [0, 1]})
        with pytest.raises(DataError) as error:
            CaptureData.from_records(people, lists=["name", "A", "B"])
        message = str(error.value)
        assert "'name'" in message and "row 0" in message and "lists=[" in message
        assert "Alice" not in message

    @pytest.mark.parametrize("present", [None, "yes"])
    def test_an_index_of_names_is_not_echoed(self, present):
        people = pd.DataFrame({"A": [1, 7], "B": [0, 1]}, index=pd.Index(["Alice Smith", "Bob Jones"], name="name"))
        if present:
            people = people.replace({1: "yes", 0: "no", 7: "maybe"})
        with pytest.raises(DataError, match="position 1") as error:
            CaptureData.from_records(people, lists=["A", "B"], present=present)
        assert "Bob" not in str(error.value) and "maybe" not in str(error.value) and "7" not in str(error.value)

    def test_a_non_numeric_count_is_not_echoed(self):
        frame = pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [3, "Alice Smith"]})
        with pytest.raises(DataError, match="not a number in row 1") as error:
            CaptureData.from_counts(frame, ["A", "B"])
        assert "Alice" not in str(error.value)


class TestSilentMisreadings:
    @pytest.mark.parametrize("name", ["A:B", "A+B", " A", "A ", "", "   ", "A\nB", "a\tb"])
    def test_names_that_break_model_strings_are_refused(self, name):
        frame = pd.DataFrame({name: [1, 0, 1], "B2": [0, 1, 1], "count": [3, 4, 5]})
        with pytest.raises(DataError, match="rename the column"):
            CaptureData.from_counts(frame, [name, "B2"])
        with_covariate = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], name: ["x", "y", "x"], "count": [3, 4, 5]})
        with pytest.raises(DataError, match="rename the column"):
            CaptureData.from_counts(with_covariate, ["A", "B"], covariates=[name])

    def test_renaming_or_merging_into_a_bad_name_is_refused(self):
        data = CaptureData.from_patterns({"10": 4, "01": 3, "11": 1}, ["A", "B"])
        with pytest.raises(DataError, match="rename"):
            data.rename_lists({"A": "A:1"})
        with pytest.raises(DataError, match="rename"):
            CaptureData.from_patterns({"100": 4, "011": 3}, ["A", "B", "C"]).merge_lists(["A", "B"], into="A+B")

    def test_present_ignores_case_and_surrounding_whitespace(self):
        people = pd.DataFrame({"A": ["yes", "Yes", "YES ", "no"], "B": [" no", "yes", "NO", "Yes"]})
        data = CaptureData.from_records(people, lists=["A", "B"], present="yes")
        assert data.pattern_counts().to_dict() == {"10": 2, "01": 1, "11": 1}

    @pytest.mark.parametrize("other", ["y", "maybe", "2", "unknown"])
    def test_present_refuses_values_that_mean_neither(self, other):
        """With present="yes", "y" used to count silently as absent."""
        people = pd.DataFrame({"A": ["yes", "no", "yes"], "B": ["no", "yes", other]})
        with pytest.raises(DataError, match=r"'B' holds text in row 2") as error:
            CaptureData.from_records(people, lists=["A", "B"], present="yes")
        assert repr(other) not in str(error.value)

    @pytest.mark.parametrize(
        ("present", "absent"), [("x", ""), ("yes", "n"), (1, 0), ("1", 0), (True, False), ("True", "false"), (2, 0.0)]
    )
    def test_present_accepts_only_clear_absences(self, present, absent):
        people = pd.DataFrame({"A": [present, absent, present], "B": [absent, present, present]})
        data = CaptureData.from_records(people, lists=["A", "B"], present=present)
        assert data.pattern_counts().to_dict() == {"10": 1, "01": 1, "11": 1}

    def test_a_column_in_two_roles_is_refused(self):
        frame = pd.DataFrame({"A": [1, 0, 1], "count": [1, 2, 3]})
        with pytest.raises(DataError, match="both as a list and as the count column"):
            CaptureData.from_counts(frame, lists=["A", "count"], count="count")
        people = pd.DataFrame({"A": [1, 0], "B": [0, 1]})
        with pytest.raises(DataError, match="both as lists and as covariates"):
            CaptureData.from_records(people, lists=["A", "B"], covariates=["B"])


def test_an_index_of_identifiers_is_not_echoed():
    """An integer index may hold ID numbers: the row is then given by position, not by its label."""
    people = pd.DataFrame({"A": [1, 5], "B": [0, 1]}, index=pd.Index([190377, 884213], name="person_id"))
    with pytest.raises(DataError, match="position 1") as error:
        CaptureData.from_records(people, lists=["A", "B"])
    assert "884213" not in str(error.value)
