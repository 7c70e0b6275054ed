"""Separated modes of a posterior of N (mse.bayes.modes), tested on mixtures with known parts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mse
from mse.bayes.modes import describe_modes, find_modes, modes_frame


def _mixture(rng: np.random.Generator, centres, sds, sizes) -> np.ndarray:
    return np.concatenate([rng.lognormal(np.log(c), s, k) for c, s, k in zip(centres, sds, sizes, strict=True)])


def test_two_separated_modes_with_their_shares() -> None:
    draws = _mixture(np.random.default_rng(1), [48_000, 150_000], [0.08, 0.12], [6_000, 4_000])
    modes = find_modes(draws)
    assert len(modes) == 2
    assert modes[0].location == pytest.approx(48_000, rel=0.05)
    assert modes[1].location == pytest.approx(150_000, rel=0.05)
    assert [m.share for m in modes] == pytest.approx([0.6, 0.4], abs=0.005)
    # Regions meet in the valley, between the modes.
    assert modes[0].upper == modes[1].lower
    assert 60_000 < modes[0].upper < 120_000


@pytest.mark.parametrize("sd", [0.05, 0.3, 1.0])
def test_one_mode_is_one_mode(sd: float) -> None:
    draws = np.random.default_rng(3).lognormal(np.log(10_000), sd, 40_000)
    (mode,) = find_modes(draws)
    assert mode.share == 1.0
    assert mode.location == pytest.approx(10_000, rel=0.05)  # the peak of the density of log N


def test_a_skewed_heavy_tail_is_not_a_second_mode() -> None:
    draws = np.random.default_rng(4).gamma(1.5, 2_000, 50_000) + 500
    assert len(find_modes(draws)) == 1


def test_a_small_bump_below_min_share_is_folded_in() -> None:
    draws = _mixture(np.random.default_rng(5), [1_000, 20_000], [0.1, 0.1], [9_900, 100])
    assert len(find_modes(draws, min_share=0.02)) == 1
    assert len(find_modes(draws, min_share=0.005)) == 2


def test_grid_weights_give_the_same_answer_as_draws() -> None:
    grid = np.linspace(1_000, 400_000, 20_000)
    density = 0.6 * np.exp(-0.5 * ((np.log(grid) - np.log(48_000)) / 0.08) ** 2) / (0.08 * grid)
    density += 0.4 * np.exp(-0.5 * ((np.log(grid) - np.log(150_000)) / 0.12) ** 2) / (0.12 * grid)
    modes = find_modes(grid, density)
    assert [round(m.location, -3) for m in modes] == [48_000, 150_000]
    assert [m.share for m in modes] == pytest.approx([0.6, 0.4], abs=0.01)


def test_degenerate_inputs() -> None:
    assert find_modes([]) == ()
    assert find_modes([np.nan, np.inf]) == ()
    (mode,) = find_modes(np.full(100, 50.0))
    assert mode.location == 50.0 and mode.share == 1.0


@settings(max_examples=30, deadline=None)
@given(
    scale=st.floats(min_value=1.0, max_value=1e7),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_modes_scale_with_n_and_shares_sum_to_one(scale: float, seed: int) -> None:
    draws = _mixture(np.random.default_rng(seed), [100, 400], [0.1, 0.1], [3_000, 2_000])
    modes = find_modes(draws)
    scaled = find_modes(draws * scale)
    assert sum(m.share for m in modes) == pytest.approx(1.0)
    assert [m.share for m in scaled] == pytest.approx([m.share for m in modes])
    assert [m.location for m in scaled] == pytest.approx([m.location * scale for m in modes], rel=1e-9)


def test_frame_and_message() -> None:
    modes = find_modes(_mixture(np.random.default_rng(1), [48_000, 150_000], [0.08, 0.12], [6_000, 4_000]))
    frame = modes_frame(modes)
    assert list(frame.columns) == ["N", "lower", "upper", "share"]
    message = describe_modes("lcmcr", modes, of="draws")
    assert "2 separated modes" in message and "60 % of the draws" in message


def test_dga_reports_the_two_modes_of_netherlands_5() -> None:
    # The graphs IO:K:Z + K:P:Z + K:R:Z (probability 0.55, mean N 48,057) and IO:P:Z + K:R + P:R (0.26, mean
    # 166,518) put N in two places; the exact grid posterior has about 65 % and 35 % of its mass around them.
    with pytest.warns(mse.MultimodalityWarning, match="2 separated modes"):
        result = mse.estimate(mse.load_dataset("netherlands_5"), method="dga", random_seed=1)
    modes = result.details["modes"]
    assert len(modes) == 2
    assert modes["N"].iloc[0] == pytest.approx(48_000, rel=0.1)
    assert modes["N"].iloc[1] == pytest.approx(160_000, rel=0.1)
    assert modes["share"].to_list() == pytest.approx([0.65, 0.35], abs=0.03)
    assert result.ok  # the posterior is exact: two modes are a finding, not a failure
    assert any("separated modes" in message for message in result.warnings)


def test_dga_unimodal_posterior_gives_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", mse.MultimodalityWarning)
        result = mse.estimate(mse.load_dataset("kosovo"), method="dga", random_seed=1)
    assert len(result.details["modes"]) == 1


def test_smoothing_follows_the_effective_sample_size() -> None:
    # Two close modes are resolved by 40,000 independent draws, but draws worth only 20 independent ones
    # (a slowly mixing chain) cannot separate them, and must not claim to.
    draws = _mixture(np.random.default_rng(7), [10_000, 13_000], [0.05, 0.05], [20_000, 20_000])
    assert len(find_modes(draws)) == 2
    assert len(find_modes(draws, n_effective=20)) == 1
