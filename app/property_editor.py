"""PropertyEditor: the selected block's name and parameters, edited through undo commands.

The form comes from the layer class's declared `PARAMS` (plus `trainable`). Each value is
checked by the engine (the parameter on its own, then the whole layer config) before a
`SetParam` command is pushed; a refused value shows the engine's message under the field.

An op block (`Op` node) edits the constants among its op's arguments instead (axis,
keepdims, the x[...] key as text), as `engine.op_catalog` declares them; a change replaces
the node's `arguments` through one `SetParam`. A nested model shows no parameters (its
layers live in its own spec).
"""

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QLineEdit, QScrollArea, QVBoxLayout, \
    QWidget

from engine.errors import LayerCraftError
from engine.layers.base import format_shape
from engine.params import BOOL, Param

from engine import op_catalog

from . import graph_ops, theme
from .commands import Rename, SetParam
from .param_form import ParamForm

TRAINABLE = Param("trainable", BOOL, True, help="Whether training updates this layer's weights.")
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


class PropertyEditor(QScrollArea):
    """Settings of the selected block (`propertyEditor`)."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.setObjectName("propertyEditor")
        self.setWidgetResizable(True)
        self.document = document
        self.node_name = None
        self.form = None
        self._body = QWidget()
        self._layout = QVBoxLayout(self._body)
        self._layout.setContentsMargins(10, 10, 10, 10)
        self._layout.setSpacing(8)
        self.setWidget(self._body)
        document.param_changed.connect(self._on_param_changed)
        document.node_renamed.connect(self._on_renamed)
        document.node_removed.connect(self._on_removed)
        document.analysis_changed.connect(self._refresh_info)
        document.reset.connect(lambda: self.show_nodes([]))
        self.show_nodes([])

    # ----- public ---------------------------------------------------------------------------------
    def show_nodes(self, names) -> None:
        names = [n for n in names if n in self.document.graph.nodes]
        if len(names) == 1:
            self.show_node(names[0])
            return
        self.node_name, self.form = None, None
        self._clear()
        text = (f"{len(names)} blocks selected." if names else
                "Select a block on the canvas to edit its settings.\n\n"
                "Drag layers from the palette onto the canvas to build a model.")
        hint = QLabel(text, wordWrap=True, alignment=Qt.AlignCenter)
        hint.setProperty("role", "muted")
        self._layout.addStretch(1)
        self._layout.addWidget(hint)
        self._layout.addStretch(2)

    def show_node(self, name: str) -> None:
        node = self.document.node(name)
        cls = graph_ops.layer_class(node.class_name)
        self.node_name = name
        self._clear()
        self._layout.addWidget(self._header(node, cls))
        self._layout.addWidget(_section("Layer"))
        self._layout.addWidget(self._name_row(name))
        self._layout.addWidget(_section("Parameters"))
        params, values = _form_of(node, cls)
        self.form = ParamForm(params, values, owner=f"Layer '{name}'")
        self.form.value_committed.connect(self._on_value_committed)
        self._layout.addWidget(self.form)
        self._layout.addWidget(_section("Output"))
        self.info = QLabel(wordWrap=True, textInteractionFlags=Qt.TextSelectableByMouse)
        self.info.setObjectName("propertyInfo")
        self._layout.addWidget(self.info)
        self._layout.addStretch(1)
        self._refresh_info()

    def field(self, key: str):
        return self.form.field(key)

    # ----- building --------------------------------------------------------------------------------
    def _clear(self):
        while self._layout.count():
            widget = self._layout.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()

    def _header(self, node, cls):
        card = QFrame()
        card.setProperty("role", "card")
        grid = QGridLayout(card)
        grid.setContentsMargins(10, 8, 10, 8)
        icon = QLabel()
        icon.setPixmap(theme.icon_for_layer(node.class_name, cls.CATEGORY).pixmap(28, 28))
        title = QLabel(f"{graph_ops.block_type(node)}  <span style='font-weight:400'>· "
                       f"{cls.CATEGORY}</span>")
        title.setProperty("role", "title")
        description = QLabel(cls.DESCRIPTION, wordWrap=True)
        description.setProperty("role", "muted")
        grid.addWidget(icon, 0, 0, 2, 1, Qt.AlignTop)
        grid.addWidget(title, 0, 1)
        grid.addWidget(description, 1, 1)
        grid.setColumnStretch(1, 1)
        return card

    def _name_row(self, name):
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        self.name_edit = QLineEdit(name)
        self.name_edit.setObjectName("layerNameEdit")
        self.name_edit.setAccessibleName("Layer name")
        self.name_edit.setToolTip("The layer's unique name in the model.")
        self.name_edit.editingFinished.connect(self._on_name_edited)
        self.name_error = QLabel(wordWrap=True)
        self.name_error.setProperty("role", "error")
        self.name_error.hide()
        column.addWidget(self.name_edit)
        column.addWidget(self.name_error)
        return box

    # ----- edits --------------------------------------------------------------------------------
    def rename_error(self, new: str) -> str:
        """'' when `new` is a valid new name for the shown block, else the reason."""
        if new == self.node_name:
            return ""
        if not NAME_PATTERN.match(new):
            return ("A layer name starts with a letter or _ and holds letters, digits, _, . or "
                    f"-. Received: {new!r}")
        if new in self.document.graph.nodes:
            return f"A layer named '{new}' already exists. Layer names must be unique."
        return ""

    def _on_name_edited(self):
        new = self.name_edit.text().strip()
        problem = self.rename_error(new)
        self.name_error.setText(problem)
        self.name_error.setVisible(bool(problem))
        if problem:
            self.name_edit.setText(self.node_name)
        elif new != self.node_name:
            self.document.push(Rename(self.document, self.node_name, new))

    def _on_value_committed(self, key, value):
        node = self.document.node(self.node_name)
        if node.class_name == "Op":
            self._commit_op_constant(node, key, value)
            return
        config = {**node.config, key: value, "name": self.node_name}
        try:
            graph_ops.layer_class(node.class_name).from_config(config)
        except LayerCraftError as exc:
            self.form.reject(key, str(exc), node.config.get(key))
            return
        self.document.push(SetParam(self.document, self.node_name, key, value))

    def _commit_op_constant(self, node, key, value):
        """An op block's edited constant replaces the node's `arguments` (one undo step)."""
        op, arguments = node.config.get("op"), node.config.get("arguments") or {}
        try:
            new = {**arguments, key: op_catalog.stored_value(op, key, value)}
            graph_ops.layer_class("Op").from_config({**node.config, "arguments": new,
                                                      "name": node.name})
        except LayerCraftError as exc:
            self.form.reject(key, str(exc), op_catalog.field_value(op, key, arguments.get(key)))
            return
        self.document.push(SetParam(self.document, self.node_name, "arguments", new))

    # ----- mirroring -------------------------------------------------------------------------------
    def _on_param_changed(self, name, key):
        if name == self.node_name and self.form is not None:
            node = self.document.node(name)
            self.form.set_values(_form_of(node, graph_ops.layer_class(node.class_name))[1])

    def _on_renamed(self, old, new):
        if old == self.node_name:
            self.node_name = new
            self.name_edit.setText(new)
            self.form.owner = f"Layer '{new}'"

    def _on_removed(self, name):
        if name == self.node_name:
            self.show_nodes([])

    def _refresh_info(self):
        if self.node_name is None or self.node_name not in self.document.graph.nodes:
            return
        analysis = self.document.analysis
        shape = analysis.shapes.get(self.node_name)
        trainable, frozen = analysis.params.get(self.node_name, (0, 0))
        lines = [f"Output shape: <b>{format_shape(shape) if shape else 'unknown'}</b>",
                 f"Parameters: <b>{trainable + frozen:,}</b> "
                 f"({trainable:,} trainable, {frozen:,} non-trainable)"]
        color = theme.colors()
        for p in analysis.problems_of(self.node_name):
            tint = color["error"] if p.severity == "error" else color["warning"]
            lines.append(f"<span style='color:{tint}'>{'✖' if p.severity == 'error' else '⚠'} "
                         f"{_escape(p.message)}</span>")
        self.info.setText("<br>".join(lines))


def _form_of(node, cls) -> tuple[tuple, dict]:
    """(Params, values) the form shows for a block: its class's, or an op's constants."""
    if node.class_name == "Op":
        op, arguments = node.config.get("op"), node.config.get("arguments") or {}
        params = op_catalog.editable_params(op, arguments)
        values = {p.name: op_catalog.field_value(op, p.name, arguments.get(p.name, p.default))
                  for p in params}
        return params, values
    if node.class_name == "Model":
        return (TRAINABLE,), dict(node.config)
    return tuple(cls.PARAMS) + (TRAINABLE,), dict(node.config)


def _section(text):
    label = QLabel(text)
    label.setProperty("role", "section")
    return label


def _escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
