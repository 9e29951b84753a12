"""The chain drawn as in the workbench: origin on the left, terminating provider on the right.

One layout (boxes coloured by `palette.hop_kind`, each colour paired with its role
label; arrows labelled with the hop's time offset, confidence and ingress) is
rendered three ways: PNG through Pillow, SVG written by hand, and vector shapes
for the PDF report.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator
from xml.sax.saxutils import escape

from workbench.present.chain_layout import ARROW_LEGEND

from .model import PacketView

FONT_FAMILY = "DejaVu Sans, Bitstream Vera Sans, Verdana, Arial, sans-serif"
NAME_SIZE, SMALL_SIZE, TITLE_SIZE = 13, 11, 14
BOX_H, MARGIN, ENDPOINT_FILL = 78, 24, "#ffffff"


@dataclass
class Text:
    text: str
    size: int = SMALL_SIZE
    bold: bool = False


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float
    fill: str
    ink: str
    lines: list[Text]
    dashed: bool = False
    border: str = "#333333"


@dataclass
class Arrow:
    x1: float
    x2: float
    y: float
    above: list[Text] = field(default_factory=list)
    below: list[Text] = field(default_factory=list)
    faint: bool = False


@dataclass
class Layout:
    width: float
    height: float
    title: list[Text]
    boxes: list[Box]
    arrows: list[Arrow]
    legend: list[tuple[str, str]]  # (colour, label)
    legend_y: float = 0.0


@lru_cache(maxsize=16)
def _font(size: int, bold: bool = False):
    import reportlab
    from PIL import ImageFont
    names = (["DejaVuSans-Bold.ttf", "VeraBd.ttf", "Arial Bold.ttf", "arialbd.ttf"] if bold else
             ["DejaVuSans.ttf", "Vera.ttf", "Arial.ttf", "arial.ttf"])
    shipped = Path(reportlab.__file__).parent / "fonts" / ("VeraBd.ttf" if bold else "Vera.ttf")
    for name in [*names, str(shipped)]:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def text_width(t: Text) -> float:
    return float(_font(t.size, t.bold).getlength(t.text))


def _wrap(text: str, size: int, bold: bool, width: float, max_lines: int = 2) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        trial = f"{cur} {w}".strip()
        if text_width(Text(trial, size, bold)) <= width or not cur:
            cur = trial
        else:
            lines.append(cur)
            cur = w
    if cur:
        lines.append(cur)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] += "…"
    out = []
    for ln in lines:  # a single word wider than the box is cut
        while text_width(Text(ln, size, bold)) > width and len(ln) > 2:
            ln = ln[:-2] + "…"
        out.append(ln)
    return out or [""]


def _ink(colour: str) -> str:
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else "#ffffff"


def layout(view: PacketView) -> Layout:
    """Positions, colours and labels of the chain; every renderer draws exactly this."""
    nodes: list[tuple[str, list[Text], bool]] = []  # (fill, lines, dashed)
    tr = view.trace
    first = view.hops[-1] if view.hops else None
    if view.outcome == "origin" and view.origin:
        nodes.append((ENDPOINT_FILL, [Text("Customer", SMALL_SIZE),
                                      Text(str(view.origin.get("customer") or "?"), NAME_SIZE,
                                           True)], False))
    elif view.outcome == "unmapped_ingress" and first is not None:
        nodes.append((ENDPOINT_FILL, [Text("Unmapped ingress", SMALL_SIZE),
                                      Text(str(tr.get("unmapped_ingress") or "?"), NAME_SIZE,
                                           True)], True))
    for hop in reversed(view.hops):
        nodes.append((hop.colour, [Text(hop.provider, NAME_SIZE, True), Text(hop.label),
                                   Text(f"hop {hop.n}")], hop.kind in ("not_found", "no_records")))
    nodes.append((ENDPOINT_FILL, [Text("Called party", SMALL_SIZE),
                                  Text(str(view.call.get("called") or "?"), NAME_SIZE, True)],
                  False))
    # arrows: into each found hop, labelled with that hop's own record
    arrow_labels: list[tuple[list[Text], list[Text], bool]] = []
    ordered = ([None] if len(nodes) - 1 > len(view.hops) else []) + list(reversed(view.hops))
    for i in range(len(nodes) - 1):
        right = ordered[i + 1] if i + 1 < len(ordered) else None
        if right is None:
            delivered = bool(view.hops) and bool(view.hops[0].data.get("found"))
            arrow_labels.append(([Text("delivered" if delivered else "no record")], [],
                                 not delivered))
            continue
        d = right.data
        if not d.get("found"):
            arrow_labels.append(([Text("no record")], [], True))
            continue
        off = d.get("offset_s")
        above = [Text(f"hop {right.n}" + (f" · {round(off, 1) + 0.0:+.1f} s" if off is not None
                                          else "")),
                 Text("conf " + (f"{d['confidence']:.2f}" if d.get("confidence") is not None
                                 else "–"))]
        below = [Text(f"via {d['ingress']}")] if d.get("ingress") else []
        arrow_labels.append((above, below, False))
    # sizes
    box_ws = [min(max(max(text_width(t) for t in lines) + 24, 120.0), 190.0)
              for _, lines, _ in nodes]
    gaps = [max([text_width(t) for t in a + b] + [60.0]) + 28 for a, b, _ in arrow_labels]
    title = [Text(f"Call {view.call.get('calling') or '?'} → {view.call.get('called') or '?'} "
                  f"at {view.call.get('at_utc') or '?'} (UTC)", TITLE_SIZE, True),
             Text(f"Outcome: {view.outcome_words}", SMALL_SIZE),
             Text(ARROW_LEGEND, SMALL_SIZE)]
    y0 = MARGIN + 2 * (TITLE_SIZE + 8) + (SMALL_SIZE + 8) + 40
    x = MARGIN
    boxes: list[Box] = []
    for (fill, lines, dashed), w in zip(nodes, box_ws):
        wrapped: list[Text] = []
        for t in lines:
            wrapped += [Text(s, t.size, t.bold) for s in
                        _wrap(t.text, t.size, t.bold, w - 14, 2 if t.bold else 1)]
        h = max(BOX_H, 16 + sum(t.size + 5 for t in wrapped))
        boxes.append(Box(x, y0, w, h, fill, _ink(fill), wrapped, dashed,
                         border="#333333" if fill != ENDPOINT_FILL else "#666666"))
        x += w
        if len(boxes) <= len(gaps):
            x += gaps[len(boxes) - 1]
    top_h = max(b.h for b in boxes)
    for b in boxes:  # centre vertically on the tallest
        b.y = y0 + (top_h - b.h) / 2
    mid = y0 + top_h / 2
    arrows = [Arrow(boxes[i].x + boxes[i].w, boxes[i + 1].x, mid, a, b, faint)
              for i, (a, b, faint) in enumerate(arrow_labels)]
    legend = list(dict.fromkeys((hop.colour, hop.label) for hop in view.hops))
    width = max(x + MARGIN, max(text_width(t) for t in title) + 2 * MARGIN)
    legend_y = y0 + top_h + 46
    return Layout(width, legend_y + 30, title, boxes, arrows, legend, legend_y)


def _arrow_texts(a: Arrow) -> Iterator[tuple[float, float, Text, str]]:
    """(centre x, top y, text, ink) of an arrow's labels: those above it, then those below."""
    cx = (a.x1 + a.x2) / 2
    y = a.y - 8 - sum(t.size + 3 for t in a.above)
    for t in a.above:
        yield cx, y, t, "#888888" if a.faint else "#111111"
        y += t.size + 3
    y = a.y + 8
    for t in a.below:
        yield cx, y, t, "#444444"
        y += t.size + 3


