"""The Layer base class: validated config, lazy weights, forward and backward side by side.

A subclass declares `PARAMS` (its editable hyperparameters), validates them through
`_configure`, lists its weights in `weight_specs(input_shape)`, and implements `forward`,
`backward` and `compute_output_shape`. Shapes exclude the batch axis; a `None` entry is a
variable dimension (`Input((None, 8))`), known only when data arrives.

Masks, as in Keras: a mask is a boolean array `(batch, timesteps)`, True where a step holds
data. A layer that *makes* one (Embedding with `mask_zero`, Masking) overrides
`compute_mask(inputs, previous_mask)` and `output_has_mask(input_has_mask)`. A layer that
*passes one on unchanged* sets `supports_masking = True`. A layer that *uses* one declares a
`mask=None` keyword in `forward(x, training=False, mask=None)`: the model then hands it the
mask of its input (a list with one entry per input, None where an input has none, for layers
with several inputs such as attention), and `backward` reads what forward kept. A mask
reaching a layer that neither uses nor passes it is dropped, and `graph.validate()` warns.
"""

import inspect
import math
from dataclasses import dataclass

import numpy as np

from .. import backend, initializers
from ..errors import ShapeError, SpecError
from ..naming import unique_name
from ..ops.core import Tensor, is_recording
from ..params import Param, to_json_value, validate_param
from ..variables import Variable
from . import custom
from .input_args import pop_legacy_input
from .recording import call_recorded


@dataclass
class WeightSpec:
    """One weight a layer creates at build time (Keras order = list order)."""

    name: str
    shape: tuple
    initializer: object = "zeros"
    trainable: bool = True
    regularizer: object = None


_PLAIN_VALUES = (bool, int, float, str, type(None))


def _tracking_setattr(layer, name, value):
    """`__setattr__` of Keras-style layers (those defining `call`), whose sublayers are
    whatever their attributes hold: an assignment that may add one drops the cached
    searches (`custom.sublayers`, `recording._layer_tree`), as Keras's tracker sees every
    assignment. Built-in layers keep plain, free attribute assignment."""
    if name[:1] != "_" and not isinstance(value, _PLAIN_VALUES):
        layer.__dict__.pop("_sublayer_cache", None)
    if isinstance(value, Layer) or (isinstance(value, (list, tuple)) and
                                    any(isinstance(v, Layer) for v in value)):
        layer.__dict__.pop("_layer_tree_cache", None)
    object.__setattr__(layer, name, value)


