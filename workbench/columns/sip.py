"""SIP and STIR/SHAKEN fields found inside CDRs: numbers in URIs, verstat, Identity headers.

Column helpers work on whole Arrow arrays (regexes, or Python once per distinct
value). Decoding a PASSporT never verifies its signature, and says so.
"""
from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.common.compiled import worth_compiling

NOT_VERIFIED = "not verified: the token was decoded only; its signature was not checked"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_B64 = re.compile(r"^[A-Za-z0-9_\-+/]+=*$")

# verstat: after 'verstat=' in any of the three placements, or a bare value (CDR variable)
_VERSTAT_PARAM = r"(?i)verstat=(?P<v>[A-Za-z0-9_-]+)"
_VERSTAT_BARE = (r"(?i)^\s*(?P<v>TN-Validation-(?:Passed|Failed)(?:-[A-Za-z0-9]+)?|"
                 r"No-TN-Validation|Passed|Failed|None)\s*$")
# number in a SIP/tel URI's user part: <sip:+12025550143;verstat=…@host;user=phone>
_URI_USER = r"(?i)(?:sips?|tel):(?P<v>\+?[0-9][0-9().\- ]*[0-9])(?:[;@>,?]|$)"
# number only in the display name: '2025550143'<sip:198.51.100.20:5060;user=phone>
_DISPLAY_NUMBER = r"^\s*[\"']?(?P<v>\+?[0-9][0-9().\- ]{5,}[0-9])[\"']?\s*<"


def _text(arr) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return arr


def _extract(arr: pa.Array, pattern: str) -> pa.Array:
    """Group ``v`` of ``pattern``; null where it does not match."""
    return pc.struct_field(pc.extract_regex(arr, pattern), "v")


def _distinct(arr) -> tuple[pa.Array, pa.Array]:
    """The distinct values of a column and, per row, the index of its value among them."""
    enc = pc.dictionary_encode(_text(arr))
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    return enc.dictionary, enc.indices


def _on_distinct(arr, fn) -> pa.Array:
    """Run the vectorized ``fn`` on the distinct values only, then spread back."""
    values, indices = _distinct(arr)
    return pc.take(fn(values), indices)


def extract_verstat(arr: pa.Array) -> pa.Array:
    """``passed`` / ``failed`` / ``none`` / null from raw header values or CDR variables.

    Accepts verstat in the user part, as a URI parameter, as a header parameter
    (in ``sip:`` or ``tel:`` URIs) and bare values such as ``TN-Validation-Passed-A``.
    """
    def one(values: pa.Array) -> pa.Array:
        token = pc.utf8_lower(pc.coalesce(_extract(values, _VERSTAT_PARAM),
                                          _extract(values, _VERSTAT_BARE)))
        return pc.case_when(
            pc.make_struct(pc.match_substring(token, "passed"), pc.match_substring(token, "failed"),
                           pc.or_(pc.match_substring(token, "no-tn-validation"),
                                  pc.equal(token, "none"))),
            "passed", "failed", "none")
    return _on_distinct(arr, one)


def uri_number(arr: pa.Array) -> pa.Array:
    """The telephone number of SIP/tel URI header values; from the display name when the
    URI holds only an address; else the value unchanged."""
    return _on_distinct(arr, uri_numbers)


def uri_numbers(values: pa.Array) -> pa.Array:
    """``uri_number`` of every value, not deduplicated first (for a caller that already holds
    the distinct values)."""
    got = _extract(values, _URI_USER)
    if not got.null_count:  # every value has its number in the URI (called parties)
        return got
    missing = pc.is_null(got)  # the display-name search only where the URI had none
    rest = pc.filter(values, missing)
    return pc.replace_with_mask(got, missing, pc.coalesce(_extract(rest, _DISPLAY_NUMBER), rest))


# ---------------------------------------------------------------- Identity / PASSporT

def _split_headers(value: str) -> list[str]:
    """Identity header values joined by commas (outside <…> and quotes)."""
    if "," not in value:  # one header: the usual case, without a walk over every character
        return [value.strip()] if value.strip() else []
    parts, depth, quoted, cur = [], 0, False, []
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            depth += 1
        elif ch == ">" and not quoted:
            depth = max(0, depth - 1)
        if ch == "," and depth == 0 and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _b64json(segment: str, what: str, problems: list[str]):
    seg = segment.strip()
    if not seg:
        problems.append(f"{what}: empty segment")
        return None
    if "=" in seg or "+" in seg or "/" in seg:
        problems.append(f"{what}: base64 padding or standard-alphabet characters (normalised)")
        seg = seg.replace("+", "-").replace("/", "_").rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
    except (binascii.Error, ValueError):
        problems.append(f"{what}: not base64url")
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        problems.append(f"{what}: not JSON")
        return None


@functools.lru_cache(maxsize=1024)
def _header_segment(segment: str) -> tuple[object, tuple[str, ...]]:
    """A PASSporT header segment, decoded once: one signer's header repeats on every call."""
    problems: list[str] = []
    return _b64json(segment, "header", problems), tuple(problems)


