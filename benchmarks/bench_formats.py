"""Switch-format import speed: every registered format profile loaded (read + normalize, no
cache) against `pyarrow.csv.read_csv` of a plain CSV holding the same rows.

Every profile (issue 10, "linear time for every importer"):

    python benchmarks/bench_formats.py make-all /tmp/fmt --rows 1000000 [--formats a,b]
    python benchmarks/bench_formats.py run-all /tmp/fmt --rows 1000000 [--repeat 3]
        [--budget 120] [--formats a,b] [--ladder 4,1] [--profile-top 0]

`make-all` replicates each profile's fixture in tests/fixtures/formats (the generic profile, which
has no switch fixture, uses GENERIC_SEED): line formats repeat their data lines (header, file-header
and footer lines kept once), FreeSWITCH JSON/XML repeat whole documents. Copy k moves every phone
number (distinct per copy), call id / UUID (XOR with k), date (k % 140 days on, in every written
form), hour (+ (k // 140) % 8) and epoch together, so values vary while the layout stays as the
switch writes it (the fixtures' deliberately bad lines are repeated too). Each file is written at
n/64, n/16, n/4 and n records (`<fmt>.<records>`) beside `<fmt>.<records>.plain.csv`: a header-row
CSV of the same rows' fields (document formats: the reader's columns for the same records).
`run-all` times, per profile, alternating pyarrow / load_source runs in one process (medians of
wall and of CPU time: on a shared machine read the CPU ratio),
climbing the size ladder until a load is projected above --budget seconds (a quadratic reader
then stops early and is named), prints time(n)/time(n/4) (≈ 4 is linear), the table, and a
cProfile of one load of any format above 3x pyarrow or not linear.

The original Asterisk Master.csv / Sansay VSX pair (same file read by pyarrow as plain CSV):

    python benchmarks/bench_formats.py make /tmp/fmt --rows 1000000
    python benchmarks/bench_formats.py run /tmp/fmt [--repeat 5]
"""
from __future__ import annotations

import argparse
import base64
import csv
import io
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

SANSAY = ("004100231;V1.10;R;WithMedia;412-1718035231@192.0.2.10;0001;{st};{an};{en};240;"
          "EndedByRemoteUser;16;T;000412;SIP;{cg};198.51.100.20;{cd};192.0.2.10;"
          "4f2b9c1e{i:08x}@198.51.100.20;198.51.100.20;30112;192.0.2.10;20418;PCMU;1800;1802;"
          "309600;309944;0;0;0;000733;SIP;{cg};192.0.2.10;{cd};203.0.113.45;"
          "9a7e0d4c-1f3b-4b8e-a2c5-{i:012x};203.0.113.45;41872;192.0.2.10;20420;PCMU;1802;1800;"
          "309944;309600;0;0;0;F;{cd};36;2;5;36210;1A2B3C4D 5E6F7081 92A3B4C5 D6E7F809;{cg};\n")


def make(out: Path, n: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "Master.csv", "w") as f:
        for i in range(n):
            s = 1718035231 + i
            t = datetime.fromtimestamp(s, timezone.utc) - timedelta(hours=4)
            st = t.strftime("%Y-%m-%d %H:%M:%S")
            ans = (t + timedelta(seconds=7)).strftime("%Y-%m-%d %H:%M:%S") if i % 5 else ""
            en = (t + timedelta(seconds=43)).strftime("%Y-%m-%d %H:%M:%S")
            qa = f'"{ans}"' if ans else ""  # Asterisk writes an empty date bare
            cg, cd = f"2{(i * 7919) % 10**9:09d}", f"3{(i * 104729) % 10**9:09d}"
            f.write(f'"","{cg}","{cd}","from-larkspur","""ACCT SERVICES"" <{cg}>",'
                    f'"PJSIP/larkspur-in-{i:08x}","PJSIP/oxbow-out-{i + 1:08x}","Dial",'
                    f'"PJSIP/1{cd}@oxbow-out,,T","{st}",{qa},"{en}",43,{36 if ans else 0},'
                    f'"{"ANSWERED" if ans else "NO ANSWER"}","DOCUMENTATION","{s}.{i % 1000}","",'
                    f'"","{s}.{i % 1000}",{i}\n')
    base = datetime(2024, 6, 10, 12, 0, 31)
    fmt = lambda d: d.strftime("%a %b %d %H:%M:%S %Y")  # noqa: E731
    with open(out / "vsx.cdr", "w") as f:
        for i in range(n):
            t = base + timedelta(seconds=i)
            f.write(SANSAY.format(st=fmt(t), an=fmt(t + timedelta(seconds=7)) if i % 5 else "NA",
                                  en=fmt(t + timedelta(seconds=43)),
                                  cg=f"12{(i * 7919) % 10**9:09d}",
                                  cd=f"13{(i * 104729) % 10**9:09d}", i=i))


