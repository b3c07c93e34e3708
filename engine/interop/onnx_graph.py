"""A small builder for ONNX graphs: nodes, weights and constants with unique names.

The per-layer converters (`onnx_layers`, `onnx_conv`, `onnx_recurrent`...) write through
it, so none of them touches protobuf details: `g.op("Relu", [x])` appends a node and
returns its output's name, `g.weight(array)` stores a float32 initializer. `onnx` is
imported when a builder is made, never when this module is imported.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .. import backend

#: The opset the exported graphs use: the first with LayerNormalization, and one that
#: serving runtimes have read for years.
OPSET = 17
#: Slice `ends` that means "to the end" of an axis, whatever its size.
TO_END = np.iinfo(np.int64).max


@dataclass
class Call:
    """One layer application, as a converter sees it.

    Attributes:
        layer: The engine layer (its config attributes and `params`).
        inputs: The ONNX tensor names of its inputs, in graph order.
        in_shapes: Their batch-less shapes (None for a variable size).
        out_shapes: The batch-less shapes of its outputs.
    """

    layer: object
    inputs: list
    in_shapes: list
    out_shapes: list

    @property
    def x(self) -> str:
        return self.inputs[0]

    @property
    def shape(self) -> tuple:
        """The batch-less shape of the first input."""
        return tuple(self.in_shapes[0])

    @property
    def rank(self) -> int:
        """The rank of the first input, batch axis included."""
        return len(self.in_shapes[0]) + 1


class OnnxGraph:
    """Collects the nodes and initializers of one ONNX graph."""

    def __init__(self):
        from onnx import helper, numpy_helper  # noqa: PLC0415 - optional package

        self._helper, self._numpy_helper = helper, numpy_helper
        self.nodes: list = []
        self.initializers: list = []
        self._taken: set[str] = set()
        self._constants: dict = {}
        self._scope = "model"
        #: float tensor name -> the integer tensor it was cast from (an integer Input).
        self.integer_sources: dict[str, str] = {}

    # ----- names ----------------------------------------------------------------------------
    @contextmanager
    def scope(self, name: str):
        """Names made inside start with `name/` (the layer being converted)."""
        outer, self._scope = self._scope, name
        try:
            yield
        finally:
            self._scope = outer

    def reserve(self, name: str) -> str:
        """Takes `name` as it is (a graph input or output); it must be free."""
        if name in self._taken:
            raise ValueError(f"ONNX name {name!r} is used twice")
        self._taken.add(name)
        return name

    def fresh(self, hint: str) -> str:
        """A name not used yet, `scope/hint` (with a counter when needed)."""
        base = f"{self._scope}/{hint}"
        name, count = base, 1
        while name in self._taken:
            count += 1
            name = f"{base}_{count}"
        self._taken.add(name)
        return name

    # ----- nodes ----------------------------------------------------------------------------
    def op(self, op_type: str, inputs, outputs: int = 1, out_names=None, **attrs):
        """Appends an `op_type` node; returns its output name (a list when `outputs` > 1).

        An empty string in `inputs` is an omitted optional input, as ONNX spells it.
        """
        names = list(out_names) if out_names else [self.fresh(op_type) for _ in range(outputs)]
        node = self._helper.make_node(op_type, list(inputs), names, name=self.fresh(
            f"{op_type}_node"), **attrs)
        self.nodes.append(node)
        return names[0] if len(names) == 1 else names

    # ----- initializers ---------------------------------------------------------------------
    def weight(self, array, hint: str = "weight") -> str:
        """A float32 initializer holding `array` (a layer weight, NumPy or CuPy)."""
        values = np.ascontiguousarray(backend.to_numpy(array), dtype=np.float32)
        return self._initializer(values, hint)

    def ints(self, values, hint: str = "const") -> str:
        """An int64 1-D constant (shapes, axes, pads), shared by every node that needs it."""
        return self._cached(np.asarray(values, dtype=np.int64).reshape(-1), hint)

    def scalar(self, value: float, hint: str = "const") -> str:
        """A float32 scalar constant, shared by every node that needs it."""
        return self._cached(np.asarray(value, dtype=np.float32), hint)

    def floats(self, values, hint: str = "const") -> str:
        """A float32 constant of any shape (computed from weights: not shared)."""
        return self._initializer(np.ascontiguousarray(values, dtype=np.float32), hint)

    def _cached(self, values: np.ndarray, hint: str) -> str:
        key = (values.dtype.str, values.shape, values.tobytes())
        if key not in self._constants:
            with self.scope("const"):
                self._constants[key] = self._initializer(values, hint)
        return self._constants[key]

    def _initializer(self, values: np.ndarray, hint: str) -> str:
        name = self.fresh(hint)
        self.initializers.append(self._numpy_helper.from_array(values, name=name))
        return name

    def fill(self, shape: str, value: float) -> str:
        """A float32 tensor of the run-time `shape` (an int64 tensor) filled with `value`."""
        filler = self._numpy_helper.from_array(np.asarray([value], dtype=np.float32))
        return self.op("ConstantOfShape", [shape], value=filler)

    # ----- small compositions the converters share -------------------------------------------
    def transpose(self, x: str, perm) -> str:
        return self.op("Transpose", [x], perm=[int(p) for p in perm])

    def reshape(self, x: str, shape) -> str:
        """Reshape to `shape` (batch axis included: 0 copies that axis, -1 is inferred)."""
        return self.op("Reshape", [x, self.ints(shape, "shape")])

    def unsqueeze(self, x: str, axes) -> str:
        return self.op("Unsqueeze", [x, self.ints(axes, "axes")])

    def squeeze(self, x: str, axes) -> str:
        return self.op("Squeeze", [x, self.ints(axes, "axes")])

    def slice(self, x: str, starts, ends, axes, steps=None) -> str:
        inputs = [x, self.ints(starts, "starts"), self.ints(ends, "ends"),
                  self.ints(axes, "axes")]
        if steps is not None:
            inputs.append(self.ints(steps, "steps"))
        return self.op("Slice", inputs)

    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        """ReduceMean/ReduceMax/ReduceSum over `axes` (opset 17 spells axes two ways)."""
        if op_type == "ReduceSum":
            return self.op(op_type, [x, self.ints(axes, "axes")], keepdims=int(keepdims))
        return self.op(op_type, [x], axes=[int(a) for a in axes], keepdims=int(keepdims))

    def affine(self, x: str, scale, shift) -> str:
        """`x * scale + shift` with float constants (either may be None: skipped)."""
        if scale is not None:
            x = self.op("Mul", [x, self._float_operand(scale, "scale")])
        if shift is not None:
            x = self.op("Add", [x, self._float_operand(shift, "shift")])
        return x

    def _float_operand(self, value, hint):
        if np.ndim(value) == 0:
            return self.scalar(float(value), hint)
        return self.floats(value, hint)
