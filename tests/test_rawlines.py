"""Original lines read back by number: CRLF, a missing last newline, lines past the end, a BOM."""
from __future__ import annotations

import random

from workbench.ingest.rawlines import read_raw_rows


def test_read_raw_rows_matches_a_plain_split(tmp_path):
    rng = random.Random(3)
    path = tmp_path / "f.txt"
    for _ in range(300):
        n = rng.randint(1, 40)
        lines = ["x" * rng.randint(0, 20) + str(i) for i in range(n)]
        sep = rng.choice(["\n", "\r\n"])
        path.write_text(sep.join(lines) + (sep if rng.random() < 0.5 else ""), newline="")
        wanted = sorted(rng.sample(range(1, n + 3), min(n + 2, rng.randint(1, 6))))
        assert read_raw_rows(path, wanted) == {w: lines[w - 1] for w in wanted if w <= n}


def test_read_raw_rows_decodes_and_drops_a_bom(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("\ufeffa,b\r\nSeñal,2\r\n".encode("utf-8"))
    assert read_raw_rows(path, [2, 1, 9]) == {1: "a,b", 2: "Señal,2"}


def test_cr_only_line_ends_read_back_by_line(tmp_path):
    """A spreadsheet's "CSV (Macintosh)" ends lines with CR alone: line 3 is still line 3."""
    from workbench.ingest.rawlines import read_raw_rows
    f = tmp_path / "mac.csv"
    f.write_bytes(b"calldate,src,dst\r24/08/17 09:49,16504222900,4373\r24/08/17 09:50,1,2\r")
    assert read_raw_rows(f, [1, 3]) == {1: "calldate,src,dst", 3: "24/08/17 09:50,1,2"}
