"""The Predict tab's drawing page: the pad, Clear / Load image…, and what the model sees.

It remembers whether the pad holds the user's drawing or a loaded image file, so that the
prediction's header names what was really predicted ("digit.png", not "your drawing").
"""

import os

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .drawing_pad import DrawingPad


class PadPage(QWidget):
    """The pad with its buttons; `description()` says what is on it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loaded_file = None  # the image file on the pad, by name; None for a drawing
        self._drawn_over = False  # strokes added on top of the loaded file
        self.pad = DrawingPad()
        self.pad.changed.connect(self._on_drawn)
        self.clear_button = QPushButton("Clear", objectName="clearPadButton")
        self.clear_button.clicked.connect(self.clear)
        self.load_button = QPushButton("Load image…", objectName="loadImageButton")
        self.seen = QLabel(objectName="modelSees")
        self.seen.setToolTip("What the model receives, at its input resolution.")
        self.seen.setFixedSize(64, 64)
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.load_button)
        buttons.addStretch(1)
        buttons.addWidget(QLabel("Model sees:"))
        buttons.addWidget(self.seen)
        title = QLabel("Draw here")
        title.setProperty("role", "section")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(title)
        layout.addWidget(self.pad, 1)
        layout.addLayout(buttons)

    def description(self) -> str:
        """What is on the pad, in the words of the prediction's header."""
        if self.loaded_file is None:
            return "your drawing"
        return f"your drawing over {self.loaded_file}" if self._drawn_over else \
            self.loaded_file

    def clear(self) -> None:
        """Empties the pad; what comes next is a drawing, not the file that was there."""
        self.loaded_file, self._drawn_over = None, False
        self.pad.clear()

    def show_pixels(self, pixels: np.ndarray, path: str | None = None) -> None:
        """Puts a test sample (`path` None) or an image file's pixels on the pad, silently:
        the pad reports set_pixels as a change, which would count as the user drawing."""
        self.pad.blockSignals(True)
        self.pad.set_pixels(pixels)
        self.pad.blockSignals(False)
        self.loaded_file = None if path is None else os.path.basename(path)
        self._drawn_over = False

    def load(self, path: str) -> None:
        """Loads an image file onto the pad. Raises OSError or ValueError if unreadable."""
        self.show_pixels(image_to_pixels(path, self.pad.input_size), path)

    def _on_drawn(self) -> None:
        self._drawn_over = self.loaded_file is not None


def image_to_pixels(path, size) -> np.ndarray:
    """A grayscale image fitted (aspect kept, centred) into `size`, 0..1, light ink on dark."""
    from PIL import Image, ImageOps  # noqa: PLC0415

    h, w = size
    with Image.open(path) as image:
        gray = ImageOps.exif_transpose(image).convert("L")
    a = np.asarray(gray, dtype=np.float32) / 255.0
    if a.mean() > 0.5:  # dark ink on light paper: invert to the data sets' convention
        a = 1.0 - a
    fitted = Image.fromarray((a * 255).astype(np.uint8))
    fitted.thumbnail((w, h), Image.Resampling.LANCZOS)
    canvas = Image.new("L", (w, h), 0)
    canvas.paste(fitted, ((w - fitted.width) // 2, (h - fitted.height) // 2))
    return np.asarray(canvas, dtype=np.float32) / 255.0
