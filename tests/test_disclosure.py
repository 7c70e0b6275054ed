"""Disclosure control: one policy, applied by every output path, with complementary suppression.

The walk tests build tables with small cells, send them through every output
(summary text and HTML, to_frame, to_dict/JSON, saved file, breakdown,
compare, each command with and without --json, plots) and check that no
withheld count is printed and none follows from the printed numbers by
adding, subtracting or the ratio of a level's estimate to its count.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import mse
from mse.cli import main
from mse.disclosure import SUPPRESSED, DisclosurePolicy

POLICY = DisclosurePolicy(suppress_below=10)

# n = 7 people on three lists: every count here is small
SMALL = {"100": 3, "010": 2, "001": 1, "110": 1}

# 165 people by region; north has 4, so a breakdown by region must hide it and one more region
REGIONS = {
    "north": {"100": 1, "010": 1, "110": 1, "001": 1},
    "south": {"100": 30, "010": 25, "001": 20, "110": 8, "101": 6, "011": 5, "111": 2},
    "east": {"100": 20, "010": 18, "001": 14, "110": 5, "101": 4, "011": 3, "111": 1},
}


def _small_data() -> mse.CaptureData:
    return mse.CaptureData.from_patterns(SMALL, lists=["A", "B", "C"])


def _region_frame() -> pd.DataFrame:
    rows = [
        {"A": int(h[0]), "B": int(h[1]), "C": int(h[2]), "region": region, "count": n}
        for region, cells in REGIONS.items()
        for h, n in cells.items()
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def small_result() -> mse.Estimate:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mse.estimate(_small_data(), method="independence", interval="profile")


@pytest.fixture(scope="module")
def region_result() -> mse.Estimate:
    data = mse.CaptureData.from_counts(_region_frame(), lists=["A", "B", "C"], covariates=["region"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mse.estimate(
            data,
            method="loglinear",
            model="A + B + C + region",
            interval="parametric_bootstrap",
            n_boot=50,
            random_seed=1,
        )


# ------------------------------------------------------------------ checks
_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?")


def _numbers(output: object) -> list[float]:
    """Every number in a text, or in a JSON-like structure."""
    if isinstance(output, str):
        return [float(token.replace(",", "")) for token in _NUMBER.findall(output)]
    if isinstance(output, bool) or output is None:
        return []
    if isinstance(output, (int, float)):
        return [float(output)] if math.isfinite(output) else []
    if isinstance(output, dict):
        return [x for value in output.values() for x in _numbers(value)]
    if isinstance(output, (list, tuple)):
        return [x for value in output for x in _numbers(value)]
    if isinstance(output, pd.DataFrame):
        return _numbers(output.to_dict(orient="records"))
    return []


def _people(output: object) -> list[float]:
    """Numbers that can be numbers of people: with a fraction or above the secrets' size (not df, k, years)."""
    return [x for x in _numbers(output) if x >= 0]


def _assert_hidden(output: object, secrets: list[float], *, what: str, ratio: float | None = None) -> None:
    """No secret appears, none is the difference of two printed numbers, none is a printed estimate times ``ratio``."""
    numbers = _people(output)
    for secret in secrets:
        assert not any(abs(x - secret) < 1e-6 for x in numbers), f"{what}: {secret} printed"
        for x, y in itertools.permutations(numbers, 2):
            # differences of decimals are exact derivations (18.35 - 11.35); whole numbers too when both are large
            if (not float(x).is_integer() or not float(y).is_integer()) and abs(x - y - secret) < 1e-6:
                raise AssertionError(f"{what}: {secret} = {x} - {y}")
        if ratio is not None:
            for x in numbers:
                assert abs(x * ratio - secret) > 0.5, f"{what}: {secret} ~ {x} * n / N"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main(list(argv))
    captured = capsys.readouterr()
    return captured.out


