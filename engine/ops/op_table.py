"""The allow-list of ops a model spec may name: `engine.ops` functions, by their public name.

An op node in a spec (`{"class_name": "Op", "config": {"op": "add", ...}}`) is resolved only
here: the table is built once, at import, from the names the op modules list in `__all__`
(plus the operator ops), so a name read from a file is looked up in a dict and never reaches
`getattr` or an import. The table grows by itself as the op modules export more ops.
"""

from . import core, nn_api, numpy_api

#: Exported functions that do not compute a tensor from tensors, so they never become an op
#: node: on a symbolic tensor they are answered (`shape`, `ndim`) or refused with a reason.
NOT_NODES = {
    "shape": "it is answered from the symbolic tensor",
    "ndim": "it is answered from the symbolic tensor",
    "size": "the batch size of a symbolic tensor is not known",
    "convert_to_numpy": "a symbolic tensor holds no values yet",
    "nonzero": "its output shape depends on the data",
}

#: Spec names of the operators that are not functions of `engine.ops` under that name.
OPERATOR_OPS = {"getitem": core.get_item}


def _exported(module) -> dict:
    return {name: getattr(module, name) for name in module.__all__}


def _build_table() -> dict:
    table = {"absolute": core.absolute, "add": core.add, "divide": core.divide,
             "matmul": core.matmul, "multiply": core.multiply, "negative": core.negative,
             "power": core.power, "subtract": core.subtract, "true_divide": core.true_divide}
    table.update(_exported(numpy_api))
    table.update(_exported(nn_api))
    table.update(OPERATOR_OPS)
    return {name: fn for name, fn in table.items() if name not in NOT_NODES and callable(fn)}


#: Op name -> the (undispatched) function that computes it.
OPS: dict = _build_table()


def op_function(name):
    """The function of op `name`, or None when `name` is not on the allow-list."""
    return OPS.get(name) if isinstance(name, str) else None


def op_names() -> list[str]:
    return sorted(OPS)
