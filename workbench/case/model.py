"""The investigation's model object: a case folder with its sources and tracebacks loaded."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

from workbench.common.errors import InputError
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.ingest.config import CaseConfig, ProviderInfo, load_config
from workbench.ingest.tracebacks import Traceback, load_tracebacks
from workbench.store.arrow_store import ArrowStore
from workbench.store.lake import Lake, lake_path, lake_sources
from workbench.store.protocol import CdrStore, SourceId
from workbench.store.source import CdrSource, load_source


class ProviderDirectory:
    """Provider names as the case knows them: canonical names, aliases, attributes."""

    def __init__(self, providers: list[ProviderInfo]):
        self.providers = {p.name: p for p in providers}
        self._alias: dict[str, str] = {}
        for p in providers:
            self._alias[_fold(p.name)] = p.name
            for a in p.aliases:
                self._alias[_fold(a)] = p.name

    @overload
    def canonical(self, name: str) -> str: ...
    @overload
    def canonical(self, name: None) -> None: ...
    def canonical(self, name: str | None) -> str | None:
        """The directory name for a name or alias (case- and space-insensitive)."""
        if name is None:
            return None
        return self._alias.get(_fold(name), name.strip())

    def info(self, name: str) -> ProviderInfo | None:
        return self.providers.get(self.canonical(name) or "")

    def add(self, name: str) -> None:
        if _fold(name) not in self._alias:
            self._alias[_fold(name)] = name
            self.providers.setdefault(name, ProviderInfo(name=name))


_FOLDED: dict[int, tuple[dict[str, str], dict[str, str]]] = {}


def _folded(table: dict[str, str]) -> dict[str, str]:
    """``table`` keyed without surrounding blanks and case, built once per table (a source
    may ask for thousands of unmapped ingress ids); rebuilt when the table is replaced or
    changes size."""
    hit = _FOLDED.get(id(table))
    if hit is not None and hit[0] is table and len(hit[1]) == len(table):
        return hit[1]
    folded = {k.strip().lower(): v for k, v in table.items()}
    if len(folded) == len(table):
        _FOLDED[id(table)] = (table, folded)
    return folded


def _fold(name: str) -> str:
    return " ".join(name.lower().split())


@dataclass
class Case:
    config: CaseConfig
    sources: list[CdrSource] = field(default_factory=list)
    tracebacks: list[Traceback] = field(default_factory=list)
    directory: ProviderDirectory = field(default_factory=lambda: ProviderDirectory([]))
    store: CdrStore = field(default_factory=lambda: ArrowStore([]))

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def name(self) -> str:
        return self.config.name

    def sources_of(self, provider: str) -> list[CdrSource]:
        want = self.directory.canonical(provider)
        return [s for s in self.sources if self.directory.canonical(s.provider) == want]

    def providers_with_records(self) -> list[str]:
        seen: list[str] = []
        for s in self.sources:
            name = self.directory.canonical(s.provider)
            if name not in seen:
                seen.append(name)
        return seen

    def traceback(self, traceback_id: str) -> Traceback:
        for tb in self.tracebacks:
            if tb.traceback_id == traceback_id:
                return tb
        known = ", ".join(t.traceback_id for t in self.tracebacks[:10]) or "none"
        raise InputError(f"no traceback '{traceback_id}' in this case (known: {known})",
                         file=str(self.config.file), field="traceback")

    def upstream_of(self, source: CdrSource, ingress: str | None) -> tuple[str | None, str | None]:
        """(upstream provider, customer) that an ingress id names in this source's tables."""
        if ingress is None:
            return None, None
        cfg = source.config
        for table, is_customer in ((cfg.upstreams, False), (cfg.customers, True)):
            value = table.get(ingress)
            if value is None:  # trunk ids as written, then without surrounding blanks/case
                value = _folded(table).get(ingress.strip().lower())
            if value is not None:
                return (None, value) if is_customer else (self.directory.canonical(value), None)
        return None, None

    def source(self, sid: SourceId) -> CdrSource:
        """The loaded source with this id."""
        found = self.find_source(sid)
        if found is None:
            raise KeyError(f"no source {sid} in this case")
        return found

    def find_source(self, sid: SourceId | None) -> CdrSource | None:
        """The loaded source with this id, or None (no id, or not loaded in this case)."""
        return next((s for s in self.sources if s.id == sid), None) if sid else None