def plain(path: Path, delim: str) -> float:
    t = time.perf_counter()
    pv.read_csv(path, read_options=pv.ReadOptions(autogenerate_column_names=True),
                parse_options=pv.ParseOptions(delimiter=delim,
                                              quote_char='"' if delim == "," else False))
    return time.perf_counter() - t


def load(path: Path, fmt: str) -> float:
    from workbench.ingest.config import SourceConfig
    from workbench.store.source import load_source
    cfg = SourceConfig(provider="P", path=path.name, format=fmt, timezone="America/New_York")
    t = time.perf_counter()
    load_source(cfg, path.parent, "US", use_cache=False)
    return time.perf_counter() - t


# ---------------------------------------------------------------------------------------------
# Every registered format at 1 M records (issue 10): fixtures replicated with varied values.
# ---------------------------------------------------------------------------------------------

FX = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "formats"
# profile → (fixture, leading lines kept once, trailing lines kept once, unit, csv dialect)
# unit: "line" repeats the data lines, "json"/"xml" repeat whole documents.
SPECS: dict[str, tuple[str, int, int, str, dict[str, object]]] = {
    "generic": ("", 1, 0, "line", {}),
    "acme": ("acme_sbc.csv", 0, 0, "line", {}),
    "asterisk": ("asterisk_master.csv", 0, 0, "line", {}),
    "asterisk_custom": ("asterisk_custom.csv", 0, 0, "line", {}),
    "broadworks": ("broadworks_cdr.csv", 1, 1, "line", {"escapechar": "\\"}),
    "cucm": ("cdr_StandAloneCluster_01_202406101601_12", 2, 0, "line", {}),
    "cube": ("cube_gw_accounting.csv", 0, 0, "line", {}),
    "freepbx_cdr": ("freepbx_cdr_table.csv", 0, 0, "line", {}),
    "freeswitch": ("freeswitch_example.csv", 0, 0, "line", {}),
    "freeswitch_json": ("freeswitch_cdr.json", 0, 0, "json", {}),
    "freeswitch_xml": ("freeswitch_cdr.xml", 0, 0, "xml", {}),
    "kamailio": ("kamailio_acc.log", 0, 0, "line", {"delimiter": ";"}),
    "kamailio_db": ("kamailio_db_acc.csv", 1, 0, "line", {}),
    "ribbon": ("ribbon_sbc.ACT", 1, 0, "line", {}),
    "sansay": ("sansay_vsx.cdr", 0, 0, "line", {"delimiter": ";"}),
}
# the header-bearing CSV (profile "generic") has no switch fixture: this is its seed
GENERIC_SEED = (
    "start,answer,end,calling,called,duration,disposition,ingress,egress,call_id\n"
    "2024-06-10 12:00:31,2024-06-10 12:00:38,2024-06-10 12:01:14,+12025550143,13125550178,"
    "36,ANSWERED,LARKSPUR,OXBOW,4f2b9c1e77aa4d0e@198.51.100.20\n"
    "2024-06-10 12:02:05,,2024-06-10 12:02:27,2025550143,3125550191,0,NO ANSWER,LARKSPUR,"
    "OXBOW,7d31e0b2c4f94a17@198.51.100.20\n"
    "2024-06-10 12:03:10,2024-06-10 12:03:14,2024-06-10 12:03:50,(202) 555-0144,+13125550179,"
    "36,ANSWERED,LARKSPUR,OXBOW,2a3b4c5d6e7f8091@198.51.100.20\n")
