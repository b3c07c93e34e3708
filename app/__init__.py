"""LayerCraft's desktop application (PySide6 + pyqtgraph), a thin view over the engine."""
