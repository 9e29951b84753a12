"""`workbench analyze`: registered here, built in its own module (see add_command)."""
from __future__ import annotations

import argparse


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the `analyze` sub-command (its body lands with issue 12)."""
