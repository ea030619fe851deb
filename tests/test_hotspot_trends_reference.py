"""Mann–Kendall trend test against pymannkendall on real counts (Sacramento, January 2006).

``mann_kendall`` returns S, z and the two-sided p per row; pymannkendall's ``original_test``
(one series at a time) is the reference. The tie-corrected variance is not returned by shequ:
it is read back from z, since z = (|S| − 1) / sqrt(var) when |S| > 1.

Tolerances: S is an integer and must match exactly. z is the same formula with the same
floating-point steps in both, so it matches to 1e-12 absolute (bit-equal in practice).
p is compared to 1e-12 absolute, not relative: pymannkendall computes 2 · (1 − Φ(|z|)),
whose rounding error is about 1e-16 absolute, while shequ computes 2 · Φ̄(|z|) with
``norm.sf``. For tiny p the two differ relatively — pymannkendall rounds to 0 —
see ``test_tiny_p_keeps_its_precision_unlike_pymannkendall``.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pymannkendall as mk
import pytest

from shequ.analyses.hotspot_trends import mann_kendall, slice_counts
from tests.conftest import shared_file


def _reference(rows: np.ndarray) -> dict[str, np.ndarray]:
    """pymannkendall's S, var(S), z and p for every row of ``rows``."""
    results = [mk.original_test(row) for row in rows]
    return {
        key: np.array([getattr(r, key) for r in results], dtype=float)
        for key in ["s", "var_s", "z", "p"]
    }


def _assert_equal_to_reference(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s, z, p = mann_kendall(rows)
    ref = _reference(rows)
    np.testing.assert_array_equal(s, ref["s"])
    np.testing.assert_allclose(z, ref["z"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(p, ref["p"], rtol=0, atol=1e-12)
    return s, z, p


def _variance_from_z(s: np.ndarray, z: np.ndarray) -> np.ndarray:
    """var(S) as shequ used it, read back from z = (|S| − 1) / sqrt(var); needs |S| > 1."""
    return ((np.abs(s) - 1) / z) ** 2


def _no_tie_variance(n: int) -> float:
    return n * (n - 1) * (2 * n + 5) / 18


@pytest.fixture(scope="module")
def incidents() -> pd.DataFrame:
    """Time and beat of every incident with a beat (42 of 7 584 have none; 19 beats)."""
    path = shared_file("incidents/sacramento_crime_jan2006.csv")
    frame = pd.read_csv(path, usecols=["cdatetime", "beat"], dtype={"beat": str})
    frame["time"] = pd.to_datetime(frame["cdatetime"], format="%m/%d/%y %H:%M")
    frame["beat"] = frame["beat"].str.strip()
    return frame[frame["beat"] != ""]


@pytest.fixture(scope="module")
def daily_busiest(incidents) -> pd.DataFrame:
    """(beat × day) counts of the eight busiest beats over the 31 days of January."""
    busiest = incidents["beat"].value_counts().index[:8]
    table = pd.crosstab(incidents["beat"], incidents["time"].dt.day)
    assert table.shape[1] == 31
    return table.loc[busiest]


def test_daily_counts_of_busiest_beats_equal_pymannkendall(daily_busiest):
    _, _, p = _assert_equal_to_reference(daily_busiest.to_numpy())
    # the data reach both sides: beat 5C rises through January (S = 181), the others do not
    assert daily_busiest.index[p <= 0.05].tolist() == ["5C"]


def test_daily_counts_tie_corrected_variance_equals_pymannkendall(daily_busiest):
    rows = daily_busiest.to_numpy()
    s, z, _ = mann_kendall(rows)
    ref = _reference(rows)
    assert (np.abs(s) > 1).all()
    np.testing.assert_allclose(_variance_from_z(s, z), ref["var_s"], rtol=1e-12)
    # daily counts tie in every beat: without the correction the variance would be larger
    assert (ref["var_s"] < _no_tie_variance(31) - 10).all()


def test_slice_counts_of_every_beat_equal_pymannkendall(incidents):
    """The input ``emerging_categories`` gives the test: ``slice_counts`` over ten slices."""
    beat_index, beats = pd.factorize(incidents["beat"])
    counts, _ = slice_counts(beat_index, incidents["time"], len(beats), 10)
    assert counts.shape == (19, 10)
    assert counts.sum() == len(incidents)
    _assert_equal_to_reference(counts)


def test_rows_with_and_without_ties_in_one_matrix_equal_pymannkendall():
    """The tie correction is applied row by row, only to the rows that tie."""
    rows = np.array(
        [
            [1, 2, 3, 4, 5, 6, 7, 8],  # no tie
            [0, 0, 1, 1, 1, 3, 3, 9],  # three groups of ties
            [8, 7, 6, 5, 4, 3, 2, 1],  # no tie, falling
            [0, 0, 0, 0, 0, 0, 5, 2],  # one group of six
            [2, 4, 1, 7, 3, 9, 0, 6],  # no tie
            [4, 4, 4, 4, 4, 4, 3, 3],  # two groups only
        ],
        dtype=float,
    )
    s, z, _ = _assert_equal_to_reference(rows)
    ref = _reference(rows)
    np.testing.assert_allclose(_variance_from_z(s, z), ref["var_s"], rtol=1e-12)
    no_tie = _no_tie_variance(8)
    assert ref["var_s"][[0, 2, 4]].tolist() == [no_tie] * 3
    assert (ref["var_s"][[1, 3, 5]] < no_tie).all()


def test_all_equal_series_have_no_trend_like_pymannkendall():
    """Zero variance: S = 0, z = 0, p = 1 in both, without a division by zero, also when
    the constant rows sit beside a rising one."""
    rows = np.array([[0.0] * 6, [4.0] * 6, [0.0, 1, 1, 2, 3, 5]])
    ref = _reference(rows)
    assert ref["var_s"].tolist()[:2] == [0.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, z, p = _assert_equal_to_reference(rows)
    assert (s[:2].tolist(), z[:2].tolist(), p[:2].tolist()) == ([0, 0], [0, 0], [1, 1])
    assert s[2] == 14


@pytest.mark.parametrize("n", [3, 4])
def test_every_short_series_equals_pymannkendall(n):
    """Every series of length n over n values: ties, all-equal rows and permutations."""
    rows = np.array(list(itertools.product(range(n), repeat=n)), dtype=float)
    s, _, p = _assert_equal_to_reference(rows)
    # the extremes are the strictly monotone series, |S| = n(n − 1)/2, and even they are not
    # significant at 5 %: with n ≤ 4 slices the test cannot find a trend
    assert np.abs(s).max() == n * (n - 1) / 2
    assert p.min() == pytest.approx({3: 0.29627, 4: 0.08943}[n], abs=1e-5)


def test_tiny_p_keeps_its_precision_unlike_pymannkendall():
    """Documented difference: pymannkendall's 1 − Φ(z) rounds a tiny p to 0, shequ's does not."""
    rising = np.arange(100, dtype=float)
    s, z, p = mann_kendall(rising[None, :])
    ref = mk.original_test(rising)
    assert s[0] == ref.s == 4950
    assert z[0] == pytest.approx(ref.z, rel=0, abs=1e-12)
    assert ref.p == 0.0
    assert p[0] == pytest.approx(math.erfc(z[0] / math.sqrt(2)), rel=1e-12, abs=0)
    assert 1e-49 < p[0] < 1e-48
