"""GradientTape for custom training loops, as in the seed's examples:

    with GradientTape() as tape:
        pred = model(x, training=True)
        loss = loss_fn(y, pred) + sum(model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))

The engine has no general autodiff: the tape differentiates exactly the chain it supports,
model -> loss object (+ the model's regularization losses), and refuses anything else with an
error that says so, never a wrong gradient.
"""

import threading

from . import backend, fpu
from .errors import TrainingError

_local = threading.local()


def active_tape():
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


class TapeValue:
    """A scalar loss that remembers how it was computed (loss terms + regularization terms)."""

    def __init__(self, value, terms):
        self.value = value
        self.terms = terms  # list of ("loss", record) / ("regularization", model)

    def __add__(self, other):
        if isinstance(other, TapeValue):
            return TapeValue(self.value + other.value, self.terms + other.terms)
        if isinstance(other, (int, float)) and other == 0:
            return self
        raise TrainingError(_UNSUPPORTED)

    __radd__ = __add__

    def __float__(self):
        return float(self.value)

    def numpy(self):
        return backend.to_numpy(self.value)

    def __array__(self, dtype=None, copy=None):
        return backend.to_numpy(self.value).astype(dtype) if dtype else backend.to_numpy(
            self.value)

    def __format__(self, spec):
        return format(float(self), spec)

    def __repr__(self):
        return f"<TapeValue {float(self):.6g}>"

    def _refuse(self, *args, **kwargs):
        raise TrainingError(_UNSUPPORTED)

    __mul__ = __rmul__ = __sub__ = __rsub__ = __truediv__ = __rtruediv__ = __pow__ = _refuse


_UNSUPPORTED = (
    "GradientTape can differentiate `loss_fn(y, model(x, training=True))`, optionally plus "
    "`sum(model.losses)`; other arithmetic on the loss is not differentiable here. Put the "
    "computation in a loss object (e.g. use loss_weights in compile) or use model.fit().")


class GradientTape:
    """Records model calls and loss calls made inside `with GradientTape() as tape:`."""

    def __init__(self, persistent=False):
        self.persistent = persistent
        self._model_calls = []  # (model, outputs, the model's forward count after the call)
        self._used = False

    def __enter__(self):
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        stack.append(self)
        return self

    def __exit__(self, *exc):
        _local.stack.remove(self)
        return False

    def record_model_call(self, model, outputs):
        self._model_calls.append((model, outputs, model._forward_count))

    def record_loss(self, loss_obj, y_true, y_pred, sample_weight, value):
        return TapeValue(value, [("loss", (loss_obj, y_true, y_pred, sample_weight))])

    @fpu.flushed
    def gradient(self, target, sources):
        """d(target)/d(source) for each source (trainable variables of the recorded model)."""
        if self._used and not self.persistent:
            raise TrainingError("A non-persistent GradientTape can compute gradients only once. "
                                "Use GradientTape(persistent=True).")
        self._used = True
        if not isinstance(target, TapeValue):
            raise TrainingError(_UNSUPPORTED)
        model, output_grads, regularized = self._output_gradients(target)
        model.backward(output_grads, from_preactivation=set(), input_gradients=False)
        if not regularized:  # backward always adds penalty gradients; take them out again
            for layer in model.layers:
                for key, reg in layer.regularizers.items():
                    if key in layer.grads:
                        layer.grads[key] -= reg.gradient(layer.params[key])
        return [self._gradient_of(model, source) for source in sources]

    def _output_gradients(self, target):
        grads, model, regularized = {}, None, False
        for kind, payload in target.terms:
            if kind == "regularization":
                regularized = True
                continue
            loss_obj, y_true, y_pred, sample_weight = payload
            found = self._find_output(y_pred)
            if found is None:
                raise TrainingError("The loss was computed on an array that is not the direct "
                                    "output of a model called inside this tape. " + _UNSUPPORTED)
            call_model, index, count = found
            if model is not None and call_model is not model:
                raise TrainingError("A tape can differentiate one model at a time.")
            self._check_still_current(call_model, count)
            model = call_model
            _, grad = loss_obj.value_and_gradient(y_true, y_pred, sample_weight)
            grads[index] = grad if index not in grads else grads[index] + grad
        if model is None:
            raise TrainingError(_UNSUPPORTED)
        outputs = self._outputs_of(model)
        return model, [grads.get(i, outputs[i] * 0) for i in range(len(outputs))], regularized

    @staticmethod
    def _check_still_current(model, recorded: int):
        """Backward reads what the recorded forward pass left in the layers; any later pass
        (predict, evaluate, another call) replaced it, and the gradient would be wrong."""
        if model._forward_count != recorded:
            raise TrainingError(
                f"Model '{model.name}' ran again (predict, evaluate or another call) after the "
                "call this GradientTape recorded, so its gradient can no longer be computed. "
                "Call tape.gradient before running the model again, or record a new tape.")

    def _find_output(self, array):
        for model, outputs, count in reversed(self._model_calls):
            for index, out in enumerate(outputs):
                if out is array:
                    return model, index, count
        return None

    def _outputs_of(self, model):
        for call_model, outputs, _ in reversed(self._model_calls):
            if call_model is model:
                return outputs
        return []

    @staticmethod
    def _gradient_of(model, source):
        for layer, key in model._trainable_entries:
            if layer.params[key] is source:
                return layer.grads[key].copy()
        for layer, key in model._trainable_entries:
            if layer.params[key].shape == source.shape and _same_memory(layer.params[key],
                                                                        source):
                return layer.grads[key].copy()
        raise TrainingError("GradientTape.gradient: a source is not a trainable variable of the "
                            "model used in the tape. Pass model.trainable_variables.")


def _same_memory(a, b) -> bool:
    try:
        return a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    except AttributeError:
        return a.data.ptr == b.data.ptr


def regularization_term(model):
    """`model.losses` entry: the model's regularization penalty, recognised by the tape."""
    value = model.regularization_loss()
    return TapeValue(value, [("regularization", model)])
