"""Network view at campaign size: build stall, pan and zoom frame rates, screenshots.

A generated network (``workbench.generate.provider_network``: 1,000 providers, 5,000
hand-offs by default) is built in a worker through the GUI's task runner while a 10 ms
timer on the GUI thread records the longest stall; then the view is panned and zoomed one
step per frame, each frame rendered to an image (offscreen). Run:

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_network.py [--providers N]
        [--handoffs M] [--layout layered|spring] [--frames F] [--shots DIR]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ui.graph.network_view import NetworkView  # noqa: E402
from ui.worker import TaskRunner  # noqa: E402
from workbench.generate.provider_network import generate_network  # noqa: E402


def _build(providers: int, handoffs: int, layout: str, *, progress, should_stop):
    progress(0.1, "generating")
    return generate_network(providers, handoffs).network(layout)


class StallMeter:
    """The longest gap between ticks of a 10 ms GUI-thread timer."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.worst = 0.0
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        self.worst = max(self.worst, self.clock.restart() / 1000.0)

    def stop(self) -> float:
        self.timer.stop()
        self._tick()
        return self.worst


def build_and_show(app: QApplication, view: NetworkView, args) -> tuple[float, float]:
    """(seconds to build and draw, longest GUI stall in seconds)."""
    runner = TaskRunner()
    meter = StallMeter()
    done: list = []
    t0 = time.perf_counter()
    meter.start()
    runner.run("network", _build, args.providers, args.handoffs, args.layout,
               on_done=lambda net: (view.show_network(net, set()), done.append(net)))
    while not done:
        app.processEvents()
        time.sleep(0.001)
    print(f"  (longest stall while the worker built: {meter.worst * 1000:.0f} ms)")
    for _ in range(5):  # the relabel after the first draw
        app.processEvents()
        time.sleep(0.012)
    total = time.perf_counter() - t0
    worst = meter.stop()
    runner.shutdown()
    return total, worst


def render(view: NetworkView, image: QImage) -> None:
    """Paint the canvas as the screen would show it."""
    painter = QPainter(image)
    view.canvas.render(painter)
    painter.end()


def frames(app: QApplication, view: NetworkView, step, n: int) -> float:
    """Frames per second over ``n`` steps, each processed (relabel included) and rendered."""
    image = QImage(view.canvas.size(), QImage.Format.Format_ARGB32_Premultiplied)
    t0 = time.perf_counter()
    for k in range(n):
        step(k)
        app.processEvents()
        render(view, image)
    return n / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--providers", type=int, default=1000)
    p.add_argument("--handoffs", type=int, default=5000)
    p.add_argument("--layout", default="layered", choices=("layered", "spring"))
    p.add_argument("--frames", type=int, default=120)
    p.add_argument("--shots", type=Path, default=Path("/tmp"))
    args = p.parse_args()
    app = QApplication.instance() or QApplication([])
    view = NetworkView()
    view.resize(1400, 900)
    view.show()
    app.processEvents()
    total, stall = build_and_show(app, view, args)
    net = view.net
    print(f"network: {len(net.names)} providers, {len(net.edges)} hand-offs, "
          f"layout {args.layout}")
    print(f"build + draw: {total:.2f} s, longest GUI stall {stall * 1000:.0f} ms")
    vb = view.canvas.vb
    shot = args.shots / "network_overview.png"
    view.grab().save(str(shot))
    half = args.frames // 2

    def pan(k: int) -> None:
        dx = 0.01 if (k // 20) % 2 == 0 else -0.01
        vb.translateBy(x=dx, y=dx / 2)

    def zoom(k: int) -> None:
        f = 0.96 if k < half else 1 / 0.96
        vb.scaleBy((f, f))

    view.canvas.viewport().setUpdatesEnabled(False)  # each frame is painted once, by render()
    view.fit()
    app.processEvents()
    fps_pan = frames(app, view, pan, args.frames)
    view.fit()
    app.processEvents()
    fps_zoom = frames(app, view, zoom, args.frames)
    vb.scaleBy((0.2, 0.2))
    view._auto_fit = False
    app.processEvents()
    fps_pan_zoomed = frames(app, view, pan, args.frames)
    view.canvas.viewport().setUpdatesEnabled(True)
    view.canvas.vb.setRange(xRange=(0.35, 0.6), yRange=(0.4, 0.6), padding=0)
    for _ in range(3):
        app.processEvents()
        time.sleep(0.15)  # the lines are redrawn sharp once the view rests
    zoomed = args.shots / "network_zoomed.png"
    view.grab().save(str(zoomed))
    print(f"pan (overview): {fps_pan:.1f} fps; zoom in/out: {fps_zoom:.1f} fps; "
          f"pan (zoomed ×5): {fps_pan_zoomed:.1f} fps  "
          f"[canvas {view.canvas.width()}×{view.canvas.height()}, each frame rendered; "
          f"lines redrawn {view.edge_layer.renders}×]")
    print(f"screenshots: {shot} {zoomed}")


if __name__ == "__main__":
    main()
