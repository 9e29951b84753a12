"""Do-Not-Originate lists: numbers that must never appear as a caller ID (47 CFR §64.1200(o)).

A list is read from a text file (one entry a line) or a CSV with a number column, ``#``
comments allowed. An entry is a number in any written form, an NPA-NXX prefix ("312-555",
"1312555*", "312-555-01XX") or a range ("3125550100-3125550199", "… to …"): the ITG
registry lists single numbers, while the "invalid" and "unallocated" categories of the rule
are whole exchanges or blocks, which lists carry as prefixes or ranges. Everything becomes
a set of closed intervals of E.164 keys, so a whole column is checked with one binary search.
Numbers go through the project's vectorized normalizer, never a per-row parse.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns.numbers import NANP_REGIONS, normalize_numbers
from workbench.common.errors import InputError
from workbench.common.files import read_bytes

#: Header names (folded: lower case, no blanks, no punctuation) of a CSV's number column.
NUMBER_HEADERS = ("number", "phonenumber", "phone", "tn", "telephonenumber", "telephone",
                  "dno", "dnonumber", "e164", "callerid", "ani", "calling", "callingnumber",
                  "did", "msisdn", "range", "prefix", "numberrange", "block", "tnrange")
# RE2 patterns, run by pyarrow over the whole column
_WILD = r"^(?P<d>\+?[\d\s().\-]*?\d)[\s\-.]*(?P<w>[xX?]+|\*)\s*$"
_RANGE = r"(?i)^(?P<a>.+?)\s*(?:\.\.|–|—|\bto\b|\s-\s)\s*(?P<b>.+)$"
_DIGIT_RANGE = r"^(?P<a>\+?\d{7,15})-(?P<b>\+?\d{7,15})$"
_MAX_E164 = 15
_NANP_BASE, _NANP_SPAN = 10_000_000_000, 10_000_000_000  # keys of +1 numbers


@dataclass
class DnoList:
    """A loaded DNO list: sorted, non-overlapping closed intervals of E.164 keys."""

    path: str
    lo: np.ndarray  # int64, ascending
    hi: np.ndarray  # int64, hi[i] >= lo[i], hi[i] < lo[i + 1]
    numbers: int = 0  # entries that were single numbers
    prefixes: int = 0  # entries that were NPA-NXX (or longer) prefixes
    ranges: int = 0  # entries that were explicit ranges
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, raw) not read
    _blocks: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return self.numbers + self.prefixes + self.ranges

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Whether each E.164 key (int64, -1 for none) is on the list. A table of the NANP
        thousands-blocks the list touches leaves the binary search to the few rows that
        can be on it (searching every row of a big CDR file costs seconds)."""
        keys = np.asarray(keys, dtype=np.int64)
        out = np.zeros(len(keys), dtype=bool)
        if not len(self.lo) or not len(keys):
            return out
        nanp = (keys >= _NANP_BASE) & (keys < _NANP_BASE + _NANP_SPAN)
        block = np.where(nanp, keys - _NANP_BASE, 0) // 1000
        rows = np.flatnonzero(np.where(nanp, self._nanp_blocks()[block], keys >= 0))
        if len(rows):
            at = np.searchsorted(self.lo, keys[rows], side="right") - 1
            out[rows] = (at >= 0) & (keys[rows] <= self.hi[np.maximum(at, 0)])
        return out

    def _nanp_blocks(self) -> np.ndarray:
        """Per NANP thousands-block (NPA-NXX-X): whether any interval reaches into it."""
        if self._blocks is None:
            lo = np.clip(self.lo, _NANP_BASE, _NANP_BASE + _NANP_SPAN) - _NANP_BASE
            hi = np.clip(self.hi, _NANP_BASE - 1, _NANP_BASE + _NANP_SPAN - 1) - _NANP_BASE
            inside = hi >= lo
            edges = np.zeros(_NANP_SPAN // 1000 + 1, dtype=np.int32)
            np.add.at(edges, lo[inside] // 1000, 1)
            np.add.at(edges, hi[inside] // 1000 + 1, -1)
            self._blocks = np.cumsum(edges[:-1]) > 0
        return self._blocks

    def describe(self) -> str:
        """One line for notes and reports."""
        parts = [f"{n:,} {w}" for n, w in ((self.numbers, "numbers"),
                                           (self.prefixes, "prefixes"),
                                           (self.ranges, "ranges")) if n]
        return f"DNO list {Path(self.path).name}: " + (", ".join(parts) or "empty")


def load_dno(path: str | Path, default_country: str = "US") -> DnoList:
    """Read a DNO list; InputError (file, line) when it cannot be used at all.

    Entries that hold no telephone number (a stray word, a number too short to be one)
    are left out and listed in ``skipped`` rather than failing the whole list: a list of
    tens of thousands of numbers should not be unusable for one typo. A list with no
    readable entry is an error."""
    p = Path(path)
    lines, line_no = _entries(_read_text(p), str(p))
    values = pa.array(lines, pa.string())
    spans: list[tuple[np.ndarray, np.ndarray]] = []
    kind = np.zeros(len(lines), dtype=np.int8)  # 1 number, 2 prefix, 3 range
    region = (default_country or "US").upper()
    spans.append(_prefixes(values, kind, region))
    spans.append(_ranges(values, kind, region))
    single = np.flatnonzero(kind == 0)
    if len(single):
        keys = normalize_numbers(pc.take(values, pa.array(single)), region).key
        good = keys >= 0
        kind[single[good]] = 1
        spans.append((keys[good], keys[good]))
    bad = np.flatnonzero(kind == 0)
    if len(bad) == len(lines):
        i = int(bad[0])
        raise InputError(f"no entry of the DNO list reads as a telephone number, NPA-NXX "
                         f"prefix or range (first: '{lines[i][:40]}')", file=str(p),
                         line=int(line_no[i]))
    lo, hi = _merge(np.concatenate([s[0] for s in spans]), np.concatenate([s[1] for s in spans]))
    return DnoList(path=str(p), lo=lo, hi=hi, numbers=int((kind == 1).sum()),
                   prefixes=int((kind == 2).sum()), ranges=int((kind == 3).sum()),
                   skipped=[(int(line_no[i]), lines[i]) for i in bad])


def _read_text(p: Path) -> str:
    raw = read_bytes(p, what="DNO list")  # a FIFO or device would block or never end
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if b"\x00" in raw[:4096]:
        raise InputError("binary data, not a DNO list (a spreadsheet? save it as CSV)",
                         file=str(p), line=raw[:raw.index(b"\x00")].count(b"\n") + 1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # only digits matter


def _entries(text: str, f: str) -> tuple[list[str], np.ndarray]:
    """The number field of each entry and its 1-based line: comments and blanks dropped."""
    raw = text.splitlines()
    if not raw:
        raise InputError("the DNO list is empty", file=f)
    col = pa.array(raw, pa.string())
    # '#' starts a comment at the start of a line or after a blank (not inside a value)
    body = pc.utf8_trim_whitespace(pc.replace_substring_regex(col, r"(^|\s)#.*$", ""))
    keep = np.flatnonzero(pc.greater(pc.utf8_length(body), 0).to_numpy(zero_copy_only=False))
    if not len(keep):
        raise InputError("the DNO list holds only comments or blank lines", file=f)
    rows = [body[int(i)].as_py() for i in keep[:1]]
    delim = _delimiter(rows[0])
    if delim is None:
        return pc.take(body, pa.array(keep)).to_pylist(), keep + 1
    return _csv_column(pc.take(body, pa.array(keep)).to_pylist(), keep + 1, delim, f)


def _delimiter(first: str) -> str | None:
    for d in (",", ";", "\t", "|"):
        if d in first:
            return d
    return None


def _fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _csv_column(lines: list[str], line_no: np.ndarray, delim: str,
                f: str) -> tuple[list[str], np.ndarray]:
    """The number column of a CSV: by header name, else the first column of a headerless
    file whose first value holds digits."""
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
    if len(rows) != len(lines):  # a quoted value spanning lines: no line numbers to give
        raise InputError("a quoted value spans lines; write one entry a line", file=f)
    header = [_fold(h) for h in rows[0]]
    col = next((header.index(h) for h in NUMBER_HEADERS if h in header), None)
    start = 1
    if col is None:
        if any(ch.isdigit() for ch in rows[0][0]):
            col, start = 0, 0  # headerless: numbers in the first column
        else:
            raise InputError(f"no number column (headers: {', '.join(rows[0])}; expected "
                             "one named number, phone, tn or e164)", file=f,
                             line=int(line_no[0]))
    values = [r[col].strip() if col < len(r) else "" for r in rows[start:]]
    nums = line_no[start:]
    keep = [i for i, v in enumerate(values) if v]
    return [values[i] for i in keep], nums[keep]


def _prefixes(values: pa.Array, kind: np.ndarray, region: str
              ) -> tuple[np.ndarray, np.ndarray]:
    """Wildcard entries ("1312555*", "312-555-01XX": one X a digit, * any number of them)
    and bare NPA-NXX ("312-555", "1312555"): intervals of the keys that start with them.
    Found by one regex over the column; only the matches are looked at one by one."""
    wild = pc.extract_regex(values, _WILD)
    is_wild = pc.is_valid(wild).to_numpy(zero_copy_only=False)
    bare = pc.replace_substring_regex(values, r"[\s().\-]", "")
    nanp = region in NANP_REGIONS
    is_npa_nxx = nanp & pc.match_substring_regex(bare, r"^1?[2-9]\d{2}[2-9]\d{2}$").to_numpy(
        zero_copy_only=False) & ~is_wild
    lo: list[int] = []
    hi: list[int] = []
    for i in np.flatnonzero(is_wild | is_npa_nxx):
        if is_wild[i]:
            part = wild[int(i)].as_py()
            digits, marks = re.sub(r"\D", "", part["d"]), part["w"]
            plus = part["d"].lstrip().startswith("+")
        else:
            digits, marks, plus = str(bare[int(i)].as_py()), "", False
        if not plus and nanp and not digits.startswith("1"):
            digits = "1" + digits  # national NANP digits never start with 1
        spans = _prefix_spans(digits, None if marks in ("*", "") else len(marks))
        if spans:
            kind[i] = 2
            lo += [a for a, _ in spans]
            hi += [b for _, b in spans]
    return np.array(lo, dtype=np.int64), np.array(hi, dtype=np.int64)


def _prefix_spans(digits: str, wild_digits: int | None) -> list[tuple[int, int]]:
    """Key intervals of the numbers that start with ``digits`` and have ``wild_digits``
    more (None: any number more). NANP numbers are 11 digits; others 8 to 15."""
    if not digits:
        return []
    if digits.startswith("1"):
        lengths = [11]
    else:
        lengths = list(range(max(len(digits) + 1, 8), _MAX_E164 + 1))
    if wild_digits is not None:
        lengths = [n for n in lengths if n == len(digits) + wild_digits]
    out = []
    for n in lengths:
        if n <= len(digits):
            continue
        pad = 10 ** (n - len(digits))
        out.append((int(digits) * pad, int(digits) * pad + pad - 1))
    return out


def _ranges(values: pa.Array, kind: np.ndarray, region: str
            ) -> tuple[np.ndarray, np.ndarray]:
    """Entries "A-B" (two digit runs), "A - B", "A to B", "A .. B": both ends normalized as
    numbers, in one batch each."""
    squeezed = pc.replace_substring(values, " ", "")
    ends = pc.coalesce(pc.extract_regex(squeezed, _DIGIT_RANGE),
                       pc.extract_regex(values, _RANGE))
    rows = np.flatnonzero(pc.is_valid(ends).to_numpy(zero_copy_only=False) & (kind == 0))
    if not len(rows):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    picked = pc.take(ends, pa.array(rows))
    a = normalize_numbers(pc.struct_field(picked, "a"), region).key
    b = normalize_numbers(pc.struct_field(picked, "b"), region).key
    good = (a >= 0) & (b >= 0)
    kind[rows[good]] = 3
    return np.minimum(a, b)[good], np.maximum(a, b)[good]


def _merge(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted, disjoint intervals covering the same keys (overlapping or touching merged)."""
    if not len(lo):
        return lo, hi
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], hi[order]
    reach = np.maximum.accumulate(hi)
    new = np.empty(len(lo), dtype=bool)
    new[0] = True
    new[1:] = lo[1:] > reach[:-1] + 1
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(lo)) - 1
    return lo[starts].copy(), reach[ends].copy()
