"""Canvas items: blocks, ports and edges. Painting and hit-testing only; no editing logic."""

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainterPath, QPainterPathStroker, \
    QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from .. import theme

WIDTH, HEIGHT = 220.0, 76.0
PORT_RADIUS = 5.5
TITLE_LEFT, TITLE_RIGHT, TITLE_GAP = 38, 10, 8  # the name row, right of the icon
MIN_CLASS_WIDTH = 52  # enough for "MaxPool…"
_FONTS = {}


def font(kind: str) -> QFont:
    if kind not in _FONTS:
        f = QFont()
        f.setPointSizeF({"title": 9.5, "body": 8.5, "small": 7.8, "badge": 8.0}[kind])
        f.setBold(kind in ("title", "badge"))
        _FONTS[kind] = f
    return _FONTS[kind]


def title_texts(name: str, class_name: str) -> tuple[str, int, str, int]:
    """The block's name and class as they fit side by side on its title row.

    Returns (name text, its width, class text, its width). Both are whole when they fit.
    Otherwise the class name (the icon and the tooltip tell the class too) gives up its
    space first, down to MIN_CLASS_WIDTH, elided at its end; a name still too long is
    elided in the middle, so that "max_pooling2d" and "max_pooling2d_1" stay told apart.
    """
    title, small = QFontMetrics(font("title")), QFontMetrics(font("small"))
    room = int(WIDTH) - TITLE_LEFT - TITLE_RIGHT - TITLE_GAP
    name_w = title.horizontalAdvance(name) + 1
    class_w = small.horizontalAdvance(class_name) + 1
    if name_w + class_w > room:
        name_w = min(name_w, max(room - class_w, room - MIN_CLASS_WIDTH))
        class_w = room - name_w
    return (title.elidedText(name, Qt.ElideMiddle, name_w), name_w,
            small.elidedText(class_name, Qt.ElideRight, class_w), class_w)


class PortItem(QGraphicsItem):
    """A connection point: `in` on the top edge, `out` on the bottom edge of a block."""

    def __init__(self, node_item, kind: str):
        super().__init__(node_item)
        self.node_item, self.kind = node_item, kind
        self.setPos(WIDTH / 2, 0.0 if kind == "in" else HEIGHT)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CrossCursor)
        self.setZValue(2)
        self._hover = False
        self.setToolTip("Drag to another block's top port to connect" if kind == "out"
                        else "Input: drop a connection here")

    def boundingRect(self):
        r = PORT_RADIUS + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self):
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path

    def hoverEnterEvent(self, event):
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event):
        self._hover = False
        self.update()

    def paint(self, painter, option, widget=None):
        c = theme.colors()
        r = PORT_RADIUS + (1.5 if self._hover else 0)
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(c["node"]), 2))
        painter.setBrush(QColor(c["accent"] if self._hover else c["edge"]))
        painter.drawEllipse(QPointF(0, 0), r, r)


