"""Undo commands: every edit of the model goes through one of these.

Each command calls `GraphDocument` mutation methods in `redo` and their exact inverse in
`undo`, recording what it needs (indices, old values, positions) the first time it runs, so
undo restores the spec and the layout exactly. Compound edits (delete a selection, insert a
block into an edge, paste) are `Macro` commands whose children run in order.
"""

import copy

from PySide6.QtGui import QUndoCommand

from engine.graph import Node


class DocCommand(QUndoCommand):
    """Base: runs `_redo`/`_undo` in one document batch; undo restores the outputs list."""

    def __init__(self, document, text: str, parent=None):
        super().__init__(text, parent)
        self.doc = document
        self._outputs_before = None

    def redo(self):
        if self._outputs_before is None:
            self._outputs_before = list(self.doc.graph.outputs)
        with self.doc.batch():
            self._redo()

    def undo(self):
        with self.doc.batch():
            self._undo()
            self.doc.set_outputs(self._outputs_before)

    def _redo(self):
        raise NotImplementedError

    def _undo(self):
        raise NotImplementedError


class Macro(DocCommand):
    """A named group of commands, undone in reverse order as one step."""

    def __init__(self, document, text: str):
        super().__init__(document, text)
        self.children: list[DocCommand] = []  # Python references keep the wrappers alive

    def add(self, command: DocCommand) -> DocCommand:
        self.children.append(command)
        return command

    def _redo(self):
        for child in self.children:
            child.redo()

    def _undo(self):
        for child in reversed(self.children):
            child.undo()


class AddNode(DocCommand):
    def __init__(self, document, node: Node, pos, index=None, parent=None):
        super().__init__(document, f"Add {node.name}", parent)
        self.node, self.pos, self.index = node, tuple(pos), index

    def _redo(self):
        self.doc.add_node(copy.deepcopy(self.node), self.pos, self.index)

    def _undo(self):
        self.doc.remove_node(self.node.name)


class RemoveNode(DocCommand):
    """Removes a node; its edges must be removed first (see `remove_selection`)."""

    def __init__(self, document, name: str, parent=None):
        super().__init__(document, f"Delete {name}", parent)
        self.name = name
        self._saved = None

    def _redo(self):
        node, pos, index = self.doc.remove_node(self.name)
        self._saved = (copy.deepcopy(node), pos, index)

    def _undo(self):
        node, pos, index = self._saved
        self.doc.add_node(copy.deepcopy(node), pos, index)


class Connect(DocCommand):
    def __init__(self, document, source: str, target: str, index=None, parent=None):
        super().__init__(document, f"Connect {source} → {target}", parent)
        self.source, self.target, self.index = source, target, index

    def _redo(self):
        self.doc.connect(self.source, self.target, self.index)

    def _undo(self):
        self.doc.disconnect(self.source, self.target)


class Disconnect(DocCommand):
    def __init__(self, document, source: str, target: str, parent=None):
        super().__init__(document, f"Disconnect {source} → {target}", parent)
        self.source, self.target = source, target
        self._index = None

    def _redo(self):
        self._index = self.doc.disconnect(self.source, self.target)

    def _undo(self):
        self.doc.connect(self.source, self.target, self._index)


class SetParam(DocCommand):
    def __init__(self, document, name: str, key: str, value, parent=None):
        super().__init__(document, f"Set {name}.{key}", parent)
        self.name, self.key, self.value = name, key, copy.deepcopy(value)
        self._had = key in document.node(name).config
        self._old = copy.deepcopy(document.node(name).config.get(key))

    def _redo(self):
        self.doc.set_param(self.name, self.key, self.value)

    def _undo(self):
        if self._had:
            self.doc.set_param(self.name, self.key, self._old)
        else:
            self.doc.node(self.name).config.pop(self.key, None)
            self.doc.param_changed.emit(self.name, self.key)


class Rename(DocCommand):
    def __init__(self, document, old: str, new: str, parent=None):
        super().__init__(document, f"Rename {old} to {new}", parent)
        self.old, self.new = old, new

    def _redo(self):
        self.doc.rename(self.old, self.new)

    def _undo(self):
        self.doc.rename(self.new, self.old)


class Move(DocCommand):
    """Moves blocks: `moves` maps a name to (old position, new position)."""

    def __init__(self, document, moves: dict, text="Move", parent=None):
        super().__init__(document, text, parent)
        self.moves = {k: (tuple(a), tuple(b)) for k, (a, b) in moves.items()}

    def _redo(self):
        for name, (_, new) in self.moves.items():
            self.doc.move_node(name, new)

    def _undo(self):
        for name, (old, _) in self.moves.items():
            self.doc.move_node(name, old)


class SetCompile(DocCommand):
    def __init__(self, document, spec: dict, parent=None):
        super().__init__(document, "Change compile settings", parent)
        self.spec = copy.deepcopy(spec)
        self._old = copy.deepcopy(document.compile_spec)

    def _redo(self):
        self.doc.set_compile(self.spec)

    def _undo(self):
        self.doc.set_compile(self._old)
