"""Evidence subcommands (export, verify, audit, reply); filled in by the evidence packet work."""
from __future__ import annotations


def add_commands(sub) -> None:
    """Register evidence subcommands on the `workbench` parser (none yet)."""
