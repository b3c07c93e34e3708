"""The heart of the autodiff: `Tensor`, recording of ops, and the reverse walk.

Define-by-run, as Chainer: an op computes its result with `xp` (NumPy or CuPy) at once and,
only while a GradientTape records and one of its inputs is tracked, attaches a `Node` that
holds the op's VJP and its parents. `backprop` walks those nodes from a target back.

    y = xp.exp(x_value)
    return record(y, (x,), lambda g: (g * y,))   # VJP beside the forward

A value is tracked when it is a trainable Variable read under a tape, a watched value, or
the result of an op on tracked values. Nothing else pays: without a recording tape `record`
only wraps the result.
"""

import threading

import numpy as np

from .. import backend

_local = threading.local()


# ----- recording state ----------------------------------------------------------------------
def active_tapes() -> list:
    """The GradientTapes entered in this thread, innermost last."""
    tapes = getattr(_local, "tapes", None)
    if tapes is None:
        tapes = _local.tapes = []
    return tapes


def is_recording() -> bool:
    """Whether an op run now would be recorded (a tape is active and not paused)."""
    tapes = getattr(_local, "tapes", None)
    if tapes:  # a loop, not any(): this runs for every op and layer call
        for tape in tapes:
            if not tape._paused:
                return True
    return False


class Node:
    """One recorded op (or a leaf: a Variable or a watched value, with no VJP).

    `vjp(g)` returns one cotangent per parent (None where there is none); `parents` holds
    each input's node, None for an input that is not tracked.
    """

    __slots__ = ("parents", "vjp", "source", "__weakref__")

    def __init__(self, parents=(), vjp=None, source=None):
        self.parents = parents
        self.vjp = vjp
        self.source = source  # the Variable or Tensor a leaf stands for


