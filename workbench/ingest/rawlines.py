"""Reading original records back by line number: the evidence beside the normalized value."""
from __future__ import annotations

from pathlib import Path

from workbench.common.errors import InputError
from workbench.common.files import regular_file

from .formats.sample import HEAD_BYTES, sniff_encoding


def read_raw_rows(path: Path, lines: list[int], sheet: str | None = None) -> dict[int, str]:
    """{line: original text} for 1-based physical lines (sheet rows for XLSX, rows for Parquet)."""
    wanted = sorted({int(x) for x in lines if x and x > 0})
    if not wanted:
        return {}
    regular_file(path, what="source file")  # it may have been swapped since the import
    ext = path.suffix.lower()
    try:
        if ext in (".xlsx", ".xlsm"):
            return _xlsx_rows(path, wanted, sheet)
        if ext in (".parquet", ".pq"):
            return _parquet_rows(path, wanted)
        return _text_rows(path, wanted)
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"cannot read the original lines: {exc.strerror or exc}",
                         file=str(path)) from None
    except Exception as exc:  # noqa: BLE001 - openpyxl/pyarrow raise zlib, XML, Key errors...
        raise InputError(f"cannot read the original lines (file changed or damaged since "
                         f"import?): {type(exc).__name__}: {exc}", file=str(path)) from None


def _text_rows(path: Path, wanted: list[int]) -> dict[int, str]:
    with open(path, "rb") as fh:
        enc = sniff_encoding(fh.read(HEAD_BYTES))
    if enc.startswith("utf-16"):
        text = path.read_bytes().decode(enc, errors="replace").lstrip("\ufeff")
        all_lines = text.split("\n")
        return {n: all_lines[n - 1].rstrip("\r") for n in wanted if n <= len(all_lines)}
    out: dict[int, str] = {}
    targets = set(wanted)
    last = wanted[-1]
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    if b"\n" not in head and b"\r" in head:  # CR-only line ends ("CSV (Macintosh)")
        text = path.read_bytes().split(b"\r")
        return {n: _decode(text[n - 1], enc) for n in wanted if n <= len(text)}
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if n in targets:
                out[n] = _decode(raw.rstrip(b"\r\n"), enc)
            if n >= last:
                break
    return out


def _decode(raw: bytes, enc: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252" if enc == "cp1252" else "latin-1", errors="replace")


def _xlsx_rows(path: Path, wanted: list[int], sheet: str | None) -> dict[int, str]:
    import openpyxl

    from workbench.common import safe_xml  # noqa: F401
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb.worksheets[0]
        out: dict[int, str] = {}
        targets = set(wanted)
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if n in targets:
                out[n] = " | ".join("" if v is None else str(v) for v in row)
            if n >= wanted[-1]:
                break
        return out
    finally:
        wb.close()


def _parquet_rows(path: Path, wanted: list[int]) -> dict[int, str]:
    import pyarrow.parquet as pq
    table = pq.read_table(path)
    out = {}
    for n in wanted:
        i = n - 2  # row numbers count a virtual header as line 1
        if 0 <= i < table.num_rows:
            row = table.slice(i, 1).to_pylist()[0]
            out[n] = " | ".join(f"{k}={v}" for k, v in row.items())
    return out
