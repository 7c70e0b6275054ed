"""Values built on first read (mse._deferred), and the results that hold them."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError, dataclass

import pytest

import mse
from mse._deferred import Deferred, DeferredField, raw


def _build() -> list[int]:
    _build.calls += 1  # type: ignore[attr-defined]
    return [1, 2, 3]


_build.calls = 0  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Result:
    value: int
    extra: object = DeferredField()


def test_built_once_on_first_read_and_kept():
    calls = _build.calls  # type: ignore[attr-defined]
    res = _Result(1, Deferred(_build))
    assert isinstance(raw(res, "extra"), Deferred) and _build.calls == calls  # type: ignore[attr-defined]
    assert res.extra == [1, 2, 3] and res.extra is res.extra
    assert _build.calls == calls + 1  # type: ignore[attr-defined]
    assert raw(res, "extra") == [1, 2, 3]


def test_default_plain_values_and_frozen():
    assert _Result(1).extra is None
    assert _Result(1, "ready").extra == "ready"
    with pytest.raises(FrozenInstanceError):
        _Result(1).extra = 2  # type: ignore[misc]


def test_a_recipe_survives_pickling_unbuilt():
    res = pickle.loads(pickle.dumps(_Result(1, Deferred(_build))))
    assert isinstance(raw(res, "extra"), Deferred)
    assert res.extra == [1, 2, 3]


def test_estimate_keeps_its_posterior_unbuilt_through_copies_and_pickling():
    res = mse.Estimate(10.0, 9.0, 11.0, 0.95, 5, "demo", idata=Deferred(_build))
    copy = res.with_updates(status="ok")
    again = pickle.loads(pickle.dumps(copy))
    assert isinstance(raw(copy, "idata"), Deferred) and isinstance(raw(again, "idata"), Deferred)
    assert again.idata == [1, 2, 3] and res.idata == [1, 2, 3]
    assert mse.Estimate(10.0, 9.0, 11.0, 0.95, 5, "demo").idata is None
    assert raw(mse.Estimate(10.0, 9.0, 11.0, 0.95, 5, "demo"), "method") == "demo"
