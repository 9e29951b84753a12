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
