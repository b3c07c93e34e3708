"""What `compile` sets up: one loss per output (with weights), metrics per output, and the
up-front checks that labels fit the loss before any training work starts."""

import inspect

import numpy as np

from . import backend
from .errors import DataError, ShapeError, SpecError
from .layers.base import dims_match
from .losses.custom import LossFunctionWrapper, is_call_based
from .ops.core import value_of

_SPARSE = ("SparseCategoricalCrossentropy",)
_ONE_HOT = ("CategoricalCrossentropy", "CategoricalHinge")


def is_object_config(value) -> bool:
    """True for a serialized object, `{"class_name": ..., "config": {...}}`: one loss or
    metric, not a dict keyed by output name."""
    return (isinstance(value, dict) and isinstance(value.get("class_name"), str)
            and set(value) <= {"class_name", "config", "module", "registered_name"})


def per_output(value, names, what: str) -> list:
    """Spreads a single value, a list or a dict over the model's outputs."""
    if isinstance(value, dict) and not is_object_config(value):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise SpecError(f"{what} given for unknown outputs {unknown}. Outputs: {names}.")
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        if len(value) != len(names):
            raise SpecError(f"{what}: {len(value)} given for {len(names)} outputs ({names}).")
        return list(value)
    return [value] * len(names)


class CompiledLoss:
    """The losses of every output, their weights, and the fused-gradient decision.

    `loss=None` is accepted (Keras allows it for a model that adds its own losses or
    computes them in train_step): then `empty` is True and the train step decides.
    """

    def __init__(self, model, loss, loss_weights=None):
        from . import losses  # noqa: PLC0415 - keeps model import light

        names = model.output_names
        self.names = names
        self.losses = [None if l is None else losses.get(l) for l in per_output(loss, names,
                                                                                "loss")]
        #: No output has a loss (compile() without one).
        self.empty = all(l is None for l in self.losses)
        weights = per_output(loss_weights, names, "loss_weights") if loss_weights is not None \
            else [1.0] * len(names)
        self.weights = [1.0 if w is None else float(w) for w in weights]
        self.fused = [self._fusable(model, name, l) for name, l in zip(names, self.losses)]

    @staticmethod
    def _fusable(model, name, loss) -> bool:
        """True when the output's activation and the loss have a fused, stable gradient."""
        fused_activation = getattr(loss, "FUSED_ACTIVATION", None)
        if not fused_activation or getattr(loss, "from_logits", False) or is_call_based(loss):
            return False
        layer = model._nodes.get(name)  # None for a later output ("lstm:1")
        return getattr(layer, "activation", None) == fused_activation and hasattr(
            layer, "backward_from_preactivation")

    def value_and_grads(self, ys, outputs, sample_weight):
        """Total loss (device scalar), per-output losses, gradients, and fused output names."""
        total, parts, grads, fused = 0.0, [], [], set()
        for name, loss, weight, is_fused, y, out in zip(self.names, self.losses, self.weights,
                                                        self.fused, ys, outputs):
            if loss is None:
                grads.append(out * 0)
                parts.append(0.0)
                continue
            y = align_target(loss, y, out)
            if is_fused:
                value, grad = loss.value_and_logits_gradient(y, out, sample_weight)
                fused.add(name)
            else:
                value, grad = loss.value_and_gradient(y, out, sample_weight)
            value = value_of(value)
            parts.append(value)  # logged per output unweighted, as Keras does
            if weight != 1.0:
                value, grad = value * weight, grad * weight
            total = total + value
            grads.append(grad)
        return total, parts, grads, fused

    def values(self, ys, outputs, sample_weight):
        total, parts = 0.0, []
        for loss, weight, y, out in zip(self.losses, self.weights, ys, outputs):
            value = 0.0 if loss is None else value_of(
                loss(align_target(loss, y, out), out, sample_weight))
            total = total + weight * value
            parts.append(value)
        return total, parts


def target_kind(loss):
    """The built-in loss class name whose target rules apply to `loss`, or None when its
    targets are the user's business (a Keras-style `call` or a user's function).

    `loss=losses.sparse_categorical_crossentropy` gets SparseCategoricalCrossentropy's rules.
    """
    from .losses.wrappers import LOSS_CLASSES  # noqa: PLC0415 - keeps model import light

    if isinstance(loss, LossFunctionWrapper):
        cls = LOSS_CLASSES.get(loss.fn)
        return None if cls is None else cls.__name__
    if is_call_based(loss):
        return None
    return type(loss).__name__


def align_target(loss, y, out):
    """Keras's rank alignment: (N,) targets for an (N, 1) output become (N, 1)."""
    if target_kind(loss) in _SPARSE:
        return y
    if y.ndim == out.ndim - 1 and out.shape[-1] == 1:
        return y.reshape(*y.shape, 1)
    return y


def check_targets(model, compiled: CompiledLoss, ys) -> None:
    """Refuses labels that cannot fit each output's loss, naming the output and the fix."""
    for name, loss, y, shape in zip(compiled.names, compiled.losses, ys, model.output_shapes):
        kind = None if loss is None else target_kind(loss)
        if kind is None:  # no loss, or one whose targets only its author knows
            continue
        host = backend.to_numpy(y)
        if kind in _SPARSE:
            _check_sparse(name, host, shape)
        elif kind in _ONE_HOT:
            _check_one_hot(name, host, shape, kind)
        else:
            _check_same_shape(name, host, tuple(shape))
        if kind == "BinaryCrossentropy" and (host.min() < 0 or host.max() > 1):
            raise DataError(f"Binary cross-entropy on output '{name}' needs targets between 0 "
                            f"and 1; received values from {host.min():g} to {host.max():g}.")