# ------------------------------------------------------------------ the policy
def test_policy_scalars_and_validation():
    policy = DisclosurePolicy(suppress_below=10, round_to=5)
    assert policy.count(0) == 0 and policy.count(7) == "<10" and policy.count(123) == 125
    assert policy.people(1234.4) == 1235 and policy.people(math.inf) == "inf" and policy.people(math.nan) is None
    assert not DisclosurePolicy().active and DisclosurePolicy().count(7) == 7
    for bad in (0, -3, 2.5, True):
        with pytest.raises(mse.ModelError):
            DisclosurePolicy(suppress_below=bad)  # type: ignore[arg-type]
    with pytest.raises(mse.ModelError, match="not both"):
        mse.Estimate(estimate=1.0, lower=1.0, upper=1.0, level=0.95, observed=1, method="x").summary(
            policy=policy, suppress_below=10
        )


def test_shorthands_build_the_same_policy(small_result):
    assert small_result.summary(suppress_below=10, round_to=5) == small_result.summary(
        policy=DisclosurePolicy(suppress_below=10, round_to=5)
    )
    assert small_result.to_json(suppress_below=10) == small_result.to_json(policy=POLICY)


def test_no_policy_changes_nothing(small_result):
    assert small_result.to_frame()["observed"].iloc[0] == 7
    assert small_result.to_dict()["observed"] == 7
    assert "disclosure" not in small_result.summary()


# ------------------------------------------------------------------ the reproductions of the report
def test_summary_without_rounding_hides_the_dark_figure_and_the_lower_limit(small_result):
    text = small_result.summary(suppress_below=10)
    assert "observed (n):     <10" in text
    assert f"dark figure:      {SUPPRESSED}" in text
    # the profile interval starts at the number observed: its lower limit is withheld too
    assert "[<10," in text
    _assert_hidden(text, [7.0], what="summary")


def test_cli_estimate_text_and_json_apply_the_policy(capsys, tmp_path):
    path = tmp_path / "small.csv"
    _small_data().to_frame().to_csv(path, index=False)
    common = ("estimate", "--csv", str(path), "--method", "independence", "--interval", "profile")
    text = _cli(capsys, *common, "--suppress-below", "10")
    assert "<10" in text and SUPPRESSED in text
    _assert_hidden(text, [7.0], what="estimate text")
    payload = json.loads(_cli(capsys, *common, "--suppress-below", "10", "--json"))
    assert payload["observed"] == "<10" and payload["dark_figure"] == SUPPRESSED
    assert payload["disclosure"]["suppress_below"] == 10
    _assert_hidden(payload, [7.0], what="estimate --json")
    rounded = json.loads(_cli(capsys, *common, "--round-to", "10", "--json"))
    assert rounded["observed"] == 10 and rounded["estimate"] % 10 == 0


def test_cli_compare_rounds_the_number_observed(capsys, tmp_path):
    path = tmp_path / "small.csv"
    _small_data().to_frame().to_csv(path, index=False)
    text = _cli(capsys, "compare", "--csv", str(path), "--methods", "independence,Mt", "--round-to", "10")
    assert "7 people observed" not in text and text.startswith("10 people observed")
    payload = json.loads(
        _cli(capsys, "compare", "--csv", str(path), "--methods", "independence", "--suppress-below", "10", "--json")
    )
    assert payload[0]["observed"] == "<10"
    _assert_hidden(payload, [7.0], what="compare --json")


def test_saved_and_json_output_leave_out_what_rebuilds_a_cell(region_result, tmp_path):
    payload = region_result.to_dict(policy=POLICY)
    assert "coef" not in payload["details"] and "strata_draws" not in payload["details"]
    assert "data_hash" not in payload["metadata"] and "n_observed" not in payload["metadata"]
    path = tmp_path / "published.json"
    region_result.save(path, policy=POLICY)
    written = json.loads(path.read_text())
    assert written["format"] == "mse.PublishedEstimate/1"
    assert "draws" not in written and "strata" not in written
    assert written["breakdowns"]["region"][1]["observed"] == "<10"
    n, total = region_result.observed, region_result.estimate
    _assert_hidden(written, [4.0, 65.0], what="saved file", ratio=n / total)
    # a publication file is not an archive
    with pytest.raises(mse.DataError):
        mse.load_result(path)