class Layer:
    """Base class for layers.

    Args:
        name: Unique name in a model; defaults to the snake-case class name with a counter.
        trainable: Whether the optimizer updates this layer's trainable weights.
    """

    #: Editable hyperparameters in property-editor order; names match get_config keys.
    PARAMS: tuple[Param, ...] = ()
    #: Palette group.
    CATEGORY = "Core"
    #: One line for the palette tooltip.
    DESCRIPTION = ""
    #: How many inputs the layer takes (MAX_INPUTS None = any number >= MIN_INPUTS).
    MIN_INPUTS = 1
    MAX_INPUTS: int | None = 1
    #: Whether forward depends on `training` (Dropout, BatchNormalization...).
    TRAINING_DEPENDENT = False
    #: Whether backward must return dL/d(input). The model clears it for layers fed only by
    #: Input nodes during training, where that gradient would be thrown away (it costs a
    #: third of the first layer's work). Layers that cannot skip it simply ignore the flag.
    needs_input_gradient = True
    #: Whether no backward pass will follow this forward pass (predict, evaluate). The model
    #: sets it per call; layers may then drop what only backward needs (a conv's patches).
    inference_only = False
    #: Keras's `supports_masking`: whether an incoming mask passes through this layer to the
    #: next (the default `compute_mask` returns it unchanged); layers that use a mask (RNNs,
    #: global pooling) set it too, as Keras does, and end the mask in `compute_mask`.
    supports_masking = False

    def __init__(self, name: str | None = None, trainable: bool = True, **kwargs):
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise SpecError(f"A layer name must be a non-empty string. Received: name={name!r}")
        self.name = name or unique_name(type(self).__name__)
        # Keras's `input_shape=` habit: kept for a Sequential, which makes its Input from it
        # when this layer comes first (elsewhere Keras ignores it, and so does the engine).
        self._input_shape_arg, self._batch_size_arg = pop_legacy_input(
            f"Layer '{self.name}' ({type(self).__name__})", kwargs)
        if custom.is_call_based(type(self)):
            _pop_keras_base_arguments(self, kwargs)
        if kwargs:
            raise SpecError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}. "
                f"Valid arguments: {', '.join(p.name for p in self.PARAMS)}, name, trainable, "
                "input_shape."
            )
        if not isinstance(trainable, bool):
            raise SpecError(f"`trainable` must be True or False. Received: trainable={trainable!r}")
        self.trainable = trainable
        self.built = False
        self.device = "cpu"
        self.input_shape = None
        self.params: dict = {}  # every weight by name (trainable or not), Keras order
        self.grads: dict = {}  # gradients of trainable weights, same names
        self.regularizers: dict = {}
        self._call_losses: list = []  # what call() passed to add_loss, last call only

    # ----- configuration -------------------------------------------------------------------
    def _configure(self, **values) -> None:
        """Validates each declared parameter and stores it as an attribute."""
        declared = {p.name: p for p in self.PARAMS}
        for key, value in values.items():
            setattr(self, key, validate_param(declared[key], value, owner=f"{self.name}"))

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data (`from_config(get_config())` rebuilds)."""
        config = {"name": self.name, "trainable": self.trainable}
        if custom.is_call_based(type(self)):
            config["dtype"] = "float32"
        for param in self.PARAMS:
            config[param.name] = to_json_value(getattr(self, param.name))
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    @classmethod
    def class_name(cls) -> str:
        """The name specs store: the class's own `CLASS_NAME` (a registered user class's
        "package>Name"), never one inherited from a parent class, else the class name."""
        return cls.__dict__.get("CLASS_NAME") or cls.__name__

    # ----- shapes and weights ----------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        """Output shape (no batch axis) for `input_shape`; raises `ShapeError` if it cannot."""
        return tuple(input_shape)

    def output_count(self) -> int:
        """How many tensors a call returns (LSTM with `return_state`: 3); 1 for most layers.

        A layer with several outputs returns a list of shapes from `compute_output_shape`
        and a list of arrays from `forward`, and its `backward` takes a list with one
        gradient per output (None for an output nothing used).
        """
        return 1

    def takes_list(self, count: int) -> bool:
        """Whether a call with `count` inputs hands them over as a list (shapes, arrays,
        masks) rather than the single input itself."""
        return self.MAX_INPUTS != 1

    def weight_specs(self, input_shape) -> list[WeightSpec]:
        """The weights this layer creates for `input_shape` (none by default)."""
        return []

    def count_params_for(self, input_shape) -> tuple[int, int]:
        """(trainable, non-trainable) parameter counts for `input_shape`, without building
        (a Keras-style layer builds: its weights exist only once `build` ran)."""
        if custom.is_call_based(type(self)):
            self.build_for(input_shape)
            count = sum(int(np.prod(layer.params[key].shape))
                        for layer, key in self._weight_entries(trainable=True))
            return count, self.count_params() - count
        trainable = non_trainable = 0
        for spec in self.weight_specs(input_shape):
            size = math.prod(spec.shape)
            if spec.trainable and self.trainable:
                trainable += size
            else:
                non_trainable += size
        return trainable, non_trainable

    def build(self, input_shape) -> None:
        """Creates the weights for `input_shape` (called once, lazily).

        Built-in layers get a shape without the batch axis and create `weight_specs`; a
        Keras-style layer (one that defines `call`) overrides this and gets Keras's shape,
        batch axis first, as Keras passes it.
        """
        if custom.is_call_based(type(self)):
            self.built = True
            return
        self.compute_output_shape(input_shape)  # refuse shapes that cannot work, early
        for spec in self.weight_specs(input_shape):
            self.add_weight(spec)
        self.input_shape = input_shape
        self.built = True

    def build_for(self, input_shape) -> None:
        """Builds from a shape without the batch axis (what the engine's models know)."""
        if self.built:
            return
        if custom.is_call_based(type(self)):
            self.build(_with_batch(input_shape))
            self.input_shape = input_shape
        else:
            self.build(input_shape)
        self.built = True

    def output_shape_for(self, input_shape):
        """`compute_output_shape` in the engine's convention (no batch axis). A Keras-style
        layer's own `compute_output_shape` sees the batch axis; without one, its `call` is
        traced on zeros."""
        if not custom.is_call_based(type(self)):
            return self.compute_output_shape(input_shape)
        self.build_for(input_shape)
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            return _without_batch(self.compute_output_shape(_with_batch(input_shape)))
        return custom.traced_output_shape(self, input_shape)

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None):
        """Creates a weight (Keras 3's signature) and returns its `Variable`.

        `initializer` defaults to glorot_uniform for float weights and zeros otherwise;
        `regularizer` adds its penalty to `losses` and its gradient in training.
        """
        spec = shape if isinstance(shape, WeightSpec) else self._weight_spec(
            shape, initializer, dtype, trainable, regularizer, constraint, name)
        values = initializers.initialize(spec.initializer, spec.shape)
        if dtype is not None and np.dtype(dtype).kind != "f":
            values = np.asarray(values).astype(np.dtype(dtype))
        array = backend.to_device(values, self.device)
        self.params[spec.name] = array
        if spec.trainable:
            self.grads[spec.name] = backend.xp(self.device).zeros_like(array)
        if spec.regularizer is not None:
            self.regularizers[spec.name] = spec.regularizer
        return self.variable(spec.name)

    def _weight_spec(self, shape, initializer, dtype, trainable, regularizer, constraint, name):
        from .. import regularizers  # noqa: PLC0415

        if constraint is not None:
            raise SpecError(f"Layer '{self.name}': weight constraints are not supported by "
                            "LayerCraft yet. Remove `constraint=` (or clip the weight after "
                            "each step in a callback).")
        float_weight = dtype is None or np.dtype(dtype).kind == "f"
        if float_weight is False and trainable:
            raise SpecError(f"Layer '{self.name}': weight {name!r} has dtype {dtype}; only "
                            "float weights can be trainable. Pass trainable=False.")
        key = name or _next_weight_name(self.params)
        if key in self.params:
            raise SpecError(f"Layer '{self.name}' already has a weight named {key!r}. Give "
                            "each add_weight() call its own name.")
        shape = () if shape is None else tuple(int(d) for d in shape)
        init = initializer if initializer is not None else (
            "glorot_uniform" if float_weight else "zeros")
        return WeightSpec(key, shape, init, bool(trainable), regularizers.get(regularizer))

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if callable(getattr(cls, "call", None)) and cls.__setattr__ is object.__setattr__:
            cls.__setattr__ = _tracking_setattr  # a Keras-style layer: see the function

    def __getattr__(self, name):
        """`dense.kernel`, `dense.bias`: a weight's Variable by its name, as Keras exposes
        them (only reached when no attribute of that name exists)."""
        params = vars(self).get("params")
        if params is not None and name in params and not name.startswith("_"):
            return self.variable(name)
        attribute = getattr(type(self), name, None)
        if isinstance(attribute, property):  # a property raised: let its own message show
            return attribute.fget(self)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def variable(self, key):
        """The `Variable` of weight `key` (one object per weight, so tapes and optimizers
        recognise it); shared layers' second call sites hand out their owner's."""
        owner = vars(self).get("_variable_owner", self)
        handles = vars(owner).setdefault("_variable_handles", {})
        handle = handles.get(key)
        if handle is None or handle._store is not owner.params:
            handle = handles[key] = Variable._of_layer(owner, key)
        return handle

    def _weight_entries(self, trainable=None) -> list:
        """(layer, key) of every weight this layer owns, its tracked sublayers' included."""
        entries = []
        for layer in custom.weight_layers(self):
            names = (layer.params if trainable is None else layer.trainable_weight_names
                     if trainable else layer.non_trainable_weight_names)
            entries.extend((layer, key) for key in names)
        return entries

    @property
    def weights(self) -> list:
        """Every weight as a `Variable`, in creation (Keras) order, sublayers' after the
        layer's own; empty before the layer is built."""
        return [layer.variable(key) for layer, key in self._weight_entries()]

    @property
    def trainable_weights(self) -> list:
        return [layer.variable(key) for layer, key in self._weight_entries(trainable=True)]

    @property
    def non_trainable_weights(self) -> list:
        return [layer.variable(key) for layer, key in self._weight_entries(trainable=False)]

    @property
    def trainable_variables(self) -> list:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list:
        return self.non_trainable_weights

    @property
    def variables(self) -> list:
        return self.weights

    @property
    def trainable_weight_names(self) -> list[str]:
        return list(self.grads) if self.trainable else []

    @property
    def non_trainable_weight_names(self) -> list[str]:
        trainable = set(self.trainable_weight_names)
        return [name for name in self.params if name not in trainable]

    def count_params(self) -> int:
        if not self.built:
            raise SpecError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. Build it via `layer.build(input_shape)` or call it on data."
            )
        return sum(int(np.prod(layer.params[key].shape)) for layer, key in self._weight_entries())

    def get_weights(self) -> list[np.ndarray]:
        """The weights as NumPy arrays, in Keras order."""
        return [backend.to_numpy(layer.params[key]).copy() for layer, key in self._weight_entries()]

    def set_weights(self, weights) -> None:
        """Copies `weights` (Keras order and shapes) into the layer's arrays in place."""
        entries = self._weight_entries()
        names = [key if layer is self else f"{layer.name}/{key}" for layer, key in entries]
        weights = list(weights)
        if len(weights) != len(names):
            raise ShapeError(
                f"Layer '{self.name}' expects {len(names)} weight arrays ({', '.join(names)}) "
                f"but received {len(weights)}."
            )
        for (layer, key), value in zip(entries, weights):
            target = layer.params[key]
            value = np.asarray(backend.to_numpy(value))
            if tuple(value.shape) != tuple(target.shape):
                raise ShapeError(
                    f"Layer '{self.name}' weight '{key}' has shape {tuple(target.shape)}; "
                    f"received an array of shape {tuple(value.shape)}."
                )
            target[...] = backend.to_device(value, self.device, dtype=target.dtype)

    # ----- regularization ---------------------------------------------------------------------
    def regularization_loss(self):
        """Sum of this layer's weight penalties (0.0 when it has none)."""
        total = 0.0
        for key, reg in self.regularizers.items():
            total = total + reg(self.params[key])
        return total

    def add_regularization_gradients(self) -> None:
        """Adds each penalty's gradient to the weight's gradient, after `backward`."""
        for key, reg in self.regularizers.items():
            if key in self.grads:
                self.grads[key] += reg.gradient(self.params[key])

    # ----- masks (Keras's `compute_mask`) ------------------------------------------------------
    def compute_mask(self, inputs, previous_mask=None):
        """The mask of this layer's output, from its input and the input's mask."""
        return previous_mask if self.supports_masking else None

    def output_has_mask(self, input_has_mask: bool) -> bool:
        """Whether the output carries a mask, known without data (for the graph's checks)."""
        return input_has_mask and self.supports_masking

    @classmethod
    def uses_mask(cls) -> bool:
        """Whether `forward` takes a `mask` keyword (then the model passes the input's mask);
        for a Keras-style layer, whether its `call` does."""
        if "_uses_mask" not in cls.__dict__:
            if custom.is_call_based(cls):
                cls._uses_mask = custom.call_arguments(cls)[1]
            else:
                cls._uses_mask = "mask" in inspect.signature(cls.forward).parameters
        return cls._uses_mask

    def forward_masked(self, x, training: bool = False, mask=None):
        """`forward`, with `mask` passed only to layers that take one."""
        if mask is not None and self.uses_mask():
            return self.forward(x, training=training, mask=mask)
        return self.forward(x, training=training)

    # ----- computation --------------------------------------------------------------------------
    def forward(self, x, training: bool = False, mask=None):
        """Output for the batch `x`, keeping in `self._*` what `backward` needs.

        A Keras-style layer runs its `call` here under a private tape."""
        if custom.is_call_based(type(self)):
            return custom.forward_with_tape(self, x, training, mask)
        raise NotImplementedError(f"{type(self).__name__} must implement forward() and "
                                  "backward(), or call() as a Keras layer does")

    def backward(self, grad):
        """Fills `self.grads` in place (overwriting) and returns dL/d(input)."""
        if custom.is_call_based(type(self)):
            return custom.backward_with_tape(self, grad)
        raise NotImplementedError(f"{type(self).__name__} must implement backward()")

    # ----- Keras-style losses (`add_loss`, `losses`) ----------------------------------------------
    def add_loss(self, loss):
        """Adds a loss term (a scalar Tensor) from inside `call`; fit() and `model.losses`
        include it. Each call replaces the previous call's terms."""
        self._call_losses.append(loss)

    @property
    def losses(self) -> list:
        """Terms added by the last call (`add_loss`) and each weight regularizer's penalty,
        this layer's and its tracked sublayers'."""
        from .recording import regularization_terms  # noqa: PLC0415

        terms = []
        for layer in custom.weight_layers(self):
            terms.extend(vars(layer).get("_call_losses", []))
            terms.extend(regularization_terms(layer))
        return terms

    def __call__(self, inputs, training: bool = False, mask=None, **kwargs):
        """On symbolic tensors, adds a node to a functional graph; on arrays, runs eagerly.

        `mask` (eager calls) is Keras's: a boolean `(batch, timesteps)` array for layers that
        use one, e.g. `lstm(x, mask=embedding.compute_mask(ids))`. Without it, the mask an
        earlier eager call attached to `inputs` (`_keras_mask`, NumPy outputs) is used, and
        this call's output mask is attached to its output, as Keras does eagerly.
        """
        from ..symbolic import SymbolicTensor, call_symbolic  # noqa: PLC0415 - cycle

        items = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if any(isinstance(t, SymbolicTensor) for t in items):
            return call_symbolic(self, inputs)
        if custom.is_call_based(type(self)):
            inputs = custom.as_call_input(inputs)
            self.build_for(_batchless_shape(inputs))
            return custom.invoke_call(self, inputs, training=training, mask=mask, **kwargs)
        if not self.built:
            self.build(_batchless_shape(inputs))
        if mask is None:
            mask = _attached_mask(inputs)
        if is_recording() or any(isinstance(t, Tensor) for t in items):
            return call_recorded(self, inputs, training, mask)
        outputs = self.forward_masked(inputs, training=training, mask=mask)
        return _with_mask(outputs, self.compute_mask(inputs, mask))

    # ----- symbolic calls (`layer.input` / `layer.output`, as in Keras) ---------------------
    @property
    def input(self):
        """The input tensor(s) of this layer's first symbolic call (in a model or by hand)."""
        from ..symbolic import node_attribute  # noqa: PLC0415 - cycle

        return node_attribute(self, "input_tensors", "input")

    @property
    def output(self):
        """The output tensor of this layer's first symbolic call (in a model or by hand)."""
        from ..symbolic import node_attribute  # noqa: PLC0415 - cycle

        return node_attribute(self, "output_tensors", "output")

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class MaskedOutput(np.ndarray):
    """A NumPy array carrying Keras's `_keras_mask` (what an eager masked call returns)."""

    _keras_mask = None