def _check_same_shape(name, y, expected):
    got = tuple(y.shape[1:])
    if dims_match(got, expected) or (dims_match(got, expected[:-1]) and expected[-1:] == (1,)):
        return
    shown = f"Output '{name}' gives shape (None, {', '.join(map(str, expected))}) but the " \
            f"targets have shape {(None, *got)}."
    if _looks_like_class_labels(y, expected):
        # A softmax-sized output with (N,) whole-number labels is a classifier given a
        # regression loss; shrinking the output to (1,) would only hide that.
        raise ShapeError(
            f"{shown} The targets look like class labels ({int(y.min())} to {int(y.max())}) "
            f"for {expected[-1]} classes: use loss='sparse_categorical_crossentropy' (or "
            "'categorical_crossentropy' with one-hot targets). For regression, make the last "
            f"layer output {got or (1,)} values or reshape the targets.")
    raise ShapeError(f"{shown} Make the last layer output {got or (1,)} values or reshape the "
                     "targets.")


def _looks_like_class_labels(y, expected) -> bool:
    """Whole numbers of shape (N,) or (N, 1), each a valid index into an N>1 output."""
    if len(expected) != 1 or expected[0] < 2 or y.size == 0:
        return False
    if not (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)):
        return False
    if not np.issubdtype(y.dtype, np.number) or not np.all(np.mod(y, 1) == 0):
        return False
    return y.min() >= 0 and y.max() < expected[0]


def _check_sparse(name, y, shape):
    classes = shape[-1]
    if y.ndim > len(shape) + 1 or (y.ndim == len(shape) + 1 and y.shape[-1] != 1):
        raise ShapeError(
            f"sparse_categorical_crossentropy on output '{name}' needs integer class labels of "
            f"shape (N,), but received targets of shape {y.shape}. For one-hot targets use "
            "loss='categorical_crossentropy'.")
    if not np.all(np.equal(np.mod(y, 1), 0)):
        raise DataError(f"Labels for output '{name}' must be whole class indices (0, 1, 2...); "
                        "received fractional values. For probabilities use "
                        "categorical_crossentropy.")
    if y.min() < 0 or y.max() >= classes:
        raise DataError(
            f"Labels for output '{name}' go from {int(y.min())} to {int(y.max())}, but the "
            f"output has {classes} units (classes 0..{classes - 1}). Set the last Dense layer "
            f"to {int(y.max()) + 1} units, or fix the labels.")


def _check_one_hot(name, y, shape, kind):
    if not dims_match(tuple(y.shape[1:]), tuple(shape)):
        hint = (" For integer class labels use loss='sparse_categorical_crossentropy'."
                if y.ndim == 1 or y.shape[-1] == 1 else "")
        raise ShapeError(
            f"{kind} on output '{name}' needs one-hot targets of width {shape[-1]}, but the "
            f"targets have shape {tuple(y.shape)}.{hint}")


class CompiledMetrics:
    """Metric objects per output, resolved from the first batch's shapes (as Keras)."""

    def __init__(self, metrics, output_names):
        self.specs = (per_output(metrics, output_names, "metrics") if metrics
                      else [None] * len(output_names))
        self.names = output_names
        self.objects = None  # list (per output) of metric instances

    def build(self, ys, outputs):
        from . import metrics as metric_module  # noqa: PLC0415

        self.objects = []
        for spec, y, out in zip(self.specs, ys, outputs):
            spec = spec if isinstance(spec, (list, tuple)) else ([spec] if spec else [])
            self.objects.append([metric_module.get(m, y_true_shape=tuple(y.shape),
                                                   y_pred_shape=tuple(out.shape)) for m in spec])

    def update(self, ys, outputs, losses, sample_weight=None):
        if self.objects is None:
            self.build(ys, outputs)
        for objs, y, out, loss in zip(self.objects, ys, outputs, losses):
            if objs:
                y = align_target(loss, y, out) if loss is not None else y
                for metric in objs:
                    metric.update_state(y, out)

    def reset(self):
        for objs in self.objects or []:
            for metric in objs:
                metric.reset_state()

    def results(self) -> dict:
        logs = {}
        multi = len(self.names) > 1
        for name, objs in zip(self.names, self.objects or []):
            for metric in objs:
                value = metric.result()
                # Keras lets result() return a dict of scalars: each is logged by its key.
                items = value.items() if isinstance(value, dict) else [(metric.name, value)]
                for key, item in items:
                    number = log_number(item)
                    if number is not None:
                        logs[f"{name}_{key}" if multi else key] = number
        return logs

    def all_metrics(self) -> list:
        return [m for objs in self.objects or [] for m in objs]


def log_number(value):
    """A metric result as the float the logs hold (a Tensor, Variable, 0-d array or number),
    or None for a result with several values (a confusion matrix), which logs leave out."""
    value = value_of(value)
    if np.ndim(value) != 0:
        return None
    return float(backend.to_numpy(value)) if hasattr(value, "dtype") else float(value)


def is_plain_function(obj) -> bool:
    """A function given as a loss or metric (not a Loss/Metric object or class)."""
    return callable(obj) and not inspect.isclass(obj) and not hasattr(obj, "get_config")


def function_config(fn, what: str):
    """How compile_config stores a plain loss or metric function, by name only (never code).

    One of Keras's functions (`losses.mean_squared_error`) is stored as its name string,
    which compiles again to the same values and which Keras reads as it is; a user's
    function as Keras writes it, `{"module", "class_name": "function", "config": name,
    "registered_name"}`, resolved on loading among registered functions and custom_objects.
    """
    from .losses.custom import engine_functions  # noqa: PLC0415
    from .losses.custom import function_config as config_of  # noqa: PLC0415

    name = getattr(fn, "__name__", None)
    if engine_functions().get(name) is fn:
        return name
    return config_of(fn, what)