def test_breakdown_adds_a_complementary_suppression(region_result):
    table = region_result.breakdown("region", suppress_below=10)
    shown = dict(zip(table["region"], table["observed"]))
    assert shown["north"] == "<10"
    assert shown["east"] == SUPPRESSED and shown["south"] == 96
    # the total minus the shown rows is now the sum of two withheld rows, not one
    withheld = table[table["observed"].isin(["<10", SUPPRESSED])]
    assert len(withheld) == 2 and (withheld[["estimate", "lower", "upper"]] == SUPPRESSED).all().all()
    _assert_hidden(table, [4.0, 65.0], what="breakdown", ratio=region_result.observed / region_result.estimate)


def test_describe_and_diagnose_take_the_policy(capsys, tmp_path):
    path = tmp_path / "mixed.csv"
    frame = pd.DataFrame(
        {"A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1],
         "count": [40, 35, 30, 12, 3, 11, 2]}
    )  # fmt: skip
    frame.to_csv(path, index=False)
    data = mse.CaptureData.from_counts(frame, lists=["A", "B", "C"])
    shown = POLICY.protect_capture_counts(data)
    text = _cli(capsys, "describe", "--csv", str(path), "--suppress-below", "10")
    # the printed counts are the audited ones (the audit itself is checked exactly below)
    for name in "ABC":
        assert re.search(rf"^\s+{name}\s+{re.escape(str(shown[('list', name)]))}$", text, re.M), name
    for k in (1, 2, 3):
        assert re.search(rf"^\s+{k}:\s+{re.escape(str(shown[('on', k)]))}$", text, re.M), k
    assert shown[("on", 3)] == "<10" and "disclosure" in text
    diagnose = json.loads(_cli(capsys, "diagnose", "--csv", str(path), "--suppress-below", "10", "--json"))
    for row in diagnose["overlaps"]:
        assert row["overlap"] == shown[("pair", row["list_a"], row["list_b"])]
    assert set(diagnose["overlaps"][0]) == {"list_a", "list_b", "overlap"}
    for row in diagnose["internal_consistency"]:
        assert row["truth"] == shown[("list", row["list"])] and row["observed"] == shown[("others", row["list"])]
    for row in diagnose["sensitivity"][1:]:
        assert row["observed"] == shown[("without", row["variation"].removeprefix("without "))]
    assert diagnose["estimate"]["disclosure"]["suppress_below"] == 10
    assert "disclosure" in _cli(capsys, "diagnose", "--csv", str(path), "--suppress-below", "10")


