"""A plain `pip install .` away from the checkout still has icons, the sample case and the CLI."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_carries_package_data(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git needed to copy the tracked tree")
    src = tmp_path / "src"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, src / f)
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                          "-q", "-w", str(tmp_path / "dist"), str(src)],
                         capture_output=True, text=True)
    if res.returncode != 0 and "No module named" in res.stderr:
        pytest.skip("setuptools/wheel not available offline")
    assert res.returncode == 0, res.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("ui/resources/icons/") for n in names), names[:20]
    assert "workbench/sample_data/auto_warranty_case/case.toml" in names
    assert any(n.startswith("workbench/sample_data/auto_warranty_case/cdrs/") for n in names)
    assert "workbench/generate/__init__.py" in names
    assert "workbench/ingest/formats/switches/__init__.py" in names
    assert not any(n.startswith("tests/") or n == "ui/testing.py" for n in names), \
        "test helpers do not ship in the wheel"
    assert not any(n.endswith("audit.jsonl") for n in names), "a case's audit trail shipped"


# The rest of the suite runs the CLI in process (tests/clirun.py); these two start a real
# interpreter, so the entry points themselves (`python -m workbench`, the `workbench` script)
# and the exit status a shell sees stay covered.


def test_python_dash_m_workbench_runs_the_cli():
    res = subprocess.run([sys.executable, "-m", "workbench", "--version"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    from workbench import __version__
    assert res.stdout.strip() == f"workbench {__version__}"


def test_console_script_exit_status_and_one_line_error(tmp_path):
    exe = shutil.which("workbench", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("the `workbench` script is not installed next to this interpreter")
    res = subprocess.run([exe, "info", str(tmp_path / "no-such-case")], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert res.stderr.startswith("error: ") and len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr
