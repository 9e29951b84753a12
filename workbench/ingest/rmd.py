"""The FCC Robocall Mitigation Database (RMD): its public CSV download, one or more snapshots.

The download lists only published filings and has no status column: a filer that is in an
earlier snapshot and missing from the latest one was removed. Columns are read by header
(older exports name and order them differently), every value as the text it is: FRNs are
zero-padded strings, addresses span lines inside quotes, free-text fields mix CRLF and LF,
and "none" is written many ways (None, none, NONE, No, non, None., (None), 'None', N/A, -).
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from workbench.common.errors import InputError
from workbench.common.files import read_bytes

#: Our name for each column the workbench reads, and the headers that mean it. Headers are
#: compared squashed (lower case, letters and digits only), so "RMD Number", "rmd_number" and
#: "Other DBA Name(s)" all find their column.
ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("number", "rmdnumber", "rmd", "rmdno", "rmdid", "rmdnum"),
    "frn": ("frn", "fccregistrationnumber", "fccfrn"),
    "business_name": ("businessname", "legalbusinessname", "companyname", "legalname",
                      "providername", "entityname"),
    "business_address": ("businessaddress", "address"),
    "foreign_voice_provider": ("foreignvoiceprovider", "foreignprovider", "foreign"),
    "country": ("country", "countryofbusiness"),
    "other_frns": ("otherfrns", "otherfrn"),
    "other_dba_names": ("otherdbanames", "otherdbaname", "dbanames", "dbaname", "dba",
                        "doingbusinessas"),
    "previous_dba_names": ("previousdbanames", "previousdbaname", "formerdbanames",
                           "priordbanames"),
    "implementation": ("implementation", "stirshakenimplementation", "implementationstatus",
                       "certification"),
    # the 2023 export has no voice column and calls the intermediate flag
    # "intermediate_provider" (true/false)
    "voice_service_provider_choice": ("voiceserviceproviderchoice", "voiceserviceprovider",
                                      "voiceprovider"),
    "gateway_provider_choice": ("gatewayproviderchoice", "gatewayprovider", "gateway"),
    "intermediate_provider_choice": ("intermediateproviderchoice", "intermediateprovider",
                                     "intermediate"),
    "last_updated": ("lastupdated", "datelastupdated", "dateupdated", "lastupdate", "updated"),
    "last_recertified": ("lastrecertified", "daterecertified", "recertified"),
    "filing_url": ("filingurl", "url", "link"),
}
REQUIRED = ("number", "business_name")
_BY_SQUASHED = {alias: name for name, aliases in ALIASES.items() for alias in aliases}

_NUMBER = re.compile(r"^RMD\d+$", re.IGNORECASE)
_DATE_IN_NAME = re.compile(r"(20\d{2})-?([01]\d)-?([0-3]\d)")
# "None" as filers write it, once quotes, brackets, dots and case are set aside
NONE_WORDS = frozenset({"", "none", "non", "no", "na", "n/a", "nil", "null", "nothing",
                        "notapplicable", "-", "--", "x"})
_YES = frozenset({"yes", "y", "true", "t", "1"})
_NO = frozenset({"no", "n", "false", "f", "0"})
# splitting a list of names: semicolons and line breaks always separate names
_LIST_SEP = re.compile(r"\s*(?:;|\r\n|\r|\n)\s*")
# a name holding another: "X d/b/a Y", "X a/k/a Y", "X DBA: Y"
_DBA_SEP = re.compile(r"\s*\b(?:d/b/a|d\.b\.a\.?|dba|a/k/a|aka|f/k/a|fka)\b(?:'?s)?\s*:?\s*",
                      re.IGNORECASE)
_LEAD = re.compile(r"^(?:and|&)\s+", re.IGNORECASE)  # "..., and Blueridge Telecom Systems"
# trailing words that say what kind of company, not which one
_SUFFIXES = frozenset({
    "llc", "lc", "inc", "incorporated", "corp", "corporation", "co", "company", "ltd",
    "limited", "lp", "llp", "plc", "pllc", "pc", "gmbh", "ag", "sa", "sas", "sarl", "srl",
    "bv", "nv", "pty", "pte", "ab", "as", "oy", "spa", "kft", "sro", "doo"})


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: `fields` is a dict
class RmdFiler:
    """One filing as the download writes it; `fields` holds every column as written."""

    number: str
    business_name: str
    fields: Mapping[str, str]
    file: str
    line: int  # the record's first line in its file

    def get(self, column: str) -> str:
        """A column as written ("" when the export has no such column)."""
        return self.fields.get(column, "")

    @property
    def frn(self) -> str:
        return self.get("frn")

    @property
    def implementation(self) -> str:
        return self.get("implementation")

    @property
    def country(self) -> str:
        return self.get("country")

    @property
    def foreign(self) -> bool | None:
        return yes_no(self.get("foreign_voice_provider"))

    @property
    def last_updated(self) -> str:
        return self.get("last_updated")

    @property
    def roles(self) -> dict[str, str]:
        """The voice / gateway / intermediate provider choices, as written ("" when absent)."""
        return {"voice": self.get("voice_service_provider_choice"),
                "gateway": self.get("gateway_provider_choice"),
                "intermediate": self.get("intermediate_provider_choice")}

    @property
    def other_dba_names(self) -> list[str]:
        return name_list(self.get("other_dba_names"))

    @property
    def previous_dba_names(self) -> list[str]:
        return name_list(self.get("previous_dba_names"))


@dataclass(eq=False)
class RmdSnapshot:
    """One download: its filers by RMD number, and the date it stands for (if known)."""

    path: Path
    filers: dict[str, RmdFiler]
    columns: list[str]  # the columns found, in file order (our names where we have one)
    date: str | None = None  # YYYY-MM-DD
    date_basis: str | None = None  # "file name" | "newest last_updated"
    encoding: str = "utf-8"

    @property
    def label(self) -> str:
        return f"{self.path.name}, {self.date}" if self.date else self.path.name


@dataclass
class Rmd:
    """Snapshots of the RMD, oldest first; a filer's status is read against the latest."""

    snapshots: list[RmdSnapshot]
    _last_seen: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _names: dict[str, list[tuple[str, str, str]]] | None = field(default=None, init=False,
                                                                repr=False)
    _frns: dict[str, list[str]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        for i, snap in enumerate(self.snapshots):
            for number in snap.filers:
                self._last_seen[number] = i

    @property
    def latest(self) -> RmdSnapshot | None:
        return self.snapshots[-1] if self.snapshots else None

    def status(self, number: str | None) -> Literal["listed", "removed", "not listed"]:
        """"listed" in the latest snapshot, "removed" (only in earlier ones), or "not listed"."""
        i = self._last_seen.get(rmd_number(number)) if number else None
        if i is None:
            return "not listed"
        return "listed" if i == len(self.snapshots) - 1 else "removed"

    def filer(self, number: str | None) -> RmdFiler | None:
        """The filing from the latest snapshot that lists this number."""
        key = rmd_number(number) if number else ""
        i = self._last_seen.get(key)
        return None if i is None else self.snapshots[i].filers[key]

    def last_listed(self, number: str) -> RmdSnapshot | None:
        i = self.seen_in(number)
        return None if i is None else self.snapshots[i]

    def seen_in(self, number: str) -> int | None:
        """Index of the latest snapshot that lists this number (None: none does)."""
        return self._last_seen.get(rmd_number(number))

    def removed(self) -> list[RmdFiler]:
        """Filers of an earlier snapshot that the latest one no longer lists."""
        last = len(self.snapshots) - 1
        return [self.snapshots[i].filers[n] for n, i in self._last_seen.items() if i < last]

    def by_name(self, name: str) -> list[tuple[RmdFiler, str, str]]:
        """(filer, basis, name as written) for each filer whose business or DBA name matches."""
        if self._names is None:
            self._names = self._name_index()
        key = name_key(name)
        hits = self._names.get(key, []) if key else []
        return [(f, basis, written) for number, basis, written in hits
                if (f := self.filer(number)) is not None]

    def by_frn(self, frn: str) -> list[RmdFiler]:
        """Filers with this FRN (leading zeros ignored: some copies of the export lost them)."""
        if self._frns is None:
            self._frns = {}
            for number in self._last_seen:
                f = self.filer(number)
                key = _frn_key(f.frn) if f else ""
                if key:
                    self._frns.setdefault(key, []).append(number)
        return [f for n in self._frns.get(_frn_key(frn), []) if (f := self.filer(n))]

    def _name_index(self) -> dict[str, list[tuple[str, str, str]]]:
        index: dict[str, list[tuple[str, str, str]]] = {}
        for number in self._last_seen:
            f = self.filer(number)
            if f is None:
                continue
            seen: set[str] = set()
            named = [("business name", n) for n in name_variants(f.business_name)]
            named += [("dba name", n) for n in f.other_dba_names + f.previous_dba_names]
            for basis, written in named:
                key = name_key(written)
                if key and key not in seen:
                    seen.add(key)
                    index.setdefault(key, []).append((number, basis, written))
        return index


def load_rmd(paths: Iterable[str | Path], *,
             order: Literal["auto", "given", "date"] = "auto") -> Rmd:
    """Read RMD CSV downloads into snapshots, oldest first.

    `order="given"` keeps the order of `paths`; "date" sorts by each snapshot's date (a date in
    the file name, else its newest `last_updated`); "auto" sorts by date when every snapshot
    has one and keeps the given order otherwise.
    """
    snaps = [read_snapshot(Path(p)) for p in paths]
    dated = all(s.date for s in snaps)
    if order == "date" and not dated:
        undated = next(s for s in snaps if not s.date)
        raise InputError("cannot order the RMD snapshots by date: this one has no date in its "
                         "name and no last_updated values", file=str(undated.path))
    if order == "date" or (order == "auto" and dated):
        snaps.sort(key=lambda s: s.date or "")
    return Rmd(snaps)


def read_snapshot(path: Path) -> RmdSnapshot:
    """One RMD download; InputError naming the file and line for anything unreadable."""
    text, encoding = _read_text(path)
    f = str(path)
    rows = _records(text, f)
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise InputError("empty file: an RMD download starts with a header row", file=f,
                         line=1) from None
    columns = _columns(header, f, header_line)
    width = len(header)
    filers: dict[str, RmdFiler] = {}
    for line, values in rows:
        if len(values) == 1 and not values[0].strip():
            continue  # a blank line
        if len(values) != width:
            raise InputError(f"{len(values)} values where the header has {width} columns "
                             "(a quote left open, or a line cut short?)", file=f, line=line)
        fields = {name: values[i] for name, i in columns.items()}
        raw_number = fields["number"].strip()
        if not _NUMBER.match(raw_number):
            what = f"'{raw_number[:40]}'" if raw_number else "an empty value"
            raise InputError(f"RMD number must be RMD followed by digits, not {what}",
                             file=f, line=line, field="number")
        number = raw_number.upper()
        if number in filers:
            raise InputError(f"{number} is listed twice (first on line {filers[number].line})",
                             file=f, line=line, field="number")
        filers[number] = RmdFiler(number=number, business_name=fields["business_name"].strip(),
                                  fields=fields, file=f, line=line)
    date, basis = _snapshot_date(path, filers.values())
    ordered = sorted(columns, key=lambda c: columns[c])
    return RmdSnapshot(path=path, filers=filers, columns=ordered, date=date, date_basis=basis,
                       encoding=encoding)


def rmd_number(value: str | None) -> str:
    """An RMD number as compared: upper case, no surrounding blanks."""
    return (value or "").strip().upper()


def is_none(value: str | None) -> bool:
    """True for an empty value and for the ways filers write "none"."""
    if value is None:
        return True
    v = re.sub(r"[\s'\"()\[\].]", "", value).lower()
    return v in NONE_WORDS


def yes_no(value: str | None) -> bool | None:
    """Yes/No and true/false flags; None when blank or anything else."""
    v = (value or "").strip().lower()
    return True if v in _YES else False if v in _NO else None


def name_list(value: str | None) -> list[str]:
    """The names in a DBA field: split at semicolons and line breaks, each "X d/b/a Y" into
    X and Y, then at commas (each whole piece kept too); none-words and bare company
    suffixes ("Inc.") dropped. Several candidates per field is the point: matching looks
    names up, and a fragment that is no one's name finds nothing."""
    if value is None or is_none(value):
        return []
    out: list[str] = []
    for part in _LIST_SEP.split(value.strip()):
        variants = name_variants(part)
        pieces = list(variants)
        for atom in variants[1:] or variants:  # commas split the parts, not "X, Inc. dba Y"
            pieces += atom.split(",") if "," in atom else []
        for piece in pieces:
            name = _LEAD.sub("", piece.strip(" \t'\"-:,"))
            if name and not is_none(name) and name_key(name) and name not in out:
                out.append(name)
    return out


def name_variants(name: str) -> list[str]:
    """A name, and its parts when it holds another ("X d/b/a Y" -> X d/b/a Y, X, Y)."""
    name = name.strip()
    parts = [p.strip(" ,:") for p in _DBA_SEP.split(name) if p.strip(" ,:")]
    return [name] + [p for p in parts if p != name] if len(parts) > 1 else [name]


def name_key(name: str) -> str:
    """A business name as compared: case, accents, punctuation and company suffixes ignored.

    "Seaport Gateway, L.L.C." and "SEAPORT GATEWAY" give the same key; a name that is
    nothing but a suffix ("Inc.") gives "".
    """
    s = unicodedata.normalize("NFKD", name)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = s.replace("&", " and ").replace(".", "").replace("'", "")
    words = re.sub(r"[^0-9a-z]+", " ", s).split()
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    while words and words[-1] in _SUFFIXES:
        words.pop()
    return " ".join(words)


def _frn_key(frn: str) -> str:
    digits = re.sub(r"\D", "", frn or "")
    return digits.lstrip("0")


def _read_text(path: Path) -> tuple[str, str]:
    f = str(path)
    raw = read_bytes(path, what="RMD file")  # never a folder, FIFO or device
    if b"\x00" in raw[:4096]:
        raise InputError("binary data, not an RMD CSV download (UTF-16 or a spreadsheet?)",
                         file=f, line=raw[:raw.index(b"\x00")].count(b"\n") + 1)
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        try:  # a download re-saved by a spreadsheet on Windows
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", file=f,
                             line=raw[:exc.start].count(b"\n") + 1) from None


