"""A small, independent multi-provider case for trace tests (not the bundled sample).

Chain for campaign calls: Origin (customer ACCT-77) -> Gateway -> Lakes -> Midway -> Term.
Each provider writes its own file style; Gateway's clock runs +120 s; Midway writes
local Chicago time across the 2026-03-08 DST change; Lakes logs answer time.
Background calls cross the same hand-offs so clock skew can be estimated.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

T0 = pd.Timestamp("2026-03-08T06:30:00Z")  # 00:30 CST: the window crosses 02:00 local
CHAIN = ["Term Wireless", "Midway Transit", "Lakes Carrier", "Gateway Co", "Origin Voice"]
INGRESS = {"Term Wireless": "MID-01", "Midway Transit": "000307", "Lakes Carrier": "GW-7",
           "Gateway Co": "OV-TRUNK"}
CUSTOMER = "ACCT-77"
SKEW_GATEWAY = 120.0


def _fmt_num(n: int, style: int) -> str:
    s = str(n)  # 11 digits, 1NXXNXXXXXX
    return [f"+{s}", s, f"({s[1:4]}) {s[4:7]}-{s[7:]}", f"{s[1:4]}.{s[4:7]}.{s[7:]}",
            f"sip:+{s}@198.51.100.7;user=phone"][style]


def build(root: Path, n_background: int = 400, seed: int = 3,
          drop_at: str | None = None, contradict: bool = True) -> dict:
    """Write the case; returns the truth (calls and expected chains)."""
    rng = np.random.default_rng(seed)
    (root / "cdrs").mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict]] = {p: [] for p in CHAIN}

    def route(calling: int, called: int, t: pd.Timestamp, dur: int, depth: int, tag: str):
        """A call entering at CHAIN[depth] and flowing down to Term."""
        lat = 0.0
        for i in range(depth, -1, -1):
            p = CHAIN[i]
            if drop_at == p and tag.startswith("target"):
                continue
            ing = INGRESS.get(p, CUSTOMER) if i < len(CHAIN) - 1 else CUSTOMER
            if i == depth and depth < len(CHAIN) - 1:
                ing = f"CUST-{rng.integers(100, 999)}"  # entered as its customer
                ing = CUSTOMER if p == "Origin Voice" else ing
            rows[p].append({"calling": calling, "called": called,
                            "t": t + pd.Timedelta(seconds=lat), "dur": dur, "ingress": ing,
                            "tag": tag})
            lat += float(rng.uniform(0.05, 0.6))

    nums = lambda k: 10_000_000_000 + rng.integers(200, 999, k) * 10_000_000 + \
        555 * 10_000 + rng.integers(100, 200, k)  # noqa: E731
    bg_calling, bg_called = nums(n_background), nums(n_background)
    for i in range(n_background):
        t = T0 + pd.Timedelta(seconds=float(rng.uniform(0, 3 * 3600)))
        route(int(bg_calling[i]), int(bg_called[i]), t, int(rng.integers(5, 300)), 4, "bg")
    truth = {"calls": []}
    targets = [(13125550143, 17735550188, T0 + pd.Timedelta(minutes=75), 41),  # 01:45 CST
               (13125550143, 16125550101, T0 + pd.Timedelta(minutes=95), 33),  # 03:05 CDT
               (14045550177, 12145550123, T0 + pd.Timedelta(minutes=140), 52)]
    for k, (cg, cd, t, dur) in enumerate(targets):
        # the call travels Origin -> ... -> Term; times here are at Term
        route(cg, cd, t - pd.Timedelta(seconds=2.0), dur, 4, f"target{k}")
        # decoys: other ANIs to the same number within a minute, and a retry 30 s later
        for j in range(3):
            route(int(nums(1)[0]), cd, t + pd.Timedelta(seconds=float(rng.uniform(-50, 50))),
                  int(rng.integers(5, 90)), int(rng.integers(0, 5)), "decoy")
        route(cg, cd, t + pd.Timedelta(seconds=30), 4, 4, "retry")
        for j in range(5):  # same ANI to many numbers in one second
            route(cg, int(nums(1)[0]), t + pd.Timedelta(seconds=float(rng.uniform(0, 1))),
                  int(rng.integers(1, 20)), 4, "spray")
        truth["calls"].append({"id": f"TB-{k + 1}", "calling": f"+{cg}", "called": f"+{cd}"})
    _write(root, rows, rng)
    for k, call in enumerate(truth["calls"]):
        term = [r for r in rows["Term Wireless"] if r["tag"] == f"target{k}"]
        call["at"] = term[0]["t"].strftime("%Y-%m-%dT%H:%M:%S.%fZ") if term else None
    _tracebacks(root, truth, contradict)
    (root / "truth.json").write_text(json.dumps(truth, indent=1))
    return truth


def _write(root: Path, rows: dict, rng) -> None:
    # Term: ISO Z, comma, common header names
    df = pd.DataFrame(rows["Term Wireless"])
    pd.DataFrame({"start_time": df.t.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z",
                  "ANI": [_fmt_num(x, 0) for x in df.calling],
                  "DNIS": [_fmt_num(x, 2) for x in df.called],
                  "trunk_in": df.ingress, "duration": df.dur}
                 ).to_csv(root / "cdrs/term.csv", index=False)
    # Midway: semicolon, local Chicago time M/D/Y across DST, header needs mapping
    df = pd.DataFrame(rows["Midway Transit"])
    local = df.t.dt.tz_convert("America/Chicago").dt.strftime("%m/%d/%Y %H:%M:%S")
    pd.DataFrame({"Call Start": local, "Orig Number": [_fmt_num(x, 1) for x in df.calling],
                  "Term Number": [_fmt_num(x, 3) for x in df.called],
                  "Ingress Trunk": df.ingress, "Secs": df.dur}
                 ).to_csv(root / "cdrs/midway.txt", index=False, sep=";")
    # Lakes: pipe, split date/time, logs ANSWER time (ring 3-12 s after the INVITE)
    df = pd.DataFrame(rows["Lakes Carrier"])
    ans = df.t + pd.to_timedelta(rng.uniform(3, 12, len(df)), unit="s")
    pd.DataFrame({"call_date": ans.dt.strftime("%Y-%m-%d"),
                  "call_time": ans.dt.strftime("%H:%M:%S"),
                  "src": [_fmt_num(x, 4) for x in df.calling],
                  "dst": [_fmt_num(x, 0) for x in df.called], "trunk_in": df.ingress,
                  "billsec": df.dur}).to_csv(root / "cdrs/lakes.psv", index=False, sep="|")
    # Gateway: clock +120 s, tab separated, epoch milliseconds
    df = pd.DataFrame(rows["Gateway Co"])
    ms = ((df.t + pd.Timedelta(seconds=SKEW_GATEWAY)).astype("int64") // 1_000_000)
    pd.DataFrame({"setup_time": ms.astype(str), "calling": [_fmt_num(x, 1) for x in df.calling],
                  "called": [_fmt_num(x, 1) for x in df.called], "ingress": df.ingress,
                  "duration": df.dur}).to_csv(root / "cdrs/gateway.tsv", index=False, sep="\t")
    # Origin: parquet with tz-aware timestamps
    df = pd.DataFrame(rows["Origin Voice"])
    pd.DataFrame({"start": df.t, "from": [f"+{x}" for x in df.calling],
                  "to": [f"+{x}" for x in df.called], "account": df.ingress,
                  "duration": df.dur}).to_parquet(root / "cdrs/origin.parquet", index=False)
    (root / "case.toml").write_text(textwrap.dedent("""\
        [case]
        name = "Test chain"
        default_country = "US"

        [[providers]]
        name = "Gateway Co"
        aliases = ["GWC"]

        [[sources]]
        provider = "Term Wireless"
        path = "cdrs/term.csv"
        format = "generic"
        [sources.upstreams]
        "MID-01" = "Midway Transit"

        [[sources]]
        provider = "Midway Transit"
        path = "cdrs/midway.txt"
        timezone = "America/Chicago"
        [sources.columns]
        start = "Call Start"
        calling = "Orig Number"
        called = "Term Number"
        ingress = "Ingress Trunk"
        duration = "Secs"
        [sources.upstreams]
        "000307" = "Lakes Carrier"

        [[sources]]
        provider = "Lakes Carrier"
        path = "cdrs/lakes.psv"
        time_basis = "answer"
        [sources.upstreams]
        "GW-7" = "GWC"

        [[sources]]
        provider = "Gateway Co"
        path = "cdrs/gateway.tsv"
        [sources.upstreams]
        "OV-TRUNK" = "Origin Voice"

        [[sources]]
        provider = "Origin Voice"
        path = "cdrs/origin.parquet"
        [sources.customers]
        "ACCT-77" = "Robo Dialer LLC"

        [[tracebacks]]
        path = "tracebacks.csv"
        """))


def _tracebacks(root: Path, truth: dict, contradict: bool) -> None:
    lines = ["traceback_id,campaign,call_time,calling,called,hop,provider,upstream,status,"
             "notified_at,responded_at,notes"]
    ups = ["Midway Transit", "Lakes Carrier", "Gateway Co", "Origin Voice", ""]
    for c in truth["calls"]:
        for h, p in enumerate(CHAIN, start=1):
            up = ups[h - 1]
            if contradict and c["id"] == "TB-2" and p == "Midway Transit":
                up = "Bogus Telecom"
            status = "originator" if p == "Origin Voice" else "upstream_identified"
            lines.append(f"{c['id']},Test,{c['at']},{c['calling']},{c['called']},{h},{p},{up},"
                         f"{status},2026-03-09T15:00:00Z,2026-03-09T18:00:00Z,")
    (root / "tracebacks.csv").write_text("\n".join(lines) + "\n")
