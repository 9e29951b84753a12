"""Clock-skew estimation: small cases with known clock offsets, and the solver on arrays.

Each case here is a few CSV files written in a temporary folder: calls enter at the
last provider of a chain and flow down to the first, every provider writing the
call on its own clock. Pure core, no Qt.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.case.model import load_case
from workbench.store import cache
from workbench.store.protocol import SourceId
from workbench.trace import skew as skew_mod
from workbench.trace.results import Skew
from workbench.trace.skew import (
    CLUSTER_S,
    MAX_OFFSET_S,
    MIN_CALLS,
    WINDOW_S,
    _least_squares,
    _reference,
    densest,
    estimate_skew,
)

T0 = pd.Timestamp("2026-03-10T14:00:00Z")


def _numbers(rng, k: int) -> list[str]:
    """``k`` distinct US numbers in E.164."""
    out: set[str] = set()
    while len(out) < k:
        out.add(f"+1{rng.integers(201, 989)}555{rng.integers(1000, 9999)}")
    return sorted(out)


def write_case(root: Path, providers: list[dict], calls: int = 60, seed: int = 1) -> Path:
    """A chain ``providers[0] <- providers[1] <- ...``: each call enters at the last one and
    is handed down to the first. A provider dict: ``name``, and optionally ``clock_s`` (its
    clock minus true time), ``late_s`` (extra delay it logs, e.g. answer time), ``zoned``
    (ISO times with Z; else wall times read as UTC), ``toml`` (extra case.toml lines),
    ``only`` (the indexes of the calls it logs) and ``extra`` (rows it adds: (calling,
    called, seconds after T0))."""
    rng = np.random.default_rng(seed)
    (root / "cdrs").mkdir(parents=True, exist_ok=True)
    calling, called = _numbers(rng, calls), _numbers(rng, calls)
    rng.shuffle(called)
    at = np.sort(rng.uniform(0, 3 * 3600, calls))
    hop_lat = rng.uniform(0.02, 0.15, (len(providers), calls))  # per hand-off
    toml = ['[case]', 'name = "Skew test"', 'default_country = "US"', '']
    for p, prov in enumerate(providers):
        lat = hop_lat[p + 1:].sum(axis=0)  # the hand-offs before the call reaches it
        keep = prov.get("only", range(calls))
        rows = []
        for k in keep:
            t = at[k] + lat[k] + prov.get("clock_s", 0.0) + prov.get("late_s", 0.0)
            rows.append((calling[k], called[k], t))
        rows += [(a, b, t + prov.get("clock_s", 0.0)) for a, b, t in prov.get("extra", ())]
        up = providers[p + 1]["name"] if p + 1 < len(providers) else None
        trunk = f"T-{p}" if up else "CUST-1"
        zoned = prov.get("zoned", True)
        stamp = [(T0 + pd.Timedelta(seconds=float(t))) for _, _, t in rows]
        text = [s.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" if zoned
                else s.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] for s in stamp]
        path = f"cdrs/p{p}.csv"
        pd.DataFrame({"start_time": text, "ANI": [a for a, _, _ in rows],
                      "DNIS": [b for _, b, _ in rows], "trunk_in": trunk,
                      "duration": 30}).to_csv(root / path, index=False)
        toml += ['[[sources]]', f'provider = "{prov["name"]}"', f'path = "{path}"',
                 'format = "generic"', *prov.get("toml", [])]
        if up:
            toml += ['[sources.upstreams]', f'"{trunk}" = "{up}"']
        else:
            toml += ['[sources.customers]', f'"{trunk}" = "Dialer"']
        toml.append('')
    (root / "case.toml").write_text("\n".join(toml))
    return root


def by_provider(result: dict[SourceId, Skew]) -> dict[str, Skew]:
    return {s.provider: s for s in result.values()}


# -- whole cases ---------------------------------------------------------------------------

def test_three_clocks_in_a_chain(tmp_path):
    write_case(tmp_path, [{"name": "A"}, {"name": "B", "clock_s": 120.0},
                          {"name": "C", "clock_s": -37.0}])
    case = load_case(tmp_path)
    result = estimate_skew(case)
    assert list(result) == [SourceId("A", "cdrs/p0.csv"), SourceId("B", "cdrs/p1.csv"),
                            SourceId("C", "cdrs/p2.csv")]
    sk = by_provider(result)
    assert sk["A"].offset_s == pytest.approx(0.0, abs=0.5)
    assert sk["B"].offset_s == pytest.approx(120.0, abs=0.5)
    assert sk["C"].offset_s == pytest.approx(-37.0, abs=0.5)
    assert [sk[p].basis for p in "ABC"] == ["estimated"] * 3
    assert sk["A"].calls == 60 and sk["B"].calls == 120 and sk["C"].calls == 60
    assert sk["B"].against == ["A", "C"] and sk["C"].against == ["B"]
    assert all(s.offset_s == round(s.offset_s, 3) for s in result.values())
    assert result[SourceId("B", "cdrs/p1.csv")].path == "cdrs/p1.csv"


def test_the_estimate_is_cached_by_source_id_in_case_order(tmp_path):
    write_case(tmp_path, [{"name": "A"}, {"name": "B", "clock_s": 120.0}])
    case = load_case(tmp_path)
    first = estimate_skew(case)
    key = f"skew-{skew_mod._cache_key(case)}"
    stored = cache.load_json(key)
    assert stored["format"] == skew_mod._CACHE_FORMAT
    assert [(s["provider"], s["path"]) for s in stored["sources"]] == [
        ("A", "cdrs/p0.csv"), ("B", "cdrs/p1.csv")]
    again = estimate_skew(case)
    assert again == first and list(again) == list(first)
    # an entry of the old format (keyed by list position) is never read as this one
    cache.store_json(key, {"0": {**first[SourceId("A", "cdrs/p0.csv")].to_dict(),
                                 "offset_s": 999.0}})
    assert estimate_skew(case) == first
    # nor an entry naming other sources
    stored["sources"][1]["provider"] = "Renamed"
    cache.store_json(key, stored)
    assert estimate_skew(case) == first


def test_an_answer_time_switch_is_never_the_reference(tmp_path):
    # A writes wall times (less trusted than B's zoned times), yet B logs answer time:
    # B is the clock that moves, by the ring time.
    write_case(tmp_path, [{"name": "A", "zoned": False},
                          {"name": "B", "late_s": 6.0, "toml": ['time_basis = "answer"']}])
    case = load_case(tmp_path)
    assert case.sources[1].summary.time_basis == "answer"
    assert case.sources[1].summary.zoned_rows == 60 and case.sources[0].summary.zoned_rows == 0
    sk = by_provider(estimate_skew(case))
    assert sk["A"].offset_s == pytest.approx(0.0, abs=0.01)
    assert sk["B"].offset_s == pytest.approx(6.0, abs=0.5)


def test_zoned_times_are_the_reference_over_wall_times(tmp_path):
    # the same files with an INVITE-time B: B's zoned clock is now the reference
    write_case(tmp_path, [{"name": "A", "zoned": False}, {"name": "B", "late_s": 6.0}])
    sk = by_provider(estimate_skew(load_case(tmp_path)))
    assert sk["B"].offset_s == pytest.approx(0.0, abs=0.01)
    assert sk["A"].offset_s == pytest.approx(-6.0, abs=0.5)


def test_one_shared_call_is_insufficient(tmp_path):
    write_case(tmp_path, [{"name": "A", "only": [0, 1, 2, 3]},
                          {"name": "B", "clock_s": 50.0, "only": [3, 4, 5, 6]}])
    assert MIN_CALLS > 1
    sk = by_provider(estimate_skew(load_case(tmp_path)))
    for p in "AB":
        assert (sk[p].offset_s, sk[p].calls, sk[p].basis, sk[p].against) == \
            (0.0, 0, "insufficient", [])


def test_two_shared_calls_are_enough(tmp_path):
    write_case(tmp_path, [{"name": "A", "only": [0, 1, 2, 3]},
                          {"name": "B", "clock_s": 50.0, "only": [2, 3, 4, 5]}])
    sk = by_provider(estimate_skew(load_case(tmp_path)))
    assert sk["B"].basis == "estimated" and sk["B"].calls == 2
    assert sk["B"].offset_s == pytest.approx(50.0, abs=0.5)


def test_a_manual_skew_wins(tmp_path):
    write_case(tmp_path, [{"name": "A"}, {"name": "B", "clock_s": 120.0,
                                          "toml": ["skew_s = 42.5"]}])
    sk = by_provider(estimate_skew(load_case(tmp_path)))
    assert (sk["B"].offset_s, sk["B"].basis) == (42.5, "manual")
    assert sk["B"].calls == 60  # what the estimate would have rested on
    assert sk["A"].basis == "estimated" and sk["A"].offset_s == pytest.approx(0.0, abs=0.5)


def test_a_file_read_in_the_wrong_zone_is_a_whole_hour_off(tmp_path):
    # B wrote local time one hour ahead of UTC; the case reads it as UTC
    write_case(tmp_path, [{"name": "A"}, {"name": "B", "clock_s": 3600.0, "zoned": False},
                          {"name": "C", "clock_s": 0.0}])
    sk = by_provider(estimate_skew(load_case(tmp_path)))
    assert sk["B"].offset_s == pytest.approx(3600.0, abs=0.5)
    assert sk["A"].offset_s == pytest.approx(0.0, abs=0.5)
    assert sk["C"].offset_s == pytest.approx(0.0, abs=0.5)


def test_offsets_beyond_a_day_and_a_zone_are_not_the_same_call(tmp_path):
    write_case(tmp_path, [{"name": "A"}, {"name": "B", "clock_s": MAX_OFFSET_S + 600.0}])
    sk = by_provider(estimate_skew(load_case(tmp_path)))
    assert sk["B"].basis == "insufficient" and sk["B"].offset_s == 0.0


def test_retried_pairs_are_left_out_of_the_pairing(tmp_path):
    rng = np.random.default_rng(9)
    retried = list(zip(_numbers(rng, 5), _numbers(rng, 5)))
    # B logs each of these pairs twice (a retry 30 s later), A once: no pairing for them
    extra_b = [(a, b, 600.0 * k + d) for k, (a, b) in enumerate(retried) for d in (0.0, 30.0)]
    extra_a = [(a, b, 600.0 * k + 0.2) for k, (a, b) in enumerate(retried)]
    write_case(tmp_path, [{"name": "A", "only": [0, 1, 2], "extra": extra_a},
                          {"name": "B", "clock_s": 20.0, "only": [2, 3, 4], "extra": extra_b}])
    case = load_case(tmp_path)
    a, b = (s.id for s in case.sources)
    off = case.store.pair_offsets(a, ["T-0"], b, MAX_OFFSET_S)
    assert len(off) == 1  # call 2 only; 2 x 5 retried records would have paired otherwise
    assert off[0] == pytest.approx(-20.0, abs=0.5)
    sk = by_provider(estimate_skew(case))
    assert sk["B"].basis == "insufficient"


def test_retries_on_the_receiving_side_are_left_out_too(tmp_path):
    rng = np.random.default_rng(11)
    retried = list(zip(_numbers(rng, 4), _numbers(rng, 4)))
    extra_a = [(a, b, 900.0 * k + d) for k, (a, b) in enumerate(retried) for d in (0.0, 30.0)]
    extra_b = [(a, b, 900.0 * k + 29.0) for k, (a, b) in enumerate(retried)]
    write_case(tmp_path, [{"name": "A", "extra": extra_a},
                          {"name": "B", "clock_s": 20.0, "extra": extra_b}])
    case = load_case(tmp_path)
    a, b = (s.id for s in case.sources)
    assert len(case.store.pair_offsets(a, ["T-0"], b, MAX_OFFSET_S)) == 60
    assert len(case.store.pair_offsets(a, ["no such trunk"], b, MAX_OFFSET_S)) == 0
    assert by_provider(estimate_skew(case))["B"].offset_s == pytest.approx(20.0, abs=0.5)


# -- the solver on arrays ------------------------------------------------------------------

def test_densest_takes_the_median_of_the_fullest_window():
    assert WINDOW_S == 120.0
    off = np.array([500.0, 10.0, 11.0, 10.5, 501.0, -3000.0])
    assert densest(off) == (10.5, 3)
    assert densest(np.array([0.0, 100.0, 200.0])) == (50.0, 2)  # first of equal windows
    assert densest(np.array([7.25])) == (7.25, 1)
    # coincidental pairs far away do not move the estimate
    noise = np.linspace(-20000, 20000, 40)
    assert densest(np.concatenate([noise, np.full(30, 96.7)])) == (96.7, 30)


def test_least_squares_solves_a_chain_and_centres_on_the_reference():
    edges = [(0, 1, -120.0, 100), (1, 2, 157.0, 100)]
    x = _least_squares([0, 1, 2], edges, {0: 1.0, 1: 1.0, 2: 1.0})
    assert x[0] == pytest.approx(0.0, abs=1e-9)
    assert x[1] == pytest.approx(120.0, abs=1e-9)
    assert x[2] == pytest.approx(-37.0, abs=1e-9)


def test_least_squares_weighs_pairs_by_their_calls():
    x = _least_squares([4, 7], [(4, 7, -10.0, 100), (4, 7, -12.0, 1)], {4: 1.0, 7: 1.0})
    assert x[4] == pytest.approx(0.0, abs=1e-9)
    assert x[7] == pytest.approx((100 * 10.0 + 12.0) / 101, abs=1e-9)
    assert _least_squares([3, 5], [], {3: 1.0, 5: 1.0}) == {3: 0.0, 5: 0.0}


def test_least_squares_moves_the_odd_clock_not_the_majority():
    # source 0 is an hour off; 1, 2 and 3 agree: they are the reference
    edges = [(0, 1, 3600.0, 50), (1, 2, 0.4, 50), (2, 3, -0.2, 50)]
    x = _least_squares([0, 1, 2, 3], edges, {i: 1.0 for i in range(4)})
    assert x[0] == pytest.approx(3600.2, abs=1e-9)
    assert [x[i] for i in (1, 2, 3)] == pytest.approx([0.2, -0.2, 0.0], abs=1e-9)


def test_reference_is_the_most_trusted_cluster():
    assert CLUSTER_S == 3.0
    x = np.array([0.0, 120.0, 120.5, 121.0])
    assert _reference(x, np.ones(4)) == 120.5
    assert _reference(x, np.array([5.0, 1.0, 1.0, 1.0])) == 0.0
    # within a cluster, the most trusted members set the centre
    assert _reference(x, np.array([0.1, 1.0, 2.0, 2.0])) == 120.75


def test_reference_prefers_a_trusted_clock_over_an_answer_time_one():
    x = np.array([0.0, 6.0])
    assert _reference(x, np.array([1.0, 2.0 * 0.25])) == 0.0
    assert _reference(x, np.array([1.0 * 0.25, 2.0])) == 6.0
    # equal trust: the clock nearer zero
    assert _reference(np.array([-4.0, 6.0]), np.array([1.0, 1.0])) == -4.0
