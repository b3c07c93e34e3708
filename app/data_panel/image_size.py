"""ImageSizeField: the size an image folder is resized to, starting at the images' own size.

The engine counts the stored sizes (`engine.data.images.stored_sizes`); the field starts at
the most common one and says so, or says that the sizes vary (then every image is resized
to the size shown). Sizes above the spin boxes' range are scaled down, keeping the shape.
"""

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QWidget

from engine.data.images import stored_sizes
from engine.errors import LayerCraftError

MIN_SIDE, MAX_SIDE = 4, 1024
#: Used when the folder cannot be read (the preview then shows the loader's message).
FALLBACK = (32, 32)


def default_size(counts: dict) -> tuple[int, int]:
    """The most common stored size, scaled down to fit `MAX_SIDE` with its aspect kept."""
    if not counts:
        return FALLBACK
    height, width = next(iter(counts))
    scale = min(1.0, MAX_SIDE / max(height, width))
    return (max(MIN_SIDE, round(height * scale)), max(MIN_SIDE, round(width * scale)))


def size_hint(counts: dict) -> str:
    """What the field tells the user about the stored sizes."""
    if not counts:
        return ""
    (height, width), count = next(iter(counts.items()))
    if len(counts) == 1:
        return f"the images' own size is {height} × {width}"
    return (f"sizes vary; {height} × {width} is the most common ({count} of "
            f"{sum(counts.values())} checked)")


class ImageSizeField(QWidget):
    #: the user finished editing the height or the width
    edited = Signal()

    def __init__(self, folder, parent=None):
        super().__init__(parent)
        try:
            counts = stored_sizes(folder)
        except (LayerCraftError, OSError):
            counts = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.spins = []
        for name, value in zip(("height", "width"), default_size(counts)):
            spin = QSpinBox(objectName=f"import_{name}", minimum=MIN_SIDE, maximum=MAX_SIDE,
                            value=value)
            spin.editingFinished.connect(self.edited)
            self.spins.append(spin)
            row.addWidget(spin)
        self.hint = QLabel(size_hint(counts), objectName="importSizeHint")
        self.hint.setProperty("role", "muted")
        row.addWidget(self.hint, 1)

    def value(self) -> list[int]:
        """`[height, width]`, as `from_image_folder(image_size=...)` takes it."""
        return [spin.value() for spin in self.spins]

    def set_value(self, height: int, width: int) -> None:
        for spin, value in zip(self.spins, (height, width)):
            spin.setValue(value)
        self.edited.emit()