def _box_texts(b: Box) -> Iterator[tuple[float, float, Text]]:
    """(centre x, top y, text) of a box's lines, centred vertically in the box."""
    y = b.y + (b.h - sum(t.size + 5 for t in b.lines) + 5) / 2
    for t in b.lines:
        yield b.x + b.w / 2, y, t
        y += t.size + 5


def _legend_items(lay: Layout) -> Iterator[tuple[float, str, Text]]:
    """(left x, colour, label) of each legend swatch, left to right."""
    x = MARGIN
    for colour, label in lay.legend:
        t = Text(label, SMALL_SIZE)
        yield x, colour, t
        x += 20 + text_width(t) + 22


# -- PNG --------------------------------------------------------------------------------

def render_png(lay: Layout, scale: float = 2.0) -> bytes:
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (int(lay.width * scale), int(lay.height * scale)), "white")
    d = ImageDraw.Draw(img)

    def font(t: Text):
        return _font(int(round(t.size * scale)), t.bold)

    y = MARGIN
    for t in lay.title:
        d.text((MARGIN * scale, y * scale), t.text, fill="#000000", font=font(t))
        y += t.size + 8
    for a in lay.arrows:
        colour = "#aaaaaa" if a.faint else "#333333"
        d.line([(a.x1 * scale, a.y * scale), ((a.x2 - 9) * scale, a.y * scale)], fill=colour,
               width=int(2 * scale))
        tip = [(a.x2 * scale, a.y * scale), ((a.x2 - 10) * scale, (a.y - 5) * scale),
               ((a.x2 - 10) * scale, (a.y + 5) * scale)]
        d.polygon(tip, fill=colour)
        for cx, y, t, ink in _arrow_texts(a):
            d.text(((cx - text_width(t) / 2) * scale, y * scale), t.text, fill=ink, font=font(t))
    for b in lay.boxes:
        rect = [b.x * scale, b.y * scale, (b.x + b.w) * scale, (b.y + b.h) * scale]
        if b.dashed:
            d.rectangle(rect, fill=b.fill)
            _dashed_rect_png(d, b, scale)
        else:
            d.rounded_rectangle(rect, radius=8 * scale, fill=b.fill, outline=b.border,
                                width=int(2 * scale))
        for cx, y, t in _box_texts(b):
            d.text(((cx - text_width(t) / 2) * scale, y * scale), t.text, fill=b.ink, font=font(t))
    for x, colour, t in _legend_items(lay):
        d.rectangle([x * scale, lay.legend_y * scale, (x + 14) * scale,
                     (lay.legend_y + 14) * scale], fill=colour, outline="#333333")
        d.text(((x + 20) * scale, lay.legend_y * scale), t.text, fill="#000000", font=font(t))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _dashed_rect_png(d, b: Box, scale: float, dash: float = 6.0) -> None:
    """A dashed outline (Pillow draws only solid ones): the stall and unmapped boxes."""
    corners = [(b.x, b.y), (b.x + b.w, b.y), (b.x + b.w, b.y + b.h), (b.x, b.y + b.h)]
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1]):
        length = abs(x1 - x0) + abs(y1 - y0)
        t = 0.0
        while t < length:
            a, e = t / length, min(t + dash, length) / length
            d.line([((x0 + (x1 - x0) * a) * scale, (y0 + (y1 - y0) * a) * scale),
                    ((x0 + (x1 - x0) * e) * scale, (y0 + (y1 - y0) * e) * scale)],
                   fill=b.border, width=int(2 * scale))
            t += 2 * dash


