"""Suspicious traffic on one provider's own CDRs: per ingress (customer account or upstream
trunk), the signs of illegal calling, a score and the plain reasons behind it.

A provider must find which customers and upstreams carry illegal traffic and act the same
day; a customer that rotates caller IDs, spoofs its victims' exchanges and makes short,
mostly unanswered calls looks the same in every switch's records. Everything here runs over
whole columns (``case.store.columns``, one call per source): rows are mapped to an ingress
group through the ingress dictionary, counted with ``bincount`` and counted distinct by
sorting packed int64 keys, so 10 M rows take seconds. Definitions (stated in the notes):

- answered: duration > 0, an answer time, or an answered disposition (``ANSWERED_WORDS``);
- short: an answered call under 6 s, as a share of answered calls with a duration;
- neighbour-spoofed: NANP calling and called numbers with the same NPA-NXX;
- invalid or unassigned: the row flags of the import (numbering-plan structure for NANP,
  phonenumbers' validity for other countries, numbers that did not normalize) plus NANP
  exchanges that phonenumbers' metadata lists in no area code in service;
- distinct calling per called: distinct calling numbers over distinct called numbers.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.case.model import Case
from workbench.columns.numbers import NANP_REGIONS
from workbench.columns.times import NAT, US
from workbench.common.errors import InputError
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.ingest.dno import DnoList, load_dno
from workbench.store.normalize import F_CALLING_INVALID, F_CALLING_UNPARSED, F_REJECTED
from workbench.store.protocol import SourceId
from workbench.store.source import CdrSource
from workbench.trace.match import tolerance_for
from workbench.trace.results import Skew

SHORT_S = 6.0
FIELDS = ("start", "answer", "duration", "flags", "calling", "calling_key", "called_key",
          "disposition", "ingress", "attest")
#: Dispositions (upper case) that mean the call was answered: switch words, SIP 200 and the
#: Q.850 cause of a normally cleared call.
ANSWERED_WORDS = frozenset({"ANSWERED", "ANSWER", "COMPLETED", "COMPLETE", "CONNECTED",
                            "NORMAL_CLEARING", "NORMAL CLEARING", "16", "200", "200 OK", "OK",
                            "SUCCESS", "SUCCESSFUL"})
ATTEST_LEVELS = ("A", "B", "C", "none", "other")
HIST_CAP_S = 3600  # durations are kept to the second up to an hour; longer ones in one bucket
_NANP_LO, _NANP_HI = 12_000_000_000, 20_000_000_000
_LOW_MASK = (1 << 20) - 1
_G_BITS = 50  # an E.164 key (15 digits at most) fits below 2**50; the group sits above


@dataclass
class IngressStats:
    """One ingress id as written in the provider's CDRs, and what its traffic shows."""

    ingress: str | None  # None: rows without an ingress id
    name: str | None  # the customer or upstream it maps to
    kind: str  # "customer" | "upstream" | "unmapped"
    calls: int
    peak_per_minute: int
    short_share: float | None  # of answered calls with a duration; None: none answered
    answer_rate: float | None  # None: the records say nothing about answering
    distinct_calling: int
    distinct_calling_per_called: float
    neighbor_share: float
    invalid_calling: int  # invalid, unparsed or unassigned calling numbers
    dno_hits: int  # calls whose calling number is on the DNO list
    attest_mix: dict[str, int]
    in_tracebacks: int  # traceback records whose call is among these rows
    score: float  # 0-100, most suspicious highest
    reasons: list[str]
    distinct_called: int = 0
    answered: int = 0
    unassigned_calling: int = 0  # of invalid_calling: NANP exchanges not in service
    sources: list[SourceId] = field(default_factory=list)


@dataclass
class TrafficAnalysis:
    """A provider's traffic per ingress, ranked most suspicious first."""

    provider: str
    sources: list[SourceId]
    rows: int
    ingresses: list[IngressStats]
    notes: list[str]
    charts: _Charts | None = field(default=None, repr=False, compare=False)


@dataclass
class _Charts:
    """Per-group runs kept for charts: (group, minute) and (group, second) counts, sorted."""

    keys: list[tuple[str | None, str, str | None]]  # group id -> (ingress, kind, name)
    minute_key: np.ndarray  # group << 32 | minute since the epoch
    minute_count: np.ndarray
    second_key: np.ndarray  # group << 32 | whole seconds (HIST_CAP_S: an hour or more)
    second_count: np.ndarray


