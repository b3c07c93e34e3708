"""Compound edits the views ask for, each built as one undo command (no widgets here).

The canvas, palette and menus call these; they read the document, decide the steps (add,
rewire, shift the blocks below) and return a command for `document.push`.
"""

from engine.graph import Node

from . import graph_ops
from .auto_layout import ROW_HEIGHT, auto_layout
from .commands import AddNode, Connect, Disconnect, Macro, Move, RemoveNode


def added_name(command) -> str:
    """The name of the (first) block a command adds, or ''."""
    for child in getattr(command, "children", [command]):
        if isinstance(child, AddNode):
            return child.node.name
    return ""


def new_node(document, class_name: str, taken=()) -> Node:
    """A fresh block for a palette id: a layer class name, or `Op:<op>` for an op block."""
    real_class, config, base = graph_ops.block_spec(class_name)
    return Node(document.unique_name(base, taken), real_class, config, [])


def add_free(document, class_name: str, pos) -> Macro:
    """A new block on empty canvas, unconnected."""
    node = new_node(document, class_name)
    macro = Macro(document, f"Add {node.name}")
    macro.add(AddNode(document, node, pos))
    return macro


def _shift_down(document, macro, names, amount=ROW_HEIGHT):
    if names:
        moves = {}
        for name in names:
            x, y = document.position(name)
            moves[name] = ((x, y), (x, y + amount))
        macro.add(Move(document, moves, "Make room"))


def insert_into_edge(document, class_name: str, source: str, target: str) -> Macro:
    """source -> new -> target, where target and everything below it move down one row."""
    node = new_node(document, class_name)
    index = document.node(target).inputs.index(source)
    macro = Macro(document, f"Insert {node.name}")
    below = [target] + graph_ops.chain_below(document.graph, target)
    _shift_down(document, macro, below)
    macro.add(AddNode(document, node, document.position(target)))
    macro.add(Disconnect(document, source, target))
    macro.add(Connect(document, source, node.name))
    macro.add(Connect(document, node.name, target, index))
    return macro


def append_after(document, class_name: str, parent: str) -> Macro:
    """New block below `parent`: inserted before its only consumer, else a new branch end."""
    consumers = document.graph.consumers(parent)
    edges = document.graph.consumer_edges(parent)
    if len(edges) == 1 and edges[0][0] == parent:
        return insert_into_edge(document, class_name, parent, consumers[0])
    node = new_node(document, class_name)
    x, y = document.position(parent)
    x += _branch_offset(len(consumers))
    macro = Macro(document, f"Append {node.name}")
    macro.add(AddNode(document, node, (x, y + ROW_HEIGHT)))
    macro.add(Connect(document, parent, node.name))
    return macro


def _branch_offset(branches: int) -> float:
    """Horizontal offset of a new branch so it does not sit on an existing one."""
    return 0.0 if branches == 0 else 260.0 * branches


def connect_ports(document, source: str, target: str):
    """An edge source -> target; a single-input target gives up its old input. None if invalid."""
    if graph_ops.can_connect(document.graph, source, target):
        return None
    macro = Macro(document, f"Connect {source} → {target}")
    old = document.node(target).inputs
    if old and not graph_ops.accepts_many(document.graph, target):
        macro.add(Disconnect(document, old[0], target))
    macro.add(Connect(document, source, target))
    return macro


def remove_selection(document, nodes=(), edges=()) -> Macro | None:
    """Deletes blocks (with every edge touching them) and the given edges."""
    nodes = [n for n in nodes if n in document.graph.nodes]
    doomed_edges = [(s, t) for s, t in edges
                    if t in document.graph.nodes and s in document.node(t).inputs]
    for name in nodes:
        doomed_edges += [(p, name) for p in document.node(name).inputs]
        doomed_edges += document.graph.consumer_edges(name)  # "name" and "name:k" edges
    doomed_edges = list(dict.fromkeys(doomed_edges))
    if not nodes and not doomed_edges:
        return None
    text = f"Delete {len(nodes)} block(s)" if nodes else "Delete connection(s)"
    macro = Macro(document, text)
    for source, target in doomed_edges:
        macro.add(Disconnect(document, source, target))
    for name in nodes:
        macro.add(RemoveNode(document, name))
    return macro


def reorder_into_edge(document, name: str, source: str, target: str):
    """Moves the chain block `name` into the edge source -> target (its old neighbours join)."""
    node = document.node(name)
    consumers = document.graph.consumers(name)
    if len(node.inputs) > 1 or len(consumers) > 1 or name in (source, target) or any(
            ref != name for ref, _ in document.graph.consumer_edges(name)):
        return None  # a block whose later outputs are used is no chain link
    macro = Macro(document, f"Move {name} in the stack")
    parent = node.inputs[0] if node.inputs else None
    child = consumers[0] if consumers else None
    if parent:
        macro.add(Disconnect(document, parent, name))
    if child:
        index = document.node(child).inputs.index(name)
        macro.add(Disconnect(document, name, child))
        if parent and not graph_ops.would_create_cycle(document.graph, parent, child):
            macro.add(Connect(document, parent, child, index))
    index = document.node(target).inputs.index(source)
    macro.add(Disconnect(document, source, target))
    macro.add(Connect(document, source, name))
    macro.add(Connect(document, name, target, index))
    macro.add(_LayoutAfter(document, macro))
    return macro


class _LayoutAfter(Move):
    """Restacks every block once the macro's rewiring is done (positions computed then)."""

    def __init__(self, document, macro):
        super().__init__(document, {}, "Restack")

    def _redo(self):
        if not self.moves:
            target = auto_layout(self.doc.graph, _origin(self.doc))
            self.moves = {n: (self.doc.position(n), p) for n, p in target.items()}
        super()._redo()


def _origin(document):
    inputs = document.graph.input_names
    if inputs:
        return document.position(inputs[0])
    return (0.0, 0.0)


def layout_all(document) -> Move | None:
    """Auto-layout: every block arranged top to bottom, as one undoable move."""
    target = auto_layout(document.graph, _origin(document))
    moves = {n: (document.position(n), p) for n, p in target.items()
             if tuple(document.position(n)) != tuple(p)}
    return Move(document, moves, "Auto-layout") if moves else None
