"""Which provider names a network drawing shows: the important ones first, never overlapping.

What i2 Analyst's Notebook and Maltego users expect at campaign size: at overview only the
names that matter (most tracebacks, choke points, repeat upstreams, the selection), more as
the view zooms in, and never two names on top of each other. Pure arrays in, indices out,
so the view recomputes it after each pan or zoom in a few milliseconds.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from workbench.trace.network import ProviderNetwork

PAD_PX = 4.0  # clear space around a name
AREA_PER_LABEL = 16_000.0  # px² of view per name shown: about 40 names on a 1,000 × 640 view
MIN_LABELS = 12
CELL_PX = 64.0  # grid cell used to find neighbouring names quickly
MUST = 1e9  # priority of names that are always shown (selection, search hits)


def label_priority(net: ProviderNetwork, must: Iterable[int] = ()) -> np.ndarray:
    """A score per provider: appearances first, raised for choke points, repeat upstreams and
    providers whose CDRs are in the case; ``must`` (selected, found) above everything."""
    a = net.appearances.astype(float)
    score = a / max(float(a.max(initial=0.0)), 1.0)
    score = score + 0.5 * net.choke + 0.25 * net.repeat_upstream + 0.1 * net.has_records
    for i in must:
        score[i] = MUST
    out: np.ndarray = score
    return out


def label_budget(view_w: float, view_h: float) -> int:
    """How many names a view of this size shows at most, so the picture stays calm."""
    return max(MIN_LABELS, int(view_w * view_h / AREA_PER_LABEL))


def place_labels(xy: np.ndarray, radius: np.ndarray, size: np.ndarray, priority: np.ndarray,
                 view: tuple[float, float], budget: int | None = None) -> np.ndarray:
    """Indices of the names to draw, most important first.

    ``xy`` node centres in view pixels (y down), ``radius`` node radii, ``size`` (width,
    height) of each name in pixels; a name sits centred under its node. A name is shown
    when its node is in ``view`` (width, height) and its box, padded, overlaps no box of a
    more important name already placed; at most ``budget`` names (``label_budget``)."""
    w, h = view
    limit = label_budget(w, h) if budget is None else budget
    inside = (xy[:, 0] >= 0) & (xy[:, 0] <= w) & (xy[:, 1] >= 0) & (xy[:, 1] <= h)
    cand = np.flatnonzero(inside)
    cand = cand[np.argsort(-priority[cand], kind="stable")]
    left = xy[:, 0] - size[:, 0] / 2 - PAD_PX
    top = xy[:, 1] + radius + 2 - PAD_PX
    right = left + size[:, 0] + 2 * PAD_PX
    bottom = top + size[:, 1] + 2 * PAD_PX
    grid: dict[tuple[int, int], list[int]] = {}
    shown: list[int] = []
    for i in cand[: limit * 8].tolist():  # past that, the view is full anyway
        if len(shown) >= limit and priority[i] < MUST:
            break
        cells = [(cx, cy) for cx in range(int(left[i] // CELL_PX), int(right[i] // CELL_PX) + 1)
                 for cy in range(int(top[i] // CELL_PX), int(bottom[i] // CELL_PX) + 1)]
        if any(left[i] < right[j] and left[j] < right[i] and top[i] < bottom[j]
               and top[j] < bottom[i] for c in cells for j in grid.get(c, ())):
            continue
        shown.append(i)
        for c in cells:
            grid.setdefault(c, []).append(i)
    return np.array(shown, dtype=np.int64)
