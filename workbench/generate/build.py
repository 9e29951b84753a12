"""One generation run: shared inputs built once, each source's rows sorted and written, then
the case files that describe them."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .answer_key import truth
from .case_files import case_toml, tracebacks_csv
from .clock import to_us
from .numberbook import NumberBook
from .plan import Plan, make_plan, special_rows
from .readme import readme
from .rows import Rows, background, through_traffic
from .scenario import SCENARIO, trace_expected
from .sources import BY_PROVIDER, SOURCE, Source
from .writers import WRITERS, Ctx, Where


@dataclass
class Job:
    """The inputs every source writer shares, and what each one put on disk.

    Each random stream is seeded from ``[seed, k]`` with a fixed ``k`` per purpose, so the
    same seed gives the same bytes.
    """

    out: Path
    rows: int
    seed: int
    xlsx_max_rows: int
    book: NumberBook
    plan: Plan
    through: dict[str, Rows]
    gaps: dict[str, tuple[str, str]]
    where: Where = field(default_factory=dict)

    @classmethod
    def start(cls, out: Path, rows: int, seed: int, xlsx_max_rows: int) -> Job:
        """Plan the traced calls first: they reserve numbers the through traffic must avoid."""
        book = NumberBook()
        plan = make_plan(book, np.random.default_rng([seed, 1000]))
        through = through_traffic(rows, np.random.default_rng([seed, 500]), book)
        gaps = {BY_PROVIDER[trace_expected(tb)["hops"][-1]].key: tb.gap
                for tb in SCENARIO if tb.gap}
        return cls(out, rows, seed, xlsx_max_rows, book, plan, through, gaps)

    @property
    def paths(self) -> dict[str, str]:
        return {key: written.path for key, (_, written) in self.where.items()}

    def write_source(self, i: int, src: Source) -> None:
        """Background, shared and special rows of one source, in file order, written out."""
        rng = np.random.default_rng([self.seed, i])
        ingress_ids, egress_ids = [t.id for t in src.trunks], list(src.egress)
        shared = self.through[src.key]
        table = Rows.concat(Rows.concat(background(src, max(self.rows - len(shared), 0), rng,
                                                   self.book), shared),
                            special_rows(src, self.plan.rows[src.key], ingress_ids, egress_ids))
        table = _in_file_order(table, src, self.gaps.get(src.key))
        tags = table.cols["tag"]
        pos = {int(t): int(p) for p, t in zip(np.flatnonzero(tags >= 0), tags[tags >= 0])}
        written = WRITERS[src.key](Ctx(src, table, self.out, self.book, rng, ingress_ids,
                                       egress_ids, seaport_csv=self.rows > self.xlsx_max_rows,
                                       xlsx_max_rows=self.xlsx_max_rows))
        self.where[src.key] = (pos, written)

    def write_case_files(self) -> None:
        """tracebacks.csv, case.toml, truth.json and README.md, once every CDR file exists."""
        out, rows, seed, paths = self.out, self.rows, self.seed, self.paths
        notes = {key: written.note for key, (_, written) in self.where.items()}
        bad_rows = [bad for _, written in self.where.values() for bad in written.bad_rows]
        (out / "tracebacks.csv").write_text(tracebacks_csv(np.random.default_rng([seed, 2000])),
                                            encoding="utf-8", newline="")
        (out / "case.toml").write_text(case_toml(paths, notes, rows, seed), encoding="utf-8")
        key = truth(self.plan, self.where, rows, seed, bad_rows, paths)
        (out / "truth.json").write_text(json.dumps(key, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
        (out / "README.md").write_text(readme(rows, seed), encoding="utf-8")

    def remove_stale(self) -> None:
        """A regenerated case may switch Seaport between XLSX and CSV; drop the other one."""
        for ext in (".xlsx", ".csv"):
            other = self.out / Path(SOURCE["seaport"].path).with_suffix(ext)
            if other.exists() and str(other.relative_to(self.out)) != self.paths["seaport"]:
                other.unlink()


def _in_file_order(table: Rows, src: Source, gap: tuple[str, str] | None) -> Rows:
    """Rows sorted by the start the source records, minus those lost in a CDR outage."""
    rec = table.recorded(src)
    if gap is not None:
        lo, hi = (to_us(t) for t in gap)
        keep = (rec < lo) | (rec >= hi)
        table, rec = table.take(np.flatnonzero(keep)), rec[keep]
    return table.take(np.argsort(rec, kind="stable"))