# ------------------------------------------------------------------ the walk over every output path
def test_every_output_path_hides_the_small_counts(small_result, region_result, capsys, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    secrets_small = [7.0]
    outputs: dict[str, object] = {
        "summary": small_result.summary(policy=POLICY),
        "str of the view": str(POLICY.protect(small_result)),
        "html": small_result.to_html(policy=POLICY),
        "html of the view": POLICY.protect(small_result)._repr_html_(),
        "to_frame": small_result.to_frame(policy=POLICY),
        "to_dict": small_result.to_dict(policy=POLICY),
        "to_json": json.loads(small_result.to_json(policy=POLICY)),
        "compare": mse.compare(_small_data(), ["independence", "Mt"], policy=POLICY),
        "protect_counts": mse.protect_counts(small_result.to_frame(), suppress_below=10),
    }
    saved = tmp_path / "small.json"
    small_result.save(saved, policy=POLICY)
    outputs["saved file"] = json.loads(saved.read_text())
    csv = tmp_path / "small.csv"
    _small_data().to_frame().to_csv(csv, index=False)
    data_args = ("--csv", str(csv), "--suppress-below", "10")
    for command, extra in (
        ("estimate", ("--method", "independence", "--interval", "profile")),
        ("compare", ("--methods", "independence,Mt")),
        ("describe", ()),
        ("diagnose", ()),
    ):
        outputs[f"mse {command}"] = _cli(capsys, command, *data_args, *extra)
        if command != "describe":
            outputs[f"mse {command} --json"] = json.loads(_cli(capsys, command, *data_args, *extra, "--json"))
    fig, ax = plt.subplots()
    mse.plot_comparison(mse.compare(_small_data(), ["independence"]), ax=ax, policy=POLICY)
    outputs["plot_comparison"] = [line.get_label() for line in ax.get_lines()] + [ax.get_title()]
    mse.plot_overlaps(_small_data(), ax=ax, policy=POLICY)
    outputs["plot_overlaps"] = ax.get_title() + " " + " ".join(t.get_text() for t in ax.texts)
    plt.close(fig)
    for name, output in outputs.items():
        # the marker shows that the policy was applied (escaped as &lt;10 in HTML)
        plain = output.to_dict(orient="records") if isinstance(output, pd.DataFrame) else output
        assert "<10" in html.unescape(json.dumps(plain, default=str)) or name.startswith("plot"), name
        _assert_hidden(output, secrets_small, what=name)
    with pytest.raises(mse.ModelError, match="draws of N start"):
        mse.plot_posterior(small_result.with_updates(draws=np.array([7.0, 8.0, 12.0])), policy=POLICY)
    with pytest.raises(mse.ModelError, match="residual plot"):
        mse.plot_residuals(small_result, policy=POLICY)

    # with covariates: the breakdown, its margins and the model details
    ratio = region_result.observed / region_result.estimate
    region_outputs: dict[str, object] = {
        "summary": region_result.summary(policy=POLICY),
        "to_dict": region_result.to_dict(policy=POLICY),
        "breakdown": region_result.breakdown("region", policy=POLICY),
    }
    published = tmp_path / "regions.json"
    region_result.save(published, policy=POLICY)
    region_outputs["saved file"] = json.loads(published.read_text())
    for name, output in region_outputs.items():
        _assert_hidden(output, [4.0, 65.0], what=f"covariates: {name}", ratio=ratio)


def test_plot_overlaps_leaves_withheld_bars_empty():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    mse.plot_overlaps(_small_data(), ax=ax, policy=POLICY)
    filled = [p.get_height() for p in ax.patches if p.get_facecolor()[3] > 0]
    assert filled == []  # every history of seven people is small
    assert ax.get_title().startswith("<10 people")
    plt.close(fig)


# ------------------------------------------------------------------ complementary suppression, exactly
def _determined(shown: list[np.ndarray], quantity: np.ndarray) -> bool:
    """Whether ``quantity`` is a combination of the ``shown`` sums (rank test, independent of the library's)."""
    if not shown:
        return False
    matrix = np.array(shown, dtype=float)
    return bool(np.linalg.matrix_rank(np.vstack([matrix, quantity])) == np.linalg.matrix_rank(matrix))


def _all_breakdowns(strata: pd.DataFrame, covariates: list[str], policy: DisclosurePolicy):
    """Every published sum (total and every breakdown) with the policy's decision on it."""
    for size in range(len(covariates) + 1):
        for by in itertools.combinations(covariates, size):
            if by:
                decisions = policy.protect_breakdown(strata, covariates, list(by))
                codes = strata.groupby(list(by), sort=True).ngroup().to_numpy()
                levels = strata.groupby(list(by), sort=True).size().index
                for g, level in enumerate(levels):
                    yield (codes == g).astype(float), decisions[level]
            else:
                total = float(strata["observed"].sum())
                yield np.ones(len(strata)), ("primary" if policy.is_small(total) else None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from([(4,), (2, 3), (3, 3), (2, 2, 2)]),
    data=st.data(),
)
def test_no_suppressed_count_can_be_solved_from_the_published_sums(shape, data):
    size = int(np.prod(shape))
    counts = data.draw(st.lists(st.integers(0, 30), min_size=size, max_size=size))
    names = [f"x{i}" for i in range(len(shape))]
    grid = list(itertools.product(*[range(k) for k in shape]))
    strata = pd.DataFrame(grid, columns=names).assign(observed=counts)
    strata = strata[strata["observed"] > 0].reset_index(drop=True)  # strata hold observed cells only
    if strata.empty:
        return
    published = list(_all_breakdowns(strata, names, POLICY))
    shown = [row for row, decision in published if decision is None]
    for row, decision in published:
        value = float(row @ strata["observed"].to_numpy(dtype=float))
        if POLICY.is_small(value):
            assert decision == "primary"
        if decision is not None:
            assert not _determined(shown, row), f"a withheld sum of {value} follows from the shown ones"
    # the classic rule follows: a line of a two-way table with a withheld cell and a shown margin has two
    if len(names) == 2:
        inner = POLICY.protect_breakdown(strata, names, names)
        for axis, name in enumerate(names):
            margin = POLICY.protect_breakdown(strata, names, [name])
            for level, decision in margin.items():
                line = [d for key, d in inner.items() if key[axis] == level]
                withheld = sum(d is not None for d in line)
                assert decision is not None or withheld != 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 25), min_size=7, max_size=7))
