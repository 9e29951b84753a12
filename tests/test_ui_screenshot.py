"""`workbench-gui CASE --screenshot PATH --trace-first` renders 1600×1000 offscreen and exits."""
from __future__ import annotations

import os
import struct
import subprocess
import sys

import pytest

pytestmark = pytest.mark.gui


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _shoot(case, out, *extra) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "ui", str(case), "--screenshot", str(out),
                           "--trace-first", *extra], capture_output=True, text=True, env=env,
                          timeout=180)


def test_screenshot_of_the_sample_case(sample_copy, tmp_path):
    out = tmp_path / "sample.png"
    res = _shoot(sample_copy, out)
    assert res.returncode == 0, res.stderr
    assert _png_size(out) == (1600, 1000)
    assert out.stat().st_size > 50_000  # a real window, not a blank image


def test_screenshot_of_an_unfamiliar_case_at_1366(chain_case, tmp_path):
    out = tmp_path / "chain.png"
    res = _shoot(chain_case[0], out, "--size", "1366x768", "--view", "network")
    assert res.returncode == 0, res.stderr
    assert _png_size(out) == (1366, 768)


def test_screenshot_reports_a_broken_case_in_words(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "case.toml").write_text("[case\n")
    res = _shoot(bad, tmp_path / "x.png")
    assert res.returncode == 2
    assert "not valid TOML" in res.stderr and "Traceback (most recent" not in res.stderr
