"""GraphView: zoom (wheel, keys), pan (middle button or Space + drag), rubber-band selection,
fit-to-view, a transient notice line and an overview map for large graphs."""

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGraphicsView, QLabel

from .. import theme

MIN_ZOOM, MAX_ZOOM = 0.1, 3.0


class GraphView(QGraphicsView):
    """The canvas widget (`modelCanvas`)."""

    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.minimap = None
        self.setObjectName("modelCanvas")
        self.setAccessibleName("Model canvas")
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setSceneRect(QRectF(-5000, -5000, 10000, 10000))
        self._pan_start = None
        self._space = False
        self._notice = QLabel(self)
        self._notice.setObjectName("canvasNotice")
        self._notice.setProperty("role", "warning")
        self._notice.hide()
        self._notice_timer = QTimer(self, singleShot=True, interval=4000,
                                    timeout=self._notice.hide)
        self.minimap = Minimap(self)

    # ----- zoom -----------------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        factor = target / self.zoom()
        self.scale(factor, factor)
        self.minimap.refresh()

    def zoom_in(self):
        self.zoom_by(1.25)

    def zoom_out(self):
        self.zoom_by(0.8)

    def fit(self) -> None:
        """Fits every block in view (never zooming in past 100 %)."""
        rect = self.scene().itemsBoundingRect()
        if rect.isEmpty():
            self.resetTransform()
            self.centerOn(0, 0)
            return
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.KeepAspectRatio)
        if self.zoom() > 1.0:
            self.resetTransform()
            self.centerOn(rect.center())
        self.minimap.refresh()

    def wheelEvent(self, event):
        if event.modifiers() & Qt.ShiftModifier:
            super().wheelEvent(event)
            return
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.15 ** steps)

    # ----- pan --------------------------------------------------------------------------------------
    def keyPressEvent(self, event):
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.OpenHandCursor)
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event):
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event):
        if event.button() == Qt.MiddleButton or (self._space and event.button() == Qt.LeftButton):
            self._pan_start = event.position()
            self.viewport().setCursor(Qt.ClosedHandCursor)
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event):
        if self._pan_start is not None:
            delta = event.position() - self._pan_start
            self._pan_start = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            self.minimap.refresh()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event):
        if self._pan_start is not None:
            self._pan_start = None
            self.viewport().unsetCursor()
            return
        super().mouseReleaseEvent(event)

    def scrollContentsBy(self, dx, dy):
        super().scrollContentsBy(dx, dy)
        if self.minimap is not None:
            self.minimap.refresh()

    # ----- overlays ----------------------------------------------------------------------------------
    def show_notice(self, text: str) -> None:
        """A short message at the top of the canvas (e.g. why a connection was refused)."""
        if not text:
            return
        self._notice.setText(text)
        self._notice.adjustSize()
        self._notice.move(12, 10)
        self._notice.show()
        self._notice_timer.start()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if self.minimap is not None:
            self.minimap.place()


class Minimap(QGraphicsView):
    """An overview of the whole graph with the visible area outlined; click to go there."""

    SIZE = (180, 130)

    def __init__(self, main: GraphView):
        super().__init__(main.scene(), main)
        self.main = main
        self.setObjectName("canvasMinimap")
        self.setInteractive(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFixedSize(*self.SIZE)
        self.setFrameShape(QFrame.Box)
        self._timer = QTimer(self, singleShot=True, interval=60, timeout=self._update_now)
        main.scene().changed.connect(self.refresh)
        self.hide()

    def place(self):
        """Bottom right of the viewport (which a band above it, such as the training note's,
        moves down inside the view)."""
        viewport = self.main.viewport().geometry()
        self.move(viewport.right() + 1 - self.SIZE[0] - 12,
                  viewport.bottom() + 1 - self.SIZE[1] - 12)

    def _has_room(self) -> bool:
        """Whether the viewport is large enough that the map leaves most of it in view
        (in a canvas barely wider than the map, it would hide the blocks it maps)."""
        viewport = self.main.viewport()
        return viewport.width() >= 2 * self.SIZE[0] and viewport.height() >= 2 * self.SIZE[1]

    def refresh(self, *args):
        self._timer.start()

    def _update_now(self):
        if self.scene() is None:  # the scene went first (a closing window): nothing to map
            return
        rect = self.scene().itemsBoundingRect()
        visible = self.main.mapToScene(self.main.viewport().rect()).boundingRect()
        needed = not rect.isEmpty() and not visible.contains(rect) and self._has_room()
        self.setVisible(needed)
        if needed:
            self.fitInView(rect.united(visible).adjusted(-30, -30, 30, 30), Qt.KeepAspectRatio)
            self.place()
            self.viewport().update()

    def drawBackground(self, painter, rect):
        painter.fillRect(rect, QColor(theme.colors()["panel"]))

    def drawForeground(self, painter, rect):
        visible = self.main.mapToScene(self.main.viewport().rect()).boundingRect()
        painter.setPen(QPen(QColor(theme.colors()["accent"]), 0))
        color = QColor(theme.colors()["accent"])
        color.setAlpha(30)
        painter.setBrush(color)
        painter.drawRect(visible)

    def mousePressEvent(self, event):
        self.main.centerOn(self.mapToScene(event.position().toPoint()))

    def mouseMoveEvent(self, event):
        if event.buttons() & Qt.LeftButton:
            self.main.centerOn(self.mapToScene(event.position().toPoint()))