def _params(rest: str) -> dict[str, str]:
    out = {}
    for p in rest.split(";"):
        if "=" in p:
            k, v = p.split("=", 1)
            out[k.strip().lower()] = v.strip().strip("<>").strip('"')
    return out


def _tn(obj, what: str, problems: list[str], many: bool):
    if isinstance(obj, str):  # JSON inside a JSON string (libstirshaken test data)
        try:
            obj = json.loads(obj)
            problems.append(f"{what} encoded as a JSON string (non-conformant)")
        except json.JSONDecodeError:
            problems.append(f"{what} is a bare string, not an object")
            return [obj] if many else obj
    if not isinstance(obj, dict):
        if obj is not None:
            problems.append(f"{what} is not an object")
        return [] if many else None
    tn = obj.get("tn")
    if many:
        if isinstance(tn, str):
            problems.append(f"{what}.tn is a single string, not an array")
            return [tn]
        return [str(t) for t in tn] if isinstance(tn, list) else []
    if isinstance(tn, list):
        problems.append(f"{what}.tn is an array, not a string")
        return str(tn[0]) if tn else None
    return None if tn is None else str(tn)


def _decode_one(token: str) -> dict:
    problems: list[str] = []
    token = token.strip().strip('"')
    jws, _, rest = token.partition(";")
    jws = jws.strip().strip('"').strip("<>")
    params = _params(rest)
    segs = jws.split(".")
    out = {"attest": None, "origid": None, "orig": None, "dest": [], "iat": None, "x5u": None,
           "ppt": None, "alg": None, "typ": None, "info": params.get("info"), "header": None,
           "claims": None, "problems": problems, "signature_verified": False,
           "verification": NOT_VERIFIED}
    if len(segs) != 3:
        problems.append(f"not a compact JWS: {len(segs)} dot-separated segments, expected 3")
        if len(segs) < 2:
            out["ppt"] = params.get("ppt")
            return out
    header, header_problems = _header_segment(segs[0])
    problems.extend(header_problems)
    if isinstance(header, dict):
        header = dict(header)  # the cached value stays untouched
    claims = _b64json(segs[1], "claims", problems)
    if len(segs) > 2 and not segs[2].strip():
        problems.append("no signature segment")
    if isinstance(header, dict):
        out["header"] = header
        out["alg"], out["typ"] = header.get("alg"), header.get("typ")
        out["ppt"] = header.get("ppt")
        out["x5u"] = header.get("x5u")
    out["ppt"] = out["ppt"] or params.get("ppt")
    if out["x5u"] is None and out["info"]:
        out["x5u"] = out["info"]
        problems.append("x5u missing from the header: taken from the info parameter")
    elif out["info"] and out["x5u"] != out["info"]:
        problems.append("the info parameter differs from x5u")
    if params.get("alg") and out["alg"] and params["alg"] != out["alg"]:
        problems.append("the alg parameter differs from the header's alg")
    if isinstance(claims, dict):
        out["claims"] = claims
        attest = claims.get("attest")
        out["attest"] = None if attest is None else str(attest)
        if out["attest"] is not None and out["attest"] not in ("A", "B", "C"):
            problems.append(f"attest {out['attest']!r} is not A, B or C")
        origid = claims.get("origid")
        out["origid"] = None if origid is None else str(origid)
        if out["origid"] is not None and not _UUID.match(out["origid"]):
            problems.append("origid is not a UUID (kept verbatim)")
        out["orig"] = _tn(claims.get("orig"), "orig", problems, many=False)
        out["dest"] = _tn(claims.get("dest"), "dest", problems, many=True)
        iat = claims.get("iat")
        if isinstance(iat, bool):
            iat = None
        if isinstance(iat, str) and iat.strip().isdigit():
            problems.append("iat is a string, not a number")
            iat = int(iat.strip())
        elif isinstance(iat, float):
            iat = int(iat)
        elif iat is not None and not isinstance(iat, int):
            problems.append("iat is not a NumericDate")
            iat = None
        out["iat"] = iat
    return out


def decode_identity(header: str) -> dict:
    """Decode an Identity header (or several, comma-joined) into PASSporT header and claims.

    Returns attest, origid, orig, dest (list), iat (int), x5u, ppt, the decoded
    ``header``/``claims``, ``problems`` and ``signature_verified`` (always False).
    With several tokens, the ``shaken`` one is used and all are listed in ``tokens``.
    """
    text = (header or "").strip()
    text = re.sub(r"(?i)^identity\s*:\s*", "", text)
    tokens = [_decode_one(t) for t in _split_headers(text)] if text else []
    if not tokens:
        return {**_decode_one(""), "problems": ["empty Identity header"], "tokens": []}
    best = next((t for t in tokens if t["ppt"] == "shaken"), tokens[0])
    result = dict(best)
    result["problems"] = list(best["problems"])
    if len(tokens) > 1:
        kinds = ", ".join(str(t["ppt"]) for t in tokens)
        result["problems"].append(f"{len(tokens)} Identity headers ({kinds}); attestation from "
                                  f"the {'shaken' if best['ppt'] == 'shaken' else 'first'} one")
    result["tokens"] = tokens
    result["raw"] = header
    return result