class NodeItem(QGraphicsItem):
    """One block: name, type, key settings, output shape, parameter count, problem badge."""

    def __init__(self, name: str, class_name: str, category: str):
        super().__init__()
        self.problems: list = []
        self.class_name, self.category = class_name, category
        self.name = name  # sets the tooltip too
        self.settings = self.shape_text = self.params_text = ""
        self.is_output = False
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.setZValue(1)
        self.edges: list = []
        self.in_port = None if class_name == "Input" else PortItem(self, "in")
        self.out_port = PortItem(self, "out")

    def set_info(self, settings, shape_text, params_text, problems, is_output) -> None:
        info = (settings, shape_text, params_text, [(p.severity, p.message) for p in problems],
                is_output)
        if info == (self.settings, self.shape_text, self.params_text,
                    [(p.severity, p.message) for p in self.problems], self.is_output):
            return
        self.settings, self.shape_text, self.params_text = settings, shape_text, params_text
        self.problems, self.is_output = list(problems), is_output
        self._update_tooltip()
        self.update()

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        # The title may be elided: the tooltip always holds the whole (current) name.
        self._name = value
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        tip = [f"{self.name} ({self.class_name})"] + [
            ("⚠ " if p.severity == "warning" else "✖ ") + p.message for p in self.problems]
        self.setToolTip("\n".join(tip))

    def boundingRect(self):
        return QRectF(-10, -10, WIDTH + 20, HEIGHT + 26)

    def block_rect(self) -> QRectF:
        return QRectF(0, 0, WIDTH, HEIGHT)

    def shape(self):
        path = QPainterPath()
        path.addRoundedRect(self.block_rect(), 8, 8)
        return path

    def update_edges(self) -> None:
        """Redraws attached edges after a move. (No itemChange override: PySide6 mis-counts
        references to the bool values that pass through it.)"""
        for edge in self.edges:
            edge.update_path()

    def paint(self, painter, option, widget=None):
        c = theme.colors()
        accent = QColor(theme.CATEGORY_COLORS.get(
            "Input" if self.class_name == "Input" else self.category, "#3b82f6"))
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        rect = self.block_rect()
        if option.levelOfDetailFromTransform(painter.worldTransform()) < 0.35:
            painter.setPen(Qt.NoPen)
            painter.setBrush(accent)
            painter.drawRoundedRect(rect, 8, 8)
            return
        selected = self.isSelected()
        painter.setPen(QPen(QColor(c["selection"] if selected else c["node_border"]),
                            2.2 if selected else 1.0))
        painter.setBrush(QColor(c["node"]))
        painter.drawRoundedRect(rect, 8, 8)
        self._paint_stripe(painter, rect, accent)
        self._paint_text(painter, rect, c)
        if self.is_output:
            self._paint_output_tag(painter, c)
        if self.problems:
            self._paint_badge(painter, c)

    def _paint_stripe(self, painter, rect, accent):
        path = QPainterPath()
        path.addRoundedRect(QRectF(rect.left(), rect.top(), 14, rect.height()), 8, 8)
        clip = QPainterPath()
        clip.addRect(QRectF(rect.left(), rect.top(), 6, rect.height()))
        painter.setPen(Qt.NoPen)
        painter.setBrush(accent)
        painter.drawPath(path.intersected(clip))
        icon = theme.icon_for_layer(self.class_name, self.category)
        icon.paint(painter, QRectF(14, 9, 18, 18).toRect())

    def _paint_text(self, painter, rect, c):
        name, name_w, class_text, class_w = title_texts(self.name, self.class_name)
        painter.setPen(QColor(c["text"]))
        painter.setFont(font("title"))
        painter.drawText(QRectF(TITLE_LEFT, 6, name_w, 22), Qt.AlignLeft | Qt.AlignVCenter,
                         name)
        painter.setFont(font("small"))
        painter.setPen(QColor(c["muted"]))
        painter.drawText(QRectF(WIDTH - TITLE_RIGHT - class_w, 6, class_w, 22),
                         Qt.AlignRight | Qt.AlignVCenter, class_text)
        painter.setFont(font("body"))
        painter.setPen(QColor(c["text"]))
        settings = painter.fontMetrics().elidedText(self.settings or "—", Qt.ElideRight,
                                                    int(WIDTH - 14 - 10))
        painter.drawText(QRectF(14, 29, WIDTH - 24, 18), Qt.AlignLeft | Qt.AlignVCenter, settings)
        painter.setFont(font("small"))
        painter.setPen(QColor(c["muted"]))
        painter.drawText(QRectF(14, 50, WIDTH - 24, 18), Qt.AlignLeft | Qt.AlignVCenter,
                         self.shape_text)
        painter.drawText(QRectF(14, 50, WIDTH - 24, 18), Qt.AlignRight | Qt.AlignVCenter,
                         self.params_text)

    def _paint_output_tag(self, painter, c):
        tag = QRectF(WIDTH / 2 + 12, HEIGHT + 3, 48, 14)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(c["accent"]))
        painter.drawRoundedRect(tag, 7, 7)
        painter.setPen(QColor(c["accent_text"]))
        painter.setFont(font("small"))
        painter.drawText(tag, Qt.AlignCenter, "output")

    def _paint_badge(self, painter, c):
        error = any(p.severity == "error" for p in self.problems)
        center = QPointF(WIDTH - 2, 2)
        painter.setPen(QPen(QColor(c["node"]), 2))
        painter.setBrush(QColor(c["error"] if error else c["warning"]))
        painter.drawEllipse(center, 9, 9)
        painter.setPen(QColor("#ffffff"))
        painter.setFont(font("badge"))
        painter.drawText(QRectF(center.x() - 9, center.y() - 9, 18, 18), Qt.AlignCenter,
                         "!" if len(self.problems) == 1 else str(len(self.problems)))


class EdgeItem(QGraphicsPathItem):
    """A connection from a block's output port to another block's input port."""

    def __init__(self, source: NodeItem, target: NodeItem, ref: str | None = None,
                 label: str = ""):
        super().__init__()
        self.source, self.target = source, target
        self.ref = ref or source.name  # the input reference: "lstm", or "lstm:1" (output 1)
        self.label = label  # shown at the source end for outputs after the first
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setZValue(0)
        which = f" ({label})" if label else ""
        self.setToolTip(f"{source.name}{which} → {target.name} (select and press Delete to "
                        "remove)")
        source.edges.append(self)
        target.edges.append(self)
        self.update_path()

    def detach(self):
        for item in (self.source, self.target):
            if self in item.edges:
                item.edges.remove(self)

    def end_points(self):
        start = self.source.pos() + QPointF(WIDTH / 2, HEIGHT)
        siblings = [e for e in self.target.edges if e.target is self.target]
        count, index = len(siblings), siblings.index(self) if self in siblings else 0
        offset = (index - (count - 1) / 2.0) * 16.0
        return start, self.target.pos() + QPointF(WIDTH / 2 + offset, 0)

    def update_path(self):
        self.prepareGeometryChange()
        self.setPath(edge_path(*self.end_points()))

    def shape(self):
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        return stroker.createStroke(self.path())

    def paint(self, painter, option, widget=None):
        c = theme.colors()
        color = QColor(c["selection"] if self.isSelected() else c["edge"])
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        painter.setPen(QPen(color, 2.6 if self.isSelected() else 1.6, Qt.SolidLine, Qt.RoundCap))
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self.path())
        start, end = self.end_points()
        if self.label:
            painter.setFont(font("badge"))
            painter.drawText(start + QPointF(PORT_RADIUS + 3, PORT_RADIUS + 10), self.label)
        painter.setPen(Qt.NoPen)
        painter.setBrush(color)
        painter.drawPolygon(QPolygonF([end + QPointF(0, -PORT_RADIUS - 0.5),
                                       end + QPointF(-4.5, -PORT_RADIUS - 8),
                                       end + QPointF(4.5, -PORT_RADIUS - 8)]))


def edge_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A smooth vertical S-curve from an output port down (or around) to an input port."""
    path = QPainterPath(start)
    bend = max(40.0, abs(end.y() - start.y()) * 0.5)
    path.cubicTo(start + QPointF(0, bend), end - QPointF(0, bend), end - QPointF(0, PORT_RADIUS))
    return path

