"""One generation run: shared inputs built once, each source's rows sorted and written, then
the case files that describe them."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import dno, rmd
from .answer_key import training_truth, truth
from .case_files import case_toml, tracebacks_csv
from .chains import Traced, campaign_traffic, chain_counts
from .clock import to_us
from .numberbook import NumberBook
from .plan import Plan, make_plan, special_rows
from .readme import dno_facts, readme
from .rows import Rows, background, through_traffic
from .scenario import SCENARIO, trace_expected
from .sources import BY_PROVIDER, SOURCE, Source
from .training import Customers, Training, customer_facts, honest_numbers
from .training_records import training_rows
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
    calling_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    origin_calling: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    training: Training | None = None
    customers: Customers | None = None
    campaign: dict[str, list[Rows]] = field(default_factory=dict)
    traced: Traced | None = None
    listed: dno.DnoList | None = None  # a training case's DNO list, chosen up front
    customer_facts: list[dict] = field(default_factory=list)

    @classmethod
    def start(cls, out: Path, rows: int, seed: int, xlsx_max_rows: int,
              training: Training | None = None) -> Job:
        """Plan the traced calls first: they reserve numbers the through traffic must avoid.
        A training case then reserves its DNO list and honest customers' own numbers."""
        book = NumberBook()
        plan = make_plan(book, np.random.default_rng([seed, 1000]))
        customers = listed = None
        if training is not None:
            rng = np.random.default_rng([seed, 3000])
            listed = dno.reserve(book, plan, rng)
            customers = Customers(honest_numbers(book, rng), rng)
        through = through_traffic(rows, np.random.default_rng([seed, 500]), book,
                                  customers.shape_through if customers else None)
        gaps = {BY_PROVIDER[trace_expected(tb)["hops"][-1]].key: tb.gap
                for tb in SCENARIO if tb.gap}
        job = cls(out, rows, seed, xlsx_max_rows, book, plan, through, gaps,
                  calling_counts=np.zeros(len(book.digits), np.int64), training=training,
                  customers=customers, listed=listed)
        if training is not None:
            job.campaign, job.traced = campaign_traffic(
                chain_counts(training.tracebacks), rows, book, np.random.default_rng([seed, 3100]))
        return job

    @property
    def paths(self) -> dict[str, str]:
        return {key: written.path for key, (_, written) in self.where.items()}

    def write_source(self, i: int, src: Source) -> None:
        """Background, shared and special rows of one source, in file order, written out."""
        rng = np.random.default_rng([self.seed, i])
        ingress_ids, egress_ids = [t.id for t in src.trunks], list(src.egress)
        shared = self.through[src.key]
        own = background(src, max(self.rows - len(shared), 0), rng, self.book)
        if self.customers is not None:
            self.customers.shape_rows(src, own)
        table = Rows.concat(Rows.concat(own, shared),
                            special_rows(src, self.plan.rows[src.key], ingress_ids, egress_ids))
        for part in self.campaign.get(src.key, []):
            table = Rows.concat(table, part)
        table = _in_file_order(table, src, self.gaps.get(src.key))
        self.calling_counts += np.bincount(table.cols["calling"], minlength=len(self.book.digits))
        if src.key == "origin":
            self.origin_calling = table.cols["calling"]
        if self.training is not None:
            self.customer_facts += customer_facts(table, src, self.book)
        tags = table.cols["tag"]
        pos = {int(t): int(p) for p, t in zip(np.flatnonzero(tags >= 0), tags[tags >= 0])}
        written = WRITERS[src.key](Ctx(src, table, self.out, self.book, rng, ingress_ids,
                                       egress_ids, seaport_csv=self.rows > self.xlsx_max_rows,
                                       xlsx_max_rows=self.xlsx_max_rows))
        self.where[src.key] = (pos, written)

    def write_case_files(self) -> None:
        """tracebacks.csv, case.toml, the RMD snapshots, dno.txt, truth.json and README.md,
        once every CDR file exists."""
        out, rows, seed, paths = self.out, self.rows, self.seed, self.paths
        notes = {key: written.note for key, (_, written) in self.where.items()}
        bad_rows = [bad for _, written in self.where.values() for bad in written.bad_rows]
        extra: list[list[str]] = []
        if self.training is not None and self.traced is not None:
            extra = training_rows(self.traced, self.training, self.book,
                                  np.random.default_rng([seed, 3200]))
        records = tracebacks_csv(np.random.default_rng([seed, 2000]), extra)
        (out / "tracebacks.csv").write_text(records, encoding="utf-8", newline="")
        (out / "case.toml").write_text(case_toml(paths, notes, rows, seed, self.training),
                                       encoding="utf-8")
        (out / "rmd").mkdir(exist_ok=True)
        for path, march in zip(rmd.SNAPSHOTS, (False, True)):
            (out / path).write_bytes(rmd.snapshot_csv(march))
        listed = self.listed or dno.pick(self.book, self.plan, self.calling_counts,
                                      np.random.default_rng([seed, 4000]))
        (out / dno.PATH).write_text(listed.text(self.book), encoding="utf-8", newline="")
        key = truth(self.plan, self.where, rows, seed, bad_rows, paths)
        if self.training is not None and self.traced is not None:
            own = {k: self.book.form("e164").take(v).to_pylist()
                   for k, v in (self.customers.numbers if self.customers else {}).items()}
            key["training"] = training_truth(self.training, self.traced, self.customer_facts,
                                             own, records)
        (out / "truth.json").write_text(json.dumps(key, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
        facts = dno_facts(listed, self.book, self.calling_counts, self.origin_calling,
                          self.where["origin"][1], dict(dno.origin_decoys(self.plan)))
        (out / "README.md").write_text(readme(rows, seed, facts, key.get("training")),
                                       encoding="utf-8")

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
