"""GraphDocument: the one object that changes the model being edited.

It owns the engine's `ModelGraph` (pure data), the block positions and the project's
settings (compile, data, training, runs). Every mutation is a method here, called only from
the undo commands in `app/commands.py`; each emits a specific signal so that views mirror the
document. After each change (or each batch of changes) the document re-analyses the graph
with the engine (shapes, parameter counts, problems) and emits `analysis_changed`.
"""

from contextlib import contextmanager
import copy

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from engine.graph import ModelGraph, Node

from . import graph_ops

DEFAULT_COMPILE = {"optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.001}},
                   "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"],
                   "device": "auto"}


class GraphDocument(QObject):
    """The model graph, its layout and the project settings, edited through undo commands."""

    node_added = Signal(str)
    node_removed = Signal(str)
    node_renamed = Signal(str, str)  # old name, new name
    node_moved = Signal(str)
    param_changed = Signal(str, str)  # node, parameter
    edge_added = Signal(str, str)  # source, target
    edge_removed = Signal(str, str)
    outputs_changed = Signal()
    analysis_changed = Signal()
    compile_changed = Signal()
    project_changed = Signal(str)  # "data", "training" or "runs"
    reset = Signal()  # everything was replaced (new / open)
    modified_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.graph = ModelGraph(name="model")
        self.layout: dict[str, tuple[float, float]] = {}
        self.compile_spec = copy.deepcopy(DEFAULT_COMPILE)
        self.settings = {"data": {}, "training": {}, "runs": []}
        self._pinned_outputs: set[str] = set()
        self._batch_depth = 0
        self._pending = False
        self._extra_dirty = False
        self.analysis = self.graph.analyze()

    # ----- reading ------------------------------------------------------------------------------
    def node(self, name: str) -> Node:
        return self.graph.nodes[name]

    def position(self, name: str) -> tuple[float, float]:
        return self.layout.get(name, (0.0, 0.0))

    def to_spec(self) -> dict:
        return self.graph.to_spec()

    def unique_name(self, base: str, taken=()) -> str:
        return graph_ops.unique_name(set(self.graph.nodes) | set(taken), base)

    def is_modified(self) -> bool:
        return self._extra_dirty or not self.undo_stack.isClean()

    def push(self, command) -> None:
        """Runs `command` (its redo) and records it for undo."""
        self.undo_stack.push(command)

    # ----- whole-document changes ------------------------------------------------------------
    def load(self, spec: dict, layout=None, compile_spec=None, settings=None) -> None:
        """Replaces everything (new/open): no undo history, not modified.

        Everything is read and analysed first; the document changes only when that worked,
        so a bad file leaves the current model as it was.
        """
        graph = ModelGraph.from_spec(spec)
        analysis = graph.analyze()
        layout = {k: (float(v[0]), float(v[1])) for k, v in (layout or {}).items()}
        for name in graph.nodes:
            layout.setdefault(name, (0.0, 0.0))
        self.graph, self.layout, self.analysis = graph, layout, analysis
        self.compile_spec = copy.deepcopy(compile_spec or DEFAULT_COMPILE)
        self.settings = {"data": {}, "training": {}, "runs": [], **copy.deepcopy(settings or {})}
        fed = {p for node in self.graph.nodes.values() for p in node.inputs}
        self._pinned_outputs = {o for o in self.graph.outputs if o in fed}
        self.undo_stack.clear()
        self._extra_dirty = False
        self.reset.emit()
        self.analysis_changed.emit()
        self.modified_changed.emit(False)

    def mark_saved(self) -> None:
        self._extra_dirty = False
        self.undo_stack.setClean()
        self.modified_changed.emit(False)

    def set_project_field(self, key: str, value) -> None:
        """Data/training/runs settings (not undoable: they are run settings, not the model)."""
        self.settings[key] = copy.deepcopy(value)
        self._set_extra_dirty()
        self.project_changed.emit(key)

    # ----- mutations (called by undo commands only) -----------------------------------------
    def add_node(self, node: Node, pos, index: int | None = None) -> None:
        items = list(self.graph.nodes.items())
        index = len(items) if index is None else index
        items.insert(index, (node.name, node))
        self.graph.nodes = dict(items)
        self.layout[node.name] = (float(pos[0]), float(pos[1]))
        self.node_added.emit(node.name)
        for parent in node.inputs:
            self.edge_added.emit(parent, node.name)
        self._structure_changed()

    def remove_node(self, name: str) -> tuple[Node, tuple, int]:
        """Removes a node with no consumers; returns (node, position, index) for undo."""
        index = list(self.graph.nodes).index(name)
        node = self.graph.nodes.pop(name)
        pos = self.layout.pop(name, (0.0, 0.0))
        for parent in node.inputs:
            self.edge_removed.emit(parent, name)
        self.node_removed.emit(name)
        self._structure_changed()
        return node, pos, index

    def connect(self, source: str, target: str, index: int | None = None) -> None:
        inputs = self.graph.nodes[target].inputs
        inputs.insert(len(inputs) if index is None else index, source)
        self.edge_added.emit(source, target)
        self._structure_changed()

    def disconnect(self, source: str, target: str) -> int:
        """Removes the edge; returns the position it had in the target's inputs."""
        inputs = self.graph.nodes[target].inputs
        index = inputs.index(source)
        del inputs[index]
        self.edge_removed.emit(source, target)
        self._structure_changed()
        return index

    def set_param(self, name: str, key: str, value) -> None:
        self.graph.nodes[name].config[key] = copy.deepcopy(value)
        self.param_changed.emit(name, key)
        self._changed()

    def rename(self, old: str, new: str) -> None:
        graph = self.graph
        refs = {p: graph_ops.renamed_ref(graph, p, old, new)  # "old:1" -> "new:1" too
                for node in graph.nodes.values() for p in [*node.inputs]}
        refs.update({o: graph_ops.renamed_ref(graph, o, old, new) for o in graph.outputs})
        graph.nodes = {(new if k == old else k): v for k, v in graph.nodes.items()}
        graph.nodes[new].name = new
        for node in graph.nodes.values():
            node.inputs = [refs[p] for p in node.inputs]
            if node.shares == old:
                node.shares = new
        graph.outputs = [refs[o] for o in graph.outputs]
        if old in self._pinned_outputs:
            self._pinned_outputs = (self._pinned_outputs - {old}) | {new}
        self.layout = {(new if k == old else k): v for k, v in self.layout.items()}
        self.node_renamed.emit(old, new)
        self._changed()

    def move_node(self, name: str, pos) -> None:
        self.layout[name] = (float(pos[0]), float(pos[1]))
        self.node_moved.emit(name)

    def set_outputs(self, outputs) -> None:
        if list(outputs) != self.graph.outputs:
            self.graph.outputs = list(outputs)
            self.outputs_changed.emit()
            self._changed()

    def set_compile(self, spec: dict) -> None:
        self.compile_spec = copy.deepcopy(spec)
        self.compile_changed.emit()

    # ----- batching and analysis ----------------------------------------------------------------
    @contextmanager
    def batch(self):
        """Groups mutations: the graph is analysed once, at the end of the outermost batch."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._pending:
                self._pending = False
                self._reanalyze()

    def _structure_changed(self):
        self._sync_outputs()
        self._changed()

    def _sync_outputs(self):
        """Outputs follow the graph's ends: kept ones stay in order, new ends are appended."""
        ends = graph_ops.sinks(self.graph)
        kept = [o for o in self.graph.outputs
                if o in self.graph.nodes and (o in ends or o in self._pinned_outputs)]
        outputs = kept + [e for e in ends if e not in kept]
        if outputs != self.graph.outputs:
            self.graph.outputs = outputs
            self.outputs_changed.emit()

    def _changed(self):
        if self._batch_depth:
            self._pending = True
        else:
            self._reanalyze()

    def _reanalyze(self):
        self.analysis = self.graph.analyze()
        self.analysis_changed.emit()

    def _set_extra_dirty(self):
        was = self.is_modified()
        self._extra_dirty = True
        if not was:
            self.modified_changed.emit(True)

    def _on_clean_changed(self, clean: bool):
        self.modified_changed.emit(self.is_modified())
