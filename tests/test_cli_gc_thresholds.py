"""The CLI runs a command with fewer collector passes (``main.GC_THRESHOLDS``) and gives a
caller's own settings back, also when the command fails."""
from __future__ import annotations

import gc

import pytest

from workbench.cli import main as cli


@pytest.mark.parametrize("fail", [False, True])
def test_thresholds_while_a_command_runs_then_restored(monkeypatch, fail):
    seen = []

    def command(argv):
        seen.append(gc.get_threshold())
        if fail:
            raise RuntimeError("boom")
        return 0

    monkeypatch.setattr(cli, "_main", command)
    before = gc.get_threshold()
    if fail:
        with pytest.raises(RuntimeError):
            cli.main(["formats"])
    else:
        assert cli.main(["formats"]) == 0
    assert seen == [cli.GC_THRESHOLDS]
    assert gc.get_threshold() == before
