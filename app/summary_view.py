"""SummaryView: the model summary table (layer, type, output shape, params) with totals and
memory estimates; clicking a row selects the block. Also the problems list."""

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QListWidget, \
    QListWidgetItem, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from engine.layers.base import format_shape
from engine.summary import human_size

from . import graph_ops, model_stats, theme

HEADERS = ("Layer", "Type", "Output shape", "Params")


class SummaryView(QWidget):
    """The summary table (`summaryView`); emits `node_clicked(name)`."""

    node_clicked = Signal(str)

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.setObjectName("summaryView")
        self.document = document
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("summaryTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        self.table.cellClicked.connect(self._on_clicked)
        self.totals = QLabel(textInteractionFlags=Qt.TextSelectableByMouse)
        self.totals.setObjectName("summaryTotals")
        self.copy_button = QPushButton("Copy Keras summary")
        self.copy_button.setToolTip("Copies the engine's model.summary() text")
        self.copy_button.clicked.connect(self.copy_text)
        row = QHBoxLayout()
        row.addWidget(self.totals, 1)
        row.addWidget(self.copy_button, 0, Qt.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self._timer = QTimer(self, singleShot=True, interval=0, timeout=self.refresh)
        for signal in (document.analysis_changed, document.compile_changed, document.reset):
            signal.connect(self._schedule)
        document.project_changed.connect(self._schedule)
        self.refresh()

    def _schedule(self, *args):
        self._timer.start()

    def rows(self) -> list[tuple[str, str, str, int]]:
        analysis = self.document.analysis
        rows = []
        for name, node in self.document.graph.nodes.items():
            shape = analysis.shapes.get(name)
            params = sum(analysis.params.get(name, (0, 0)))
            rows.append((name, "InputLayer" if node.class_name == "Input" else
                         graph_ops.block_type(node),
                         format_shape(shape) if shape else "?", params))
        return rows

    def refresh(self) -> None:
        rows = self.rows()
        self.table.setUpdatesEnabled(False)
        self.table.setRowCount(len(rows))
        for r, (name, kind, shape, params) in enumerate(rows):
            for c, text in enumerate((name, kind, shape, f"{params:,}")):
                item = self.table.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(r, c, item)
                item.setText(text)
                if c == 3:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.table.setUpdatesEnabled(True)
        self.totals.setText(self.totals_text())

    def totals_text(self) -> str:
        batch = int(self.document.settings.get("training", {}).get("batch_size", 32) or 32)
        s = model_stats.stats(self.document.analysis, self.document.compile_spec, batch)
        return (f"<b>Total params: {s['total']:,}</b> ({human_size(s['weights_bytes'])})<br>"
                f"Trainable: {s['trainable']:,} · Non-trainable: {s['non_trainable']:,}<br>"
                f"Optimizer state: {human_size(s['optimizer_bytes'])} "
                f"({s['optimizer_slots']} slot(s) per weight)<br>"
                f"Activations per batch of {batch}: ≈ {human_size(s['activation_bytes'])}")

    def _on_clicked(self, row, column):
        item = self.table.item(row, 0)
        if item is not None:
            self.node_clicked.emit(item.text())

    def copy_text(self) -> str:
        """The engine's Keras-style summary (builds the model); '' while it cannot be built."""
        if not self.document.analysis.ok:
            return ""
        from engine.model import Model  # noqa: PLC0415 - builds weights: only on request

        lines = []
        Model.from_spec(self.document.to_spec()).summary(print_fn=lines.append)
        text = "\n".join(lines)
        QGuiApplication.clipboard().setText(text)
        return text


class ProblemsView(QListWidget):
    """Every problem the engine finds in the graph; clicking one selects its block."""

    node_clicked = Signal(str)

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.setObjectName("problemsView")
        self.document = document
        self.setWordWrap(True)
        self.itemClicked.connect(self._on_clicked)
        document.analysis_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        c = theme.colors()
        for problem in self.document.analysis.problems:
            mark = "✖" if problem.severity == "error" else "⚠"
            item = QListWidgetItem(f"{mark}  {problem.message}")
            item.setForeground(QColor(c["error"] if problem.severity == "error" else c["warning"]))
            item.setData(Qt.UserRole, problem.node)
            item.setToolTip(problem.message)
            self.addItem(item)
        if not self.document.analysis.problems:
            item = QListWidgetItem("✔  No problems: the model is ready to compile.")
            item.setForeground(QColor(c["ok"]))
            self.addItem(item)

    def _on_clicked(self, item):
        node = item.data(Qt.UserRole)
        if node:
            self.node_clicked.emit(node)

