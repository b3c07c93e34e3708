"""Light and dark themes (following the system), the stylesheet and the icons.

The one stylesheet, `resources/styles/app.qss`, uses `@name` tokens filled from the theme's
colours. Canvas colours come from `colors()`. Icons are SVG files: one per layer category
(a class-specific file wins when present) and one per action, tinted to the theme.
"""

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QPainter, QPalette, QPixmap

import layercraft_resources

RESOURCES = layercraft_resources.folder()
ICONS = RESOURCES / "icons"

CATEGORY_COLORS = {
    "Input": "#059669", "Core": "#3b82f6", "Convolution": "#8b5cf6", "Pooling": "#14b8a6",
    "Normalization": "#f59e0b", "Regularization": "#64748b", "Recurrent": "#ef4444",
    "Merge": "#22c55e", "Reshaping": "#0ea5e9", "Preprocessing": "#d946ef",
    "Ops": "#e11d48", "Models": "#4f46e5",
}
CATEGORY_ORDER = ("Core", "Preprocessing", "Convolution", "Pooling", "Normalization",
                  "Regularization", "Recurrent", "Merge", "Reshaping", "Ops", "Models")

_LIGHT = {
    "window": "#f4f5f7", "panel": "#ffffff", "text": "#1f2937", "muted": "#6b7280",
    "border": "#d7dbe0", "accent": "#2563eb", "accent_text": "#ffffff", "hover": "#eef2f7",
    "input": "#ffffff", "error": "#dc2626", "warning": "#d97706", "ok": "#16a34a",
    "canvas": "#fbfbfc", "grid": "#eceef1", "node": "#ffffff", "node_border": "#cfd5dc",
    "edge": "#8a94a3", "icon": "#475569", "selection": "#2563eb",
}
_DARK = {
    "window": "#1e2127", "panel": "#262a31", "text": "#e5e7eb", "muted": "#9ca3af",
    "border": "#3a404a", "accent": "#3b82f6", "accent_text": "#ffffff", "hover": "#2f353e",
    "input": "#1b1e23", "error": "#f87171", "warning": "#fbbf24", "ok": "#4ade80",
    "canvas": "#1a1d22", "grid": "#24282f", "node": "#2a2f37", "node_border": "#444b57",
    "edge": "#7c8696", "icon": "#cbd5e1", "selection": "#60a5fa",
}
_current = {"dark": False}


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None and scheme() != Qt.ColorScheme.Unknown:
        return scheme() == Qt.ColorScheme.Dark
    return QGuiApplication.palette().color(QPalette.Window).lightness() < 128


def colors() -> dict:
    return _DARK if _current["dark"] else _LIGHT


def apply(app, dark: bool | None = None) -> None:
    """Fusion style, the theme's palette and the stylesheet, for light or dark."""
    _current["dark"] = system_is_dark() if dark is None else dark
    icon_for_action.cache_clear()
    c = colors()
    app.setStyle("Fusion")
    palette = QPalette()
    for role, key in ((QPalette.Window, "window"), (QPalette.Base, "input"),
                      (QPalette.AlternateBase, "hover"), (QPalette.Text, "text"),
                      (QPalette.WindowText, "text"), (QPalette.Button, "panel"),
                      (QPalette.ButtonText, "text"), (QPalette.Highlight, "accent"),
                      (QPalette.HighlightedText, "accent_text"), (QPalette.ToolTipBase, "panel"),
                      (QPalette.ToolTipText, "text"), (QPalette.PlaceholderText, "muted")):
        palette.setColor(role, QColor(c[key]))
    palette.setColor(QPalette.Disabled, QPalette.Text, QColor(c["muted"]))
    palette.setColor(QPalette.Disabled, QPalette.ButtonText, QColor(c["muted"]))
    palette.setColor(QPalette.Disabled, QPalette.WindowText, QColor(c["muted"]))
    app.setPalette(palette)
    app.setStyleSheet(stylesheet(c))


def stylesheet(c: dict) -> str:
    text = (RESOURCES / "styles" / "app.qss").read_text(encoding="utf-8")
    text = text.replace("@ui/", (ICONS / "ui").as_posix() + "/")
    for key in sorted(c, key=len, reverse=True):  # longest first: @node_border before @node
        text = text.replace(f"@{key}", c[key])
    return text


@lru_cache(maxsize=None)
def icon_for_layer(class_name: str, category: str) -> QIcon:
    for stem in (class_name, "input" if class_name == "Input" else category.lower(), "core"):
        path = ICONS / f"{stem}.svg"
        if path.exists():
            return QIcon(str(path))
    return QIcon()


def app_icon() -> QIcon:
    return QIcon(str(ICONS / "app.svg"))


@lru_cache(maxsize=None)
def icon_for_action(name: str) -> QIcon:
    """An action icon tinted to the theme (SVG `currentColor`), sharp on high-DPI screens."""
    path = ICONS / "actions" / f"{name}.svg"
    if not path.exists():
        return QIcon()
    svg = path.read_text(encoding="utf-8").replace("currentColor", colors()["icon"])
    icon = QIcon()
    for size in (16, 24, 32, 48):
        icon.addPixmap(_render_svg(svg, size))
    return icon


def _render_svg(svg: str, size: int) -> QPixmap:
    from PySide6.QtSvg import QSvgRenderer  # noqa: PLC0415 - only when icons are drawn

    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return QPixmap.fromImage(image)