class Tensor:
    """A value an op returned: an xp array plus, while recorded, the node that made it.

    It behaves like Keras's backend tensors: `shape`, `dtype`, `ndim`, `numpy()`, operators,
    indexing, `float()`, and `np.asarray(t)` all work.
    """

    __slots__ = ("value", "node", "__weakref__")
    # `ndarray + Tensor` and `ndarray @ Variable` defer to the reflected operator (recorded),
    # instead of NumPy reading the value through __array__ (which would lose the gradient).
    __array_ufunc__ = None

    def __init__(self, value, node=None):
        self.value = value
        self.node = node

    # ----- array surface ---------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.value.shape)

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def ndim(self):
        return self.value.ndim

    @property
    def size(self):
        return int(self.value.size)

    def numpy(self):
        """The value as a NumPy array (copied from the GPU when it lives there)."""
        return backend.to_numpy(self.value)

    def __array__(self, dtype=None, copy=None):
        array = np.asarray(backend.to_numpy(self.value))
        return array.astype(dtype) if dtype is not None else array

    def __float__(self):
        return float(backend.to_numpy(self.value))

    def __int__(self):
        return int(backend.to_numpy(self.value))

    def __index__(self):
        return int(backend.to_numpy(self.value))

    def __bool__(self):
        return bool(backend.to_numpy(self.value))

    def __len__(self):
        if self.value.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return int(self.value.shape[0])

    def __iter__(self):
        if self.value.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    def __format__(self, spec):
        if self.value.ndim == 0:
            return format(float(self), spec)
        return format(str(self), spec)

    def __repr__(self):
        tracked = ", tracked" if self.node is not None else ""
        return f"<Tensor shape={self.shape}, dtype={self.dtype}{tracked}>\n{self.numpy()!r}"

    def __str__(self):
        return str(self.numpy())

    __hash__ = object.__hash__  # tensors are keys by identity (tape sources), as TF's

    # ----- operators: all go through engine.ops, so they record too ---------------------------
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return subtract(self, other)

    def __rsub__(self, other):
        return subtract(other, self)

    def __mul__(self, other):
        return multiply(self, other)

    def __rmul__(self, other):
        return multiply(other, self)

    def __truediv__(self, other):
        return divide(self, other)

    def __rtruediv__(self, other):
        return divide(other, self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __pow__(self, other):
        return power(self, other)

    def __rpow__(self, other):
        return power(other, self)

    def __neg__(self):
        return negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return absolute(self)

    def __getitem__(self, key):
        return get_item(self, key)

    def __lt__(self, other):
        return _compare(np.less, self, other)

    def __le__(self, other):
        return _compare(np.less_equal, self, other)

    def __gt__(self, other):
        return _compare(np.greater, self, other)

    def __ge__(self, other):
        return _compare(np.greater_equal, self, other)

    def __eq__(self, other):
        return _compare(np.equal, self, other)

    def __ne__(self, other):
        return _compare(np.not_equal, self, other)

    def astype(self, dtype):
        from .numpy_api import cast  # noqa: PLC0415 - numpy_api imports this module

        return cast(self, dtype)


# ----- unwrapping and tracking ------------------------------------------------------------------
def value_of(x):
    """The raw xp array (or Python number) behind a Tensor, a Variable or a plain value."""
    if isinstance(x, Tensor):
        return x.value
    value = getattr(x, "_engine_value", None)  # a Variable (engine.variables) or a layer output
    if value is not None:
        return value()
    return x


def node_of(x):
    """The node to differentiate `x` through, or None when `x` is not tracked now."""
    if isinstance(x, Tensor):
        return x.node
    leaf = getattr(x, "_engine_leaf", None)  # Variable: tracked while a tape records
    if leaf is not None:
        return leaf()
    if is_recording() and _has_array_interface(x):
        for tape in active_tapes():
            node = tape._watched_arrays.get(id(x))
            if node is not None and node.source is x:
                return node
    return None


def _has_array_interface(x) -> bool:
    return hasattr(x, "__array_interface__") or hasattr(x, "__cuda_array_interface__")


def array_module(*values):
    """`numpy` or `cupy`, from the (unwrapped) array values among `values`."""
    arrays = [v for v in values if hasattr(v, "shape") and hasattr(v, "dtype")]
    return backend.get_array_module(*arrays) if arrays else np


def record(value, inputs, vjp):
    """Wraps `value` (an op's result) as a Tensor; records a node while a tape records and
    any of `inputs` is tracked. `vjp(g)` gives one cotangent per input (None for none)."""
    if not is_recording():
        return Tensor(value)
    parents = tuple(node_of(x) for x in inputs)
    if all(p is None for p in parents):
        return Tensor(value)
    return Tensor(value, Node(parents, vjp))


def needs_gradient(x) -> bool:
    """Whether a VJP must compute the cotangent of input `x` (skip the work otherwise).

    Ask while the op runs, never inside the VJP: at backprop time nothing records."""
    return is_recording() and node_of(x) is not None


def sum_to_shape(g, shape):
    """Undoes NumPy broadcasting in a VJP: sums `g` down to `shape`."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def float_of(x, like=None):
    """`value_of(x)` as an array; Python numbers follow the float dtype of `like`."""
    v = value_of(x)
    if isinstance(v, (bool, int, float)) and not hasattr(v, "shape"):
        xp = array_module(like) if like is not None else np
        dtype = like.dtype if like is not None and like.dtype.kind == "f" else backend.FLOATX
        return xp.asarray(v, dtype=dtype)
    if isinstance(v, (list, tuple)):
        return np.asarray(v, dtype=backend.FLOATX)
    return v


def _shape_of(x):
    v = value_of(x)
    return tuple(getattr(v, "shape", ()))


# ----- the reverse walk -------------------------------------------------------------------------
def topological_nodes(roots) -> list:
    """Every node reachable from `roots`, each after all of its parents (iterative DFS: a
    loop of thousands of steps must not hit Python's recursion limit)."""
    order, visited = [], set()
    for root in roots:
        if root is None or id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, 0)]
        while stack:
            node, i = stack[-1]
            parents = node.parents
            while i < len(parents) and (parents[i] is None or id(parents[i]) in visited):
                i += 1
            if i == len(parents):
                stack.pop()
                order.append(node)
            else:
                stack[-1] = (node, i + 1)
                visited.add(id(parents[i]))
                stack.append((parents[i], 0))
    return order


def backprop(seeds, keep=()) -> dict:
    """Cotangents of every node in `keep` (by id), starting from `seeds` ({node: cotangent}).

    Interior cotangents are freed as soon as they are passed on, unless kept.
    """
    keep_ids = {id(n) for n in keep}
    order = topological_nodes(list(seeds))
    grads = {}
    for node, g in seeds.items():
        grads[id(node)] = g if id(node) not in grads else grads[id(node)] + g
    kept = {}
    for node in reversed(order):
        key = id(node)
        g = grads.get(key) if key in keep_ids else grads.pop(key, None)
        if key in keep_ids and g is not None:
            kept[key] = g
        if g is None or node.vjp is None:
            continue
        outs = node.vjp(g)
        for parent, pg in zip(node.parents, outs):
            if parent is None or pg is None:
                continue
            pk = id(parent)
            grads[pk] = pg if pk not in grads else grads[pk] + pg
    return kept