def _records(text: str, f: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, values) of each CSV record; quoted values may hold CR, LF and CRLF."""
    # lines end at CR, LF or CRLF only (str.splitlines would also break at U+2028, FF, ...)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"not readable as CSV: {exc}", file=f, line=start) from None
        yield start, values
        start = reader.line_num + 1


def _columns(header: list[str], f: str, line: int) -> dict[str, int]:
    """Column name -> position: ours for the columns we read (ALIASES), the header as
    written for the rest."""
    found: dict[str, int] = {}
    for i, h in enumerate(header):
        name = _BY_SQUASHED.get(re.sub(r"[^0-9a-z]", "", h.lower()))
        if name is not None and name not in found:
            found[name] = i
    for i, h in enumerate(header):  # the others (contacts, ...) under their own header
        if i not in found.values() and h.strip() and h.strip() not in found:
            found[h.strip()] = i
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        shown = ", ".join(repr(h) for h in header[:8]) + (" …" if len(header) > 8 else "")
        raise InputError(f"no {' or '.join(missing)} column in the header (found {shown}); "
                         "is this the RMD CSV download?", file=f, line=line, field=missing[0])
    return found


def _snapshot_date(path: Path, filers: Iterable[RmdFiler]) -> tuple[str | None, str | None]:
    m = _DATE_IN_NAME.search(path.name)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}", "file name"
    dates = [d for fl in filers if re.match(r"^\d{4}-\d{2}-\d{2}$", d := fl.last_updated.strip())]
    return (max(dates), "newest last_updated") if dates else (None, None)
