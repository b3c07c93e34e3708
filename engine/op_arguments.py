"""The arguments of an op node as JSON data: which are the node's inputs, which are constants.

`ops.concatenate([a, b], axis=-1)` on symbolic tensors is stored as

    {"xs": {"list": [{"input": 0}, {"input": 1}]}, "axis": -1}

with the node's `inputs` naming what `a` and `b` came from. The encoding, version 1:

    JSON null, true/false, number, string   the same Python value
    JSON array [a, b]                       a tuple (shapes, axes: what NumPy expects)
    {"input": k}                            the node's k-th input tensor
    {"inputs": k}                           a list of the node's inputs from k on (a canvas
                                            block such as concatenate takes any number)
    {"list": [a, b]}                        a Python list (x[[0, 2]] gathers rows 0 and 2)
    {"slice": [start, stop, step]}          a slice (x[:, 1:3])
    {"ellipsis": true}                      `...`
    {"float": "inf" | "-inf" | "nan"}       a number JSON cannot write
    {"array": [[...]], "dtype": "float32"}  a small constant array

Only small constants are stored inline (`MAX_CONSTANT_NUMBERS` numbers per node); a larger
array belongs in a layer's weights, as Keras would make it one.
"""

import inspect
import math

import numpy as np

from .errors import SpecError

#: Numbers one op node may hold inline; more is a weight's job.
MAX_CONSTANT_NUMBERS = 256
#: How deep the constant structures may nest (a damaged file must not recurse for ever).
MAX_DEPTH = 12
_MARKERS = ("input", "inputs", "list", "slice", "ellipsis", "float", "array")


class _Budget:
    """Counts the numbers stored inline, so one place enforces the limit."""

    def __init__(self, where: str):
        self.where, self.used = where, 0

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > MAX_CONSTANT_NUMBERS:
            raise SpecError(
                f"{self.where}: its constant arguments hold more than {MAX_CONSTANT_NUMBERS} "
                "numbers, too many to store in the model spec. Keep big constants in a layer "
                "instead: a layer whose build() makes them a weight (add_weight with "
                "trainable=False), as Keras would, or feed them as an Input.")


# ----- encoding (an op called on symbolic tensors) ---------------------------------------------
def encode_call(op: str, fn, args, kwargs, is_tensor) -> tuple[dict, list]:
    """(arguments as JSON data, the input tensors in `{"input": k}` order) of `fn(*args,
    **kwargs)`; `is_tensor(v)` tells the symbolic tensors apart from constants."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        raise SpecError(f"ops.{op}: {exc}.") from None
    tensors, budget = [], _Budget(f"ops.{op}")
    arguments = {}
    for name, value in bound.arguments.items():
        where = f"ops.{op}, argument `{name}`"
        if bound.signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
            raise SpecError(f"{where}: extra keyword arguments cannot be stored in an op node.")
        arguments[name] = _encode(value, tensors, is_tensor, budget, where, 0)
    return arguments, tensors


def _encode(value, tensors, is_tensor, budget, where, depth):
    if depth > MAX_DEPTH:
        raise SpecError(f"{where}: the value nests deeper than {MAX_DEPTH} levels.")
    if is_tensor(value):
        for k, seen in enumerate(tensors):
            if seen is value:
                return {"input": k}
        tensors.append(value)
        return {"input": len(tensors) - 1}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        return _encode_number(value.item() if isinstance(value, np.generic) else value, budget)
    if isinstance(value, (tuple, list)):
        items = [_encode(v, tensors, is_tensor, budget, where, depth + 1) for v in value]
        return items if isinstance(value, tuple) else {"list": items}
    if isinstance(value, slice):
        return {"slice": [_encode(v, tensors, is_tensor, budget, where, depth + 1)
                          for v in (value.start, value.stop, value.step)]}
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    return _encode_array(value, budget, where)


def _encode_number(number, budget):
    budget.spend(1)
    if isinstance(number, float) and not math.isfinite(number):
        return {"float": "nan" if math.isnan(number) else ("inf" if number > 0 else "-inf")}
    return number


def _encode_array(value, budget, where):
    if hasattr(value, "_engine_leaf"):  # a Variable: a weight, not a constant
        raise SpecError(f"{where}: a weight (Variable) cannot be a constant of an op node; the "
                        "model would not train it. Use it inside a layer's call() instead.")
    from .backend import to_numpy  # noqa: PLC0415
    from .ops.core import value_of  # noqa: PLC0415

    raw = value_of(value)
    if not (hasattr(raw, "shape") and hasattr(raw, "dtype")):
        raise SpecError(f"{where}: a {type(value).__name__} cannot be stored in a model spec. "
                        "Expected a symbolic tensor, a number, a string, a tuple or list of "
                        "them, a slice, or a small array.")
    array = np.asarray(to_numpy(raw))
    if array.dtype.kind not in "biuf":
        raise SpecError(f"{where}: arrays of dtype {array.dtype} cannot be stored in a spec.")
    budget.spend(int(array.size))
    return {"array": array.tolist(), "dtype": array.dtype.name}


# ----- decoding (reading a spec, running the node) --------------------------------------------
def check_arguments(op: str, fn, arguments, where: str) -> tuple[int, bool]:
    """Validates stored arguments against `fn`'s signature; returns (how many inputs the
    node reads at least, whether it takes any number more)."""
    if not isinstance(arguments, dict):
        raise SpecError(f"{where}: 'arguments' must be an object of argument name -> value. "
                        f"Received: {arguments!r}")
    parameters = inspect.signature(fn).parameters
    for name in arguments:
        if name not in parameters or parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
            raise SpecError(f"{where}: ops.{op} has no argument {name!r}. Its arguments are: "
                            f"{', '.join(p for p in parameters)}.")
    found = {"inputs": set(), "rest": None}
    budget = _Budget(where)

    def visit(marker, index):
        if marker == "inputs":
            if found["rest"] is not None:
                raise SpecError(f"{where}: only one argument may take 'the remaining inputs'.")
            found["rest"] = index
        else:
            found["inputs"].add(index)

    for name, value in arguments.items():
        _walk(value, visit, budget, f"{where}, argument `{name}`", 0)
    used = max(found["inputs"], default=-1) + 1
    rest = found["rest"]
    if rest is not None and used > rest:
        raise SpecError(f"{where}: input {used - 1} is also among 'the inputs from {rest} on'.")
    if used == 0 and rest is None:
        raise SpecError(f"{where}: ops.{op} reads no input tensor. An op node computes from "
                        "its inputs: put an {\"input\": 0} where the tensor goes.")
    return (used if rest is None else max(rest + 1, used)), rest is not None


def decode(value, inputs, xp=np):
    """The Python value of stored argument data, with the node's `inputs` put in place."""
    return _walk(value, lambda marker, k: inputs[k] if marker == "input" else list(inputs[k:]),
                 None, "", 0, xp)


