"""LayerCraft's desktop app (PySide6 + pyqtgraph), a thin view over `engine`."""