def analyze_provider(case: Case, provider: str, *, dno: DnoList | None = None,
                     skew: Mapping[SourceId, Skew] | None = None,
                     progress: ProgressFn = no_progress,
                     should_stop: StopFn = never_stop) -> TrafficAnalysis:
    """Every ingress of ``provider``'s sources, scored and ranked. ``dno`` defaults to the
    case's ``[case] dno`` list; ``skew`` (the investigation's estimate) puts row times on
    the traceback records' clock, else only a source's manual ``skew_s`` is applied."""
    sources = case.sources_of(provider)
    if not sources:
        have = ", ".join(case.providers_with_records()) or "none"
        raise InputError(f"no CDRs of provider '{provider}' in this case (providers with "
                         f"CDRs: {have})", file=str(case.config.file), field="provider")
    name = case.directory.canonical(provider)
    if dno is None and case.config.dno:
        dno = load_dno(case.root / case.config.dno, case.config.default_country)
    tbs = _traceback_calls(case, skew)
    groups = _Groups()
    acc = _Accumulator()
    rejected = 0
    for i, src in enumerate(sources):
        check(should_stop)
        progress(i / (len(sources) + 1), f"analyzing {src.id}")
        table = case.store.columns(src.id, FIELDS)
        rejected += _scan(case, src, table, groups, acc, dno, tbs, _skew_us(src, skew))
    check(should_stop)
    progress(len(sources) / (len(sources) + 1), "counting distinct numbers")
    stats, charts = acc.finish(groups)
    ranked = sorted(stats, key=lambda s: (-s.score, -s.calls, s.ingress or ""))
    notes = _notes(case, sources, acc, dno, tbs, rejected)
    progress(1.0, "analysis done")
    return TrafficAnalysis(provider=name, sources=[s.id for s in sources],
                           rows=int(acc.rows), ingresses=ranked, notes=notes, charts=charts)


