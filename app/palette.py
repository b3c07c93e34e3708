"""LayerPalette: every layer of the engine registry, grouped by category, searchable.

Drag an entry onto the canvas (MIME type `application/x-layercraft-layer`, payload the class
name) or double-click it to append it to the selected block. The palette knows nothing about
layers beyond what the registry declares (CATEGORY, DESCRIPTION, the docstring).
"""

import inspect

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, \
    QVBoxLayout, QWidget

from engine import registry
from engine.op_catalog import PALETTE_OPS

from . import theme
from .canvas.scene import LAYER_MIME

CLASS_ROLE = Qt.UserRole + 1
OP_PREFIX = "Op:"  # a palette id `Op:add` makes an Op node computing ops.add
#: The group of layer classes a user registered (`engine.saving.register_keras_serializable`).
CUSTOM = "Custom"


def layer_entries() -> list[tuple[str, str, str, str]]:
    """(category, class name, one-line description, tooltip) for every registered layer a
    person drags from the palette (not the op and nested-model node classes)."""
    entries = []
    for cls in registry.classes("layer"):
        if not getattr(cls, "IN_PALETTE", True):
            continue
        name = cls.class_name()
        category = category_of(cls)
        doc = inspect.getdoc(cls) or ""
        summary = doc.split("\n\n")[0].replace("\n", " ")
        description = cls.DESCRIPTION or summary
        tip = f"<b>{name}</b> — {category}<br>{description}"
        if summary and summary != description:
            tip += f"<br><span style='color:gray'>{summary}</span>"
        if category == CUSTOM:
            tip += (f"<br><span style='color:gray'>Your class {cls.__module__}."
                    f"{cls.__qualname__}, registered in this session.</span>")
        entries.append((category, name, description, tip))
    order = {c: i for i, c in enumerate(theme.CATEGORY_ORDER)}
    entries.sort(key=lambda e: (order.get(e[0], len(order)), e[1] != "Input"))
    return entries


def category_of(cls) -> str:
    """The palette group: a user's class goes under "Custom" (the last group) unless its own
    class body sets CATEGORY; otherwise it would inherit its base's ("Core")."""
    if cls.__module__.split(".")[0] in ("engine", "app"):
        return cls.CATEGORY
    return cls.__dict__.get("CATEGORY", CUSTOM)


def op_entries() -> list[tuple[str, str, str, str]]:
    """(category, block id `Op:<op>`, description, tooltip) for each op block, in the
    catalog's order; the tree shows the op's name."""
    entries = []
    for op in PALETTE_OPS:
        description = f"ops.{op} on the block's inputs"
        tip = f"<b>{op}</b> — Ops<br>engine.ops.{op}, applied to the connected inputs in order."
        entries.append(("Ops", f"{OP_PREFIX}{op}", description, tip))
    return entries


class _LayerTree(QTreeWidget):
    def mimeTypes(self):
        return [LAYER_MIME]

    def mimeData(self, items):
        mime = QMimeData()
        names = [i.data(0, CLASS_ROLE) for i in items if i.data(0, CLASS_ROLE)]
        if names:
            mime.setData(LAYER_MIME, names[0].encode("utf-8"))
            mime.setText(names[0])
        return mime


class LayerPalette(QWidget):
    """The layer palette (`layerPalette`)."""

    layer_activated = Signal(str)  # class name, on double-click or Enter

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("layerPalette")
        self.search = QLineEdit(placeholderText="Search layers…", clearButtonEnabled=True)
        self.search.setObjectName("paletteSearch")
        self.search.addAction(theme.icon_for_action("search"), QLineEdit.LeadingPosition)
        self.search.textChanged.connect(self.filter)
        self.tree = _LayerTree()
        self.tree.setObjectName("paletteTree")
        self.tree.setHeaderHidden(True)
        self.tree.setIconSize(QSize(20, 20))
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragOnly)
        self.tree.setIndentation(10)
        self.tree.itemActivated.connect(self._on_activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.populate()

    def populate(self) -> None:
        """(Re)builds the list from the registry, so newly registered layers appear."""
        self.tree.clear()
        groups = {}
        entries = sorted(layer_entries() + op_entries(), key=lambda e: e[0] == CUSTOM)
        for category, name, description, tip in entries:  # the user's own classes last
            group = groups.get(category)
            if group is None:
                group = QTreeWidgetItem(self.tree, [category])
                group.setFlags(Qt.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setIcon(0, theme.icon_for_layer(category, category))
                groups[category] = group
            item = QTreeWidgetItem(group, [name.removeprefix(OP_PREFIX)])
            item.setData(0, CLASS_ROLE, name)
            item.setIcon(0, theme.icon_for_layer(name, category))
            item.setToolTip(0, tip)
            item.setStatusTip(0, description)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
        self.tree.expandAll()

    def class_names(self) -> list[str]:
        """Every layer listed, in display order."""
        names = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            names += [group.child(j).data(0, CLASS_ROLE) for j in range(group.childCount())]
        return names

    def categories(self) -> list[str]:
        return [self.tree.topLevelItem(i).text(0) for i in range(self.tree.topLevelItemCount())]

    def filter(self, text: str) -> None:
        """Shows the layers whose name, category or description contains `text`."""
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            visible = 0
            for j in range(group.childCount()):
                item = group.child(j)
                haystack = f"{item.text(0)} {group.text(0)} {item.statusTip(0)}".lower()
                hidden = bool(needle) and needle not in haystack
                item.setHidden(hidden)
                visible += not hidden
            group.setHidden(visible == 0)

    def visible_names(self) -> list[str]:
        return [n for n, item in self._items() if not item.isHidden()
                and not item.parent().isHidden()]

    def _items(self):
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            for j in range(group.childCount()):
                yield group.child(j).data(0, CLASS_ROLE), group.child(j)

    def _on_activated(self, item, column):
        name = item.data(0, CLASS_ROLE)
        if name:
            self.layer_activated.emit(name)
