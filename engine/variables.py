"""`engine.Variable`: Keras 3's variable, and the handle a layer's weight is seen through.

A layer keeps its weights as plain arrays in `layer.params` (views into the model's flat
parameter buffer once the model is built), so the optimizer step stays one expression.
`layer.kernel`, `layer.weights` and `model.trainable_variables` are Variables that read and
write those arrays in place: `assign` never replaces the array, it writes into it.

A trainable Variable read by an op while a GradientTape records is tracked (TensorFlow's
`watch_accessed_variables`); its gradient is what `tape.gradient(loss, [v])` returns.
"""

import numpy as np

from . import backend, initializers
from .errors import ShapeError, SpecError
from .ops import core
from .ops.core import Node, Tensor, value_of


class Variable:
    """A named, mutable value (Keras 3 `keras.Variable`).

    Args:
        initializer: The initial value (an array or number), or an initializer (name,
            object or callable `f(shape, dtype)`) used with `shape`.
        shape: The shape, needed when `initializer` is not a value.
        dtype: Defaults to the value's float dtype, float32.
        trainable: Whether optimizers and GradientTape treat it as a weight.
        name: Defaults to `"variable"`.
    """

    __array_ufunc__ = None  # see Tensor: NumPy operators defer to ours

    def __init__(self, initializer=None, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None, **kwargs):
        if kwargs:
            raise SpecError(f"Unrecognized keyword arguments passed to Variable: {kwargs}.")
        if initializer is None:
            raise SpecError("Variable needs an `initializer`: an initial value, or an "
                            "initializer name such as 'zeros' together with `shape`.")
        self._store = {"value": _initial_value(initializer, shape, dtype)}
        self._key = "value"
        self._trainable = bool(trainable)
        self._layer = None
        self.name = name or "variable"
        self.path = self.name
        self._leaf = None

    @classmethod
    def _of_layer(cls, layer, key):
        """The handle of weight `key` of `layer` (reads `layer.params[key]`, never a copy)."""
        var = cls.__new__(cls)
        var._store, var._key, var._layer = layer.params, key, layer
        var._trainable = None
        var.name = key
        var.path = f"{layer.name}/{key}"
        var._leaf = None
        return var

    # ----- value ----------------------------------------------------------------------------
    @property
    def value(self):
        """The current array (NumPy or CuPy): the layer's own weight array, not a copy."""
        return self._store[self._key]

    def _engine_value(self):
        return self._store[self._key]

    def numpy(self):
        return np.array(backend.to_numpy(self.value), copy=True)

    def __array__(self, dtype=None, copy=None):
        array = np.asarray(backend.to_numpy(self.value))
        return array.astype(dtype) if dtype is not None else array

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

    @property
    def trainable(self) -> bool:
        if self._layer is not None:
            layer = self._layer
            return bool(layer.trainable) and self._key in layer.grads
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        if self._layer is not None:
            raise SpecError(f"Variable '{self.path}' belongs to layer '{self._layer.name}': set "
                            "`layer.trainable` instead.")
        self._trainable = bool(value)

    # ----- assignment (in place, so views into the flat buffer stay views) ---------------------
    def assign(self, value):
        target = self.value
        new = value_of(value)
        xp = backend.get_array_module(target)
        new = xp.asarray(backend.to_numpy(new) if xp is np else new, dtype=target.dtype)
        if new.shape != target.shape:
            try:
                new = xp.broadcast_to(new, target.shape)
            except ValueError:
                raise ShapeError(
                    f"Variable '{self.path}' has shape {tuple(target.shape)}; cannot assign a "
                    f"value of shape {tuple(new.shape)}. Assign a value of the same shape."
                ) from None
        target[...] = new
        return self

    def assign_add(self, value):
        return self.assign(self.value + _raw(value, self.value))

    def assign_sub(self, value):
        return self.assign(self.value - _raw(value, self.value))

    # ----- tracking -----------------------------------------------------------------------
    def _engine_leaf(self):
        """The tape leaf of this variable, when an active tape tracks it right now."""
        for tape in core.active_tapes():  # a loop: this runs for every weight of every call
            if not tape._paused and self._tracked_by(tape):
                if self._leaf is None:
                    self._leaf = Node(source=self)
                return self._leaf
        return None

    def _tracked_by(self, tape) -> bool:
        if tape._watch_accessed and self.trainable:
            return True
        return any(v is self for v in tape._watched_variables)

    def _tape_node(self):
        """The leaf node, created if needed (gradients are looked up by it)."""
        if self._leaf is None:
            self._leaf = Node(source=self)
        return self._leaf

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"value={self.numpy()!r}>")

    __hash__ = object.__hash__


def _raw(value, like):
    v = value_of(value)
    xp = backend.get_array_module(like)
    return xp.asarray(backend.to_numpy(v) if xp is np else v, dtype=like.dtype)


def _initial_value(initializer, shape, dtype):
    dtype = np.dtype(dtype or backend.FLOATX)
    if isinstance(initializer, (Tensor, Variable)):
        initializer = value_of(initializer)
    if isinstance(initializer, str) or (callable(initializer) and not hasattr(initializer,
                                                                             "shape")):
        if shape is None:
            raise SpecError("Variable: an initializer needs `shape`. For example "
                            "Variable(initializer='zeros', shape=(3,)).")
        values = initializers.initialize(initializer, tuple(shape))
        return np.asarray(values, dtype=dtype)
    if backend.is_gpu_array(initializer):
        return initializer.astype(dtype) if initializer.dtype.kind == "f" else initializer
    array = np.array(initializer, copy=True)
    if array.dtype.kind in "fc" or array.dtype == object:
        array = array.astype(dtype if dtype.kind == "f" else backend.FLOATX)
    if shape is not None and tuple(array.shape) != tuple(shape):
        raise ShapeError(f"Variable: the initial value has shape {array.shape}, but "
                         f"shape={tuple(shape)} was given.")
    return array


# Variables take part in arithmetic exactly as Tensors do (each operator is an engine op).
for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__matmul__", "__rmatmul__", "__pow__", "__rpow__",
              "__neg__", "__abs__", "__getitem__", "__lt__", "__le__", "__gt__", "__ge__",
              "__float__", "__int__", "__bool__", "__len__", "__iter__", "__format__",
              "astype"):
    setattr(Variable, _name, getattr(Tensor, _name))
Variable.__eq__ = Tensor.__eq__
Variable.__ne__ = Tensor.__ne__
