"""Core speed benchmark: import/normalize vs pyarrow, trace over 5 x 2 M rows, reopen, memory.

Runs with public tools only:
    python benchmarks/bench_core.py make-data /tmp/bench --rows 2000000 --sources 5
    python benchmarks/bench_core.py all /tmp/bench          # in-process figures
    /usr/bin/time -v python benchmarks/bench_core.py reopen /tmp/bench   # whole-process figures
    workbench generate /tmp/gen --rows 1000000
    python benchmarks/bench_core.py case-sources /tmp/gen --repeat 5   # other CDR shapes
Sub-commands `arrow-read`, `import`, `trace`, `reopen` each do one thing, so an external timer
(hyperfine, /usr/bin/time) can time them as whole processes.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

CHAIN = ["Terminus Wireless", "Midway Transit", "Lakeshore Carrier", "Seaport Gateway",
         "Origin Voice"]
TRUNKS = ["MWT-01", "000307", "SGW-9", "OV-TRUNK"]
TARGET = {"calling": "+13125550143", "called": "+17735550188", "at": "2026-03-07T20:02:11Z"}


def make_source(path: Path, rows: int, idx: int, seed: int, forms: str = "digits") -> None:
    """A CSV of `rows` calls, 11 columns, numbers in mixed written forms, ISO times with offsets.

    ``forms``: "digits" writes each number as +1NXXNXXXXXX, 1NXXNXXXXXX or NXXNXXXXXX (digits
    only); "punctuated" adds "(NXX) NXX-XXXX" as a fourth form in the same columns."""
    rng = np.random.default_rng(seed)
    base = np.datetime64("2026-03-07T00:00:00", "s").astype(np.int64)
    t = np.sort(base + rng.integers(0, 2 * 86400, rows))
    calling = 12_000_000_000 + rng.integers(0, 200_000, rows) * 37_813 % 8_000_000_000
    called = 12_000_000_000 + rng.integers(0, 500_000, rows) * 15_373 % 8_000_000_000
    form = rng.integers(0, 4 if forms == "punctuated" else 3, rows)
    def written(n, f):  # the same number as +1NXX…, 1NXX…, NXX… (10 digits) or (NXX) NXX-XXXX
        s = n.astype(str)
        out = np.where(f == 0, np.char.add("+", s), np.where(f == 1, s, np.char.lstrip(s, "1")))
        if forms == "punctuated":
            ten = np.char.lstrip(s, "1")
            dressed = np.array([f"({t[:3]}) {t[3:6]}-{t[6:]}" for t in ten[f == 3]], dtype=object)
            out = out.astype(object)
            out[f == 3] = dressed
        return out
    own_trunk = TRUNKS[idx] if idx < len(TRUNKS) else "ACCT-1001"
    trunks = np.array([own_trunk, "OTHER-1", "OTHER-2", "000944"])
    ingress = trunks[rng.integers(0, 4, rows)]
    ts = (t.astype("datetime64[s]").astype(str))
    offs = np.where(rng.integers(0, 2, rows) == 0, "Z", "+00:00")
    start = np.char.add(ts, offs)
    table = pa.table({
        "start_time": start, "ANI": written(calling, form), "DNIS": written(called, form),
        "trunk_in": ingress, "trunk_out": np.full(rows, "DOWN-1"),
        "duration": rng.integers(0, 600, rows), "disposition": np.full(rows, "ANSWERED"),
        "call_id": np.char.add("c", np.arange(rows).astype(str)),
        "codec": np.full(rows, "PCMU"), "pdd_ms": rng.integers(100, 4000, rows),
        "node": np.full(rows, "sbc-1")})
    # the traced call, 0.2 s earlier at each hop upstream
    at = np.datetime64("2026-03-07T20:02:11", "ms") - np.timedelta64(200 * idx, "ms")
    call = pa.table({"start_time": [str(at) + "Z"], "ANI": [TARGET["calling"]],
                     "DNIS": [TARGET["called"]], "trunk_in": [own_trunk],
                     "trunk_out": ["DOWN-1"], "duration": [41], "disposition": ["ANSWERED"],
                     "call_id": ["target"], "codec": ["PCMU"], "pdd_ms": [900], "node": ["sbc-1"]})
    table = pa.concat_tables([table.slice(0, rows // 2), call.cast(table.schema),
                              table.slice(rows // 2)])
    pv.write_csv(table, path)


def make_data(out: Path, rows: int, sources: int, forms: str = "digits") -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = ['[case]', 'name = "Benchmark"', 'default_country = "US"', ""]
    for i in range(sources):
        name = CHAIN[i % len(CHAIN)] + ("" if i < len(CHAIN) else f" {i}")
        fname = f"src{i}.csv"
        make_source(out / fname, rows, i, seed=i, forms=forms)
        lines += ["[[sources]]", f'provider = "{name}"', f'path = "{fname}"', 'format = "generic"']
        if i + 1 < sources:
            nxt = CHAIN[(i + 1) % len(CHAIN)]
            lines += ["[sources.upstreams]", f'"{TRUNKS[i]}" = "{nxt}"']
        else:
            lines += ["[sources.customers]", '"ACCT-1001" = "Acme Vehicle Services LLC"']
        lines.append("")
    (out / "case.toml").write_text("\n".join(lines))
    print(f"wrote {sources} sources x {rows} rows to {out}")


def arrow_read(path: Path) -> float:
    t = time.perf_counter()
    pv.read_csv(path)
    return time.perf_counter() - t


def import_one(path: Path) -> float:
    from workbench.ingest.config import SourceConfig
    from workbench.store.source import load_source
    cfg = SourceConfig(provider="P", path=path.name, format="generic")
    t = time.perf_counter()
    load_source(cfg, path.parent, "US", use_cache=False)
    return time.perf_counter() - t


def trace_once(case_dir: Path) -> dict:
    from workbench.investigation import Investigation, TraceRequest
    t0 = time.perf_counter()
    inv = Investigation.open(case_dir, audit=False)
    inv.skew()
    t1 = time.perf_counter()
    r = inv.trace(TraceRequest(**TARGET))
    t2 = time.perf_counter()
    return {"open_s": t1 - t0, "trace_s": t2 - t1, "outcome": str(r.outcome),
            "hops": [h.provider for h in r.hops],
            "rows": sum(len(s) for s in inv.case.sources)}


def case_sources(case_dir: Path, repeat: int) -> None:
    """Every delimited source of a case (e.g. one made by `workbench generate OUT --rows N`),
    loaded without cache against pyarrow reading the same file: other shapes of CDR than the
    one `make-one` writes (local times, punctuated numbers, SIP URIs, a cut last line)."""
    import statistics

    from workbench.ingest.config import load_config
    from workbench.ingest.formats.delimited import sniff_delimiter
    from workbench.store.source import load_source
    cfg = load_config(case_dir)
    for src in cfg.sources:
        path = src.resolved(case_dir)
        if path.suffix.lower() in (".parquet", ".pq", ".xlsx", ".xlsm"):
            continue
        with open(path, encoding="utf-8", errors="replace") as fh:
            delim = src.delimiter or sniff_delimiter(fh.readline())
        opts = pv.ParseOptions(delimiter=delim, invalid_row_handler=lambda row: "skip")
        pairs = []
        for _ in range(repeat):
            t = time.perf_counter()
            pv.read_csv(path, parse_options=opts)
            a_s = time.perf_counter() - t
            t = time.perf_counter()
            load_source(src, case_dir, cfg.default_country, use_cache=False)
            pairs.append((a_s, time.perf_counter() - t))
        print(f"{path.name} ({path.stat().st_size / 1e6:.0f} MB): pyarrow median "
              f"{statistics.median(p[0] for p in pairs):.2f} s, workbench median "
              f"{statistics.median(p[1] for p in pairs):.2f} s, median ratio "
              f"{statistics.median(p[1] / p[0] for p in pairs):.2f}x", flush=True)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["make-data", "make-one", "arrow-read", "import", "trace",
                                   "reopen", "all", "case-sources"])
    p.add_argument("path")
    p.add_argument("--rows", type=int, default=2_000_000)
    p.add_argument("--sources", type=int, default=5)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--forms", choices=["digits", "punctuated"], default="digits",
                   help="written forms of the numbers (make-data, make-one)")
    a = p.parse_args(argv)
    path = Path(a.path)
    if a.cmd == "make-data":
        make_data(path, a.rows, a.sources, a.forms)
    elif a.cmd == "case-sources":
        case_sources(path, a.repeat)
    elif a.cmd == "make-one":
        make_source(path, a.rows, 0, seed=1, forms=a.forms)
    elif a.cmd == "arrow-read":
        print(f"pyarrow.csv.read_csv: {arrow_read(path):.2f} s")
    elif a.cmd == "import":
        print(f"workbench import+normalize (no cache): {import_one(path):.2f} s, "
              f"peak RSS {rss_mb():.0f} MB")
    elif a.cmd in ("trace", "reopen"):
        r = trace_once(path)
        print(json.dumps({**r, "peak_rss_mb": round(rss_mb())}))
    else:
        import statistics
        src = path / "src0.csv" if path.is_dir() else path
        pairs = [(arrow_read(src), import_one(src)) for _ in range(a.repeat)]
        ar = statistics.median(p[0] for p in pairs)
        imp = statistics.median(p[1] for p in pairs)
        ratio = statistics.median(p[1] / p[0] for p in pairs)
        print(f"1 source ({src.stat().st_size / 1e6:.0f} MB): pyarrow.csv.read_csv median "
              f"{ar:.2f} s, workbench import+normalize median {imp:.2f} s, "
              f"median ratio {ratio:.2f}x over {a.repeat} alternating pairs")
        if not path.is_dir():
            return 0
        cold = trace_once(path)
        warm = trace_once(path)
        print(f"first open (parse + cache + skew): {cold['open_s']:.1f} s; "
              f"reopen from cache: {warm['open_s']:.2f} s for {warm['rows']} rows; "
              f"trace: {warm['trace_s'] * 1000:.0f} ms -> {warm['outcome']} via "
              f"{' > '.join(warm['hops'])}; peak RSS {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