def _attached_mask(inputs):
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(x, "_keras_mask", None) for x in inputs]
        return masks if any(m is not None for m in masks) else None
    return getattr(inputs, "_keras_mask", None)


def _with_mask(outputs, mask):
    if mask is None or not isinstance(outputs, np.ndarray):
        return outputs
    outputs = outputs.view(MaskedOutput)
    outputs._keras_mask = mask
    return outputs


def _batchless_shape(inputs):
    if isinstance(inputs, (list, tuple)):
        return [tuple(int(d) for d in x.shape[1:]) for x in inputs]
    return tuple(int(d) for d in inputs.shape[1:])


def _with_batch(shape):
    """A batch-less shape (or list of them) with Keras's leading None batch axis."""
    if isinstance(shape, list):
        return [_with_batch(s) for s in shape]
    return (None, *shape)


def _without_batch(shape):
    """Keras's shape with the batch axis (or a list of them) without it."""
    if isinstance(shape, list):
        return [_without_batch(s) for s in shape]
    return tuple(shape)[1:]


def _next_weight_name(params) -> str:
    """Keras's default weight names: variable, variable_1, variable_2..."""
    name, count = "variable", 0
    while name in params:
        count += 1
        name = f"variable_{count}"
    return name


def _pop_keras_base_arguments(layer, kwargs) -> None:
    """Keyword arguments every Keras layer accepts; LayerCraft computes in float32."""
    dtype = kwargs.pop("dtype", None)
    if dtype not in (None, "float32") and getattr(dtype, "name", dtype) != "float32":
        raise SpecError(f"Layer '{layer.name}': dtype={dtype!r} is not supported; LayerCraft "
                        "layers compute in float32. Leave dtype out.")
    kwargs.pop("autocast", None)
    kwargs.pop("input_dim", None)


