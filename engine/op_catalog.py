"""The op blocks a builder offers (the app's "Ops" palette group), and their editable settings.

Each entry gives an op's default `arguments` for a fresh canvas block (its inputs in order)
and the constants a person may edit, as `Param`s named after the op's arguments. The slice of
a `getitem` block is edited as text in Python's own notation (`:, 1:3`), parsed here without
`eval`. Ops made in code but not listed here still open in the editor: their plain numbers,
booleans and strings get a field of the matching kind (`editable_params`).
"""

from .errors import SpecError
from .params import BOOL, FLOAT, INT, INTS, STR, Param

_X = {"x": {"input": 0}}
_X1_X2 = {"x1": {"input": 0}, "x2": {"input": 1}}
_AXIS = Param("axis", INT, -1, help="The axis it works along (-1: the last one).")
_KEEPDIMS = Param("keepdims", BOOL, False, help="Whether the reduced axis stays, with size 1.")
_KEY = Param("key", STR, ":, 0:1", help="What x[...] takes, in Python's notation: ':, 1:3' "
                                        "is x[:, 1:3] (the batch axis comes first).")

#: op -> (default arguments, editable Params), in palette order.
PALETTE_OPS = {
    "add": (_X1_X2, ()), "subtract": (_X1_X2, ()), "multiply": (_X1_X2, ()),
    "divide": (_X1_X2, ()), "matmul": (_X1_X2, ()), "negative": (_X, ()),
    "getitem": ({"x": {"input": 0}, "key": [{"slice": [None, None, None]},
                                             {"slice": [0, 1, None]}]}, (_KEY,)),
    "concatenate": ({"xs": {"inputs": 0}, "axis": -1}, (_AXIS,)),
    "reshape": ({"x": {"input": 0}, "newshape": [-1, 1]},
                (Param("newshape", INTS, (-1, 1), allow_negative_one=True, minimum=1,
                       help="The new shape, batch axis first: -1 keeps the batch size."),)),
    "transpose": ({"x": {"input": 0}, "axes": [0, 2, 1]},
                  (Param("axes", INTS, (0, 2, 1), minimum=0, optional=True,
                         help="The new order of the axes; keep 0 (the batch axis) first."),)),
    "mean": ({"x": {"input": 0}, "axis": -1, "keepdims": False}, (_AXIS, _KEEPDIMS)),
    "sum": ({"x": {"input": 0}, "axis": -1, "keepdims": False}, (_AXIS, _KEEPDIMS)),
    "exp": (_X, ()), "log": (_X, ()), "sqrt": (_X, ()), "square": (_X, ()),
    "relu": (_X, ()), "sigmoid": (_X, ()), "tanh": (_X, ()),
    "softmax": ({"x": {"input": 0}, "axis": -1}, (_AXIS,)),
}


def default_arguments(op: str) -> dict:
    """Arguments of a fresh `op` block: the palette's, else its first argument as input 0."""
    if op in PALETTE_OPS:
        return _copy(PALETTE_OPS[op][0])
    import inspect  # noqa: PLC0415

    from .ops.op_table import op_function  # noqa: PLC0415

    first = next(iter(inspect.signature(op_function(op)).parameters))
    return {first: {"input": 0}}


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# ----- the property editor's view of an op node ------------------------------------------------
def editable_params(op: str, arguments: dict) -> tuple:
    """The Params a person may edit for this node: the palette's, or one per plain constant."""
    declared = PALETTE_OPS.get(op, (None, ()))[1]
    if declared:
        return tuple(declared)
    kinds = {bool: BOOL, int: INT, float: FLOAT, str: STR}
    return tuple(Param(name, kinds[type(value)], value, help=f"Argument `{name}` of ops.{op}.")
                 for name, value in arguments.items() if type(value) in kinds)


def field_value(op: str, name: str, stored):
    """What the editor shows for a stored argument (a slice key as text)."""
    if op == "getitem" and name == "key":
        return key_text(stored)
    return stored


def stored_value(op: str, name: str, edited):
    """The argument data for an edited value (raises SpecError for a bad slice text)."""
    if op == "getitem" and name == "key":
        return parse_key(edited)
    return list(edited) if isinstance(edited, tuple) else edited


# ----- x[...] keys as text -------------------------------------------------------------------
def key_text(stored) -> str:
    """`[{"slice": [None, None, None]}, {"slice": [1, 3, None]}]` -> `":, 1:3"`."""
    items = stored if isinstance(stored, list) else [stored]
    return ", ".join(_item_text(item) for item in items)


def _item_text(item) -> str:
    if isinstance(item, dict) and "slice" in item:
        start, stop, step = item["slice"]
        text = f"{'' if start is None else start}:{'' if stop is None else stop}"
        return text + (f":{step}" if step is not None else "")
    if isinstance(item, dict) and "ellipsis" in item:
        return "..."
    return "None" if item is None else str(item)


def parse_key(text: str) -> list:
    """`":, 1:3"` -> the stored key of x[:, 1:3] (integers, slices, `...`, None only)."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError("The key of x[...] is empty. Write it as in Python, e.g. ':, 1:3'.")
    return [_parse_item(part.strip(), text) for part in text.split(",")]


def _parse_item(part: str, text: str):
    if part == "...":
        return {"ellipsis": True}
    if part == "None":
        return None
    pieces = part.split(":")
    if len(pieces) > 3:
        raise SpecError(f"'{part}' in x[{text}] is not a slice. Expected start:stop:step.")
    try:
        numbers = [int(p) if p.strip() else None for p in pieces]
    except ValueError:
        raise SpecError(f"'{part}' in x[{text}] is not an integer, a slice (1:3), '...' or "
                        "None; an op block's key holds only those.") from None
    if len(pieces) == 1:
        return numbers[0]
    return {"slice": numbers + [None] * (3 - len(numbers))}
