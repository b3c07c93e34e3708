"""GraphScene: mirrors a GraphDocument as blocks and edges; turns gestures into commands.

The scene never changes the model itself: drops, connections, moves and deletions become
undo commands (built in `app/edits.py`) pushed onto the document, whose signals then update
the items.
"""

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from engine.graph_refs import node_of
from engine.layers.base import format_shape

from .. import edits, graph_ops, theme
from ..commands import Move
from .items import HEIGHT, WIDTH, EdgeItem, NodeItem, PortItem, edge_path

LAYER_MIME = "application/x-layercraft-layer"
APPEND_REACH = 110.0  # how far below a stack's last block a drop still appends to it


class GraphScene(QGraphicsScene):
    """The canvas contents; `drop_layer` is the seam that palette drops go through."""

    node_activated = Signal(str)  # double-clicked block

    def __init__(self, document=None, parent=None):
        super().__init__(parent)
        self.document = None
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, str], EdgeItem] = {}
        #: Further edges of a pair that a block takes twice (self-attention's mha(h, h)).
        self.repeat_edges: dict[tuple[str, str], list[EdgeItem]] = {}
        self._press_positions = {}
        self._drag_edge = None  # (source name, temporary path item) while connecting
        self.setItemIndexMethod(QGraphicsScene.BspTreeIndex)
        if document is not None:
            self.set_document(document)

    # ----- mirroring ------------------------------------------------------------------------------
    def set_document(self, document) -> None:
        self.document = document
        for signal, slot in ((document.node_added, self._on_node_added),
                             (document.node_removed, self._on_node_removed),
                             (document.node_renamed, self._on_node_renamed),
                             (document.node_moved, self._on_node_moved),
                             (document.edge_added, self._on_edge_added),
                             (document.edge_removed, self._on_edge_removed),
                             (document.param_changed, self._on_param_changed),
                             (document.analysis_changed, self.refresh_info),
                             (document.reset, self.rebuild)):
            signal.connect(slot)
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        self.nodes.clear()
        self.edges.clear()
        self.repeat_edges.clear()
        for name in self.document.graph.nodes:
            self._on_node_added(name, refresh=False)
        for node in self.document.graph.nodes.values():
            for parent in node.inputs:
                self._on_edge_added(parent, node.name)
        self.refresh_info()

    def _on_node_added(self, name, refresh=True):
        node = self.document.node(name)
        category = graph_ops.layer_class(node.class_name).CATEGORY
        item = NodeItem(name, graph_ops.block_type(node), category)
        item.setPos(QPointF(*self.document.position(name)))
        self.nodes[name] = item
        self.addItem(item)

    def _on_node_removed(self, name):
        item = self.nodes.pop(name, None)
        if item is not None:
            self.removeItem(item)

    def _on_node_renamed(self, old, new):
        item = self.nodes.pop(old)
        item.name = new
        self.nodes[new] = item
        graph = self.document.graph
        edges, repeats = {}, {}
        for (s, t), e in self.edges.items():
            ref = e.ref = graph_ops.renamed_ref(graph, s, old, new)
            key = (ref, new if t == old else t)
            edges[key] = e
            for repeat in self.repeat_edges.get((s, t), []):
                repeat.ref = ref
            repeats[key] = self.repeat_edges.get((s, t), [])
        self.edges, self.repeat_edges = edges, {k: v for k, v in repeats.items() if v}
        item.update()

    def _on_node_moved(self, name):
        item = self.nodes.get(name)
        if item is not None and (item.pos().x(), item.pos().y()) != self.document.position(name):
            item.setPos(QPointF(*self.document.position(name)))
            item.update_edges()

    def _on_edge_added(self, source, target):
        """`source` is an input reference: a block's name, or `name:k` for its output k."""
        graph = self.document.graph
        node = node_of(source, graph.nodes) if source not in self.nodes else source
        if node not in self.nodes or target not in self.nodes:
            return
        key = (source, target)
        if key not in self.edges:
            self.edges[key] = self._new_edge(node, target, source)
        repeats = self.repeat_edges.setdefault(key, [])
        while 1 + len(repeats) < self._times_used(source, target):
            repeats.append(self._new_edge(node, target, source))
        self._reorder_edges(target)

    def _new_edge(self, node, target, source) -> EdgeItem:
        edge = EdgeItem(self.nodes[node], self.nodes[target], source,
                        graph_ops.edge_label(self.document.graph, source))
        self.addItem(edge)
        return edge

    def _times_used(self, source, target) -> int:
        """How many of `target`'s inputs read `source` (mha(h, h) reads h twice)."""
        node = self.document.graph.nodes.get(target)
        return node.inputs.count(source) if node is not None else 0

    def _on_edge_removed(self, source, target):
        key = (source, target)
        repeats = self.repeat_edges.get(key, [])
        used = self._times_used(source, target)
        while repeats and 1 + len(repeats) > max(used, 1):
            self._drop_edge(repeats.pop())
        if used == 0:
            self.repeat_edges.pop(key, None)
            edge = self.edges.pop(key, None)
            if edge is not None:
                self._drop_edge(edge)
        if target in self.nodes:
            self._reorder_edges(target)

    def _drop_edge(self, edge: EdgeItem) -> None:
        edge.detach()
        self.removeItem(edge)

    def _reorder_edges(self, target):
        """Keeps a merge block's incoming edges in the order of its inputs (left to right)."""
        item = self.nodes[target]
        inputs = self.document.node(target).inputs if target in self.document.graph.nodes else []
        incoming = {}
        for edge in item.edges:
            if edge.target is item:
                incoming.setdefault(edge.ref, []).append(edge)
        ordered = [incoming[p].pop(0) for p in inputs if incoming.get(p)]
        others = [e for e in item.edges if e.target is not item]
        item.edges[:] = ordered + others
        for edge in ordered:
            edge.update_path()

    def _on_param_changed(self, name, key):
        if name in self.nodes:
            self.nodes[name].update()

    def refresh_info(self) -> None:
        """Updates every block's settings, shape, parameter count and badge from the analysis."""
        analysis, outputs = self.document.analysis, set(self.document.graph.outputs)
        for name, item in self.nodes.items():
            node = self.document.graph.nodes.get(name)
            if node is None:
                continue
            shape = analysis.shapes.get(name)
            trainable, frozen = analysis.params.get(name, (0, 0))
            total = trainable + frozen
            params = f"{total:,} params" if shape is not None else ""
            item.set_info(graph_ops.key_settings(node),
                          format_shape(shape) if shape is not None else "shape unknown",
                          params, analysis.problems_of(name), name in outputs)

    # ----- selection helpers ----------------------------------------------------------------
    def selected_nodes(self) -> list[str]:
        return [i.name for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edges(self) -> list[tuple[str, str]]:
        return [(i.ref, i.target.name) for i in self.selectedItems()
                if isinstance(i, EdgeItem)]

    def select_nodes(self, names) -> None:
        self.clearSelection()
        for name in names:
            if name in self.nodes:
                self.nodes[name].setSelected(True)

    def delete_selection(self) -> None:
        command = edits.remove_selection(self.document, self.selected_nodes(),
                                         self.selected_edges())
        if command is not None:
            self.document.push(command)

    # ----- drops from the palette ------------------------------------------------------------
    def drop_target(self, pos: QPointF):
        """What a drop at `pos` would do: ("edge", (s, t)), ("append", name) or ("free", None)."""
        probe = QRectF(pos.x() - 10, pos.y() - 10, 20, 20)
        for item in self.items(probe):
            if isinstance(item, EdgeItem):
                return "edge", (item.ref, item.target.name)
        for item in self.items(pos):
            target = item if isinstance(item, NodeItem) else getattr(item, "node_item", None)
            if isinstance(target, NodeItem):
                return "append", target.name
        for name, item in self.nodes.items():
            below = item.pos().y() + HEIGHT
            if (item.pos().x() - 20 <= pos.x() <= item.pos().x() + WIDTH + 20 and
                    below <= pos.y() <= below + APPEND_REACH and
                    not self.document.graph.consumers(name)):
                return "append", name
        return "free", None

    def drop_layer(self, class_name: str, pos: QPointF) -> str:
        """Adds a `class_name` block for a drop at `pos`; returns the new block's name.

        On an edge it is inserted there; on a block, or just below a stack's last block, it is
        appended after it; on empty canvas it starts a free block.
        """
        kind, where = self.drop_target(pos)
        if kind == "edge":
            command = edits.insert_into_edge(self.document, class_name, *where)
        elif kind == "append":
            command = edits.append_after(self.document, class_name, where)
        else:
            command = edits.add_free(self.document, class_name,
                                     (pos.x() - WIDTH / 2, pos.y() - HEIGHT / 2))
        self.document.push(command)
        name = edits.added_name(command)
        self.select_nodes([name])
        for view in self.views():  # an appended block may land below the visible area
            view.ensureVisible(self.nodes[name], 60, 60)
        return name

    def dragEnterEvent(self, event):
        event.setAccepted(event.mimeData().hasFormat(LAYER_MIME))

    def dragMoveEvent(self, event):
        event.setAccepted(event.mimeData().hasFormat(LAYER_MIME))

    def dropEvent(self, event):
        if event.mimeData().hasFormat(LAYER_MIME):
            class_name = bytes(event.mimeData().data(LAYER_MIME)).decode("utf-8")
            self.drop_layer(class_name, event.scenePos())
            event.acceptProposedAction()

    # ----- mouse: connecting and moving -------------------------------------------------------
    def mousePressEvent(self, event):
        item = self.itemAt(event.scenePos(), self.views()[0].transform()) if self.views() else None
        if event.button() == Qt.LeftButton and isinstance(item, PortItem) and item.kind == "out":
            path = QGraphicsPathItem()
            path.setPen(QPen(QColor(theme.colors()["accent"]), 2, Qt.DashLine))
            path.setZValue(5)
            self.addItem(path)
            self._drag_edge = (item.node_item.name, path)
            event.accept()
            return
        super().mousePressEvent(event)
        self._press_positions = {i.name: (i.pos().x(), i.pos().y())
                                 for i in self.selectedItems() if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, event):
        if self._drag_edge is not None:
            source, path = self._drag_edge
            start = self.nodes[source].pos() + QPointF(WIDTH / 2, HEIGHT)
            path.setPath(edge_path(start, event.scenePos() + QPointF(0, 5)))
            return
        super().mouseMoveEvent(event)
        for name in self._press_positions:
            if name in self.nodes:
                self.nodes[name].update_edges()

    def mouseReleaseEvent(self, event):
        if self._drag_edge is not None:
            source, path = self._drag_edge
            self._drag_edge = None
            self.removeItem(path)
            target = self.node_at(event.scenePos(), exclude=source)
            if target:
                self.connect_nodes(source, target)
            return
        super().mouseReleaseEvent(event)
        self._finish_move()

    def node_at(self, pos: QPointF, exclude=None):
        for item in self.items(pos):
            node = item if isinstance(item, NodeItem) else getattr(item, "node_item", None)
            if isinstance(node, NodeItem) and node.name != exclude:
                return node.name
        return None

    def connect_nodes(self, source: str, target: str) -> bool:
        command = edits.connect_ports(self.document, source, target)
        if command is None:
            reason = graph_ops.can_connect(self.document.graph, source, target)
            for view in self.views():
                view.show_notice(reason)
            return False
        self.document.push(command)
        return True

    def _finish_move(self):
        moves = {}
        for name, old in self._press_positions.items():
            item = self.nodes.get(name)
            if item is not None and (item.pos().x(), item.pos().y()) != old:
                moves[name] = (old, (item.pos().x(), item.pos().y()))
        self._press_positions = {}
        if not moves:
            return
        if len(moves) == 1 and self._try_reorder(next(iter(moves)), moves):
            return
        self.document.push(Move(self.document, moves))

    def _try_reorder(self, name, moves) -> bool:
        """A chain block dropped onto another edge of a stack moves there in the stack."""
        item = self.nodes[name]
        center = item.pos() + QPointF(WIDTH / 2, HEIGHT / 2)
        for other in self.items(QRectF(center.x() - 12, center.y() - 12, 24, 24)):
            if isinstance(other, EdgeItem) and name not in (other.source.name, other.target.name):
                command = edits.reorder_into_edge(self.document, name, other.ref,
                                                  other.target.name)
                if command is not None:
                    item.setPos(QPointF(*moves[name][0]))
                    item.update_edges()
                    self.document.push(command)
                    return True
        return False

    def drawBackground(self, painter, rect):
        c = theme.colors()
        painter.fillRect(rect, QColor(c["canvas"]))
        step = 24
        if painter.worldTransform().m11() * step < 9:  # zoomed far out: dots would be a haze
            return
        left = int(rect.left()) - int(rect.left()) % step
        top = int(rect.top()) - int(rect.top()) % step
        xs, ys = range(left, int(rect.right()) + step, step), range(top, int(rect.bottom()) + step,
                                                                      step)
        if len(xs) * len(ys) > 40_000:
            return
        painter.setPen(QPen(QColor(c["grid"]), 1.6))
        painter.drawPoints([QPointF(x, y) for x in xs for y in ys])