def _walk(value, on_input, budget, where, depth, xp=np):
    """Decodes (or, with a budget, only checks) one stored value."""
    if depth > MAX_DEPTH:
        raise SpecError(f"{where}: the value nests deeper than {MAX_DEPTH} levels.")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        if budget is not None:
            budget.spend(1)
        return value
    if isinstance(value, list):
        return tuple(_walk(v, on_input, budget, where, depth + 1, xp) for v in value)
    if not isinstance(value, dict):
        raise SpecError(f"{where}: {type(value).__name__} is not argument data.")
    marker = _marker_of(value, where)
    body = value[marker]
    if marker in ("input", "inputs"):
        if isinstance(body, bool) or not isinstance(body, int) or not 0 <= body < 10_000:
            raise SpecError(f"{where}: {{{marker!r}: ...}} needs an input index >= 0. "
                            f"Received: {body!r}")
        return on_input(marker, body)
    if marker == "array":
        return _decode_array(body, on_input, budget, where, depth, xp,
                             value.get("dtype", "float32"))
    return _DECODERS[marker](body, on_input, budget, where, depth, xp)


def _marker_of(value, where):
    keys = set(value)
    marker = next((m for m in _MARKERS if m in keys), None)
    allowed = {marker, "dtype"} if marker == "array" else {marker}
    if marker is None or keys != allowed:
        raise SpecError(f"{where}: {value!r} is not argument data. Expected one of "
                        + ", ".join(f'{{"{m}": ...}}' for m in _MARKERS) + ".")
    return marker


def _decode_list(body, on_input, budget, where, depth, xp):
    if not isinstance(body, list):
        raise SpecError(f"{where}: {{'list': ...}} needs a JSON array. Received: {body!r}")
    return [_walk(v, on_input, budget, where, depth + 1, xp) for v in body]


def _decode_slice(body, on_input, budget, where, depth, xp):
    if not isinstance(body, list) or len(body) != 3 or not all(
            v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in body):
        raise SpecError(f"{where}: {{'slice': ...}} needs [start, stop, step], each an integer "
                        f"or null. Received: {body!r}")
    return slice(*body)


def _decode_ellipsis(body, on_input, budget, where, depth, xp):
    return Ellipsis


def _decode_float(body, on_input, budget, where, depth, xp):
    if body not in ("inf", "-inf", "nan"):
        raise SpecError(f"{where}: {{'float': ...}} is for \"inf\", \"-inf\" or \"nan\". "
                        f"Received: {body!r}")
    return float(body)


def _decode_array(body, on_input, budget, where, depth, xp, dtype="float32"):
    try:
        array = np.asarray(body, dtype=np.dtype(dtype))
    except (TypeError, ValueError):
        array = None
    if array is None or array.dtype.kind not in "biuf" or array.ndim > 8:
        raise SpecError(f"{where}: {{'array': ..., 'dtype': ...}} needs a rectangular array "
                        f"of numbers and a numeric dtype. Received dtype: {dtype!r}")
    if budget is not None:
        budget.spend(int(array.size))
    return xp.asarray(array)


_DECODERS = {"list": _decode_list, "slice": _decode_slice, "ellipsis": _decode_ellipsis,
             "float": _decode_float}