def check_rank(layer: Layer, input_shape, rank: int, hint: str = "") -> None:
    """Raises a `ShapeError` naming the layer when `input_shape` has the wrong rank."""
    if not isinstance(input_shape, tuple) or len(input_shape) != rank:
        fix = f" {hint}" if hint else ""
        raise ShapeError(
            f"Layer '{layer.name}' ({type(layer).__name__}) expects an input of rank {rank} "
            f"(without the batch axis), but received shape {format_shape(input_shape)}.{fix}"
        )


def known(shape) -> bool:
    """Whether every dimension of a batch-less `shape` is known (no None)."""
    return all(d is not None for d in shape)


def check_known(layer: Layer, input_shape, axes, what: str, fix: str) -> None:
    """Raises a `ShapeError` naming the layer when an axis it needs is None (variable)."""
    if any(input_shape[a] is None for a in axes):
        raise ShapeError(
            f"Layer '{layer.name}' ({type(layer).__name__}) needs {what} known, but received "
            f"shape {format_shape(input_shape)} with a None (variable) dimension. {fix}")


def dims_match(got, expected) -> bool:
    """Whether the data shape `got` fits `expected`, where None matches any size."""
    return len(got) == len(expected) and all(
        e is None or int(g) == e for g, e in zip(got, expected))


def format_shape(shape) -> str:
    """`(None, 28, 28)` style text for a batch-less shape (or a list of them)."""
    if isinstance(shape, list):
        return ", ".join(format_shape(s) for s in shape)
    if shape is None:
        return "(nothing)"
    return "(" + ", ".join(["None", *[str(d) for d in shape]]) + ")"