# -- SVG --------------------------------------------------------------------------------

def render_svg(lay: Layout) -> str:
    w, h = lay.width, lay.height
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
           f'viewBox="0 0 {w:.0f} {h:.0f}" font-family="{FONT_FAMILY}">',
           '<title>Traceback chain</title>',
           f'<rect width="{w:.0f}" height="{h:.0f}" fill="#ffffff"/>']
    y = MARGIN
    for t in lay.title:
        out.append(_svg_text(MARGIN, y + t.size, t, "#000000", "start"))
        y += t.size + 8
    for a in lay.arrows:
        colour = "#aaaaaa" if a.faint else "#333333"
        out.append(f'<line x1="{a.x1:.1f}" y1="{a.y:.1f}" x2="{a.x2 - 9:.1f}" y2="{a.y:.1f}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<polygon points="{a.x2:.1f},{a.y:.1f} {a.x2 - 10:.1f},{a.y - 5:.1f} '
                   f'{a.x2 - 10:.1f},{a.y + 5:.1f}" fill="{colour}"/>')
        out += [_svg_text(cx, y + t.size, t, ink) for cx, y, t, ink in _arrow_texts(a)]
    for b in lay.boxes:
        dash = ' stroke-dasharray="6 6"' if b.dashed else ' rx="8"'
        out.append(f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" '
                   f'fill="{b.fill}" stroke="{b.border}" stroke-width="2"{dash}/>')
        out += [_svg_text(cx, y + t.size - 2, t, b.ink) for cx, y, t in _box_texts(b)]
    for x, colour, t in _legend_items(lay):
        out.append(f'<rect x="{x}" y="{lay.legend_y:.1f}" width="14" height="14" '
                   f'fill="{colour}" stroke="#333333"/>')
        out.append(_svg_text(x + 20, lay.legend_y + 12, t, "#000000", "start"))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _svg_text(x: float, y: float, t: Text, fill: str, anchor: str = "middle") -> str:
    weight = ' font-weight="bold"' if t.bold else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{t.size}" fill="{fill}" '
            f'text-anchor="{anchor}"{weight}>{escape(t.text)}</text>')