CLAIM_COLUMNS = {"attest": pa.string(), "origid": pa.string(), "iat": pa.int64(),
                 "x5u": pa.string(), "orig": pa.string(), "dest": pa.string(),
                 "dests": pa.string(), "iat_us": pa.int64()}
#: The latest ``iat`` (9999-12-31T23:59:59Z) whose microseconds still fit an int64.
MAX_IAT_S = 253_402_300_799


def _claim(d: dict, name: str) -> object:
    """One per-row value of ``identity_claims`` from a decoded header."""
    if name == "dest":
        return d["dest"][0] if d["dest"] else None
    if name == "dests":  # every signed called number, comma-joined (a tn holds no comma)
        return ",".join(d["dest"]) if d["dest"] else None
    if name == "iat_us":  # signing time as UTC microseconds, like every CDR time column
        iat = d["iat"]
        return iat * 1_000_000 if isinstance(iat, int) and 0 <= iat <= MAX_IAT_S else None
    return d[name]


def identity_claims(arr: pa.Array, names: Iterable[str] = CLAIM_COLUMNS
                    ) -> dict[str, pa.Array]:
    """Per row: attest, origid, iat (s), iat_us, x5u, orig, the first dest tn and every dest
    tn (``dests``, comma-joined); null where a row has no header or the claim is missing.
    ``names``: only these claims (a caller that needs a few skips spreading the others).

    Each distinct header is decoded once (dictionary-encoded first)."""
    entries, indices = identity_claims_distinct(arr, names)
    return {name: pc.take(col, indices) for name, col in entries.items()}


#: distinct headers from which the batch reader (numba: ~0.3 s to load) is worth its import;
#: ``decode_identity`` takes ~28 us a header
_BATCH_FROM = 8192
#: share of distinct headers (in a sample) from which the batch reader reads every row as it
#: comes: finding the distinct ones first costs more than reading the repeats (~0.4 us a
#: header for Arrow's hashing of ~450 bytes against ~0.5 us for the reader)
_ROWS_FROM = 0.5
_SAMPLE = 1024


def identity_claims_distinct(arr: pa.Array, names: Iterable[str] = CLAIM_COLUMNS
                             ) -> tuple[dict[str, pa.Array], pa.Array]:
    """``identity_claims`` before the spread: the claims of each entry, and per row the index
    of its entry (null where the row has no header). A caller that works on the claims
    further can do so per entry, then take. Entries come in the order the rows first show
    them: one per distinct header, or, where nearly every header is distinct (real
    traffic: one per call), one per row, each row its own entry.

    Many distinct headers are read by the compiled batch reader, which leaves every header
    outside the plain shape to ``decode_identity``, each distinct one decoded once."""
    text = _text(arr)
    share = _distinct_share(text)
    if 0 < share >= _ROWS_FROM and worth_compiling(int(share * len(text)), _BATCH_FROM):
        claims = _batch_claims(text, names)
        if claims is not None:
            rows = np.arange(len(text), dtype=np.int32)
            mask = text.is_null().to_numpy(zero_copy_only=False) if text.null_count else None
            return claims, pa.array(rows, pa.int32(), mask=mask)
    values, indices = _distinct(text)
    if worth_compiling(len(values), _BATCH_FROM):
        claims = _batch_claims(values, names)
        if claims is not None:
            return claims, indices
    return _decoded_claims(values.to_pylist(), names), indices


def _batch_claims(values: pa.Array, names: Iterable[str]) -> dict[str, pa.Array] | None:
    """The claim columns of ``values`` by the compiled batch reader (numba, imported here),
    None when it cannot read them."""
    from workbench.columns import passport_batch
    if not passport_batch.readable(values):
        return None
    return passport_batch.batch_claims(values, names, _decoded_claims)


def _distinct_share(text: pa.Array) -> float:
    """The share of distinct values among the non-null rows of a sample of ``_SAMPLE`` spread
    evenly over ``text`` (0 when it has no value)."""
    if len(text) == text.null_count:
        return 0.0
    picks = np.unique(np.linspace(0, len(text) - 1, min(len(text), _SAMPLE)).astype(np.int64))
    sample = text.take(picks).drop_null()
    if len(sample) == 0:  # nulls where the sample fell: judge by the first rows with a value
        sample = text.drop_null().slice(0, _SAMPLE)
    return float(pc.count_distinct(sample).as_py()) / len(sample)


def _decoded_claims(texts: list[str], names: Iterable[str]) -> dict[str, pa.Array]:
    """The claim columns of ``texts``, each decoded by ``decode_identity``."""
    decoded = [decode_identity(v) for v in texts]
    cols = {}
    for name in names:
        typ = CLAIM_COLUMNS[name]
        vals = [_claim(d, name) for d in decoded]
        if typ == pa.int64():
            vals = [v if isinstance(v, int) and -2**62 < v < 2**62 else None for v in vals]
        cols[name] = pa.array(vals, typ)
    return cols


__all__ = ["decode_identity", "extract_verstat", "identity_claims", "identity_claims_distinct",
           "uri_number", "NOT_VERIFIED"]
