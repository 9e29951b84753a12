"""Redaction profiles for packets shared beyond the call path.

`consumer` masks every called number to its last four digits in whatever form it
is written (E.164, 11 or 10 digits, punctuated, inside SIP URIs, scientific
notation from a spreadsheet, a bare 7-digit local number); `training` also
replaces customer names with neutral labels. The packet is built from already
redacted values, and `leaks` re-reads every written member to prove it.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

import phonenumbers

from workbench.common.errors import WorkbenchError

PROFILES = ("none", "consumer", "training")
PROFILE_WORDS = {
    "none": "no redaction: every value as recorded",
    "consumer": "called numbers masked to their last four digits everywhere in the packet",
    "training": "called numbers masked to their last four digits and customer names "
                "replaced by neutral labels",
}
MASK = "X"
KEY_DIGITS = 7  # every masked number has at least these many national digits
_NOT_DIGIT = re.compile(r"\D")  # what the patterns allow between digits is never a digit
# what may stand between the digits of one written number: blanks, dots, dashes, brackets,
# slashes (and the backslash a PDF string escapes brackets with)
_SEP = r"[\s().\-/\\\u00a0\u2010-\u2015\[\]]{0,3}"
_RUN = re.compile(r"\d(?:" + _SEP + r"\d)*")  # digits and what may stand between them


class Redactor:
    """Applies one profile to text and nested values; counts what it replaced."""

    def __init__(self, profile: str = "none", called: Iterable[str] = (),
                 customers: Iterable[str] = (), default_country: str = "US"):
        if profile not in PROFILES:
            raise ValueError(f"unknown redaction profile '{profile}' (known: {', '.join(PROFILES)})")
        self.profile = profile
        self.counts: Counter[str] = Counter()
        self.numbers: list[str] = []
        self._patterns: list[re.Pattern] = []
        self._names: list[tuple[re.Pattern, str]] = []
        # each number pattern under the last 7 digits every match of it holds (separators
        # aside): a string whose digits hold none of these keys is not searched at all, so
        # thousands of called numbers cost one scan of the digits, not one regex each
        self._key: dict[re.Pattern, str] = {}
        self._keys: set[str] = set()
        if profile == "none":
            return
        seen: set[str] = set()
        for number in dict.fromkeys(n for n in called if n):
            parts = _number_parts(number, default_country)
            pats = _patterns_of(*parts)
            if pats:
                self.numbers.append(number)
                for pat in pats:
                    if pat.pattern not in seen:  # '+1630…' and '630.…' give the same ones
                        seen.add(pat.pattern)
                        self._patterns.append(pat)
                        self._key[pat] = parts[1][-KEY_DIGITS:]
        self._keys = set(self._key.values())
        if profile == "training":
            names = sorted({c.strip() for c in customers if c and len(c.strip()) >= 2},
                           key=len, reverse=True)  # longest first: "Acme Dialer LLC" before "Acme"
            for i, name in enumerate(sorted(names, key=str.lower)):
                label = f"Customer {_letters(i)}"
                self._names.append((re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.I), label))
            self._names.sort(key=lambda p: len(p[0].pattern), reverse=True)

    @property
    def active(self) -> bool:
        return self.profile != "none"

    def text(self, s: str) -> str:
        """The redacted form of one string."""
        if not self.active or not s:
            return s
        for pat in self._candidates(s):
            s, n = pat.subn(_mask_match, s)
            if n:
                self.counts["called number"] += n
        for pat, label in self._names:
            s, n = pat.subn(label, s)
            if n:
                self.counts["customer name"] += n
        return s

    def deep(self, value: Any) -> Any:
        """Redact every string (and number-like integer) inside dicts, lists and tuples."""
        if not self.active:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return value
        if isinstance(value, int):
            masked = self.text(str(value))
            return value if masked == str(value) else masked
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.deep(v)
                    for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.deep(v) for v in value)
        return value

    def leaks(self, data: bytes) -> list[str]:
        """What should have been redacted but is still in these bytes (zip members opened)."""
        if not (self._patterns or self._names):
            return []
        found: list[str] = []
        for chunk in _searchable(data):
            text = chunk.decode("latin-1")
            if self._patterns:
                found += self._numbers_in(text)
            if self._names:
                utf = chunk.decode("utf-8", "replace")
                found += [m.group(0) for pat, _ in self._names for m in [pat.search(utf)] if m]
        return found

    def _numbers_in(self, text: str) -> list[str]:
        """Each written number the patterns find in a long text. A match lies inside one run
        of digits and separators, so only the runs that hold a key are searched, each with
        the few characters around it that a prefix or a look-behind can see."""
        found: list[str] = []
        for run in _RUN.finditer(text):
            pats = self._candidates(run.group(0))
            window = text[max(run.start() - 8, 0):run.end() + 1] if pats else ""
            found += [m.group(0) for pat in pats for m in [pat.search(window)] if m]
        return found

    def _candidates(self, s: str) -> list[re.Pattern]:
        """The number patterns that can match `s` (in their order): those whose key is in
        the digits of `s`."""
        if not self._patterns:
            return []
        digits = _NOT_DIGIT.sub("", s)
        if len(digits) < KEY_DIGITS:
            return []
        found = {digits[i:i + KEY_DIGITS]
                 for i in range(len(digits) - KEY_DIGITS + 1)} & self._keys
        return [p for p in self._patterns if self._key[p] in found] if found else []

    def describe(self) -> dict:
        return {"profile": self.profile, "rule": PROFILE_WORDS[self.profile],
                "called_numbers_masked": len(self.numbers),
                "replacements": dict(self.counts),
                "customer_labels": [label for _, label in self._names]}


def mask_number(number: str) -> str:
    """'+16125550101' -> '+XXXXXXX0101' (digits but the last four masked)."""
    return _mask_digits(number)


def number_patterns(number: str, default_country: str = "US") -> list[re.Pattern]:
    """Regexes matching a number in every written form we know of."""
    return _patterns_of(*_number_parts(number, default_country))


def _number_parts(number: str, default_country: str) -> tuple[str, str, str]:
    """(country code, national significant number, trunk prefix) of a number."""
    digits = re.sub(r"\D", "", number or "")
    cc, nsn, trunk = "", digits, ""
    try:
        parsed = phonenumbers.parse(number if number.startswith("+") else number,
                                    None if number.startswith("+") else default_country)
        cc = str(parsed.country_code)
        nsn = phonenumbers.national_significant_number(parsed)
        meta = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
            parsed.country_code, phonenumbers.region_code_for_number(parsed))
        trunk = (meta.national_prefix or "") if meta is not None else ""
    except phonenumbers.NumberParseException:
        pass
    return cc, nsn, trunk


def _patterns_of(cc: str, nsn: str, trunk: str) -> list[re.Pattern]:
    if len(nsn) < KEY_DIGITS:
        return []
    body = _SEP.join(re.escape(d) for d in nsn)
    prefixes = []
    if cc:
        prefixes.append(r"(?:\+|%2[bB]|00|011)?" + _SEP + _SEP.join(cc) + _SEP)
    if trunk:
        prefixes.append(re.escape(trunk) + _SEP)
    lead = f"(?:{'|'.join(prefixes)})?" if prefixes else ""
    pats = [re.compile(lead + body)]
    if cc == "1" and len(nsn) == 10:
        # a bare local number (exchange + line) standing on its own, not the tail of a longer one
        local = _SEP.join(re.escape(d) for d in nsn[3:])
        pats.append(re.compile(r"(?<!\d)(?<!\d[\s().\-/])(?<!\d[\s().\-/]{2})" + local +
                               r"(?!\d)"))
    return pats


def _mask_match(m: re.Match) -> str:
    return _mask_digits(m.group(0))


def _mask_digits(s: str) -> str:
    total = sum(ch.isdigit() for ch in s)
    keep = 4
    out, seen = [], 0
    for ch in s:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > total - keep else MASK)
        else:
            out.append(ch)
    return "".join(out)


def _letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _searchable(data: bytes) -> list[bytes]:
    """The bytes to search: the file itself, and each member when it is a zip (xlsx, docx)."""
    chunks = [data]
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                chunks.extend(z.read(n) for n in z.namelist())
        except zipfile.BadZipFile:
            pass
    return chunks


def prove_redacted(red: Redactor, profile: str, payload: dict[str, bytes | Path],
                   info: dict[str, str]) -> None:
    """Re-read every member (and bag-info) as written; refuse to write a packet that leaks."""
    for name, content in payload.items():
        data = content.read_bytes() if isinstance(content, Path) else content
        found = red.leaks(data)
        if found:
            raise WorkbenchError(f"redaction check failed: data/{name} still holds what the "
                                 f"'{profile}' profile hides ({len(found)} occurrence(s)); "
                                 "no packet written")
    if red.leaks("\n".join(f"{k}: {v}" for k, v in info.items()).encode("utf-8")):
        raise WorkbenchError("redaction check failed: bag-info.txt still holds what the "
                             f"'{profile}' profile hides; no packet written")
