"""A clock skew of whole hours is said to be a wrong zone, with the zone that fits, wherever
the skew is shown: `workbench info` (text and JSON) and the Case dock."""
from __future__ import annotations

import json
import re

from tests.clirun import run_cli


def _midway_read_as_utc(case_dir) -> None:
    toml = case_dir / "case.toml"
    text = toml.read_text()
    new = re.sub(r'(path = "cdrs/midway.txt"\nformat = "generic"\n)timezone = "America/Chicago"',
                 r'\1timezone = "UTC"', text)
    assert new != text
    toml.write_text(new)


def test_info_names_the_zone_that_fits_a_whole_hour_skew(sample_copy):
    r = run_cli("info", sample_copy)
    assert r.returncode == 0 and "wrong zone?" not in r.stdout  # the sample as shipped
    _midway_read_as_utc(sample_copy)
    r = run_cli("info", sample_copy)
    assert r.returncode == 0, r.stderr
    block = r.stdout.split("Midway Transit — ")[1].split("\n\n")[0]
    warning = next(ln for ln in block.splitlines() if "wrong zone?" in ln)
    # the skew alone (−5 h in March) would fit New York too: the shared calls across the
    # DST change settle Chicago
    assert "America/Chicago" in warning and "America/New_York" not in warning
    got = json.loads(run_cli("info", sample_copy, "--json").stdout)
    midway = next(s for s in got["sources"] if s["provider"] == "Midway Transit")
    assert "America/Chicago" in midway["zone_warning"]
    assert all("zone_warning" not in s for s in got["sources"] if s is not midway)


def test_the_case_dock_marks_the_skew_and_explains_it(qtbot, window, sample_copy):
    from PySide6.QtCore import Qt

    from tests.qt_fixtures import open_case, wait_idle
    from ui.docks.case_dock import SKEW_COL
    _midway_read_as_utc(sample_copy)
    with qtbot.waitSignal(window.session.sig_zone_warnings, timeout=60_000):
        open_case(qtbot, window, sample_copy)
    wait_idle(qtbot, window)
    dock = window.case_dock
    model = dock.sources
    row = next(i for i in range(model.rowCount()) if model.cell(i, 0) == "Midway Transit")
    assert model.cell(row, SKEW_COL).startswith("⚠ wrong zone?")
    tip = model.data(model.index(row, SKEW_COL), Qt.ItemDataRole.ToolTipRole)
    assert "America/Chicago" in tip
    others = [i for i in range(model.rowCount()) if i != row]
    assert not any(model.cell(i, SKEW_COL).startswith("⚠") for i in others)
