"""When the compiled byte loops (numba) are worth loading.

Importing numba and loading a reader's cached machine code costs ~0.3-0.5 s of CPU once a
process; below a size the numpy passes or the exact reader are cheaper. Once numba is loaded
(any large file read earlier), every size takes the compiled way. Both ways give the same
results: the choice is about cost only.
"""
from __future__ import annotations

import sys


def worth_compiling(size: int, threshold: int) -> bool:
    """Whether input of ``size`` (rows or bytes, as ``threshold`` counts them) takes the
    compiled loops."""
    return size >= threshold or "numba" in sys.modules