def load_case(path: str | Path, *, use_cache: bool = True, progress: ProgressFn = no_progress,
              should_stop: StopFn = never_stop) -> Case:
    """Open a case folder (or its case.toml): read every source and traceback file.

    When ``[store]`` reads a lake (``workbench ingest``), no CDR file is parsed: the sources
    come from the lake's manifest, checked against the files' SHA-256."""
    return case_from_config(load_config(path), use_cache=use_cache, progress=progress,
                            should_stop=should_stop)


def case_from_config(cfg: CaseConfig, *, use_cache: bool = True,
                     progress: ProgressFn = no_progress,
                     should_stop: StopFn = never_stop) -> Case:
    """A parsed configuration read into a case (``load_case`` without the file; the New-case
    wizard reads a draft this way before writing its case.toml)."""
    directory = ProviderDirectory(cfg.providers)
    case = Case(config=cfg, directory=directory)
    total = max(len(cfg.sources), 1)
    where = lake_path(cfg)
    if where is not None:
        lake = Lake.open(where)
        case.sources = lake_sources(cfg, lake, should_stop=should_stop,
                                    progress=lambda f, m: progress(f * total / (total + 1), m))
    for i, scfg in enumerate(cfg.sources if where is None else []):
        check(should_stop)

        def sub(frac: float, msg: str, i: int = i) -> None:
            progress((i + frac) / (total + 1), msg)

        src = load_source(scfg, cfg.root, cfg.default_country, use_cache=use_cache,
                          progress=sub, should_stop=should_stop)
        case.sources.append(src)
    for scfg in cfg.sources:
        directory.add(scfg.provider)
    case.tracebacks.extend(_tracebacks(cfg))
    case.store = open_store(case)
    progress(1.0, "case loaded")
    return case


def load_records(path: str | Path) -> Case:
    """The case's configuration and traceback records, without reading any CDRs: what the
    record-level views (provider dossiers, campaigns) need, in a fraction of the time."""
    cfg = load_config(path)
    directory = ProviderDirectory(cfg.providers)
    for s in cfg.sources:
        directory.add(s.provider)
    return Case(config=cfg, directory=directory, tracebacks=_tracebacks(cfg))


def _tracebacks(cfg: CaseConfig) -> list[Traceback]:
    """Every traceback file the configuration lists, read."""
    return [tb for tcfg in cfg.tracebacks
            for tb in load_tracebacks(cfg.root / tcfg.path, default_country=cfg.default_country,
                                      timezone=tcfg.timezone, sheet=tcfg.sheet)]


def open_store(case: Case) -> CdrStore:
    """The store ``[store] backend`` names: the embedded Arrow store over the loaded sources
    (default), DuckDB (in memory, an on-disk database, or over a lake) or Spark (over a lake).
    The engine does not change with the backend; a backend that is not installed is a
    one-line error."""
    cfg = case.config
    backend = cfg.store_backend
    if backend == "arrow":
        return ArrowStore(case.sources)
    where = lake_path(cfg)
    if backend == "duckdb":
        try:
            from workbench.store.duckdb_store import DuckDbStore
        except ImportError as exc:
            raise _missing("duckdb", "duckdb", exc, cfg) from None
        if where is not None:
            return DuckDbStore.over_lake(Lake.open(where), case.sources)
        path = cfg.store_path
        return DuckDbStore(case.sources, database=(case.root / path) if path else ":memory:")
    if backend == "spark" and where is not None:
        try:
            from workbench.store.spark_store import SparkStore
        except ImportError as exc:
            raise _missing("spark", "pyspark", exc, cfg) from None
        return SparkStore(Lake.open(where), case.sources, master=cfg.spark_master,
                          settings=cfg.spark_settings)
    raise InputError(f"[store] backend = \"{backend}\" is not available in this version "
                     "(arrow, duckdb and spark are)", file=str(cfg.file), field="backend")


def _missing(backend: str, package: str, exc: ImportError, cfg: CaseConfig) -> InputError:
    return InputError(f"[store] backend = \"{backend}\" needs the {package} package "
                      f"(pip install 'traceback-workbench[{backend}]'): {exc}",
                      file=str(cfg.file), field="backend")