def test_no_small_cell_follows_from_the_printed_summary_of_the_data(counts):
    if sum(counts) == 0:
        return
    patterns = {f"{i:03b}": c for i, c in enumerate(counts, start=1) if c}
    data = mse.CaptureData.from_patterns(patterns, lists=["A", "B", "C"])
    shown = POLICY.protect_capture_counts(data, cells=True)
    frame = data.to_frame()
    histories = frame[["A", "B", "C"]].to_numpy(dtype=bool)
    on = histories.sum(axis=1)
    masks = {("n",): np.ones(len(frame), dtype=bool)}
    for i, name in enumerate("ABC"):
        masks[("list", name)] = histories[:, i]
        masks[("others", name)] = histories[:, i] & (on >= 2)
        masks[("without", name)] = (on - histories[:, i]) >= 1
    for k in (1, 2, 3):
        masks[("on", k)] = on == k
    for (i, a), (j, b) in itertools.combinations(enumerate("ABC"), 2):
        masks[("pair", a, b)] = histories[:, i] & histories[:, j]
    for row in range(len(frame)):
        masks[("cell", row)] = np.arange(len(frame)) == row
    visible = [masks[key].astype(float) for key, value in shown.items() if not isinstance(value, str)]
    values = frame["count"].to_numpy(dtype=float)
    for key, value in shown.items():
        exact = float(values[masks[key]].sum())
        if isinstance(value, str):
            assert not _determined(visible, masks[key].astype(float)), f"{key} = {exact} follows from the shown sums"
        else:
            assert value == exact and not POLICY.is_small(exact)


def test_breakdowns_agree_whatever_the_order_of_the_covariates():
    rng = np.random.default_rng(3)
    grid = list(itertools.product(range(3), range(2), range(2)))
    strata = pd.DataFrame(grid, columns=["a", "b", "c"]).assign(observed=rng.integers(1, 25, len(grid)))
    one = POLICY.protect_breakdown(strata, ["a", "b", "c"], ["a", "b"])
    other = POLICY.protect_breakdown(strata, ["a", "b", "c"], ["b", "a"])
    assert one == {(a, b): decision for (b, a), decision in other.items()}
    assert any(decision == "complementary" for decision in one.values()) or all(
        not POLICY.is_small(v) for v in strata["observed"]
    )


def test_statuses_and_warnings_do_not_quote_a_suppressed_count():
    res = mse.Estimate.failed(
        method="demo",
        observed=7,
        status="not reported: the estimate 5 is below the 7 people observed",
        warnings=("7 people on list A",),
    )
    payload = res.to_dict(policy=POLICY)
    assert payload["status"] == "not reported: the estimate 5 is below the <10 people observed"
    assert payload["warnings"] == ["<10 people on list A"]
    assert "7" not in res.summary(policy=POLICY).split("status:")[1]
