"""Which output of a node an edge reads: the entries of a node's `inputs` in a spec.

`"lstm"` is output 0 of the node `lstm`: every spec written before layers had several outputs
reads that way, unchanged. `"lstm:1"` is its output 1 (Keras's `lstm[0][1]`, e.g. the hidden
state of `LSTM(..., return_state=True)`). A name that is itself a node always means that node,
so a layer whose name ends in `:<digits>` still works.
"""

import re

_INDEXED = re.compile(r"^(.+):(\d+)$")


def output_ref(node: str, index: int) -> str:
    """The `inputs` entry that reads output `index` of `node` (plain name for output 0)."""
    return node if index == 0 else f"{node}:{index}"


def output_refs(node: str, count: int) -> list[str]:
    """The references of every output of `node`, in output order."""
    return [output_ref(node, i) for i in range(count)]


def split_ref(ref: str, nodes=()) -> tuple[str, int]:
    """(node name, output index) of an `inputs` entry; `nodes` are the graph's node names."""
    if ref in nodes:
        return ref, 0
    match = _INDEXED.match(ref)
    if match is None:
        return ref, 0
    return match.group(1), int(match.group(2))


def node_of(ref: str, nodes=()) -> str:
    """The node an `inputs` entry reads from."""
    return split_ref(ref, nodes)[0]
