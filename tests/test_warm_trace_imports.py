"""A warm `workbench trace` (its sources cached) imports nothing heavy it does not need.

Importing pandas costs ~0.17 s, half of a warm trace's whole process: pyarrow imports it on
its first conversion (``pa.array``, ``to_numpy``, a Python value given to a kernel), which
the warm path avoids through ``columns.arrow_numpy``. The case is traced once cold (which
builds the cache) and then in fresh interpreters, whose modules are checked.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.clirun import run_cli
from tests.conftest import SAMPLE

#: modules the trace path never needs: dataframes, graphs, spreadsheets, PDFs, SQL engines,
#: Parquet, and the format profiles other than the case's own
HEAVY = ("pandas", "networkx", "openpyxl", "reportlab", "duckdb", "pyspark", "PIL", "polars",
         "pyarrow.parquet", "pyarrow.dataset", "workbench.ingest.formats.switches")

_RUN = textwrap.dedent("""
    import contextlib, io, json, sys
    from workbench.cli.main import main
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(sys.argv[1:])
    print(json.dumps({"rc": rc, "out": out.getvalue(), "modules": sorted(sys.modules)}))
""")

CALLS = {
    "call": ["--calling", "(312) 555-0143", "--called", "773-555-0188",
             "--at", "2026-03-07T20:02:11Z"],
    "call_json": ["--calling", "+13125550143", "--called", "+17735550188",
                  "--at", "2026-03-07T14:02:11-06:00", "--json"],
    "traceback": ["--traceback", "TB-26-0101"],
    "traceback_json": ["--traceback", "TB-26-0101", "--json"],
}


def _trace(case: Path, cache: Path, args: list[str]) -> dict:
    """`workbench trace CASE ARGS` in a fresh interpreter: exit status, output, modules."""
    env = {**os.environ, "WORKBENCH_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", _RUN, "trace", str(case), *args],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    result: dict = json.loads(done.stdout)
    assert result["rc"] == 0, done.stderr
    return result


@pytest.fixture(scope="module")
def warm_case(tmp_path_factory) -> tuple[Path, Path]:
    """The sample case copied, its sources cached by one cold trace (which, parsing the
    files and estimating skew, does import pandas: the check can see an import)."""
    root = tmp_path_factory.mktemp("warm")
    case, cache = root / "case", root / "cache"
    if (SAMPLE / "case.toml").exists():
        shutil.copytree(SAMPLE, case, ignore=shutil.ignore_patterns("audit.jsonl"))
    else:
        from workbench.generate import generate_case
        generate_case(case, rows=5000, seed=7)
    cold = _trace(case, cache, CALLS["traceback"])
    assert "pandas" in cold["modules"]
    return case, cache


@pytest.mark.parametrize("name", list(CALLS))
def test_warm_trace_imports_nothing_heavy(warm_case, name):
    case, cache = warm_case
    warm = _trace(case, cache, CALLS[name])
    loaded = [m for m in HEAVY if m in warm["modules"]]
    assert loaded == [], f"a warm trace imported {loaded}"
    # the same answer as the trace run in this process
    assert warm["out"] == run_cli("trace", str(case), *CALLS[name]).stdout


def test_region_codes_are_phonenumbers_own():
    """case.toml's default_country is checked against a copy of phonenumbers' regions (its
    import is ~20 ms of every command): the copy must still be the installed set."""
    import phonenumbers

    from workbench.columns.regions import REGIONS
    assert REGIONS == phonenumbers.SUPPORTED_REGIONS


def test_a_warm_batch_imports_nothing_heavy(warm_case, tmp_path):
    """`trace --batch` of the case's records to JSON lines: targets normalized as columns
    through Arrow buffers, never pa.array (which would import pandas)."""
    case, cache = warm_case
    out = tmp_path / "results.jsonl"
    warm = _trace(case, cache, ["--batch", str(case / "tracebacks.csv"), "--out", str(out)])
    loaded = [m for m in HEAVY if m in warm["modules"]]
    assert loaded == [], f"a warm batch imported {loaded}"
    lines = out.read_text().splitlines()
    assert lines and all(json.loads(x)["call"]["called"] for x in lines)