DAYS, HOURS = 140, 8  # copy k is shifted k % 140 days and (k // 140) % 8 hours: all within EDT
SIZES = (64, 16, 4, 1)  # prefix files at n/64, n/16, n/4 and n records (n/4 = the 250 k file)
# One pass, leftmost alternative wins, so spans never overlap. Order matters: epochs before
# hex runs (a µs epoch is 16 hex digits), UUIDs and hex call ids varied by XOR with the copy.
_VARY = re.compile(
    r"(?<=\.)(?P<pp>eyJ[A-Za-z0-9_-]{16,})(?=\.)"  # a PASSporT's claims (base64url JSON)
    r"|(?P<epoch>(?<![\dA-Za-z])1718\d{6}(?P<us>\d{6})?(?!\d))"
    r"|(?P<uuid>(?<![0-9A-Za-z])[0-9a-fA-F]{8})(?=-[0-9a-fA-F]{4}-)"
    r"|(?P<hex>(?<![0-9A-Za-z])[0-9a-fA-F]{16,})"
    r"|(?P<conf>(?<![0-9A-Za-z])[0-9A-F]{8})(?= [0-9A-F]{8} )"
    r"|(?P<ph>(?:202|312)555)(?P<ln>\d{4})(?!\d)"
    r"|(?P<compact>20240610)(?P<chh>\d\d)(?=\d{4})"
    r"|(?P<date>2024-06-10|06/10/2024|2024/6/10|Mon Jun 10|JUN 10 2024|Jun 10(?= ))"
    r"|(?<![\d.:])(?P<hh>[01]\d)(?=:\d\d)")
_BASE = datetime(2024, 6, 10)
_DATE_FORMS = {"2024-06-10": "%Y-%m-%d", "06/10/2024": "%m/%d/%Y", "Mon Jun 10": "%a %b %d",
               "Jun 10": "%b %d", "JUN 10 2024": "%b %d %Y"}


def _dates(d: int) -> dict[str, str]:
    """Every written form of 2024-06-10 in the fixtures, moved d days on."""
    t = _BASE + timedelta(days=d)
    out = {k: t.strftime(f) for k, f in _DATE_FORMS.items()}
    out["JUN 10 2024"] = out["JUN 10 2024"].upper()
    out["2024/6/10"] = f"{t.year}/{t.month}/{t.day}"
    out["20240610"] = t.strftime("%Y%m%d")
    return out


