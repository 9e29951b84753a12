"""`workbench analyze`: suspicious traffic per ingress on one provider's own CDRs.

The case is made here (not the bundled sample): "Bayside Voice" logs its calls on two
switches. Its customers are a rotating-ANI dialer (ROBO-9), a small rotating dialer
(ROBO-S), a hospital PBX making thousands of honest calls from ten numbers, a bakery and a
clinic; an upstream trunk carries consumers' calls; one trunk is in neither table and some
rows have no ingress at all. Every count asserted below is fixed by construction.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.clirun import run_cli
from workbench.analytics.traffic import analyze_provider, calls_per_minute, duration_histogram
from workbench.case.model import load_case
from workbench.common.errors import Cancelled, InputError
from workbench.ingest.dno import load_dno

T0 = np.datetime64("2026-04-01T14:00:00", "s")
PROVIDER = "Bayside Voice"
NPAS = np.array([212, 312, 415, 646, 206, 303, 404, 617, 702, 713])


def _numbers(rng: np.random.Generator, n: int, npas: np.ndarray = NPAS) -> np.ndarray:
    """n distinct 11-digit NANP numbers in area codes in service (exchanges 200-899, none
    an N11, none the fictional 555)."""
    out: set[int] = set()
    while len(out) < n:
        npa = rng.choice(npas, n)
        nxx = rng.integers(200, 900, n)
        nxx = np.where((nxx % 100 == 11) | (nxx == 555), 730, nxx)
        line = rng.integers(0, 10_000, n)
        out.update((10_000_000_000 + npa * 10_000_000 + nxx * 10_000 + line).tolist())
    return np.array(sorted(out)[:n], dtype=np.int64)


def _calls(ingress: str, calling, called, start_s, duration, answered, attest) -> dict:
    n = len(calling)
    return {"ingress": np.full(n, ingress, dtype=object), "calling": np.asarray(calling),
            "called": np.asarray(called), "start": T0 + np.asarray(start_s, dtype="m8[s]"),
            "duration": np.asarray(duration), "answered": np.asarray(answered),
            "attest": np.asarray(attest, dtype=object)}


def _robo9(rng: np.random.Generator) -> dict:
    """400 calls from 390 distinct calling numbers, one every 2 s (30 a minute): 240
    neighbour-spoofed (the called number's NPA-NXX), 4 invalid (exchange 011), 3 from area
    code 333 (never assigned), 5 DNO hits (3 on two listed numbers, 2 in a listed block),
    139 others of which 9 are used twice. 80 answered, 64 of them under 6 s; all A-attested."""
    n = 400
    called = _numbers(rng, n, NPAS[:5])
    neighbours = called[:240] // 10_000 * 10_000 + (called[:240] + 17) % 10_000
    others = 13034000000 + np.arange(139)
    calling = np.concatenate([
        neighbours, 12120110000 + np.arange(4), 13337300000 + np.arange(3),
        [14155550123, 17137300999, 17137300999], [17027302201, 17027302299],
        others, others[:9]])
    answered = np.zeros(n, bool)
    answered[::5] = True  # 80
    duration = np.zeros(n)
    duration[answered] = 3.0
    duration[np.flatnonzero(answered)[:16]] = 45.0
    return _calls("ROBO-9", calling, called, np.arange(n) * 2, duration, answered,
                  ["A"] * n)


def _robo_small(rng: np.random.Generator) -> dict:
    """40 calls from 40 numbers: 10 answered, 8 of them under 6 s; 20 neighbour-spoofed."""
    n = 40
    called = _numbers(rng, n, NPAS[:5])
    calling = _numbers(rng, n, NPAS[5:])
    calling[:20] = called[:20] // 10_000 * 10_000 + (called[:20] + 3) % 10_000
    answered = np.arange(n) % 4 == 0
    duration = np.where(answered, 4.0, 0.0)
    duration[np.flatnonzero(answered)[:2]] = 80.0
    return _calls("ROBO-S", calling, called, 900 + np.arange(n) * 7, duration, answered,
                  ["B"] * n)


def _honest(rng: np.random.Generator, ingress: str, n: int, callers: int, gap_s: float,
            attest: str) -> dict:
    """n calls from `callers` numbers to numbers elsewhere: 65 % answered, 8 % of the
    answered under 6 s, the others 20-300 s."""
    own = _numbers(rng, callers, NPAS[:3])
    calling = own[np.arange(n) % callers]
    called = _numbers(rng, n, NPAS[5:])  # other area codes: never a neighbour
    answered = rng.random(n) < 0.65
    duration = np.where(answered, rng.integers(20, 300, n).astype(float), 0.0)
    short = np.flatnonzero(answered)[: int(0.08 * answered.sum())]
    duration[short] = 4.0
    return _calls(ingress, calling, called, np.arange(n) * gap_s, duration, answered,
                  [attest] * n)


def _upstream(rng: np.random.Generator) -> dict:
    """2,000 consumers' calls from a wholesale carrier: nearly every call another number."""
    n = 2000
    calling = _numbers(rng, n, NPAS[:5])
    called = _numbers(rng, n, NPAS[5:])
    answered = rng.random(n) < 0.6
    duration = np.where(answered, rng.integers(30, 600, n).astype(float), 0.0)
    return _calls("UP-77", calling, called, np.arange(n) * 3, duration, answered, ["C"] * n)


def _write_csv(path: Path, rows: dict, idx: np.ndarray) -> None:
    start = np.datetime_as_string(rows["start"][idx], unit="s")
    lines = ["start_time,ANI,DNIS,duration,disposition,trunk_in,attest"]
    for i, j in enumerate(idx):
        ok = rows["answered"][j]
        calling = rows["calling"][j]
        calling = calling if isinstance(calling, str) else f"+{calling}"
        lines.append(f"{start[i]}Z,{calling},{rows['called'][j]},"
                     f"{rows['duration'][j]:g},{'ANSWERED' if ok else 'NO ANSWER'},"
                     f"{rows['ingress'][j] or ''},{rows['attest'][j]}")
    path.write_text("\n".join(lines) + "\n")


def build_case(root: Path, *, case_dno: bool = True) -> dict:
    """Write the case; returns the rows written (by ingress) for the assertions."""
    rng = np.random.default_rng(12)
    parts = {"ROBO-9": _robo9(rng), "ROBO-S": _robo_small(rng),
             "PBX-1": _honest(rng, "PBX-1", 6000, 10, 0.5, "A"),
             "ACCT-2": _honest(rng, "ACCT-2", 60, 2, 60.0, "B"),
             "ACCT-3": _honest(rng, "ACCT-3", 500, 5, 9.0, "A"),
             "UP-77": _upstream(rng), "TG-X": _honest(rng, "TG-X", 30, 30, 20.0, "")}
    blank = _honest(rng, "", 5, 5, 30.0, "")
    blank["ingress"][:] = None
    blank["calling"] = blank["calling"].astype(object)
    blank["calling"][:2] = ["anonymous", "Restricted"]  # withheld, not invalid
    parts[""] = blank
    rows = {k: np.concatenate([p[k] for p in parts.values()]) for k in parts["ROBO-9"]}
    # two switches: alternate calls go to each, so every ingress spans both files
    order = np.arange(len(rows["calling"]))
    (root / "cdrs").mkdir(parents=True)
    _write_csv(root / "cdrs" / "sbc1.csv", rows, order[order % 3 != 0])
    _write_csv(root / "cdrs" / "sbc2.csv", rows, order[order % 3 == 0])
    (root / "dno.txt").write_text(
        "# Do-Not-Originate list (test)\n(415) 555-0123\n+1 713 730 0999  # inbound only\n"
        "702-730-22XX\nnot a number\n")
    robo = parts["ROBO-9"]
    tb = ["traceback_id,campaign,call_time,calling,called,hop,provider,upstream,status"]
    for k, i in enumerate((5, 60, 61, 399)):  # four calls of ROBO-9, 3-20 s off
        at = np.datetime_as_string(robo["start"][i] + np.timedelta64(3 + 5 * k, "s"), unit="s")
        tb.append(f"TB-{k + 1},Loans,{at}Z,+{robo['calling'][i]},+{robo['called'][i]},1,"
                  f"Far Terminating Co,{PROVIDER},upstream_identified")
    up = parts["UP-77"]
    at = np.datetime_as_string(up["start"][10], unit="s")
    tb.append(f"TB-5,Loans,{at}Z,+{up['calling'][10]},+{up['called'][10]},1,"
              f"Far Terminating Co,{PROVIDER},upstream_identified")
    at = np.datetime_as_string(robo["start"][100] + np.timedelta64(600, "s"), unit="s")
    tb.append(f"TB-6,Loans,{at}Z,+{robo['calling'][100]},+{robo['called'][100]},1,"
              f"Far Terminating Co,{PROVIDER},upstream_identified")  # 10 min off: no match
    (root / "tracebacks.csv").write_text("\n".join(tb) + "\n")
    customers = ('"ROBO-9" = "Dialer Partners LLC"\n"ROBO-S" = "Quick Leads LLC"\n'
                 '"PBX-1" = "Harbor Hospital"\n"ACCT-2" = "Corner Bakery"\n'
                 '"ACCT-3" = "Town Clinic"\n')
    sources = "".join(
        f'[[sources]]\nprovider = "{PROVIDER}"\npath = "cdrs/{f}"\nformat = "generic"\n'
        f'[sources.upstreams]\n"UP-77" = "Wholesale Carrier Inc"\n'
        f'[sources.customers]\n{customers}\n' for f in ("sbc1.csv", "sbc2.csv"))
    (root / "case.toml").write_text(
        '[case]\nname = "Bayside traffic"\ndefault_country = "US"\n'
        + ('dno = "dno.txt"\n' if case_dno else "") + "\n"
        f'[[providers]]\nname = "{PROVIDER}"\naliases = ["BSV"]\n\n'
        + sources + '[[tracebacks]]\npath = "tracebacks.csv"\n')
    return parts


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("bayside") / "case"
    return root, build_case(root)


@pytest.fixture(scope="module")
def analysis(made):
    return analyze_provider(load_case(made[0]), "BSV")


def _row(analysis, ingress):
    return next(s for s in analysis.ingresses if s.ingress == ingress)


def test_rotating_dialer_ranks_first_and_honest_customers_below(analysis):
    order = [s.ingress for s in analysis.ingresses]
    assert order[:2] == ["ROBO-9", "ROBO-S"], order
    top = analysis.ingresses[0].score
    for honest in ("PBX-1", "ACCT-2", "ACCT-3", "UP-77"):
        assert _row(analysis, honest).score < _row(analysis, "ROBO-S").score < top, order
    # volume does not buy suspicion: 6,000 honest calls rank below 40 robocalls
    assert order.index("PBX-1") > order.index("ROBO-S")
    assert [s.score for s in analysis.ingresses] == sorted(
        (s.score for s in analysis.ingresses), reverse=True)


def test_exact_counts_of_the_rotating_dialer(analysis):
    r = _row(analysis, "ROBO-9")
    assert (r.kind, r.name, r.calls, r.distinct_calling) == (
        "customer", "Dialer Partners LLC", 400, 390)
    assert (r.answered, r.answer_rate, r.short_share) == (80, 0.2, 0.8)
    assert r.neighbor_share == pytest.approx(0.6)
    assert (r.invalid_calling, r.unassigned_calling) == (7, 3)
    assert (r.dno_hits, r.in_tracebacks, r.peak_per_minute) == (5, 4, 30)
    assert r.attest_mix == {"A": 400, "B": 0, "C": 0, "none": 0}
    assert len(r.sources) == 2  # both switches' rows are one ingress


def test_reasons_say_why(analysis):
    robo = " | ".join(_row(analysis, "ROBO-9").reasons)
    for needle in ("rotates calling numbers: 390 distinct for 400 calls",
                   "80 % of answered calls under 6 s", "60 % neighbour-spoofed",
                   "only 20 % of calls answered", "5 DNO hits", "in 4 traceback records",
                   "7 calls from invalid or unassigned calling numbers", "A-attested"):
        assert needle in robo, robo
    for honest in ("PBX-1", "ACCT-2", "ACCT-3", "UP-77"):
        text = " ".join(_row(analysis, honest).reasons)
        assert "rotat" not in text and "neighbour" not in text and "6 s" not in text, text
    assert _row(analysis, "UP-77").reasons == ["in 1 traceback record"]


def test_kinds_names_and_the_rows_without_ingress(analysis, made):
    kinds = {s.ingress: (s.kind, s.name, s.calls) for s in analysis.ingresses}
    assert kinds["PBX-1"] == ("customer", "Harbor Hospital", 6000)
    assert kinds["UP-77"] == ("upstream", "Wholesale Carrier Inc", 2000)
    assert kinds["TG-X"] == ("unmapped", None, 30)
    assert kinds[None] == ("unmapped", None, 5)
    none = _row(analysis, None)
    assert (none.distinct_calling, none.invalid_calling) == (3, 0)  # withheld IDs are not bad
    assert _row(analysis, "PBX-1").distinct_calling == 10
    assert analysis.rows == sum(len(p["calling"]) for p in made[1].values())
    assert analysis.provider == PROVIDER  # the alias "BSV" names the directory entry
    assert any("traceback records: 5 of 6" in n for n in analysis.notes), analysis.notes
    assert any("1 entries not read (line 5: 'not a number')" in n for n in analysis.notes)


def test_charts_from_the_analysis(analysis):
    minutes, counts = calls_per_minute(analysis, PROVIDER, "ROBO-9")
    assert counts.tolist() == [30] * 13 + [10]
    assert minutes[0] == T0.astype("datetime64[us]").astype(np.int64)
    assert np.all(np.diff(minutes) == 60_000_000)
    _edges, hist = duration_histogram(analysis, PROVIDER, "ROBO-9", bins=[0, 6, 60, 3600])
    assert hist.tolist() == [384, 16, 0]
    with pytest.raises(InputError, match="no ingress 'NOPE'"):
        calls_per_minute(analysis, PROVIDER, "NOPE")


def test_every_ingress_has_its_own_charts(analysis):
    """Each ingress's histogram and per-minute series hold its own calls, not only the first
    group's (the packed group key must be read back with the width it was written with)."""
    for row in analysis.ingresses:
        _edges, hist = duration_histogram(analysis, PROVIDER, row.ingress, bins=[0, 3600, 1e9])
        _minutes, per_min = calls_per_minute(analysis, PROVIDER, row.ingress)
        assert int(per_min.sum()) == row.calls, row.ingress
        assert 0 < int(hist.sum()) <= row.calls, row.ingress


def test_dno_list_forms(tmp_path):
    f = tmp_path / "dno.csv"
    f.write_text('id,Phone Number,note\n1,"(212) 730-0101","agency, inbound only"\n'
                 "# a comment line\n2,+1 212 730 0102,\n3,303-730-01XX,block\n"
                 "4,4047300100 - 4047300120,range\n5,1702730*,exchange\n6,713-730,npa-nxx\n")
    d = load_dno(f)
    assert (d.numbers, d.prefixes, d.ranges, d.skipped) == (2, 3, 1, [])
    keys = np.array([12127300101, 12127300102, 12127300103, 13037300150, 13037300200,
                     14047300120, 14047300121, 17027309999, 17137300000, 17147300000, -1])
    assert d.contains(keys).tolist() == [True, True, False, True, False, True, False, True,
                                         True, False, False]


def test_dno_lookup_agrees_with_a_plain_interval_check(tmp_path):
    """The block table that spares the binary search must never hide a hit: random keys and
    every interval's edges (and the keys just outside them) against a loop over intervals."""
    f = tmp_path / "dno.txt"
    f.write_text("2125550100 - 2125552999\n312-730-9999\n415-730\n+44 20 7946 0XXX\n"
                 "1617*\n(702) 730-2200 to (702) 730-2201\n")
    d = load_dno(f)
    rng = np.random.default_rng(4)
    keys = np.concatenate([rng.integers(12_000_000_000, 20_000_000_000, 100_000), d.lo, d.hi,
                           d.lo - 1, d.hi + 1, [-1, 442079460500, 442079461000]])
    plain = np.zeros(len(keys), dtype=bool)
    for lo, hi in zip(d.lo, d.hi):
        plain |= (keys >= lo) & (keys <= hi)
    assert np.array_equal(d.contains(keys), plain)
    assert plain.sum() > 2 * len(d.lo)


def test_unassigned_exchanges_agree_with_phonenumbers():
    """An exchange is called unassigned only where phonenumbers finds no valid number in it,
    and every number phonenumbers finds valid lies in an exchange called assigned."""
    import phonenumbers

    from workbench.analytics.traffic import _assigned_exchanges
    table = _assigned_exchanges()
    rng = np.random.default_rng(9)
    keys = 10_000_000_000 + rng.integers(200, 1000, 4000) * 10_000_000 + \
        rng.integers(200, 1000, 4000) * 10_000 + rng.integers(0, 10_000, 4000)
    keys = np.concatenate([keys, [13337300000, 14155550123, 18095550100, 12465230000]])
    valid = np.array([phonenumbers.is_valid_number(phonenumbers.parse(f"+{k}")) for k in keys])
    assigned = table[(keys // 10_000) % 1_000_000]
    assert not (valid & ~assigned).any()
    assert valid.sum() > 1000 and (~assigned).sum() > 500  # both kinds were tried
    assert not table[333_730] and table[415_555]


@pytest.mark.parametrize("text, message", [
    ("name,note\nAcme,none\n", "no number column"),
    ("# only a comment\n\n", "only comments"),
    ("hello\nworld\n", "no entry of the DNO list reads as a telephone number"),
])
def test_bad_dno_file_is_a_one_line_error(made, tmp_path, text, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    run = run_cli("analyze", made[0], "--provider", PROVIDER, "--dno", bad, "--json")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith(f"error: {bad}")
    assert message in run.stderr


def test_cli_json_contract(made):
    run = run_cli("analyze", made[0], "--provider", "bsv", "--json")
    assert run.returncode == 0, run.stderr
    d = run.json
    assert d["provider"] == PROVIDER
    first = d["ingresses"][0]
    assert {"ingress", "name", "kind", "calls", "distinct_calling", "short_share",
            "neighbor_share", "answer_rate", "score", "reasons"} <= set(first)
    assert (first["ingress"], first["kind"], first["calls"], first["distinct_calling"],
            first["short_share"], first["neighbor_share"], first["answer_rate"]) == (
        "ROBO-9", "customer", 400, 390, 0.8, 0.6, 0.2)
    assert first["dno_hits"] == 5 and first["in_tracebacks"] == 4
    assert {r["kind"] for r in d["ingresses"]} == {"customer", "upstream", "unmapped"}
    assert [r["score"] for r in d["ingresses"]] == sorted(
        (r["score"] for r in d["ingresses"]), reverse=True)


def test_cli_dno_flag_replaces_the_case_list(tmp_path):
    root = tmp_path / "case"
    build_case(root, case_dno=False)
    plain = run_cli("analyze", root, "--provider", PROVIDER, "--json").json
    assert plain["ingresses"][0]["dno_hits"] == 0
    (tmp_path / "mine.txt").write_text("+14155550123\n")
    run = run_cli("analyze", root, "--provider", PROVIDER, "--dno", tmp_path / "mine.txt",
                  "--json")
    robo = next(r for r in run.json["ingresses"] if r["ingress"] == "ROBO-9")
    assert robo["dno_hits"] == 1 and "1 DNO hit (" in " ".join(robo["reasons"])


def test_cli_text_table_and_unknown_provider(made):
    run = run_cli("analyze", made[0], "--provider", PROVIDER)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    first = next(ln for ln in lines if ln.lstrip().startswith("1 "))
    assert "ROBO-9" in first and "Dialer Partners LLC" in first
    assert "      - rotates calling numbers: 390 distinct for 400 calls" in lines
    bad = run_cli("analyze", made[0], "--provider", "Nobody Telecom")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()]
    assert "Nobody Telecom" in bad.stderr and "providers with CDRs: Bayside Voice" in bad.stderr


def test_cancel_stops_the_analysis(made):
    case = load_case(made[0])
    with pytest.raises(Cancelled):
        analyze_provider(case, PROVIDER, should_stop=lambda: True)


def test_sample_case_origin_customer_with_tracebacks_ranks_first(tmp_path):
    """On the bundled sample (a copy), the customer behind the traced campaign ranks first
    at the originating provider; the sample's honest customers also draw every call from a
    fresh fictional number, so they are flagged for rotation too, but score lower."""
    sample = Path(__file__).resolve().parents[1] / "sample_data" / "auto_warranty_case"
    root = tmp_path / "sample"
    shutil.copytree(sample, root, ignore=shutil.ignore_patterns("audit.jsonl"))
    run = run_cli("analyze", root, "--provider", "Origin Voice Co", "--json")
    assert run.returncode == 0, run.stderr
    rows = run.json["ingresses"]
    top = rows[0]
    assert top["ingress"] == "ACCT-1001" and top["name"] == "Acme Vehicle Services LLC"
    assert top["in_tracebacks"] >= 5  # TB-26-0101..0105 start there
    assert f"in {top['in_tracebacks']:,} traceback records" in top["reasons"]
    assert all(r["in_tracebacks"] == 0 for r in rows[1:])
