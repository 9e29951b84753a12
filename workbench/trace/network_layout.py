"""Where each provider of a network is drawn: layered (calls flow left to right) or by force.

Both work on index arrays, not on networkx objects, so a campaign of 1,000 providers and
5,000 hand-offs lays out in well under a second in the worker that builds the network.
"""
from __future__ import annotations

import numpy as np

ROWS_MAX = 50  # a column taller than this is spread over several staggered sub-columns
BAND = 0.7  # share of the gap between columns the sub-columns of one column may use
SWEEPS = 4  # barycentre passes (down and up the layers) that untangle the rows
FORCE_ITERATIONS = 120


def positions(n: int, edges: np.ndarray, layout: str = "layered", seed: int = 7) -> np.ndarray:
    """Node positions in [0, 1]² for ``n`` nodes and (upstream, downstream) ``edges``."""
    if not n:
        return np.zeros((0, 2))
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    xy = force_layout(n, edges, seed) if layout == "spring" else layered(n, edges)
    span = xy.max(axis=0) - xy.min(axis=0)
    span[span == 0] = 1.0
    scaled: np.ndarray = (xy - xy.min(axis=0)) / span
    return scaled


def depths(n: int, edges: np.ndarray) -> np.ndarray:
    """Hops upstream of a provider that hands calls to nobody (a terminating one); providers
    that reach none of them go one column past the farthest."""
    out = np.full(n, -1, np.int64)
    outdeg = np.bincount(edges[:, 0], minlength=n) if len(edges) else np.zeros(n, np.int64)
    frontier = np.flatnonzero(outdeg == 0)
    if not len(frontier):
        frontier = np.array([0])
    out[frontier] = 0
    level = 0
    while len(frontier):
        level += 1
        ups = edges[np.isin(edges[:, 1], frontier), 0]
        ups = np.unique(ups[out[ups] < 0])
        out[ups] = level
        frontier = ups
    out[out < 0] = out.max(initial=0) + 1
    return out


def layered(n: int, edges: np.ndarray) -> np.ndarray:
    """Columns by depth (origins left, terminating providers right); in each column rows
    ordered by the mean row of the neighbours in other columns, so hand-offs cross less."""
    depth = depths(n, edges)
    rank = np.zeros(n)
    layers = [np.flatnonzero(depth == d) for d in range(int(depth.max()) + 1)]
    layers = [m for m in layers if len(m)]
    u, v = (edges[:, 0], edges[:, 1]) if len(edges) else (np.zeros(0, int), np.zeros(0, int))
    placed = np.zeros(n, bool)
    for sweep in range(SWEEPS):
        order = layers if sweep % 2 == 0 else layers[::-1]
        for members in order:
            bary = _barycentre(members, u, v, rank, placed, n)
            ranked = members[np.lexsort((members, bary))]  # ties: by name (index)
            k = len(ranked)
            rank[ranked] = (np.arange(k) - (k - 1) / 2) / max(k - 1, 1)
            placed[members] = True
    return _spread(depth, rank, layers)


def _spread(depth: np.ndarray, rank: np.ndarray, layers: list[np.ndarray]) -> np.ndarray:
    """x by column, y by rank; a column of more than ``ROWS_MAX`` providers becomes several
    sub-columns side by side (in rank order, row by row), so a campaign of a thousand
    providers uses the width of the view instead of stacking 400 names in one line."""
    x = -depth.astype(float)
    y = rank.copy()
    for members in layers:
        k = len(members)
        cols = -(-k // ROWS_MAX)
        if cols < 2:
            continue
        order = members[np.argsort(rank[members], kind="stable")]
        rows = -(-k // cols)
        j = np.arange(k)
        x[order] += ((j % cols) / (cols - 1) - 0.5) * BAND
        y[order] = ((j // cols) - (rows - 1) / 2) / max(rows - 1, 1) + \
            ((j % cols) % 2) * 0.5 / max(rows - 1, 1)  # stagger, so names fit between rows
    return np.column_stack([x, y])


def _barycentre(members: np.ndarray, u: np.ndarray, v: np.ndarray, rank: np.ndarray,
                placed: np.ndarray, n: int) -> np.ndarray:
    """Mean row of each member's placed neighbours (0 for a member with none)."""
    ends = np.concatenate([u, v])
    other = np.concatenate([v, u])
    use = placed[other] & np.isin(ends, members)
    total = np.bincount(ends[use], weights=rank[other[use]], minlength=n)
    count = np.bincount(ends[use], minlength=n)
    mean = np.divide(total, count, out=np.zeros(n), where=count > 0)
    out: np.ndarray = mean[members]
    return out


def force_layout(n: int, edges: np.ndarray, seed: int = 7,
                 iterations: int = FORCE_ITERATIONS) -> np.ndarray:
    """Fruchterman-Reingold on numpy arrays: linked providers pull together, all repel, so
    the routes of one campaign form a cluster. Started from the layered layout, so the same
    network always lands the same way and origins tend to stay left."""
    if n == 1:
        return np.zeros((1, 2))
    rng = np.random.default_rng(seed)
    start = layered(n, edges)
    start[:, 0] /= max(float(np.ptp(start[:, 0])), 1.0)
    pos = (start + rng.normal(0, 0.02, (n, 2))).astype(np.float32)
    k = np.float32(1.0 / np.sqrt(n))
    u, v = edges[:, 0], edges[:, 1]
    temp = 0.1
    eye = np.eye(n, dtype=bool)
    for _ in range(iterations):
        # repulsion k²/d along each pair: Σ_j w_ij (p_i − p_j) = p_i Σ_j w_ij − (W p)_i
        sq = (pos ** 2).sum(axis=1)
        dist2 = np.maximum(sq[:, None] + sq[None, :] - 2 * (pos @ pos.T), 1e-6)
        w = (k * k) / dist2
        w[eye] = 0
        disp = pos * w.sum(axis=1)[:, None] - w @ pos
        if len(edges):  # attraction d²/k along each hand-off
            d = pos[u] - pos[v]
            pull = d * (np.sqrt((d ** 2).sum(axis=1)) / k)[:, None]
            for axis in (0, 1):
                disp[:, axis] += (np.bincount(v, weights=pull[:, axis], minlength=n)
                                  - np.bincount(u, weights=pull[:, axis], minlength=n))
        length = np.maximum(np.sqrt((disp ** 2).sum(axis=1)), 1e-9)
        pos += (disp * (np.minimum(length, temp) / length)[:, None]).astype(np.float32)
        temp -= 0.1 / (iterations + 1)
    out: np.ndarray = pos.astype(float)
    return out