def _varier(k: int) -> Callable[[re.Match[str]], str]:
    """The substitution for copy k: numbers, ids, dates, hours and epochs all moved together."""
    d, h = k % DAYS, (k // DAYS) % HOURS
    dates, shift = _dates(d), d * 86400 + h * 3600
    q = k // 10000

    def sub(m: re.Match[str]) -> str:
        g = m.group
        if g("pp"):  # its iat, origid and numbers varied as the call's own: every call's
            # PASSporT is its own in real traffic (one repeated token hid a per-token cost)
            claims = base64.urlsafe_b64decode(g("pp") + "=" * (-len(g("pp")) % 4)).decode()
            return base64.urlsafe_b64encode(_VARY.sub(sub, claims).encode()).decode().rstrip("=")
        if g("epoch"):
            return str(int(g("epoch")) + shift * (10**6 if g("us") else 1))
        if g("uuid"):
            return f"{int(g('uuid'), 16) ^ (k * 2654435761 & 0xFFFFFFFF):08x}"
        if g("hex"):
            s = g("hex")
            if s.isdigit():
                return s
            return f"{int(s[:8], 16) ^ (k * 2654435761 & 0xFFFFFFFF):08x}" + s[8:]
        if g("conf"):
            return f"{int(g('conf'), 16) ^ (k * 40503 & 0xFFFFFFFF):08X}"
        if g("ph"):
            ln = int(g("ln"))
            return f"{g('ph')[:3]}{200 + (q + ln) % 800:03d}{(k + ln * 37) % 10000:04d}"
        if g("compact"):
            return dates["20240610"] + f"{int(g('chh')) + h:02d}"
        if g("date"):
            return dates[g("date")]
        return f"{int(g('hh')) + h:02d}"
    return sub


def _seed(fmt: str) -> tuple[list[str], list[str], list[str]]:
    """(lines kept once at the head, units repeated, lines kept once at the tail)."""
    name, head, tail, unit, _ = SPECS[fmt]
    text = GENERIC_SEED if not name else (FX / name).read_text(encoding="utf-8")
    if unit == "xml":
        docs = ["<?xml" + d for d in text.split("<?xml") if d.strip()]
        return [], [d if d.endswith("\n") else d + "\n" for d in docs], []
    lines = [ln + "\n" for ln in text.splitlines() if ln.strip()]
    return lines[:head], ["".join(lines[head:len(lines) - tail])], lines[len(lines) - tail:]


def _companion_seed(fmt: str, seed_path: Path) -> tuple[str, str]:
    """(header, body) of a plain CSV holding the seed's rows' fields (documents: the columns
    the reader takes out of them), to be varied copy by copy like the source itself."""
    name, head, tail, unit, dialect = SPECS[fmt]
    if unit in ("json", "xml"):
        from workbench.ingest.formats import ReadOptions, get
        parsed = get(fmt).read(seed_path, ReadOptions())
        table = pa.table({k: pc.cast(v, pa.string()) if pa.types.is_timestamp(v.type) else v
                          for k, v in parsed.columns.items()})
        buf = io.BytesIO()
        pv.write_csv(table, buf)
        header, _, body = buf.getvalue().decode().partition("\n")
        return header + "\n", body
    heads, units, tails = _seed(fmt)
    rows = [[v.replace("\n", " ").replace("\r", " ") for v in r]  # one line a row for pyarrow
            for r in csv.reader(io.StringIO(units[0]), **dialect)]  # type: ignore[arg-type]
    width = max(len(r) for r in rows)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([f"f{i}" for i in range(width)])
    header = out.getvalue()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerows(r + [""] * (width - len(r)) for r in rows)
    return header, out.getvalue()


def _records(path: Path, fmt: str) -> int:
    from workbench.ingest.config import SourceConfig
    from workbench.store.source import load_source
    cfg = SourceConfig(provider="P", path=path.name, format=fmt, timezone="America/New_York")
    return load_source(cfg, path.parent, "US", use_cache=False).summary.rows


def _name(fmt: str, size: int, companion: bool = False) -> str:
    return f"{fmt}.{size}" + (".plain.csv" if companion else "")


def make_all(out: Path, n: int, only: list[str]) -> None:
    """Write, per profile, the source at n/64, n/16, n/4 and n records and its plain CSV."""
    out.mkdir(parents=True, exist_ok=True)
    for fmt in only:
        t0 = time.perf_counter()
        heads, units, tails = _seed(fmt)
        seed = out / f"{fmt}.seed"
        seed.write_text("".join(heads + units + tails), encoding="utf-8")
        per_copy = _records(seed, fmt)
        if per_copy <= 0:
            raise SystemExit(f"{fmt}: its fixture yields no record")
        cheader, cbody = _companion_seed(fmt, seed)
        copies = -(-n // per_copy)
        cuts = {max(1, copies // s): s for s in SIZES}  # copies written → size label
        files = {s: open(out / _name(fmt, n // s), "w", encoding="utf-8") for s in SIZES}
        plains = {s: open(out / _name(fmt, n // s, True), "w", encoding="utf-8") for s in SIZES}
        for f in files.values():
            f.write("".join(heads))
        for f in plains.values():
            f.write(cheader)
        body = "".join(units)
        live = list(SIZES)
        for k in range(copies):
            sub = _varier(k)
            text, ctext = _VARY.sub(sub, body), _VARY.sub(sub, cbody)
            for s in live:
                files[s].write(text)
                plains[s].write(ctext)
            if k + 1 in cuts:
                s = cuts[k + 1]
                files[s].write("".join(tails))
                files[s].close()
                plains[s].close()
                live.remove(s)
        for s in live:
            files[s].write("".join(tails))
            files[s].close()
            plains[s].close()
        print(f"{fmt}: {per_copy} records per copy, {copies} copies, "
              f"{(out / _name(fmt, n)).stat().st_size / 1e6:.0f} MB, "
              f"made in {time.perf_counter() - t0:.0f} s", flush=True)


def plain_csv(path: Path) -> float:
    """pyarrow's parse of the companion CSV (header row, comma, standard quoting)."""
    t = time.perf_counter()
    pv.read_csv(path)
    return time.perf_counter() - t


def _cpu(fn: Callable[[], float]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``fn()``: CPU time of the whole process, every thread, which a
    busy shared machine inflates far less than the wall clock."""
    c = time.process_time()
    wall = fn()
    return wall, time.process_time() - c


CPU: dict[tuple[str, int], tuple[float, float]] = {}  # (format, records) → CPU (pyarrow, ours)


def _median_pair(src: Path, comp: Path, fmt: str, repeat: int) -> tuple[float, float]:
    pairs = [(_cpu(lambda: plain_csv(comp)), _cpu(lambda: load(src, fmt)))
             for _ in range(repeat)]
    CPU[(fmt, int(src.name.rsplit(".", 1)[1]))] = (
        statistics.median(x[1] for x, _ in pairs), statistics.median(y[1] for _, y in pairs))
    return statistics.median(x[0] for x, _ in pairs), statistics.median(y[0] for _, y in pairs)


def run_all(d: Path, n: int, only: list[str], repeat: int, budget: float,
            profile_slow: float, ladder: tuple[int, ...] = SIZES) -> None:
    """Time each profile up the size ladder; stop climbing once a load would pass budget s.

    ``ladder``: the divisors of n timed, largest first (``(4, 1)``: n/4 and n only, enough
    for time(n)/time(n/4) on a busy machine)."""
    rows: list[tuple[str, int, float, float, float, str]] = []
    for fmt in only:
        times: dict[int, float] = {}
        plain_t: dict[int, float] = {}
        note = ""
        for s in ladder:
            size = n // s
            src, comp = d / _name(fmt, size), d / _name(fmt, size, True)
            if times:  # project from the last two sizes' growth before paying for this one
                last = max(times)
                prev = [z for z in times if z < last]
                growth = times[last] / times[max(prev)] if prev else 4.0
                if times[last] * max(growth, 4.0) > budget:
                    note = (f"stopped before {size:,}: projected "
                            f"{times[last] * max(growth, 4.0):.0f} s > budget")
                    break
            recs = _records(src, fmt)  # warm up (imports, page cache) and count the records
            plain_t[size], times[size] = _median_pair(src, comp, fmt, repeat)
        top = max(times)
        quarter = top // 4
        lin = times[top] / times[quarter] if quarter in times else float("nan")
        rows.append((fmt, recs, times[top], plain_t[top], lin, note))
        pa_cpu, our_cpu = CPU[(fmt, top)]
        quarter_cpu = CPU.get((fmt, quarter), (0.0, float("nan")))[1]
        print(f"{fmt:16} {recs:>10,} {times[top]:8.2f} {plain_t[top]:8.2f} "
              f"{times[top] / plain_t[top]:6.1f}x  lin(4x rows) {lin:5.2f}  "
              f"CPU {our_cpu:.2f} / {pa_cpu:.2f} = {our_cpu / pa_cpu:.1f}x, "
              f"lin {our_cpu / quarter_cpu:.2f}  load {os.getloadavg()[0]:.1f}  {note}",
              flush=True)
        if profile_slow > 0 and (times[top] / plain_t[top] > 3 or lin > 6 or note):
            _profile(d / _name(fmt, top), fmt, profile_slow)
    print("\n| format | records | ours s | pyarrow s | ratio | CPU ours s | CPU pyarrow s | "
          "CPU ratio | time(n)/time(n/4) | note |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for fmt, recs, ours, arrow, lin, note in rows:
        top = max(size for f, size in CPU if f == fmt)
        pa_cpu, our_cpu = CPU[(fmt, top)]
        print(f"| {fmt} | {recs:,} | {ours:.2f} | {arrow:.2f} | {ours / arrow:.1f}x | "
              f"{our_cpu:.2f} | {pa_cpu:.2f} | {our_cpu / pa_cpu:.1f}x | {lin:.2f} | {note} |")


def _profile(path: Path, fmt: str, top: float) -> None:
    """cProfile of one load, its worker threads' tasks included (normalize and hashing run
    in thread pools, which a main-thread profile sees only as lock waits): top by own time."""
    import concurrent.futures.thread as cft
    import cProfile
    import pstats
    done: list[cProfile.Profile] = []
    orig = cft._WorkItem.run

    def run(item: object) -> None:
        prof = cProfile.Profile()
        done.append(prof)
        prof.enable()
        try:
            orig(item)  # type: ignore[arg-type]
        finally:
            prof.disable()

    cft._WorkItem.run = run  # type: ignore[method-assign]
    main = cProfile.Profile()
    try:
        main.runcall(load, path, fmt)
    finally:
        cft._WorkItem.run = orig  # type: ignore[method-assign]
    st = pstats.Stats(main, *done)
    st.sort_stats("tottime").print_stats(int(top))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["make", "run", "make-all", "run-all"])
    p.add_argument("dir")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--formats", default="", help="comma-separated profiles (default: all)")
    p.add_argument("--budget", type=float, default=120.0,
                   help="run-all: skip a size whose one load is projected above this (s)")
    p.add_argument("--ladder", default=",".join(map(str, SIZES)),
                   help="run-all: the divisors of --rows timed (default 64,16,4,1)")
    p.add_argument("--profile-top", type=float, default=15,
                   help="run-all: cProfile entries printed for a slow or non-linear format "
                        "(0: no profile run)")
    a = p.parse_args(argv)
    d = Path(a.dir)
    if a.cmd in ("make-all", "run-all"):
        from workbench.ingest.formats import profiles
        known = [f.name for f in profiles()]
        missing = [f for f in known if f not in SPECS]
        if missing:
            raise SystemExit(f"no seed for registered profile(s): {', '.join(missing)}")
        only = [f for f in a.formats.split(",") if f] or known
        if a.cmd == "make-all":
            make_all(d, a.rows, only)
        else:
            ladder = tuple(int(x) for x in a.ladder.split(","))
            if any(x not in SIZES for x in ladder):
                raise SystemExit(f"--ladder: divisors among {SIZES}")
            run_all(d, a.rows, only, a.repeat, a.budget, a.profile_top, ladder)
        return 0
    if a.cmd == "make":
        make(d, a.rows)
        return 0
    for fmt, name, delim in (("asterisk", "Master.csv", ","), ("sansay", "vsx.cdr", ";")):
        path = d / name
        load(path, fmt)  # warm up
        pairs = [(plain(path, delim), load(path, fmt)) for _ in range(a.repeat)]
        print(f"{fmt} ({path.stat().st_size / 1e6:.0f} MB): pyarrow median "
              f"{statistics.median(x for x, _ in pairs):.2f} s, workbench load median "
              f"{statistics.median(y for _, y in pairs):.2f} s, median ratio "
              f"{statistics.median(y / x for x, y in pairs):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
