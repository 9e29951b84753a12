"""The outsider cases give the same `trace --json` on every store backend.

The outsider cases (tests/test_outsider_cases.py) were built from carrier-style exports by
hand: five export styles, local zones, a file in the wrong zone, an answer-time switch, a clock
150 s off, a fall-back overlap hour, chains that stop for each reason. Each is traced through
the real CLI on the embedded store, then ingested into a Parquet lake and traced again with
DuckDB over the lake (and with Spark over the same lake where a Java runtime exists): the
JSON must be byte-identical, whatever the backend.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.clirun import run_cli
from tests.test_outsider_cases import AT, build_case

#: (variant, build_case arguments, trace arguments after the case)
VARIANTS: list[tuple[str, dict, list[str]]] = [
    ("main", {}, ["--calling", "(312) 555-0143", "--called", "773.555.0188", "--at", AT]),
    ("cgrates", {"cedar_style": "cgrates"}, ["--traceback", "TB-OUT-0001"]),
    ("ring", {"prism_dur_ring": True, "target_talk": 20, "target_ring": 15},
     ["--calling", "3125550143", "--called", "7735550188", "--at", AT]),
    ("nov_second", {"t_target": "2026-11-01T07:20:40Z"},
     ["--calling", "3125550143", "--called", "17735550188", "--at",
      "2026-11-01T01:20:40-06:00"]),
    ("term_clock", {"lake_clock": 150, "granite_clock": 0, "t_target": "2026-03-08T08:01:10Z"},
     ["--calling", "13125550143", "--called", "+17735550188", "--at", "2026-03-08T08:01:10Z"]),
    ("no_records", {"drop": ("Cedar Voice",)}, ["--traceback", "TB-OUT-0001"]),
    ("not_found", {"remove_target": ("Cedar Voice",)},
     ["--calling", "3125550143", "--called", "7735550188", "--at", AT]),
    ("loop", {"upstreams": {"Harbor Gateway": {"000307": "Granite Transit"}}},
     ["--traceback", "TB-OUT-0001"]),
]


def _java() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and shutil.which("java", path=f"{home}/bin")))


def _on(root: Path, store: str) -> Path:
    """A copy of the case whose case.toml reads ``root/lake`` with this backend."""
    out = root.parent / f"{root.name}-{store}"
    if out.exists():
        return out
    shutil.copytree(root, out, ignore=shutil.ignore_patterns("audit.jsonl", "lake"))
    extra = f'\n[store]\nbackend = "{store}"\npath = "../{root.name}/lake/"\n'
    if store == "spark":
        extra += ('spark_master = "local[2]"\n'
                  '[store.spark]\n"spark.sql.shuffle.partitions" = "2"\n')
    toml = out / "case.toml"
    toml.write_text(toml.read_text() + extra)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("outsider-backends")
    roots = {}
    for name, kw, _ in VARIANTS:
        root = base / name
        build_case(root, **kw)
        r = run_cli("ingest", root, "--to", root / "lake", cache=base / "cache")
        assert r.returncode == 0, r.stderr
        roots[name] = root
    return roots


def _trace(case: Path, args: list[str], cache: Path) -> str:
    r = run_cli("trace", case, *args, "--json", cache=cache)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("{")
    return r.stdout


@pytest.mark.parametrize("name", [v[0] for v in VARIANTS])
def test_duckdb_over_the_lake_answers_byte_for_byte(built, name, tmp_path):
    args = next(a for n, _, a in VARIANTS if n == name)
    root = built[name]
    want = _trace(root, args, tmp_path / "c1")
    got = _trace(_on(root, "duckdb"), args, tmp_path / "c2")
    assert got == want


@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_spark_over_the_lake_answers_byte_for_byte(built, tmp_path):
    if not _java():
        pytest.skip("no Java found (java on PATH or JAVA_HOME): the Spark store is not tested")
    for name, _, args in VARIANTS:  # one Spark session (the process's) serves them all
        root = built[name]
        want = _trace(root, args, tmp_path / "c1")
        got = _trace(_on(root, "spark"), args, tmp_path / "c2")
        assert got == want, name
