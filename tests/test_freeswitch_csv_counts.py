"""The mod_cdr_csv line reader tells the field counts of its non-plain lines by RE2 passes
(``freeswitch_lines._counts_in``) where ``field_counts`` counted every line: the same count
wherever it is one the reader takes, -1 elsewhere; and the counts of the bad lines it keeps
(the first ``MAX_BAD_KEPT``) found afterwards give the reasons the careful reader gives."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.ingest.formats import ReadOptions
from workbench.ingest.formats.delimited import MAX_BAD_KEPT, field_counts
from workbench.ingest.formats.switches import freeswitch as fs
from workbench.ingest.formats.switches import freeswitch_lines as fl
from workbench.ingest.formats.switches.positional import with_text

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def _counts_before(texts: pa.Array, wanted: list[int]) -> np.ndarray:
    """The replaced code: every line counted, then the counts not wanted made -1."""
    at = fl._offsets(texts)
    counts = field_counts(fl._joined(texts), ",", '"', None, at[:-1] - at[0])
    return np.where(np.isin(counts, wanted), counts, -1)


_PIECE = st.sampled_from(['"', ",", '","', '""', "a", " ", "é", '"a,b"', ",,", "\t"])


@st.composite
def _lines(draw) -> tuple[list[str], list[int]]:
    wanted = draw(st.sampled_from([[13, 15], [13, 15], [15], [13], [2, 3], [1, 4], [1]]))
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.booleans()):  # near a wanted count: fields, some quoted, some broken
            n = draw(st.sampled_from(wanted + [w + 1 for w in wanted] + [w - 1 for w in wanted]))
            vals = [draw(st.lists(_PIECE, max_size=3).map("".join)) for _ in range(max(n, 1))]
            text = ",".join(vals)
        else:
            text = draw(st.lists(_PIECE, max_size=20).map("".join))
        lines.append(text + "\n")
    if draw(st.booleans()):  # only the file's last line may lack its line end
        lines[-1] = lines[-1][:-1]
    return lines, wanted


@SETTINGS
@given(_lines())
def test_counts_by_re2_are_field_counts_where_wanted(case):
    lines, wanted = case
    texts = pa.array(lines, pa.string())
    assert fl._counts_in(texts, wanted).tolist() == _counts_before(texts, wanted).tolist()


def test_counts_by_re2_on_a_sliced_array():
    lines = ['"a","b"\n', 'x,"y,z"\n', '"open,\n', ",,\n"]
    texts = pa.array(["junk\n"] + lines, pa.string()).slice(1)
    assert fl._counts_in(texts, [2, 3]).tolist() == _counts_before(texts, [2, 3]).tolist()


def _read(path: Path, fast: bool):
    return with_text(path, None, lambda d, e: fs._read(path, ReadOptions(), d, e, fast=fast))


def test_more_bad_lines_than_kept_give_the_careful_readers_reasons(tmp_path,
                                                                   small_positional_limits):
    """Past ``MAX_BAD_KEPT`` bad lines only the first keep a reason: those of another count
    are counted after the fact; the rest still count as bad."""
    good = ",".join(f'"v{i}"' for i in range(15))
    odd = ['"a","b"', '"a"', ",".join(["x"] * 20), '"q","r""s",t', '"u",' * 9 + '"v"',
           '"Bob "The Closer", LLC",' + ",".join(f'"v{i}"' for i in range(14)),
           ",".join(f'"v{i}"' for i in range(13))]
    rows = []
    for k in range(3 * MAX_BAD_KEPT):
        rows.append(good.replace("v3", f"n{k}"))
        rows.append(odd[k % len(odd)] if k % 4 else odd[(k * 3) % len(odd)])
    p = tmp_path / "calls.csv"
    p.write_text("\n".join(rows) + "\n")
    data = p.read_bytes()
    assert fl.read_lines(data, fs._first_count(data), str(p), "x") is not None
    a, b = _read(p, True), _read(p, False)
    assert a.bad_line_count == b.bad_line_count > MAX_BAD_KEPT
    assert [(x.line, x.reason, x.text) for x in a.bad_lines] == \
        [(x.line, x.reason, x.text) for x in b.bad_lines]
    assert a.lines.tolist() == b.lines.tolist()
    for k in a.columns:
        assert a.columns[k].equals(b.columns[k]), k
