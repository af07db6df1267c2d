"""The note's pictograms, drawn as vectors in code (reportlab graphics).

Each pictogram is a function that returns a :class:`reportlab.graphics.shapes.Group` in a
100 x 100 unit box (origin bottom left). The shapes are few and heavy: thick strokes with
round ends, filled heads, black on white, so that each reads at arm's length in poor light
and survives a cheap printer. :func:`drawing` scales one to a size in points;
:func:`draw` places it on a canvas.

=====================  ==========================================================
name                   shows
=====================  ==========================================================
``arms_up``            a standing figure with both arms raised straight up
``arms_out``           the same figure with both arms out to the sides
``drone_rise_descend`` a drone with a double arrow: it rises and descends
``follow_drone``       a walking figure following a drone
``sit_wait``           a figure sitting on the ground, and a clock: wait
``lie_face_down``      a figure lying face down, arms forward, hands visible
``weapon_down``        a rifle laid on the ground, an arrow pointing down to it
=====================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Callable

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, Rect, Shape
from reportlab.lib.colors import black, white
from reportlab.pdfgen.canvas import Canvas

from safeconduct.adapters.pdf.fonts import SANS, register_fonts

INK = black
PAPER = white
#: Stroke width of limbs, in the 100-unit box.
LIMB = 9.0
#: Stroke width of secondary lines (arrows, ground, drone arms).
THIN = 5.5


def _line(x1: float, y1: float, x2: float, y2: float, width: float = LIMB) -> Line:
    return Line(
        x1, y1, x2, y2, strokeColor=INK, strokeWidth=width, strokeLineCap=1, strokeLineJoin=1
    )


def _dot(cx: float, cy: float, r: float) -> Circle:
    return Circle(cx, cy, r, fillColor=INK, strokeColor=None)


def _ground(y: float = 4.0, x1: float = 2.0, x2: float = 98.0) -> Line:
    return _line(x1, y, x2, y, THIN)


def _arrow(x1: float, y1: float, x2: float, y2: float, *, both: bool = False) -> list[Shape]:
    """A thick arrow from (x1, y1) to (x2, y2); ``both`` puts a head on each end."""
    import math

    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    head, half = 14.0, 8.5

    def tip(tx: float, ty: float, dx: float, dy: float) -> Polygon:
        bx, by = tx - dx * head, ty - dy * head
        return Polygon(
            points=[tx, ty, bx - dy * half, by + dx * half, bx + dy * half, by - dx * half],
            fillColor=INK,
            strokeColor=INK,
            strokeWidth=1.5,
            strokeLineJoin=1,
        )

    start_x, start_y = (x1 + ux * head * 0.8, y1 + uy * head * 0.8) if both else (x1, y1)
    shaft = _line(start_x, start_y, x2 - ux * head * 0.8, y2 - uy * head * 0.8, THIN + 1)
    shapes: list[Shape] = [shaft, tip(x2, y2, ux, uy)]
    if both:
        shapes.append(tip(x1, y1, -ux, -uy))
    return shapes


def _standing(arms: str) -> list[Shape]:
    """A figure seen from the front; ``arms`` is ``"up"`` or ``"out"``."""
    shapes: list[Shape] = [
        _line(50, 60, 50, 34),  # torso
        _line(50, 34, 39, 5),  # legs
        _line(50, 34, 61, 5),
        _dot(50, 74, 9.5),  # head
    ]
    if arms == "up":
        shapes += [
            _line(37, 60, 63, 60),  # shoulders
            _line(37, 60, 31, 95),
            _line(63, 60, 69, 95),
        ]
    else:
        shapes += [_line(6, 60, 94, 60)]
    return shapes


def arms_up() -> Group:
    """A standing figure with both arms raised straight up."""
    return Group(*_standing("up"))


def arms_out() -> Group:
    """A standing figure with both arms out to the sides."""
    return Group(*_standing("out"))


def _drone(cx: float, cy: float, scale: float = 1.0) -> Group:
    """A quadcopter seen from the side, centred on (cx, cy), 80 units wide at scale 1."""
    s = scale
    shapes: list[Shape] = [
        Rect(-16, -7, 32, 14, rx=5, ry=5, fillColor=INK, strokeColor=None),  # body
        _line(-38, 3, 38, 3, THIN + 1),  # arms
        _line(-32, 3, -32, 11, THIN),  # rotor masts
        _line(32, 3, 32, 11, THIN),
        _line(-44, 12, -20, 12, THIN + 1),  # rotors
        _line(20, 12, 44, 12, THIN + 1),
        _dot(0, -10, 5),  # camera
        _line(-10, -7, -15, -17, 4),  # skids
        _line(10, -7, 15, -17, 4),
    ]
    group = Group(*shapes)
    group.transform = (s, 0, 0, s, cx, cy)
    return group


def drone_rise_descend() -> Group:
    """A drone and a double arrow: the drone rises and descends, "seen, understood"."""
    return Group(_drone(40, 50, 0.88), *_arrow(88, 8, 88, 92, both=True))


def follow_drone() -> Group:
    """A walking figure following a drone that flies ahead."""
    walker: list[Shape] = [
        _line(22, 56, 19, 30),  # torso, leaning into the walk
        _line(19, 30, 8, 5),  # back leg
        _line(19, 30, 32, 6),  # front leg
        _line(22, 52, 10, 36),  # back arm
        _line(22, 52, 36, 40),  # front arm
        _dot(24, 69, 9),  # head
    ]
    return Group(*walker, _drone(70, 78, 0.62), *_arrow(46, 34, 94, 34))


def sit_wait() -> Group:
    """A figure sitting on the ground, legs out in front, and a clock: wait here."""
    sitter: list[Shape] = [
        _ground(4, 2, 72),
        _line(20, 13, 22, 46),  # back, upright
        _line(20, 13, 42, 20),  # thigh, knee slightly up
        _line(42, 20, 62, 12),  # shin down to the foot
        _line(22, 42, 38, 24),  # arm resting on the knee
        _dot(23, 59, 9.5),  # head
    ]
    clock: list[Shape] = [
        Circle(76, 74, 18, fillColor=PAPER, strokeColor=INK, strokeWidth=THIN + 0.5),
        _line(76, 74, 76, 86, 5),
        _line(76, 74, 86, 74, 5),
    ]
    return Group(*sitter, *clock)


def lie_face_down() -> Group:
    """A figure lying face down, arms stretched forward, hands open and visible."""
    shapes: list[Shape] = [
        _ground(4),
        _line(38, 14, 70, 14),  # torso
        _line(70, 14, 96, 11),  # legs
        _line(38, 18, 16, 36),  # arm forward, above the head
        _dot(27, 13, 8),  # head, face to the ground
    ]
    # an open hand: palm and four spread fingers
    shapes.append(_dot(13, 39, 6))
    for fx, fy in ((3, 44), (5, 51), (12, 54), (19, 51)):
        shapes.append(_line(13, 39, fx, fy, 3.5))
    return Group(*shapes)


def weapon_down() -> Group:
    """A rifle laid on the ground and an arrow pointing down to it: put it down."""
    rifle: list[Shape] = [
        Polygon(points=[4, 10, 4, 24, 28, 22, 28, 13], fillColor=INK, strokeColor=None),  # stock
        Rect(27, 11, 34, 12, fillColor=INK, strokeColor=None),  # receiver
        Rect(60, 15, 36, 5, fillColor=INK, strokeColor=None),  # barrel
        Polygon(points=[40, 11, 48, 11, 44, 6, 37, 6], fillColor=INK, strokeColor=None),  # grip
    ]
    return Group(_ground(4), *rifle, *_arrow(50, 92, 50, 34))


PICTOGRAMS: dict[str, Callable[[], Group]] = {
    "arms_up": arms_up,
    "arms_out": arms_out,
    "drone_rise_descend": drone_rise_descend,
    "follow_drone": follow_drone,
    "sit_wait": sit_wait,
    "lie_face_down": lie_face_down,
    "weapon_down": weapon_down,
}


def then_arrow() -> Group:
    """The small arrow between two pictograms of one step ("then")."""
    return Group(
        _line(8, 50, 55, 50, 20),
        Polygon(points=[96, 50, 50, 80, 50, 20], fillColor=INK, strokeColor=None),
    )


def drawing(name: str, size: float) -> Drawing:
    """Pictogram ``name`` as a ``size`` x ``size`` point drawing."""
    try:
        make = PICTOGRAMS[name] if name != "then" else then_arrow
    except KeyError:
        raise ValueError(f"no pictogram {name!r}; known: {', '.join(PICTOGRAMS)}") from None
    group = make()
    k = size / 100.0
    group.transform = (k, 0, 0, k, 0, 0)
    # No text here; still name the note's own font, or reportlab selects Helvetica (a
    # standard font that is not embedded) as it starts drawing.
    d = Drawing(size, size, initialFontName=SANS, initialFontSize=10)
    d.add(group)
    return d


def draw(canvas: Canvas, name: str, x: float, y: float, size: float) -> None:
    """Draw pictogram ``name`` with its lower left corner at (x, y), ``size`` points square."""
    register_fonts()
    renderPDF.draw(drawing(name, size), canvas, x, y, showBoundary=False)