def calls_per_minute(analysis_or_case: TrafficAnalysis | Case, provider: str,
                     ingress: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(minute start in UTC µs, calls) for every minute from the ingress's first call to its
    last, zeros included; times on the source's own clock. Given a case, it is analysed
    first: pass the analysis when there is one."""
    charts, gids = _chart_groups(analysis_or_case, provider, ingress)
    minutes, counts = _runs_of(charts.minute_key, charts.minute_count, gids, 32)
    if not len(minutes):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo, hi = int(minutes.min()), int(minutes.max())
    dense = np.zeros(hi - lo + 1, dtype=np.int64)
    np.add.at(dense, minutes - lo, counts)
    return (np.arange(lo, hi + 1, dtype=np.int64) * 60 * US), dense


def duration_histogram(analysis_or_case: TrafficAnalysis | Case, provider: str,
                       ingress: str | None, bins: int | Sequence[float] = 60
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(edges, counts) of the call durations of an ingress, as ``numpy.histogram`` gives
    them. Durations are counted to the whole second; an hour or longer counts as an hour."""
    charts, gids = _chart_groups(analysis_or_case, provider, ingress)
    secs, counts = _runs_of(charts.second_key, charts.second_count, gids, 32)
    if isinstance(bins, int):
        top = float(secs.max()) + 1 if len(secs) else 1.0
        edges = np.linspace(0.0, top, max(bins, 1) + 1)
    else:
        edges = np.asarray(bins, dtype=float)
    hist, _ = np.histogram(secs.astype(float), bins=edges, weights=counts.astype(float))
    return edges, hist.astype(np.int64)


# -- the score ---------------------------------------------------------------------------


@dataclass
class Signals:
    """An ingress's counts, from which its shares, score and reasons follow."""

    kind: str
    calls: int
    distinct_calling: int
    distinct_called: int
    answered: int
    answer_known: int
    timed_answered: int
    short: int
    neighbor: int
    invalid: int
    dno: int
    tracebacks: int
    attest_a: int

    @property
    def short_share(self) -> float | None:
        return self.short / self.timed_answered if self.timed_answered else None

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.answer_known if self.answer_known else None

    @property
    def calling_per_called(self) -> float:
        return self.distinct_calling / self.distinct_called if self.distinct_called else 0.0


#: Weight of each sign in the score (they sum to 1). Every sign is a share of the ingress's
#: own calls, never a volume, so a busy honest trunk does not outrank a small robocaller.
WEIGHTS = {"rotation": 0.22, "neighbor": 0.20, "short": 0.16, "answer": 0.12,
           "invalid": 0.10, "dno": 0.10, "traceback": 0.10}
#: Calls at which the evidence counts half: a handful of calls proves little either way.
HALF_CONFIDENCE_CALLS = 25


def _ramp(x: float, lo: float, hi: float) -> float:
    """0 at or below ``lo``, 1 at or above ``hi``, linear between."""
    return float(min(max((x - lo) / (hi - lo), 0.0), 1.0))


def reasons_and_score(s: Signals) -> tuple[float, list[str]]:
    """Score 0-100 and the reasons, strongest first.

    Each sign becomes 0..1 on a ramp from what honest traffic shows to what robocalling
    shows: calling numbers rotating (distinct calling numbers per call, from ten numbers
    up; not scored on upstream trunks, which carry many callers by nature), neighbour
    spoofing, short answered calls, a low answer rate, invalid or unassigned calling
    numbers, DNO hits and calls in traceback records (any at all is strong). Their weighted
    sum is damped for small volumes (calls / (calls + 25))."""
    calls = max(s.calls, 1)
    rot = s.distinct_calling / calls
    neighbor = s.neighbor / calls
    rotation = f"rotates calling numbers: {s.distinct_calling:,} distinct for {s.calls:,} calls"
    spoofed = f"{_pct(neighbor)} neighbour-spoofed (calling number in the called number's NPA-NXX)"
    dno = f"{s.dno:,} DNO hit{_s(s.dno)} (calling number on the Do-Not-Originate list)"
    invalid = f"{s.invalid:,} call{_s(s.invalid)} from invalid or unassigned calling numbers"
    parts: dict[str, tuple[float, str]] = {
        "rotation": (_ramp(rot, 0.3, 0.8) if s.kind != "upstream" and
                     s.distinct_calling >= 10 else 0.0, rotation),
        "neighbor": (_ramp(neighbor, 0.02, 0.25), spoofed),
        "short": (_ramp(s.short_share or 0.0, 0.15, 0.6) if s.timed_answered >= 5 else 0.0,
                  f"{_pct(s.short_share or 0.0)} of answered calls under {SHORT_S:g} s"),
        "answer": (_ramp(0.45 - (s.answer_rate if s.answer_rate is not None else 1.0),
                         0.0, 0.35) if s.answer_known >= 10 else 0.0,
                   f"only {_pct(s.answer_rate or 0.0)} of calls answered"),
        "invalid": (_ramp(s.invalid / calls, 0.0, 0.05), invalid),
        "dno": (min(1.0, 0.5 + 50 * s.dno / calls) if s.dno else 0.0, dno),
        "traceback": (min(1.0, 0.6 + 0.1 * (s.tracebacks - 1)) if s.tracebacks else 0.0,
                      f"in {s.tracebacks:,} traceback record{_s(s.tracebacks)}"),
    }
    total = sum(WEIGHTS[k] * v for k, (v, _) in parts.items())
    score = round(100.0 * total * s.calls / (s.calls + HALF_CONFIDENCE_CALLS), 1)
    shown = sorted((k for k, (v, _) in parts.items() if v >= 0.2 or
                    (k in ("dno", "traceback") and v > 0)),
                   key=lambda k: -WEIGHTS[k] * parts[k][0])
    reasons = [parts[k][1] for k in shown]
    if parts["rotation"][0] >= 0.5 and s.attest_a >= 0.5 * s.calls:
        reasons.append(f"A-attested although its calling numbers rotate ({s.attest_a:,} "
                       "calls): the signer vouches for numbers the caller cannot hold")
    if s.kind != "upstream" and s.calls >= 10 and s.calling_per_called > 1.5:
        reasons.append(f"{s.calling_per_called:.1f} calling numbers per number called")
    if s.kind == "unmapped" and reasons:
        reasons.append("ingress in neither the upstream nor the customer table")
    return score, reasons


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _s(n: int) -> str:
    return "" if n == 1 else "s"


# -- one source --------------------------------------------------------------------------


class _Groups:
    """Ingress groups across the provider's sources: (ingress, kind, name) -> group id."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str | None, str, str | None], int] = {}
        self.sources: dict[int, list[SourceId]] = {}

    def of(self, case: Case, src: CdrSource, ingress: str | None) -> int:
        upstream, customer = case.upstream_of(src, ingress)
        kind = "customer" if customer else "upstream" if upstream else "unmapped"
        key = (ingress, kind, customer or upstream)
        gid = self.ids.setdefault(key, len(self.ids))
        seen = self.sources.setdefault(gid, [])
        if src.id not in seen:
            seen.append(src.id)
        return gid

    def __len__(self) -> int:
        return len(self.ids)


#: Per-row signs, one bit each, counted per group by a single ``bincount`` of g << 9 | bits.
BITS = ("answered", "answer_known", "timed_answered", "short", "neighbor", "invalid",
        "unassigned", "fictional", "dno")


def _scan(case: Case, src: CdrSource, t: pa.Table, groups: _Groups, acc: _Accumulator,
          dno: DnoList | None, tbs: _TracebackCalls, skew_us: int) -> int:
    """Count one source's rows into ``acc``; returns the rows left out (rejected)."""
    flags = _num(t, "flags").astype(np.uint32, copy=False)
    bad = (flags & F_REJECTED) != 0
    keep = np.flatnonzero(~bad) if bad.any() else None

    def col(name: str) -> np.ndarray:
        values = _num(t, name)
        return values if keep is None else values[keep]

    codes, values = _codes(t.column("ingress"))
    lut = np.array([groups.of(case, src, v) for v in values] +
                   [groups.of(case, src, None)], dtype=np.int64)
    g = lut[codes if keep is None else codes[keep]]  # code -1 (null) takes the last entry
    flags = flags if keep is None else flags[keep]
    calling, called, start = col("calling_key"), col("called_key"), col("start")
    duration, answer = col("duration").astype(float, copy=False), col("answer")
    answered, known = _answered(t, keep, duration, answer)
    timed = answered & (duration >= 0)  # NaN compares False
    exchange = calling // 10_000  # 1NPANXX of a NANP number
    nanp = (calling >= _NANP_LO) & (calling < _NANP_HI)
    both = nanp & (called >= _NANP_LO) & (called < _NANP_HI)
    invalid = _invalid_calling(t, keep, flags)
    unassigned = nanp & ~invalid & ~_assigned_exchanges()[exchange % 1_000_000]
    line = calling - exchange * 10_000
    signs = (answered, known, timed, timed & (duration < SHORT_S),
             both & (exchange == called // 10_000), invalid | unassigned, unassigned,
             nanp & (exchange % 1000 == 555) & (line >= 100) & (line <= 199),
             dno.contains(calling) if dno is not None else None)
    bits = np.zeros(len(g), dtype=np.uint16)  # narrow: nine passes over 2 bytes a row
    for bit, sign in enumerate(signs):
        if sign is not None:
            bits |= sign.astype(np.uint16) << np.uint16(bit)
    packed = (g << len(BITS)) | bits
    acc.add(packed, g * len(ATTEST_LEVELS) + _attest_levels(t, keep), len(groups))
    acc.keep_keys(g, calling, called, start, duration)
    # answer-time logging and times without seconds widen the window, as in tracing
    tol_s = case.config.tolerance_s
    wider = round((tolerance_for(src.summary, tol_s) - tol_s) * US)
    acc.keep_tracebacks(g, tbs.match(calling, called, start, skew_us, wider))
    return int(bad.sum())


def _invalid_calling(t: pa.Table, keep: np.ndarray | None, flags: np.ndarray) -> np.ndarray:
    """Rows whose calling number is invalid or did not normalize; a value without a digit
    ("anonymous", "restricted") is a withheld caller ID, not a bad number."""
    invalid: np.ndarray = (flags & F_CALLING_INVALID) != 0
    unparsed = np.flatnonzero((flags & F_CALLING_UNPARSED) != 0)
    if len(unparsed):
        raw = t.column("calling").take(pa.array(unparsed if keep is None else keep[unparsed]))
        if pa.types.is_dictionary(raw.type):
            raw = raw.cast(raw.type.value_type)
        digit = pc.match_substring_regex(raw, r"\d").fill_null(False)
        invalid[unparsed] |= np.asarray(digit.to_numpy(), dtype=bool)
    return invalid


def _num(t: pa.Table, name: str) -> np.ndarray:
    col = t.column(name)
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if col.null_count:  # stores fill missing values themselves; a remote one might not
        fill = {"start": NAT, "answer": NAT, "duration": np.nan}.get(name, -1 if
                                                                      "key" in name else 0)
        col = pc.fill_null(col, fill)
    return np.asarray(col.to_numpy())


def _codes(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[str | None]]:
    """Dictionary codes of a text column (-1 for null) and its distinct values."""
    if isinstance(col, pa.ChunkedArray):
        col = col.chunk(0) if col.num_chunks == 1 else (
            col.unify_dictionaries() if pa.types.is_dictionary(col.type) else col).combine_chunks()
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col)
    idx = col.indices
    codes = np.asarray(pc.fill_null(idx, -1).to_numpy() if idx.null_count else idx.to_numpy())
    return codes, [v.strip() if isinstance(v, str) and v.strip() else None
                   for v in col.dictionary.to_pylist()]


def _answered(t: pa.Table, keep: np.ndarray | None, duration: np.ndarray,
              answer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(answered, known) per row: known when the row has a duration, an answer time or a
    disposition to go by."""
    codes, values = _codes(t.column("disposition"))
    if keep is not None:
        codes = codes[keep]
    words = np.array([v is not None and v.upper() in ANSWERED_WORDS for v in values] + [False])
    said = np.array([v is not None for v in values] + [False])
    answered = (duration > 0) | (answer != NAT) | words[codes]  # NaN > 0 is False
    known = ~np.isnan(duration) | (answer != NAT) | said[codes]
    return answered, known


def _attest_levels(t: pa.Table, keep: np.ndarray | None) -> np.ndarray:
    """Index into ATTEST_LEVELS per row."""
    codes, values = _codes(t.column("attest"))
    names = [("none" if v is None else v.upper()[:1] if v.upper()[:1] in "ABC" and
              len(v) == 1 else "other") for v in values]
    lut = np.array([ATTEST_LEVELS.index(n) for n in names] + [ATTEST_LEVELS.index("none")],
                   dtype=np.int8)
    levels: np.ndarray = lut[codes if keep is None else codes[keep]]
    return levels


@lru_cache(maxsize=1)
def _assigned_exchanges() -> np.ndarray:
    """NPA*1000 + NXX -> whether phonenumbers' NANP metadata (area codes in service, with
    the few exchange-level rules of Caribbean plans) holds numbers there. Built once per
    process: one RE2 pass over the 640,000 possible exchanges."""
    from phonenumbers import PhoneMetadata
    kinds = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
             "personal_number", "voip", "pager", "uan", "voicemail")
    patterns = set()
    for region in NANP_REGIONS:
        meta = PhoneMetadata.metadata_for_region(region)
        for kind in kinds:
            desc = getattr(meta, kind, None) if meta is not None else None
            if desc is not None and desc.national_number_pattern:
                patterns.add(desc.national_number_pattern)
    rx = "^(?:" + "|".join(f"(?:{p})" for p in sorted(patterns)) + ")$"
    table = np.zeros(1_000_000, dtype=bool)
    exch = (np.arange(200, 1000)[:, None] * 1000 + np.arange(200, 1000)[None, :]).ravel()
    for line in ("0000", "5555", "9999"):  # a handful of plans rule on the line digits too
        text = pc.binary_join_element_wise(pc.cast(pa.array(exch), pa.string()), line, "")
        table[exch] |= pc.match_substring_regex(text, rx).to_numpy(zero_copy_only=False)
        # only exchanges refused in area codes that hold others can depend on the line
        npa_used = np.zeros(1000, dtype=bool)
        npa_used[np.flatnonzero(table) // 1000] = True
        exch = exch[~table[exch] & npa_used[exch // 1000]]
    return table


# -- traceback records ---------------------------------------------------------------------


@dataclass
class _TracebackCalls:
    """The case's traceback calls sorted by called number, times on the reference clock."""

    called: np.ndarray
    calling: np.ndarray  # -1: the record gives no calling number
    at_us: np.ndarray
    index: np.ndarray  # position in case.tracebacks
    tol_us: int
    low_bits: np.ndarray = field(default_factory=lambda: np.zeros(_LOW_MASK + 1, bool))

    def __post_init__(self) -> None:
        self.low_bits[self.called & _LOW_MASK] = True

    def match(self, calling: np.ndarray, called: np.ndarray, start: np.ndarray,
              skew_us: int, wider_us: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(row, traceback index) of every row that is a traceback's call: the called
        number picks candidate rows (binary search), then calling and time (within the
        case's tolerance, ``wider_us`` more) decide."""
        if not len(self.called):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        # a lookup table on the low bits of the called number keeps the binary search to
        # the few rows that can match (searching every row costs more than the rest)
        rows = np.flatnonzero(self.low_bits[called & _LOW_MASK])
        at = np.minimum(np.searchsorted(self.called, called[rows]), len(self.called) - 1)
        rows = rows[(self.called[at] == called[rows]) & (start[rows] != NAT)]
        lo = np.searchsorted(self.called, called[rows], "left")
        hi = np.searchsorted(self.called, called[rows], "right")
        n = hi - lo
        row = np.repeat(rows, n)
        tb = np.repeat(lo, n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
        ok = ((self.calling[tb] < 0) | (self.calling[tb] == calling[row])) & \
            (np.abs(start[row] - skew_us - self.at_us[tb]) <= self.tol_us + wider_us)
        return row[ok], self.index[tb[ok]]


def _traceback_calls(case: Case, skew: Mapping[SourceId, Skew] | None) -> _TracebackCalls:
    called, calling, at, index = [], [], [], []
    for i, tb in enumerate(case.tracebacks):
        ck = _key(tb.called)
        if ck < 0 or tb.call_time_us == NAT:
            continue
        first = case.sources_of(tb.hops[0].provider) if tb.hops else []
        called.append(ck)
        calling.append(_key(tb.calling))
        at.append(tb.call_time_us - (_skew_us(first[0], skew) if first else 0))
        index.append(i)
    order = np.argsort(np.array(called, dtype=np.int64), kind="stable")
    cols = (np.array(a, dtype=np.int64)[order] for a in (called, calling, at, index))
    c, k, t, pos = cols
    return _TracebackCalls(c, k, t, pos, tol_us=int(case.config.tolerance_s * US))


def _key(number: str | None) -> int:
    digits = (number or "").lstrip("+")
    return int(digits) if digits.isdigit() and number and number.startswith("+") else -1


def _skew_us(src: CdrSource, skew: Mapping[SourceId, Skew] | None) -> int:
    s = skew.get(src.id) if skew else None
    offset = s.offset_s if s is not None else (src.config.skew_s or 0.0)
    return round(offset * US)


# -- counting ------------------------------------------------------------------------------


class _Accumulator:
    """Per-group counts added source by source, and the packed keys counted at the end."""

    def __init__(self) -> None:
        self.signs = np.zeros((0, 1 << len(BITS)), np.int64)  # group x sign combination
        self.attest = np.zeros((0, len(ATTEST_LEVELS)), np.int64)
        self.rows = 0
        self.n_groups = 0
        self.calling: list[np.ndarray] = []
        self.called: list[np.ndarray] = []
        self.minutes: list[tuple[np.ndarray, np.ndarray]] = []
        self.seconds: list[tuple[np.ndarray, np.ndarray]] = []
        self.tb_hits: list[np.ndarray] = []

    def add(self, packed: np.ndarray, attest: np.ndarray, n_groups: int) -> None:
        self.rows += len(packed)
        self.n_groups = n_groups
        width = self.signs.shape[1]
        signs = np.bincount(packed, minlength=n_groups * width).reshape(-1, width)
        levels = np.bincount(attest, minlength=n_groups * self.attest.shape[1])
        self.signs = _grow(self.signs, n_groups) + signs
        self.attest = _grow(self.attest, n_groups) + levels.reshape(n_groups, -1)

    def get(self, name: str) -> np.ndarray:
        """Rows per group that show one sign ("calls": all rows)."""
        signs = _grow(self.signs, self.n_groups)
        if name != "calls":
            signs = signs[:, (np.arange(signs.shape[1]) >> BITS.index(name)) & 1 == 1]
        total: np.ndarray = signs.sum(axis=1)
        return total

    def keep_keys(self, g: np.ndarray, calling: np.ndarray, called: np.ndarray,
                  start: np.ndarray, duration: np.ndarray) -> None:
        """Keep what is counted across sources: (group, number) keys for the distinct counts
        and each source's calls per (group, minute) and per (group, whole second)."""
        top = g << _G_BITS
        self.calling.append(_where_valid(top | calling, calling >= 0))
        self.called.append(_where_valid(top | called, called >= 0))
        timed = start != NAT
        self.minutes.append(_tally(g, start // (60 * US), timed, self.n_groups))
        secs = np.clip(duration, 0, HIST_CAP_S)  # NaN stays NaN
        has = ~np.isnan(secs)
        self.seconds.append(_tally(g, np.where(has, secs, 0).astype(np.int64), has,
                                   self.n_groups))

    def keep_tracebacks(self, g: np.ndarray, hits: tuple[np.ndarray, np.ndarray]) -> None:
        rows, tb = hits
        self.tb_hits.append((g[rows] << 32) | tb)

    def finish(self, groups: _Groups) -> tuple[list[IngressStats], _Charts]:
        n = len(groups)
        self.n_groups = n
        distinct_calling = _distinct_per_group(self.calling, n, _G_BITS)
        distinct_called = _distinct_per_group(self.called, n, _G_BITS)
        tb = _distinct_per_group(self.tb_hits, n, 32)
        mkey, mcount = _merge_tallies(self.minutes)
        skey, scount = _merge_tallies(self.seconds)
        peak = np.zeros(n, np.int64)
        if len(mkey):
            np.maximum.at(peak, mkey >> 32, mcount)
        c = {k: self.get(k) for k in ("calls",) + BITS}
        attest = _grow(self.attest, n)
        keys = [k for k, _ in sorted(groups.ids.items(), key=lambda kv: kv[1])]
        out = []
        for gid, (ingress, kind, name) in enumerate(keys):
            calls = int(c["calls"][gid])
            if not calls:
                continue
            sig = Signals(
                kind=kind, calls=calls, distinct_calling=int(distinct_calling[gid]),
                distinct_called=int(distinct_called[gid]), answered=int(c["answered"][gid]),
                answer_known=int(c["answer_known"][gid]),
                timed_answered=int(c["timed_answered"][gid]), short=int(c["short"][gid]),
                neighbor=int(c["neighbor"][gid]), invalid=int(c["invalid"][gid]),
                dno=int(c["dno"][gid]), tracebacks=int(tb[gid]),
                attest_a=int(attest[gid, 0]))
            score, reasons = reasons_and_score(sig)
            out.append(IngressStats(
                ingress=ingress, name=name, kind=kind, calls=calls,
                peak_per_minute=int(peak[gid]), short_share=sig.short_share,
                answer_rate=sig.answer_rate, distinct_calling=sig.distinct_calling,
                distinct_calling_per_called=sig.calling_per_called,
                neighbor_share=sig.neighbor / calls, invalid_calling=sig.invalid,
                dno_hits=sig.dno, attest_mix={a: int(attest[gid, i]) for i, a in
                                              enumerate(ATTEST_LEVELS) if a != "other" or
                                              attest[gid, i]},
                in_tracebacks=sig.tracebacks, score=score, reasons=reasons,
                distinct_called=sig.distinct_called, answered=sig.answered,
                unassigned_calling=int(c["unassigned"][gid]),
                sources=list(groups.sources.get(gid, []))))
        return out, _Charts(keys, mkey, mcount, skey, scount)


def _where_valid(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    return values if ok.all() else values[ok]


_TALLY_BINS = 1 << 24  # a dense count up to this many (group, value) cells, else a sort


def _tally(g: np.ndarray, value: np.ndarray, ok: np.ndarray,
           n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """(g << 32 | value, rows) for each (group, value) that occurs among the ``ok`` rows,
    ascending: one ``bincount`` over the value span when it is small enough."""
    if not ok.all():
        g, value = g[ok], value[ok]
    if not len(value):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo, hi = int(value.min()), int(value.max())
    span = hi - lo + 1
    if n_groups * span > _TALLY_BINS:
        return _runs((g << 32) | value)
    counts = np.bincount(g * span + (value - lo), minlength=n_groups * span)
    cells = np.flatnonzero(counts)
    return ((cells // span) << 32) | (cells % span + lo), counts[cells]


def _merge_tallies(parts: list[tuple[np.ndarray, np.ndarray]]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Source tallies summed into one, keys ascending."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys = np.concatenate([k for k, _ in parts])
    counts = np.concatenate([c for _, c in parts])
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    new = np.concatenate(([True], keys[1:] != keys[:-1])) if len(keys) else \
        np.zeros(0, bool)
    starts = np.flatnonzero(new)
    return keys[starts], np.add.reduceat(counts, starts) if len(starts) else counts


def _grow(counts: np.ndarray, n_groups: int) -> np.ndarray:
    """``counts`` with zero rows added up to ``n_groups`` (groups appear source by source)."""
    if len(counts) >= n_groups:
        return counts
    return np.vstack([counts, np.zeros((n_groups - len(counts), counts.shape[1]), np.int64)])


def _runs(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of ``packed`` in ascending order and how often each occurs. Sorts
    ``packed`` in place: callers pass arrays of their own."""
    if not len(packed):
        return packed, np.zeros(0, np.int64)
    packed.sort()
    new = np.empty(len(packed), dtype=bool)
    new[0] = True
    np.not_equal(packed[1:], packed[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    return packed[starts], np.diff(np.append(starts, len(packed)))


def _distinct_per_group(parts: list[np.ndarray], n_groups: int, bits: int) -> np.ndarray:
    """Distinct packed values per group (the group sits above ``bits``)."""
    if n_groups >= 1 << (63 - bits):
        raise InputError(f"too many ingress ids ({n_groups:,}) to count in one analysis")
    keys, _ = _runs(np.concatenate(parts) if len(parts) > 1 else  # the parts are ours
                    parts[0] if parts else np.zeros(0, np.int64))
    return np.bincount(keys >> bits, minlength=n_groups)[:n_groups]


def _chart_groups(analysis_or_case: TrafficAnalysis | Case, provider: str,
                  ingress: str | None) -> tuple[_Charts, list[int]]:
    """The chart runs and the groups of one ingress id (one per name it maps to); a case is
    analysed first (``provider`` names whose CDRs; an analysis already says)."""
    analysis = analysis_or_case if isinstance(analysis_or_case, TrafficAnalysis) else \
        analyze_provider(analysis_or_case, provider)
    if analysis.charts is None:
        raise ValueError("this analysis holds no chart data")
    gids = [i for i, k in enumerate(analysis.charts.keys) if k[0] == ingress]
    if not gids:
        raise InputError(f"no ingress '{ingress}' in the CDRs of {analysis.provider}",
                         field="ingress")
    return analysis.charts, gids


def _runs_of(keys: np.ndarray, counts: np.ndarray, gids: list[int],
             bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(low part, count) of the runs of these groups."""
    parts_v, parts_c = [], []
    for gid in gids:
        a = np.searchsorted(keys, gid << bits, "left")
        b = np.searchsorted(keys, (gid + 1) << bits, "left")
        parts_v.append(keys[a:b] & ((1 << bits) - 1))
        parts_c.append(counts[a:b])
    return np.concatenate(parts_v), np.concatenate(parts_c)


def _notes(case: Case, sources: list[CdrSource], acc: _Accumulator, dno: DnoList | None,
           tbs: _TracebackCalls, rejected: int) -> list[str]:
    notes = [f"{len(sources)} source(s), {acc.rows:,} calls"
             + (f"; {rejected:,} rows without a readable start or called number left out"
                if rejected else "")]
    notes.append("answered: duration > 0, an answer time or an answered disposition "
                 "(ANSWERED, Completed, NORMAL_CLEARING, 16, 200); short: answered calls "
                 f"under {SHORT_S:g} s")
    notes.append("invalid or unassigned calling numbers: numbering-plan structure (NANP "
                 "N11/N9X/0-1 codes; other countries by phonenumbers), numbers that did not "
                 "normalize, and NANP exchanges in no area code in service per phonenumbers' "
                 "metadata (no NANPA block-assignment data is used)")
    if dno is None:
        notes.append("no DNO list (set [case] dno or --dno)")
    else:
        notes.append(dno.describe() + (f"; {len(dno.skipped)} entries not read (line "
                                        f"{dno.skipped[0][0]}: '{dno.skipped[0][1][:30]}')"
                                        if dno.skipped else ""))
    found = len(np.unique(np.concatenate(acc.tb_hits) & 0xFFFFFFFF)) if acc.tb_hits else 0
    notes.append(f"traceback records: {found} of {len(case.tracebacks)} found in these CDRs "
                 f"(calling, called and start ±{case.config.tolerance_s:g} s after clock-skew "
                 "correction; wider for answer-time and minute-only clocks)")
    fictional = int(acc.get("fictional").sum())
    if fictional:
        notes.append(f"{fictional:,} calls use fictional NPA-555-01xx calling numbers "
                     "(training data): not counted as invalid")
    return notes
