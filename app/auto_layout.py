"""Top-to-bottom layered layout of a model graph (no Qt).

A light Sugiyama scheme: each node's row is its longest path from a source, nodes within a
row are ordered by the mean column of their parents (a few sweeps reduce crossings), and rows
are centred on x = 0.
"""

from engine.graph import ModelGraph

ROW_HEIGHT = 120.0  # block height (76) plus the gap an edge needs
COLUMN_WIDTH = 260.0  # block width (220) plus a gutter


def layers_of(graph: ModelGraph) -> dict[str, int]:
    """Row index of every node: 0 for sources, else 1 + the deepest parent's row."""
    rows: dict[str, int] = {}

    def row(name, active):
        if name in rows:
            return rows[name]
        if name in active:  # a cycle: the engine reports it; place it anyway
            return 0
        active.add(name)
        parents = graph.parent_nodes(name)
        rows[name] = 1 + max((row(p, active) for p in parents), default=-1)
        active.discard(name)
        return rows[name]

    for name in graph.nodes:
        row(name, set())
    return rows


def _parents_with_dummies(graph: ModelGraph, rows: dict[str, int]) -> dict[str, list[str]]:
    """Parents of every node, long edges broken by virtual nodes (`~src~dst~row`) so that
    blocks in the rows they cross make room for them."""
    parents: dict[str, list[str]] = {name: [] for name in graph.nodes}
    for name in graph.nodes:
        for parent in graph.parent_nodes(name):
            previous = parent
            for r in range(rows[parent] + 1, rows[name]):
                dummy = f"~{parent}~{name}~{r}"
                rows[dummy] = r
                parents[dummy] = [previous]
                previous = dummy
            parents[name].append(previous)
    return parents


def _order_rows(graph: ModelGraph, rows: dict[str, int]) -> list[list[str]]:
    parents = _parents_with_dummies(graph, rows)
    table: list[list[str]] = [[] for _ in range(max(rows.values(), default=-1) + 1)]
    for name in parents:
        table[rows[name]].append(name)
    for _ in range(4):  # barycentre sweeps, downwards
        column = {n: i - (len(r) - 1) / 2.0 for r in table for i, n in enumerate(r)}
        for r in table[1:]:
            def key(name, column=column):
                ps = [column[p] for p in parents[name] if p in column]
                return sum(ps) / len(ps) if ps else column[name]
            r.sort(key=key)
    return table


def auto_layout(graph: ModelGraph, origin=(0.0, 0.0)) -> dict[str, tuple[float, float]]:
    """Positions (top-left corners) for every node, stacked top to bottom."""
    if not graph.nodes:
        return {}
    table = _order_rows(graph, layers_of(graph))
    positions = {}
    x0, y0 = origin
    for r, names in enumerate(table):
        width = (len(names) - 1) * COLUMN_WIDTH
        for i, name in enumerate(names):
            if name.startswith("~"):
                continue
            positions[name] = (x0 + i * COLUMN_WIDTH - width / 2.0, y0 + r * ROW_HEIGHT)
    return positions