# ----- the operators' ops (engine.ops re-exports them) -------------------------------------------
def _binary_values(x1, x2):
    """Both operands as arrays of Keras's result dtype (JAX-style promotion: Python numbers
    are weak, an int array meeting a float array takes the float), on one device."""
    a, b = same_dtype(x1, x2)
    return a, b


def add(x1, x2):
    a, b = _binary_values(x1, x2)
    y = a + b
    return record(y, (x1, x2), lambda g: (sum_to_shape(g, a.shape), sum_to_shape(g, b.shape)))


def subtract(x1, x2):
    a, b = _binary_values(x1, x2)
    y = a - b
    return record(y, (x1, x2), lambda g: (sum_to_shape(g, a.shape), sum_to_shape(-g, b.shape)))


def multiply(x1, x2):
    a, b = _binary_values(x1, x2)
    y = a * b
    return record(y, (x1, x2),
                  lambda g: (sum_to_shape(g * b, a.shape), sum_to_shape(g * a, b.shape)))


def divide(x1, x2):
    a, b = _binary_values(x1, x2)
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":  # Keras: int / int is float
        a, b = a.astype(backend.FLOATX), b.astype(backend.FLOATX)
    with quiet():
        y = a / b

    def vjp(g):
        with quiet():
            return sum_to_shape(g / b, a.shape), sum_to_shape(-g * y / b, b.shape)

    return record(y, (x1, x2), vjp)


true_divide = divide


def negative(x):
    a = float_of(x)
    return record(-a, (x,), lambda g: (-g,))


def absolute(x):
    a = float_of(x)
    xp = array_module(a)
    return record(xp.abs(a), (x,), lambda g: (g * xp.sign(a),))


def power(x1, x2):
    a, b = _binary_values(x1, x2)
    xp = array_module(a, b)
    with quiet():
        y = a ** b
    need_a, need_b = needs_gradient(x1), needs_gradient(x2)  # known now, not at backprop

    def vjp(g):
        with quiet():
            ga = sum_to_shape(g * b * a ** (b - 1), a.shape) if need_a else None
            gb = None
            if need_b:
                safe = xp.where(a > 0, a, 1)
                gb = sum_to_shape(g * y * xp.log(safe), b.shape)
        return ga, gb

    return record(y, (x1, x2), vjp)


def matmul(x1, x2):
    """`x1 @ x2` with NumPy's rules (1-D operands promoted and squeezed, batch broadcast)."""
    a, b = _binary_values(x1, x2)
    xp = array_module(a, b)
    y = xp.matmul(a, b)
    need_a, need_b = needs_gradient(x1), needs_gradient(x2)

    def vjp(g):
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if need_a:
            ga = sum_to_shape(xp.matmul(g2, xp.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if need_b:
            gb = sum_to_shape(xp.matmul(xp.swapaxes(a2, -1, -2), g2), b2.shape).reshape(b.shape)
        return ga, gb

    return record(y, (x1, x2), vjp)


def get_item(x, key):
    """`x[key]` (basic and advanced indexing); the VJP scatters back with `add.at`."""
    a = value_of(x)
    key = _index_values(key)
    y = a[key]
    xp = array_module(a)

    def vjp(g):
        out = xp.zeros(a.shape, dtype=g.dtype)
        if xp is np:
            np.add.at(out, key, g)
        else:
            xp.add.at(out, key, g)
        return (out,)

    return record(y, (x,), vjp)


def _index_values(key):
    if isinstance(key, tuple):
        return tuple(_index_values(k) for k in key)
    if isinstance(key, list):
        return [value_of(k) for k in key]
    value = value_of(key)
    if isinstance(value, (np.ndarray,)) or hasattr(value, "__cuda_array_interface__"):
        return value
    return value


def _compare(ufunc, x1, x2):
    for x in (x1, x2):  # a foreign object (pytest.approx...) gets its own reflected turn
        if not isinstance(x, (Tensor, int, float, bool, list, tuple, np.generic)) and not \
                hasattr(x, "_engine_value") and not _has_array_interface(x):
            return NotImplemented
    a, b = _binary_values(x1, x2)
    xp = array_module(a, b)
    return Tensor(getattr(xp, ufunc.__name__)(a, b))


# Last: numpy_common builds on the names above (Keras's dtype rules for the operators).
from .numpy_common import quiet, same_dtype  # noqa: E402
