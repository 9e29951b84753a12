"""Switch-format import speed: a 1 M-line Asterisk Master.csv and Sansay VSX file, loaded
(read + normalize, no cache) against `pyarrow.csv.read_csv` reading the same file as plain CSV.

    python benchmarks/bench_formats.py make /tmp/fmt --rows 1000000
    python benchmarks/bench_formats.py run /tmp/fmt [--repeat 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

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


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["make", "run"])
    p.add_argument("dir")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args(argv)
    d = Path(a.dir)
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
