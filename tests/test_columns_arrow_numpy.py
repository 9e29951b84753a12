"""columns.arrow_numpy: the same values as pyarrow's own conversions, and no pandas import."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pytest

from workbench.columns.arrow_numpy import from_numpy, scalar, strings, to_numpy

NUMERIC = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32(),
           pa.uint64(), pa.float32(), pa.float64()]


def _same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("t", NUMERIC, ids=str)
def test_numeric_views_match_pyarrow(t):
    arr = pa.array(np.arange(40) % 7, t)
    for part in (arr, arr.slice(3), arr.slice(5, 11), arr.slice(40)):
        _same(to_numpy(part), part.to_numpy())
    chunked = pa.chunked_array([arr.slice(0, 9), arr.slice(13, 4), arr.slice(30)])
    _same(to_numpy(chunked), chunked.to_numpy())
    assert to_numpy(pa.chunked_array([], t)).dtype == chunked.to_numpy().dtype


def test_one_chunk_is_a_read_only_view_like_pyarrows():
    arr = pa.array(np.arange(10, dtype=np.int64))
    got = to_numpy(pa.chunked_array([arr]))
    assert not got.flags.writeable
    assert np.shares_memory(got, np.frombuffer(arr.buffers()[1], dtype=np.int64))


@pytest.mark.parametrize("offset", range(0, 17))
def test_booleans_at_every_bit_offset(offset):
    values = [(i * 7) % 3 == 0 for i in range(37)]
    arr = pa.array(values).slice(offset, 37 - offset - 1)
    _same(to_numpy(arr), arr.to_numpy(zero_copy_only=False))


def test_timestamps_and_durations_come_back_as_counts():
    ts = pa.array([0, 1_772_913_731_000_000, -5], pa.timestamp("us", "UTC"))
    _same(to_numpy(ts), np.array([0, 1_772_913_731_000_000, -5], dtype=np.int64))
    _same(to_numpy(pa.array([3, 4], pa.duration("s")).slice(1)), np.array([4], np.int64))


def test_strings_and_nulls_fall_back_to_pyarrows_values():
    s = pa.array(["a", None, "çé", ""])
    assert to_numpy(s).tolist() == s.to_numpy(zero_copy_only=False).tolist()
    with_nulls = pa.array([1, None, 3], pa.int64())
    np.testing.assert_array_equal(to_numpy(with_nulls), with_nulls.to_numpy(zero_copy_only=False))
    chunked = pa.chunked_array([with_nulls, pa.array([4], pa.int64())])
    np.testing.assert_array_equal(to_numpy(chunked), chunked.to_numpy())


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint32, np.uint64,
                                   np.float32, np.float64, np.bool_])
def test_from_numpy_equals_pa_array(dtype):
    values = (np.arange(21) % 5).astype(dtype)
    for v in (values, values[::3], values[4:4]):  # strided and empty inputs too
        assert from_numpy(v).equals(pa.array(v))


def test_from_numpy_casts_and_checks_as_pa_array_does():
    assert from_numpy(np.array([1, 2], np.int64), pa.int32()).equals(pa.array([1, 2], pa.int32()))
    ts = pa.timestamp("us")
    assert from_numpy(np.array([5, 6], np.int64), ts).equals(pa.array(np.array([5, 6]), ts))
    assert from_numpy([1.5, 2.0]).equals(pa.array([1.5, 2.0]))
    with pytest.raises(pa.ArrowInvalid):
        from_numpy(np.array([300], np.int64), pa.int8())
    with pytest.raises(ValueError):
        from_numpy(np.zeros((2, 2)))
    with pytest.raises(TypeError):
        from_numpy(np.array(["a"], dtype=object))


def test_strings_equal_pa_array():
    for values in (["+13125550143", None, "", "çà ☎"], [], [None, None], ["x" * 1000]):
        built = strings(values)
        assert built.equals(pa.array(values, pa.string()))
        built.validate(full=True)


def test_scalars_equal_pa_scalar():
    for value, t in ((0, pa.int32()), (-1, pa.int64()), (True, pa.bool_()),
                     ("", pa.string()), ("+", pa.string()), (None, pa.string()),
                     (np.iinfo(np.int64).min, pa.int64()), (2.5, pa.float64())):
        assert scalar(value, t).equals(pa.scalar(value, t))


def test_helpers_and_parsers_never_import_pandas():
    """The point of the module: pyarrow's conversions import pandas, these must not; nor may
    the time and number parsers a warm trace runs (every written form, both their paths)."""
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc
        from workbench.columns.arrow_numpy import from_numpy, scalar, strings, to_numpy
        from workbench.columns.numbers import normalize_distinct, normalize_one
        from workbench.columns.times import parse_one, parse_times, place_in_zone
        a = from_numpy(np.arange(9))
        to_numpy(pc.greater(a, scalar(3, pa.int64())))
        to_numpy(pa.chunked_array([a, a]))
        to_numpy(strings(["x", None]))
        times = ["2026-03-07 14:02:11", "03/07/2026 2:02:11 PM", "1772913731", "46088.5",
                 "Sat Mar  7 14:02:11 2026", "07-Mar-2026 14:02", "2026-03-07T14:02:11-06:00",
                 "", "NULL", None, " 2026-11-01 01:30:00 ", "20260307140211", "7/3/26 14:02"]
        for zone in ("UTC", "America/Chicago"):
            parse_times(strings(times), zone)
            parse_times(strings(["2026-03-07T14:02:11Z"] * 3), zone)
            parse_times(strings(["2026-11-01 01:30:00"] * 3), zone)
        place_in_zone(np.array([1793500200000000]), "America/Chicago")
        parse_one("2026-03-07T20:02:11Z")
        nums = ["+13125550143", "(312) 555-0143", "sip:+13125550143@x", "tel:+1-312-555-0143",
                "1.3125550178E+10", "", None, "ext 100", '"J" <sip:3125550143@h>', "5550143"]
        normalize_distinct(strings(nums), "US")
        normalize_one("773-555-0188")
        print("pandas" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