# -- PDF (reportlab vector shapes) ---------------------------------------------------------

def render_drawing(lay: Layout, max_width: float):
    """A reportlab Drawing of the layout scaled to fit `max_width` points."""
    from reportlab.graphics.shapes import Drawing, Group, Line, Polygon, Rect, String
    from reportlab.lib.colors import HexColor
    s = min(1.0, max_width / lay.width)
    H = lay.height
    g = Group()

    def txt(x, y, t: Text, fill, anchor="middle"):
        g.add(String(x, H - y, t.text, fontName="Helvetica-Bold" if t.bold else "Helvetica",
                     fontSize=t.size, fillColor=HexColor(fill), textAnchor=anchor))

    for a in lay.arrows:
        colour = HexColor("#aaaaaa" if a.faint else "#333333")
        g.add(Line(a.x1, H - a.y, a.x2 - 9, H - a.y, strokeColor=colour, strokeWidth=2))
        g.add(Polygon([a.x2, H - a.y, a.x2 - 10, H - a.y + 5, a.x2 - 10, H - a.y - 5],
                      fillColor=colour, strokeColor=colour, strokeWidth=0))
        for cx, y, t, ink in _arrow_texts(a):
            txt(cx, y + t.size, t, ink)
    for b in lay.boxes:
        r = 0 if b.dashed else 8
        g.add(Rect(b.x, H - b.y - b.h, b.w, b.h, rx=r, ry=r, fillColor=HexColor(b.fill),
                   strokeColor=HexColor(b.border), strokeWidth=1.5,
                   strokeDashArray=[5, 4] if b.dashed else None))
        for cx, y, t in _box_texts(b):
            txt(cx, y + t.size - 2, t, b.ink)
    for x, colour, t in _legend_items(lay):
        g.add(Rect(x, H - lay.legend_y - 14, 14, 14, fillColor=HexColor(colour),
                   strokeColor=HexColor("#333333"), strokeWidth=0.5))
        txt(x + 20, lay.legend_y + 12, t, "#000000", "start")
    # the title is the report's own heading; skip it here and lift the drawing up
    top = lay.boxes[0].y - 40 if lay.boxes else 0
    g.scale(s, s)
    d = Drawing(lay.width * s, (H - top) * s)
    d.add(g)
    return d
