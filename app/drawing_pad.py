"""DrawingPad: draw a digit with the mouse; `pixels()` gives it at the model's resolution.

Strokes go onto a fine canvas (about 128-160 px a side) with a thick round pen, and
`pixels()` averages the canvas over blocks down to the input size. That is how the 8x8
digits set was made (ink counted in 4x4 blocks of a 32x32 bitmap), and it gives MNIST-like
soft edges at 28x28. Light ink on a dark background, as the data sets store digits.
"""

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

#: The canvas side is at least this many pixels, in whole multiples of the input size.
CANVAS_MIN = 128
#: Pen width as a share of the canvas side (MNIST-like strokes of about 3 of 28 pixels)...
PEN_SHARE = 0.1
#: ...but at least this many input pixels, so a small input such as 8x8 digits gets strokes
#: that fill whole pixels, as in the data (ink counts up to 16 of 16).
PEN_MIN_PIXELS = 1.2


class DrawingPad(QWidget):
    changed = Signal()  # while drawing, after every segment
    stroke_finished = Signal()

    def __init__(self, height: int = 8, width: int = 8, parent=None):
        super().__init__(parent)
        self.setObjectName("drawingPad")
        self.setCursor(Qt.CrossCursor)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(140, 140)
        self.setToolTip("Draw with the mouse; the prediction updates as you draw.")
        self._last = None
        self.set_input_size(height, width)

    # ----- size and content -----------------------------------------------------------------------
    def set_input_size(self, height: int, width: int) -> None:
        """Resizes the pad to the model's input (clears it)."""
        self.input_size = (int(height), int(width))
        self.block = max(1, -(-CANVAS_MIN // max(height, width)))  # ceil division
        self.canvas = QImage(width * self.block, height * self.block, QImage.Format_Grayscale8)
        self.clear(emit=False)

    def clear(self, emit: bool = True) -> None:
        self.canvas.fill(0)
        self.update()
        if emit:
            self.changed.emit()
            self.stroke_finished.emit()

    def pen_width(self) -> float:
        side = min(self.canvas.width(), self.canvas.height())
        return max(PEN_SHARE * side, PEN_MIN_PIXELS * self.block)

    def pixels(self) -> np.ndarray:
        """The drawing at the input size, (height, width) float32 in 0..1."""
        h, w = self.input_size
        b = self.block
        data = np.frombuffer(self.canvas.constBits(), dtype=np.uint8)
        rows = data.reshape(self.canvas.height(), self.canvas.bytesPerLine())[:, :w * b]
        blocks = rows.reshape(h, b, w, b).astype(np.float32).mean(axis=(1, 3))
        return blocks / 255.0

    def set_pixels(self, pixels: np.ndarray) -> None:
        """Shows an image given at the input size (values 0..1), e.g. a loaded file."""
        a = np.clip(np.asarray(pixels, dtype=np.float32), 0, 1)
        a = np.ascontiguousarray((a * 255).astype(np.uint8))
        small = QImage(a.data, a.shape[1], a.shape[0], a.shape[1], QImage.Format_Grayscale8)
        self.canvas = small.scaled(self.canvas.width(), self.canvas.height(),
                                   Qt.IgnoreAspectRatio, Qt.FastTransformation)
        self.canvas = self.canvas.convertToFormat(QImage.Format_Grayscale8)
        self.update()
        self.changed.emit()
        self.stroke_finished.emit()

    def stroke(self, points) -> None:
        """Draws a polyline through `points`, each (x, y) in 0..1 of the pad's width/height."""
        pts = [QPointF(x * self.canvas.width(), y * self.canvas.height()) for x, y in points]
        if not pts:
            return
        self._draw(pts[0], pts[0])
        for a, b in zip(pts, pts[1:]):
            self._draw(a, b)
        self.changed.emit()
        self.stroke_finished.emit()

    def _draw(self, a: QPointF, b: QPointF):
        painter = QPainter(self.canvas)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255), self.pen_width(), Qt.SolidLine, Qt.RoundCap,
                            Qt.RoundJoin))
        painter.drawLine(a, b)
        painter.end()
        self.update()

    # ----- mouse ----------------------------------------------------------------------------------
    def _target(self) -> QRectF:
        """Where the canvas is shown: the largest centred rectangle of its aspect ratio."""
        cw, ch = self.canvas.width(), self.canvas.height()
        scale = min(self.width() / cw, self.height() / ch)
        w, h = cw * scale, ch * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def _to_canvas(self, pos) -> QPointF:
        t = self._target()
        return QPointF((pos.x() - t.x()) / t.width() * self.canvas.width(),
                       (pos.y() - t.y()) / t.height() * self.canvas.height())

    def mousePressEvent(self, event):
        if event.button() == Qt.LeftButton:
            self._last = self._to_canvas(event.position())
            self._draw(self._last, self._last)
            self.changed.emit()

    def mouseMoveEvent(self, event):
        if self._last is not None and event.buttons() & Qt.LeftButton:
            point = self._to_canvas(event.position())
            self._draw(self._last, point)
            self._last = point
            self.changed.emit()

    def mouseReleaseEvent(self, event):
        if self._last is not None:
            self._last = None
            self.stroke_finished.emit()

    def paintEvent(self, event):
        painter = QPainter(self)
        target = self._target()
        painter.fillRect(self.rect(), self.palette().window())
        painter.drawImage(target, self.canvas)
        h, w = self.input_size
        if max(h, w) <= 32:  # faint grid of the model's pixels
            painter.setPen(QPen(QColor(255, 255, 255, 28), 1))
            for i in range(1, w):
                x = target.x() + target.width() * i / w
                painter.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()))
            for j in range(1, h):
                y = target.y() + target.height() * j / h
                painter.drawLine(QPointF(target.left(), y), QPointF(target.right(), y))
        painter.setPen(QPen(QColor(128, 128, 128), 1))
        painter.drawRect(target.adjusted(0, 0, -1, -1))
        painter.end()
